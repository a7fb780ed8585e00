/**
 * Offline validity of everything the Kubernetes backend sends and of deploy/kubernetes/*.yaml:
 * the schemas of a current Kubernetes (kubernetes-models 5) and of 1.19 (kubernetes-models 1.7,
 * the newest release before the test cluster's 1.20: a stable field valid in both is in 1.20),
 * plus a strict walk that refuses any field the current API does not know (the schemas allow
 * unknown fields, which an API server silently drops). The real 1.20 server's view is checked
 * by tests/kubernetes/*.test.ts (fields read back after create).
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import * as k8s from '@kubernetes/client-node';
import * as cur from 'kubernetes-models/v1';
import * as curApps from 'kubernetes-models/apps/v1';
import * as curRbac from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import * as curNet from 'kubernetes-models/networking.k8s.io/v1';
// @ts-expect-error: the 1.19 package ships its own typings under a path the alias does not map
import * as old from 'kubernetes-models-1.19/v1';
// @ts-expect-error: as above
import * as oldApps from 'kubernetes-models-1.19/apps/v1';
// @ts-expect-error: as above
import * as oldRbac from 'kubernetes-models-1.19/rbac.authorization.k8s.io/v1';
// @ts-expect-error: as above
import * as oldNet from 'kubernetes-models-1.19/networking.k8s.io/v1';
import { DEFAULT_LIMITS } from '../../runner/src/docker/index.ts';
import { registryPod, sandboxPod, type Placement } from '../../runner/src/kubernetes/pod.ts';
import { userOfSlot } from '../../runner/src/sandbox/session-user.ts';

const placement: Placement = { mirrorIp: '10.244.0.2', registryIp: '10.244.0.7', user: userOfSlot(2) };
import { probePod, probePolicy } from '../../runner/src/kubernetes/probe.ts';
import { mirrorObjects, networkPolicies } from '../../runner/src/kubernetes/mirror.ts';

type Model = new (o: unknown) => { validate(): void };
const models = (v1: Record<string, unknown>, apps: Record<string, unknown>, rbac: Record<string, unknown>, net: Record<string, unknown>) =>
  ({
    'v1/Pod': v1.Pod,
    'v1/Service': v1.Service,
    'v1/Namespace': v1.Namespace,
    'v1/ServiceAccount': v1.ServiceAccount,
    'v1/PersistentVolumeClaim': v1.PersistentVolumeClaim,
    'apps/v1/Deployment': apps.Deployment,
    'rbac.authorization.k8s.io/v1/Role': rbac.Role,
    'rbac.authorization.k8s.io/v1/RoleBinding': rbac.RoleBinding,
    'networking.k8s.io/v1/NetworkPolicy': net.NetworkPolicy,
  }) as Record<string, Model>;
const VERSIONS = { current: models(cur, curApps, curRbac, curNet), '1.19': models(old, oldApps, oldRbac, oldNet) };

/** Fields the current API does not know, as paths (client-node's generated type maps). */
function unknownFields(type: string, value: unknown, path: string): string[] {
  if (value === null || typeof value !== 'object') return [];
  const arr = /^Array<(.+)>$/.exec(type);
  if (arr) return (value as unknown[]).flatMap((v, i) => unknownFields(arr[1]!, v, `${path}[${i}]`));
  const model = (k8s as unknown as Record<string, { getAttributeTypeMap?: () => { baseName: string; type: string }[] }>)[type];
  if (!model?.getAttributeTypeMap) return [];
  const attrs = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
    attrs.has(k) ? unknownFields(attrs.get(k)!, v, `${path}.${k}`) : [`${path}.${k}`],
  );
}

function check(obj: { apiVersion?: string; kind?: string }, what: string) {
  const key = `${obj.apiVersion}/${obj.kind}`;
  for (const [version, table] of Object.entries(VERSIONS)) {
    const M = table[key];
    assert.ok(M, `${what}: no ${version} model for ${key}`);
    assert.doesNotThrow(() => new M(obj).validate(), (e: unknown) => `${what} invalid for ${version}: ${(e as Error).message}`);
  }
  const type = `V1${obj.kind}`;
  assert.deepEqual(unknownFields(type, obj, what), [], `${what}: fields unknown to the API`);
}

/** client-node's models use `_from` for `from`: what goes over the wire is the serialized form. */
const wire = <T>(obj: T): T => JSON.parse(JSON.stringify(obj).replaceAll('"_from":', '"from":')) as T;

const settings = {
  runnerId: 'registry-lab',
  images: { workstation: 'registry-lab/workstation:2', registry: 'registry-lab/registry:2' },
  limits: DEFAULT_LIMITS,
  seccompProfile: 'registry-lab/rootless-engine.json',
  diskBytes: 10 * 1024 ** 3,
  egress: { policy: 'none' as const, allow: [] },
  allow: [],
};

it('the objects the backend creates are valid for a current Kubernetes and for 1.19', () => {
  check(sandboxPod(settings, 'AbCdEfGhIjKlMnOpQrStUvWx', placement), 'session Pod');
  check(sandboxPod(settings, 'AbCdEfGhIjKlMnOpQrStUvWx', { ...placement, pool: true }), 'pool Pod');
  check(registryPod(settings, 'AbCdEfGhIjKlMnOpQrStUvWx'), 'registry Pod');
  check(probePod({ runnerId: 'registry-lab', image: 'registry-lab/workstation:2', seccompProfile: 'p.json' }, 'AbCdEfGhIjKlMnOpQrStUvWx', 'p', 'h:5000/a:b', 10_000), 'probe Pod');
  check(probePod({ runnerId: 'registry-lab', image: 'registry-lab/workstation:2', seccompProfile: 'p.json' }, 'AbCdEfGhIjKlMnOpQrStUvWx', 'p', 'h:5000/a:b', 10_000, ['PATH=/bin', 'X=$(id)']), 'probe Pod with Env');
  check(wire(probePolicy('registry-lab', 'AbCdEfGhIjKlMnOpQrStUvWx', 'p')), 'probe NetworkPolicy');
  const m = mirrorObjects('registry-lab', 'registry-lab/mirror:latest');
  check(m.deployment, 'mirror Deployment');
  check(m.service, 'mirror Service');
  for (const p of networkPolicies('registry-lab')) check(wire(p), `NetworkPolicy ${p.metadata?.name}`);
});

it('deploy/kubernetes/runner.yaml is valid for a current Kubernetes and for 1.19, with least RBAC', () => {
  const docs = parseAllDocuments(readFileSync(new URL('../../deploy/kubernetes/runner.yaml', import.meta.url), 'utf8')).map((d) => d.toJS() as { apiVersion: string; kind: string; metadata: { name: string }; rules?: { resources: string[]; verbs: string[] }[] });
  const kinds = docs.map((d) => d.kind).sort();
  assert.deepEqual(kinds, ['Deployment', 'Namespace', 'PersistentVolumeClaim', 'Role', 'RoleBinding', 'Service', 'ServiceAccount']);
  for (const d of docs) {
    check(d, `${d.kind} ${d.metadata.name}`);
  }
  const role = docs.find((d) => d.kind === 'Role')!;
  for (const r of role.rules!) {
    assert.ok(!r.verbs.includes('*') && !r.resources.includes('*'), 'no wildcard');
    assert.ok(!r.resources.includes('secrets'), 'no secrets');
  }
});

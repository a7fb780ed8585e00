/**
 * deploy/kubernetes/policy/: the Kyverno ClusterPolicy and the ValidatingAdmissionPolicy that
 * keep privileged Pods out of the runner's namespace. Offline: they select that namespace,
 * refuse what they say, and allow exactly the capabilities the runner's own Pods add.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import * as curAdm from 'kubernetes-models/admissionregistration.k8s.io/v1';
import { DEFAULT_LIMITS } from '../../runner/src/docker/index.ts';
import { registryPod, sandboxPod, type Placement } from '../../runner/src/kubernetes/pod.ts';
import { userOfSlot } from '../../runner/src/sandbox/session-user.ts';

const placement: Placement = { mirrorIp: '10.0.0.1', registryIp: '10.244.0.7', user: userOfSlot(2) };
import { probePod } from '../../runner/src/kubernetes/probe.ts';
import { newSandboxId } from '../../runner/src/core/ids.ts';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const load = (file: string): Doc[] => parseAllDocuments(readFileSync(new URL(`../../deploy/kubernetes/policy/${file}`, import.meta.url), 'utf8')).map((d) => d.toJS() as Doc);
const namespace = (parseAllDocuments(readFileSync(new URL('../../deploy/kubernetes/runner.yaml', import.meta.url), 'utf8')).map((d) => d.toJS() as Doc).find((d) => d.kind === 'Namespace')!).metadata.name as string;

/** Every capability the runner's own Pods add: the policies must allow exactly these. */
function runnerCapabilities(): string[] {
  const id = newSandboxId();
  const settings = {
    runnerId: 'rl', images: { workstation: 'w', registry: 'r' }, limits: DEFAULT_LIMITS, seccompProfile: 'p.json', diskBytes: 0, egress: { policy: 'open' as const, allow: [] }, allow: [],
  };
  const pods = [sandboxPod(settings, id, placement), registryPod(settings, id), probePod({ runnerId: 'rl', image: 'w', seccompProfile: 'p.json' }, id, 'p', 'h:5000/a:b', 1000)];
  const caps = pods.flatMap((p) => [...(p.spec!.initContainers ?? []), ...p.spec!.containers]).flatMap((c) => c.securityContext?.capabilities?.add ?? []);
  for (const p of pods) {
    assert.ok(!p.spec!.hostPID && !p.spec!.hostIPC && !p.spec!.hostNetwork, 'the runner uses no host namespace');
    assert.ok((p.spec!.volumes ?? []).every((v) => !v.hostPath), 'nor hostPath');
    assert.ok([...(p.spec!.initContainers ?? []), ...p.spec!.containers].every((c) => c.securityContext?.privileged !== true), 'nor privileged');
  }
  return [...new Set(caps)].sort();
}

it('the Kyverno ClusterPolicy selects the runner namespace and refuses privileged, host namespaces, hostPath, other capabilities', () => {
  const [policy, ...rest] = load('kyverno-clusterpolicy.yaml');
  assert.equal(rest.length, 0);
  assert.equal(policy!.apiVersion, 'kyverno.io/v1');
  assert.equal(policy!.kind, 'ClusterPolicy');
  const rules = policy!.spec.rules as Doc[];
  for (const r of rules) {
    assert.deepEqual(r.match.any.map((m: Doc) => m.resources.namespaces), [[namespace]], `${r.name} selects ${namespace}`);
    assert.deepEqual(r.match.any[0].resources.kinds, ['Pod']);
    assert.equal(r.validate.failureAction, 'Enforce', `${r.name} enforces`);
  }
  const rule = (name: string) => rules.find((r) => r.name === name)!.validate;
  const priv = rule('no-privileged-containers').pattern.spec;
  for (const list of ['containers', '=(initContainers)', '=(ephemeralContainers)']) assert.equal(priv[list][0]['=(securityContext)']['=(privileged)'], 'false', list);
  assert.deepEqual(rule('no-host-namespaces').pattern.spec, { '=(hostPID)': 'false', '=(hostIPC)': 'false', '=(hostNetwork)': 'false' });
  assert.deepEqual(rule('no-host-path').pattern.spec, { '=(volumes)': [{ 'X(hostPath)': 'null' }] });
  const caps = rule('only-the-sandbox-capabilities').deny.conditions.all[0];
  assert.match(caps.key, /\[ephemeralContainers, initContainers, containers\]\[\]\.securityContext\.capabilities\.add\[\]/);
  assert.equal(caps.operator, 'AnyNotIn');
  assert.deepEqual([...caps.value].sort(), runnerCapabilities());
});

it('the ValidatingAdmissionPolicy and its binding select the runner namespace and refuse the same', () => {
  const docs = load('validating-admission-policy.yaml');
  const policy = docs.find((d) => d.kind === 'ValidatingAdmissionPolicy')!;
  const binding = docs.find((d) => d.kind === 'ValidatingAdmissionPolicyBinding')!;
  assert.equal(docs.length, 2);
  // Valid for a current Kubernetes (the schemas of kubernetes-models 5).
  assert.doesNotThrow(() => new curAdm.ValidatingAdmissionPolicy(policy as never).validate());
  assert.doesNotThrow(() => new curAdm.ValidatingAdmissionPolicyBinding(binding as never).validate());
  const selects = { matchLabels: { 'kubernetes.io/metadata.name': namespace } };
  assert.deepEqual(policy.spec.matchConstraints.namespaceSelector, selects);
  assert.deepEqual(binding.spec.matchResources.namespaceSelector, selects);
  assert.equal(binding.spec.policyName, policy.metadata.name);
  assert.deepEqual(binding.spec.validationActions, ['Deny']);
  assert.equal(policy.spec.failurePolicy, 'Fail');
  const rule = policy.spec.matchConstraints.resourceRules[0];
  assert.ok(rule.resources.includes('pods') && rule.operations.includes('CREATE') && rule.operations.includes('UPDATE'));
  const expressions = (policy.spec.validations as Doc[]).map((v) => v.expression as string);
  const refusing = (needle: RegExp) => expressions.filter((e) => needle.test(e));
  const privileged = refusing(/privileged == false/)[0]!;
  for (const list of ['containers', 'initContainers', 'ephemeralContainers']) assert.ok(privileged.includes(`variables.${list}.all(`), list);
  for (const f of ['hostPID', 'hostIPC', 'hostNetwork']) assert.equal(refusing(new RegExp(`object\\.spec\\.${f} == false`)).length, 1, f);
  assert.equal(refusing(/!has\(v\.hostPath\)/).length, 1);
  assert.equal(refusing(/capabilities\.add\.all\(x, x in variables\.allowedCapabilities\)/).length, 1);
  const allowed = (policy.spec.variables as Doc[]).find((v) => v.name === 'allowedCapabilities')!.expression as string;
  assert.deepEqual(JSON.parse(allowed.replaceAll("'", '"')).sort(), runnerCapabilities());
});

/**
 * The Kubernetes backend's hardening, offline: Pod Security labels of the namespace, local
 * ephemeral storage bounded everywhere, the probe's NetworkPolicy, and the image's Env handed
 * to the probe as data (never shell text).
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type * as k8s from '@kubernetes/client-node';
import { DEFAULT_LIMITS } from '../../runner/src/docker/index.ts';
import { registryPod, sandboxPod, type Placement, type PodSettings } from '../../runner/src/kubernetes/pod.ts';
import { userOfSlot } from '../../runner/src/sandbox/session-user.ts';
import { DENIED_ENV, imageEnvVars, kubeLiteral, MAX_ENV_ENTRIES, MAX_ENV_ENTRY_BYTES, pinRef, probeEnv, probePod, probePolicy } from '../../runner/src/kubernetes/probe.ts';
import { mirrorObjects, networkPolicies } from '../../runner/src/kubernetes/mirror.ts';
import { labelsFor, POD_SECURITY_LABELS, RUNNER_POD_LABELS } from '../../runner/src/kubernetes/names.ts';
import { ENGINE_DISK_CEILING_BYTES, GI, sizeLimitBytes } from '../../runner/src/kubernetes/storage.ts';
import { newSandboxId } from '../../runner/src/core/ids.ts';

const settings: PodSettings = {
  runnerId: 'rl-test',
  images: { workstation: 'registry-lab/workstation:2', registry: 'registry-lab/registry:2' },
  limits: DEFAULT_LIMITS,
  seccompProfile: 'registry-lab/rootless-engine.json',
  diskBytes: 10 * GI,
  egress: { policy: 'open', allow: [] },
  allow: [],
};
const probeSettings = { runnerId: 'rl-test', image: 'registry-lab/workstation:2', seccompProfile: 'p.json' };

type Doc = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: Record<string, unknown> };
const runnerYaml = () => parseAllDocuments(readFileSync(new URL('../../deploy/kubernetes/runner.yaml', import.meta.url), 'utf8')).map((d) => d.toJS() as Doc);

/** Quantities the backend writes: whole binary units. */
function bytes(q: string | undefined): number {
  assert.ok(q, 'a quantity');
  return sizeLimitBytes({ name: 'q', emptyDir: { sizeLimit: q } });
}

/** The kubelet's $(VAR) expansion of env values and command/args ($$ is a literal $). */
const placement: Placement = { mirrorIp: '10.244.0.9', registryIp: '10.244.0.7', user: userOfSlot(1) };

function kubeletExpand(s: string, vars: Record<string, string> = {}): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string | undefined) => (m === '$$' ? '$' : (vars[name!] ?? m)));
}

function everyPodSpec(): { what: string; spec: k8s.V1PodSpec }[] {
  const id = newSandboxId();
  return [
    { what: 'session Pod', spec: sandboxPod(settings, id, placement).spec! },
    { what: 'pool Pod', spec: sandboxPod(settings, id, { ...placement, pool: true }).spec! },
    { what: 'session Pod, SESSION_DISK_QUOTA=0', spec: sandboxPod({ ...settings, diskBytes: 0 }, id, placement).spec! },
    { what: 'registry Pod', spec: registryPod(settings, id).spec! },
    { what: 'probe Pod', spec: probePod(probeSettings, id, 'x-probe', '10.244.0.5:5000/a/b:c', 10_000, ['PATH=/usr/bin']).spec! },
    { what: 'mirror', spec: mirrorObjects('rl-test', 'registry-lab/mirror:latest').deployment.spec!.template.spec! },
  ];
}

it('the namespace carries the Pod Security labels, at the level the session Pod needs', () => {
  const ns = runnerYaml().find((d) => d.kind === 'Namespace')!;
  assert.deepEqual(ns.metadata.labels, POD_SECURITY_LABELS);
  for (const mode of ['enforce', 'audit', 'warn']) assert.equal(POD_SECURITY_LABELS[`pod-security.kubernetes.io/${mode}`], 'privileged');
  // Why not baseline: it refuses a procMount other than Default and capabilities outside its list.
  const spec = sandboxPod(settings, newSandboxId(), placement).spec!;
  assert.equal(spec.containers[0]!.securityContext!.procMount, 'Unmasked');
  const baselineCaps = ['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT'];
  const added = [...(spec.initContainers ?? []), ...spec.containers].flatMap((c) => c.securityContext?.capabilities?.add ?? []);
  assert.ok(added.some((c) => !baselineCaps.includes(c)), 'a capability baseline refuses');
  // The test cluster's namespaces get the same labels.
  assert.match(readFileSync(new URL('../kubernetes/fixture.ts', import.meta.url), 'utf8'), /labels: \{ \.\.\.POD_SECURITY_LABELS \}/);
});

it('every container has ephemeral-storage requests and limits; every emptyDir a sizeLimit the limits cover', () => {
  for (const { what, spec } of everyPodSpec()) {
    const inits = spec.initContainers ?? [];
    for (const c of [...inits, ...spec.containers]) {
      const req = bytes(c.resources?.requests?.['ephemeral-storage']);
      const lim = bytes(c.resources?.limits?.['ephemeral-storage']);
      assert.ok(req > 0 && lim >= req, `${what}/${c.name}: request ${req} limit ${lim}`);
      // A container's limit covers the emptyDirs it mounts (volumes count toward the Pod's total).
      const mounted = (spec.volumes ?? []).filter((v) => c.volumeMounts?.some((m) => m.name === v.name));
      const volumeBytes = mounted.reduce((s, v) => s + sizeLimitBytes(v), 0);
      assert.ok(lim > volumeBytes, `${what}/${c.name}: limit ${lim} under its volumes ${volumeBytes}`);
    }
    for (const v of spec.volumes ?? []) {
      assert.ok(v.emptyDir, `${what}: ${v.name} is an emptyDir`);
      assert.ok(sizeLimitBytes(v) > 0, `${what}: ${v.name} has a sizeLimit`);
    }
    // The Pod's limit (sum of containers, or the largest init container) covers every volume full.
    const sum = (list: k8s.V1Container[]) => list.reduce((s, c) => s + bytes(c.resources!.limits!['ephemeral-storage']), 0);
    const podLimit = Math.max(sum(spec.containers), ...inits.map((c) => sum([c])));
    const allVolumes = (spec.volumes ?? []).reduce((s, v) => s + sizeLimitBytes(v), 0);
    assert.ok(podLimit > allVolumes, `${what}: Pod limit ${podLimit} under its volumes ${allVolumes}`);
  }
  const session = sandboxPod(settings, newSandboxId(), placement).spec!;
  assert.equal(session.volumes!.find((v) => v.name === 'engine')!.emptyDir!.sizeLimit, '10240Mi');
  const none = sandboxPod({ ...settings, diskBytes: 0 }, newSandboxId(), placement).spec!;
  assert.equal(sizeLimitBytes(none.volumes!.find((v) => v.name === 'engine')!), ENGINE_DISK_CEILING_BYTES);
  // The probe fetches and unpacks a 300 MB image: at least 2 GiB, and the fetch may use all of it.
  const probe = probePod(probeSettings, newSandboxId(), 'x-probe', 'h:5000/a:b', 10_000).spec!;
  assert.ok(sizeLimitBytes(probe.volumes![0]!) >= 2 * GI);
  assert.ok(bytes(probe.initContainers!.find((c) => c.name === 'fetch')!.resources!.limits!['ephemeral-storage']) >= 2 * GI);
  // Requests stay small: they only place Pods.
  const requested = [...session.initContainers!, ...session.containers].reduce((s, c) => Math.max(s, bytes(c.resources!.requests!['ephemeral-storage'])), 0);
  assert.ok(requested <= GI, `largest request ${requested}`);
});

it('the probe NetworkPolicy selects the probe Pod; egress only to its session Pod, ingress only from the runner', () => {
  const id = newSandboxId();
  const other = newSandboxId();
  const pod = probePod(probeSettings, id, 'x-probe', '10.244.0.5:5000/a/b:c', 10_000);
  const policy = probePolicy('rl-test', id, 'x-probe');
  const matches = (sel: k8s.V1LabelSelector | undefined, labels: Record<string, string> | undefined) =>
    Object.entries(sel?.matchLabels ?? {}).every(([k, v]) => labels?.[k] === v) && !sel?.matchExpressions?.length;
  assert.equal(policy.metadata!.name, 'x-probe');
  assert.ok(matches(policy.spec!.podSelector, pod.metadata!.labels), 'selects the probe Pod');
  assert.ok(!matches(policy.spec!.podSelector, probePod(probeSettings, other, 'y', 'h:5000/a:b', 1).metadata!.labels), 'not another session\'s probe');
  assert.ok(!matches(policy.spec!.podSelector, sandboxPod(settings, id, placement).metadata!.labels), 'not the workstation Pod');
  assert.ok(!matches(policy.spec!.podSelector, registryPod(settings, id).metadata!.labels), 'not the registry Pod');
  assert.deepEqual(policy.spec!.policyTypes, ['Ingress', 'Egress']);
  // Egress: one rule, to the session's own registry Pod (the registries the fetch step reads), nothing else.
  assert.equal(policy.spec!.egress!.length, 1);
  const to = policy.spec!.egress![0]!.to!;
  assert.equal(to.length, 1);
  assert.ok(!to[0]!.ipBlock && !to[0]!.namespaceSelector);
  assert.ok(matches(to[0]!.podSelector, registryPod(settings, id).metadata!.labels));
  assert.ok(!matches(to[0]!.podSelector, registryPod(settings, other).metadata!.labels));
  assert.ok(!matches(to[0]!.podSelector, sandboxPod(settings, id, placement).metadata!.labels), 'not the workstation');
  // Ingress: only the runner's Pods (the labels of runner.yaml's Deployment).
  const from = policy.spec!.ingress![0]!._from!;
  assert.equal(policy.spec!.ingress!.length, 1);
  assert.deepEqual(from, [{ podSelector: { matchLabels: RUNNER_POD_LABELS } }]);
  const deployment = runnerYaml().find((d) => d.kind === 'Deployment')! as unknown as k8s.V1Deployment;
  assert.ok(matches(from[0]!.podSelector, deployment.spec!.template.metadata!.labels));
  // Workstations and registry Pods have theirs (created at the runner's start); probes are let into the registry Pods.
  const [sandboxes, , registries] = networkPolicies('rl-test');
  assert.ok(matches(sandboxes!.spec!.podSelector, sandboxPod(settings, id, placement).metadata!.labels));
  assert.ok(matches(registries!.spec!.podSelector, registryPod(settings, id).metadata!.labels));
  assert.ok(!matches(registries!.spec!.podSelector, sandboxPod(settings, id, placement).metadata!.labels));
  assert.ok(registries!.spec!.ingress![0]!._from!.some((f) => matches(f.podSelector, pod.metadata!.labels)));
  assert.ok(registries!.spec!.ingress![0]!._from!.some((f) => matches(f.podSelector, sandboxPod(settings, id, placement).metadata!.labels)));
  assert.deepEqual(registries!.spec!.egress, [], 'registry Pods send nothing');
  // The Role lets the runner make, list and remove them.
  const role = runnerYaml().find((d) => d.kind === 'Role') as unknown as { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] };
  const rule = role.rules.find((r) => r.resources.includes('networkpolicies'))!;
  for (const verb of ['create', 'delete', 'list', 'deletecollection']) assert.ok(rule.verbs.includes(verb), verb);
  assert.deepEqual(labelsFor('rl-test', 'probe', id), policy.metadata!.labels);
});

const HOSTILE = ['A;rm -rf /=1', '$(id)=1', 'X=$(id)', 'Y=`id`; rm -rf /', 'Z=a\nrm -rf /', 'W=$(HOME)$$', 'bad\nNAME=1', '-S=x', '=x', 'NOEQUALS', 'LD_PRELOAD=/work/rootfs/x.so', 'LD_LIBRARY_PATH=/x', 'GLIBC_TUNABLES=glibc.x=1', 'PATH=/usr/local/bin:/usr/bin', 'PORT=8080'];

it('the image Env: only valid names, bounded, loader variables dropped', () => {
  assert.deepEqual(probeEnv(HOSTILE), ['X=$(id)', 'Y=`id`; rm -rf /', 'Z=a\nrm -rf /', 'W=$(HOME)$$', 'PATH=/usr/local/bin:/usr/bin', 'PORT=8080']);
  assert.deepEqual(probeEnv('PATH=/bin'), []);
  assert.deepEqual(probeEnv([1, null, { a: 1 }, 'A=1']), ['A=1']);
  assert.deepEqual(probeEnv(['A=1', 'B=2', 'A=3']), ['B=2', 'A=3']);
  assert.deepEqual(probeEnv(['A=x\0y']), []);
  assert.deepEqual(probeEnv([`A=${'x'.repeat(MAX_ENV_ENTRY_BYTES)}`]), []);
  assert.equal(probeEnv(Array.from({ length: 1000 }, (_, i) => `V${i}=1`)).length, MAX_ENV_ENTRIES);
  assert.ok(probeEnv(Array.from({ length: 100 }, (_, i) => `V${i}=${'y'.repeat(4000)}`)).join('').length <= 64 * 1024);
  for (const n of ['LD_PRELOAD', 'LD_AUDIT', 'LD_LIBRARY_PATH', 'GLIBC_TUNABLES', 'GCONV_PATH']) assert.ok(DENIED_ENV.test(n), n);
  assert.ok(!DENIED_ENV.test('PATH') && !DENIED_ENV.test('OLD_PRELOAD'));
});

it('the image Env never reaches a command or args; it arrives literally as RL_ENV_* data', () => {
  const env = probeEnv(HOSTILE);
  const pod = probePod(probeSettings, newSandboxId(), 'x-probe', '10.244.0.5:5000/a/b@sha256:' + 'a'.repeat(64), 10_000, env);
  const containers = [...pod.spec!.initContainers!, ...pod.spec!.containers];
  for (const c of containers) {
    const text = [...(c.command ?? []), ...(c.args ?? [])].join('\n');
    const needles = [...env, ...env.map((e) => e.slice(e.indexOf('=') + 1)), 'rm -rf /', '$(id)', '`id`', 'A;rm', 'LD_PRELOAD', '/work/rootfs/x.so'];
    for (const needle of needles) assert.ok(!text.includes(needle), `${c.name}: ${JSON.stringify(needle)} in its command`);
    // No container's own environment holds one of the image's names (they would steer bash).
    for (const e of c.env ?? []) assert.ok(/^(RL_ENV_(COUNT|\d+)|REF|HOME|TMPDIR|XDG_RUNTIME_DIR|REGISTRY_IP)$/.test(e.name), `${c.name}: env ${e.name}`);
  }
  const app = pod.spec!.containers[0]!;
  assert.deepEqual(app.env, imageEnvVars(env));
  const vars = Object.fromEntries(app.env!.map((e) => [e.name, kubeletExpand(e.value!, { HOME: '/root' })]));
  assert.equal(vars.RL_ENV_COUNT, String(env.length));
  assert.deepEqual(env.map((_, i) => vars[`RL_ENV_${i}`]), env, 'the kubelet hands each entry over literally');
  assert.equal(kubeletExpand(kubeLiteral('$(HOME)$$x$'), { HOME: 'no' }), '$(HOME)$$x$');
  assert.equal(pinRef('10.1.1.1:5000/shop/api:slim', 'sha256:' + 'b'.repeat(64)), '10.1.1.1:5000/shop/api@sha256:' + 'b'.repeat(64));
});

it('the probe script passes the Env and the command as data (bash and jq run here)', (t) => {
  try {
    execFileSync('jq', ['--version']);
    execFileSync('bash', ['--version']);
  } catch {
    t.skip('no jq or bash');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'rl-probe-run-'));
  try {
    const env = probeEnv(HOSTILE);
    const pod = probePod(probeSettings, newSandboxId(), 'x-probe', 'h:5000/a:b', 10_000, env);
    const app = pod.spec!.containers[0]!;
    const unshare = '/usr/bin/unshare --user --map-root-user --root=/work/rootfs --wd="$wd" --';
    let script = app.command![2]!;
    assert.ok(script.includes(unshare) && script.includes('cfg=/work/config.json'));
    // The same script, with a program that shows what the learner's program would get.
    writeFileSync(join(dir, 'show'), '#!/bin/sh\nenv -0 > "$SHOW_DIR/env"\nprintf "%s\\0" "$@" > "$SHOW_DIR/argv"\n');
    chmodSync(join(dir, 'show'), 0o755);
    script = script.replace(unshare, `/usr/bin/env SHOW_DIR=${dir} ${dir}/show`).replace('cfg=/work/config.json', `cfg=${dir}/config.json`);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ Entrypoint: ['/app', '-c'], Cmd: ['echo a\necho b', '$(id)'] }));
    const vars = Object.fromEntries(app.env!.map((e) => [e.name, kubeletExpand(e.value!)]));
    execFileSync('bash', ['-c', script], { env: { PATH: process.env.PATH, ...vars } });
    const got = readFileSync(join(dir, 'env'), 'utf8').split('\0').filter(Boolean).filter((e) => !/^(SHOW_DIR|PWD|OLDPWD|SHLVL|_)=/.test(e)); // set by the shell that shows them
    assert.deepEqual(got.sort(), [...env].sort());
    assert.deepEqual(readFileSync(join(dir, 'argv'), 'utf8').split('\0').slice(0, -1), ['/app', '-c', 'echo a\necho b', '$(id)']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The Kubernetes backend's objects, offline: what the session Pod, probe Pod and policies promise. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type * as k8s from '@kubernetes/client-node';
import { DEFAULT_LIMITS } from '../../runner/src/docker/index.ts';
import { ALWAYS_DENIED } from '../../runner/src/sandbox/egress.ts';
import { registryPod, sandboxPod, CONTAINER, SUPERVISE_SCRIPT, type Placement, type PodSettings } from '../../runner/src/kubernetes/pod.ts';
import { userOfSlot } from '../../runner/src/sandbox/session-user.ts';
import { probePod, refFromProbe } from '../../runner/src/kubernetes/probe.ts';
import { mirrorObjects, networkPolicies } from '../../runner/src/kubernetes/mirror.ts';
import { idFromKey, podName, registryPodName, sessionKey, LABEL, checkRunnerIdForLabels } from '../../runner/src/kubernetes/names.ts';
import { exitCodeOf, wrapCommand } from '../../runner/src/kubernetes/exec.ts';
import { extraRegistryScript } from '../../runner/src/kubernetes/ops.ts';
import { newSandboxId } from '../../runner/src/core/ids.ts';
import { checkRuntimeClass } from '../../runner/src/kubernetes/index.ts';

const settings: PodSettings = {
  runnerId: 'rl-test',
  images: { workstation: 'registry-lab/workstation:2', registry: 'registry-lab/registry:2' },
  limits: DEFAULT_LIMITS,
  seccompProfile: 'registry-lab/rootless-engine.json',
  diskBytes: 10 * 1024 ** 3,
  egress: { policy: 'open', allow: [] },
  allow: [],
};

const allContainers = (pod: k8s.V1Pod) => [...(pod.spec!.initContainers ?? []), ...pod.spec!.containers];

it('session ids map to Pod names and label values and back', () => {
  for (let i = 0; i < 200; i++) {
    const id = newSandboxId();
    assert.match(podName(id), /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    assert.ok(podName(id).length <= 63);
    assert.match(sessionKey(id), /^[a-z0-9]{1,63}$/);
    assert.equal(idFromKey(sessionKey(id)), id);
  }
  assert.throws(() => checkRunnerIdForLabels('ends-with-dash-'), /label value/);
  checkRunnerIdForLabels('registry-lab');
});

const placement: Placement = { mirrorIp: '10.244.0.9', registryIp: '10.244.0.7', user: userOfSlot(3) };

it('the session\'s two Pods: workstation apart from registries and grader; never privileged; limits everywhere; no token', () => {
  const id = newSandboxId();
  const pod = sandboxPod(settings, id, placement);
  const spec = pod.spec!;
  assert.equal(spec.automountServiceAccountToken, false);
  assert.deepEqual(spec.containers.map((c) => c.name), [CONTAINER.workstation]);
  assert.equal(pod.metadata!.labels![LABEL.runner], 'rl-test');
  assert.equal(pod.metadata!.labels![LABEL.session], sessionKey(id));
  assert.equal(pod.metadata!.labels![LABEL.state], 'claimed');
  assert.equal(pod.metadata!.labels![LABEL.uid], String(userOfSlot(3).uid));
  assert.equal(sandboxPod(settings, id, { ...placement, pool: true }).metadata!.labels![LABEL.state], 'pool');
  const reg = registryPod(settings, id);
  assert.equal(reg.metadata!.name, registryPodName(id));
  assert.ok(registryPodName(id).length <= 63);
  assert.equal(reg.metadata!.labels![LABEL.session], sessionKey(id));
  assert.equal(reg.metadata!.labels![LABEL.state], undefined, 'the pool is counted by workstation Pods');
  assert.deepEqual(reg.spec!.containers.map((c) => c.name), [CONTAINER.registry, CONTAINER.grader]);
  assert.equal(reg.spec!.restartPolicy, 'Always', 'a killed registry comes back at the same address');
  assert.equal(reg.spec!.automountServiceAccountToken, false);
  for (const c of [...allContainers(pod), ...allContainers(reg)]) {
    assert.notEqual(c.securityContext?.privileged, true, `${c.name} privileged`);
    assert.ok(c.resources?.requests?.cpu && c.resources.requests.memory, `${c.name} requests`);
    assert.ok(c.resources?.limits?.cpu && c.resources.limits.memory, `${c.name} limits`);
    assert.ok(c.securityContext?.seccompProfile, `${c.name} has a seccomp profile`);
  }
  for (const v of [...(spec.volumes ?? []), ...(reg.spec!.volumes ?? [])]) assert.ok(v.emptyDir?.sizeLimit, `${v.name} is an emptyDir with a size limit`);
  assert.equal(spec.volumes!.find((v) => v.name === 'engine')!.emptyDir!.sizeLimit, '10240Mi');
  const ws = spec.containers[0]!;
  assert.equal(ws.securityContext!.runAsUser, userOfSlot(3).uid, 'the session\'s own uid');
  assert.equal(ws.securityContext!.readOnlyRootFilesystem, true);
  assert.equal(ws.securityContext!.procMount, 'Unmasked');
  assert.deepEqual(ws.securityContext!.seccompProfile, { type: 'Localhost', localhostProfile: 'registry-lab/rootless-engine.json' });
  assert.equal(ws.resources!.limits!.memory, `${DEFAULT_LIMITS.workstationMemoryBytes / 1024 / 1024}Mi`);
  const env = Object.fromEntries(ws.env!.map((e) => [e.name, e.value]));
  assert.equal(env.REGISTRY_ADDR, '10.244.0.7');
  assert.equal(env.REGISTRY_PORTS, '5000 5001');
  for (const f of ['passwd', 'group', 'subuid', 'subgid']) assert.ok(ws.volumeMounts!.some((m) => m.mountPath === `/etc/${f}` && m.readOnly), `/etc/${f} is the session's`);
  // Only the init containers hold a capability: the network ones, plus chown for the learner's places.
  for (const c of reg.spec!.containers) assert.deepEqual(c.securityContext!.capabilities, { drop: ['ALL'] });
  const init = spec.initContainers![0]!;
  assert.deepEqual(init.securityContext!.capabilities, { drop: ['ALL'], add: ['NET_ADMIN', 'NET_RAW', 'CHOWN'] });
  assert.deepEqual(reg.spec!.initContainers![0]!.securityContext!.capabilities, { drop: ['ALL'], add: ['NET_ADMIN', 'NET_RAW'] });
  assert.match(reg.spec!.initContainers![0]!.command!.join(' '), /iptables -P OUTPUT DROP/, 'the registry Pod sends nothing but replies');
  const script = init.command!.join(' ');
  for (const range of ALWAYS_DENIED) assert.ok(script.includes(`-A RL-EGRESS -d ${range} -j REJECT`), `refuses ${range}`);
  assert.ok(script.includes('-d 10.244.0.9 -p tcp --dport 5000 -j ACCEPT'), 'the mirror is allowed');
  assert.ok(script.includes('-d 10.244.0.7 -p tcp -m multiport --dports 5000,5001 -j ACCEPT'), 'the registry Pod is allowed');
  const initEnv = Object.fromEntries(init.env!.map((e) => [e.name, e.value]));
  assert.equal(initEnv.LEARNER_UID, String(userOfSlot(3).uid));
  assert.equal(initEnv.SUB_START, String(userOfSlot(3).subStart));
  assert.deepEqual(spec.hostAliases, [{ ip: '10.244.0.9', hostnames: ['mirror'] }]);
});

it('egress none and allowlist end with a refusal', () => {
  const none = sandboxPod({ ...settings, egress: { policy: 'none', allow: [] } }, newSandboxId(), placement);
  assert.match(none.spec!.initContainers![0]!.command!.join(' '), /-A RL-EGRESS -j REJECT/);
  const allow = sandboxPod({ ...settings, egress: { policy: 'allowlist', allow: ['1.2.3.4'] }, allow: ['1.2.3.4'] }, newSandboxId(), placement);
  assert.match(allow.spec!.initContainers![0]!.command!.join(' '), /-d 1\.2\.3\.4 -j ACCEPT[\s\S]*-j REJECT/);
});

it('the probe Pod runs the learner image as nobody with no capability, sealed, bounded', () => {
  const pod = probePod({ runnerId: 'rl-test', image: 'registry-lab/workstation:2', seccompProfile: 'p.json' }, newSandboxId(), 'x-probe', '10.244.0.5:5000/a/b:c', 10_000);
  assert.equal(pod.spec!.automountServiceAccountToken, false);
  assert.ok(pod.spec!.activeDeadlineSeconds! > 0);
  const app = pod.spec!.containers[0]!;
  assert.equal(app.securityContext!.runAsUser, 65534);
  assert.equal(app.securityContext!.allowPrivilegeEscalation, false);
  assert.equal(app.securityContext!.readOnlyRootFilesystem, true);
  assert.deepEqual(app.securityContext!.capabilities, { drop: ['ALL'] });
  assert.equal(app.volumeMounts![0]!.readOnly, true);
  for (const c of allContainers(pod)) assert.ok(c.resources?.limits?.memory && c.resources.limits.cpu, `${c.name} limits`);
  // Egress closed before the fetch (only the session's registry Pod open), the registry closed again before the program.
  const inits = pod.spec!.initContainers!;
  assert.deepEqual(inits.map((c) => c.name), ['fence', 'fetch', 'seal']);
  assert.match(inits[0]!.command!.join(' '), /iptables -P OUTPUT DROP[\s\S]*-A OUTPUT -d "\$REGISTRY_IP" -p tcp -m multiport --dports 5000,5001 -j ACCEPT/);
  assert.match(inits[0]!.command!.join(' '), /ip6tables -P OUTPUT DROP; fi/, 'IPv6: nothing, no failure ignored');
  assert.match(inits[2]!.command!.join(' '), /iptables -D OUTPUT -d "\$REGISTRY_IP" -p tcp -m multiport --dports 5000,5001 -j ACCEPT/);
  for (const i of [0, 2]) assert.deepEqual(inits[i]!.env, [{ name: 'REGISTRY_IP', value: '' }]);
  assert.equal(inits[1]!.securityContext!.runAsUser, 65534);
  const fenced = probePod({ runnerId: 'rl-test', image: 'registry-lab/workstation:2', seccompProfile: 'p.json' }, newSandboxId(), 'x-probe', '10.244.0.5:5000/a/b:c', 10_000, [], '10.244.0.5');
  assert.deepEqual(fenced.spec!.initContainers![0]!.env, [{ name: 'REGISTRY_IP', value: '10.244.0.5' }]);
  assert.throws(() => probePod({ runnerId: 'rl-test', image: 'w', seccompProfile: 'p.json' }, newSandboxId(), 'x', 'h:5000/a:b', 1, [], '10.0.0.1; reboot'), /not an IPv4/);
  assert.equal(refFromProbe('localhost:5000/shop/api:slim', '10.244.0.5'), '10.244.0.5:5000/shop/api:slim');
  assert.equal(refFromProbe('127.0.0.1:5001/x@sha256:ab', '10.1.1.1'), '10.1.1.1:5001/x@sha256:ab');
});

it('mirror, Service and policies carry the runner labels', () => {
  const { deployment, service } = mirrorObjects('rl-test', 'registry-lab/mirror:latest');
  assert.equal(deployment.spec!.template.spec!.automountServiceAccountToken, false);
  assert.equal(service.spec!.ports![0]!.port, 5000);
  const [sandboxes, mirror] = networkPolicies('rl-test');
  assert.deepEqual(sandboxes!.spec!.policyTypes, ['Ingress', 'Egress']);
  assert.deepEqual(mirror!.spec!.egress, []);
});

it('exec: the command runs under env -C and timeout; stdin is handed over by length', () => {
  assert.deepEqual(wrapCommand(['ls'], { cwd: '/home/learner', env: { A: '1' }, timeoutMs: 5_000 }), ['env', '-C', '/home/learner', 'A=1', 'timeout', '-k', '3', '5', 'ls']);
  const w = wrapCommand(['cat'], { stdin: 'héllo' });
  assert.equal(w[0], 'sh');
  assert.equal(w[4], String(Buffer.byteLength('héllo')));
  assert.equal(exitCodeOf({ status: 'Success' }), 0);
  assert.equal(exitCodeOf({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } }), 3);
  assert.equal(exitCodeOf(undefined), -1);
  // The password comes on stdin, the port is the only value in the text; SUPERVISE_SCRIPT runs it.
  assert.match(extraRegistryScript(5001, 'u:$2y$x'), /cat > \/var\/lib\/registry-extra\/5001\/htpasswd[\s\S]*RL_SUPERVISE/);
  assert.doesNotMatch(extraRegistryScript(5001, 'u:$2y$x'), /\$2y/);
  assert.doesNotMatch(extraRegistryScript(5002), /htpasswd/);
  assert.match(SUPERVISE_SCRIPT, /REGISTRY_AUTH=htpasswd[\s\S]*registry serve/);
});

it('WORKSTATION_RUNTIME names the RuntimeClass of the workstation and probe Pods, never of the registry Pod', () => {
  const id = newSandboxId();
  assert.equal(sandboxPod(settings, id, placement).spec!.runtimeClassName, undefined);
  assert.equal(sandboxPod({ ...settings, runtimeClass: 'gvisor' }, id, placement).spec!.runtimeClassName, 'gvisor');
  assert.equal(registryPod({ ...settings, runtimeClass: 'gvisor' }, id).spec!.runtimeClassName, undefined);
  const probe = probePod({ runnerId: 'rl-test', image: 'w', seccompProfile: 'p.json', runtimeClass: 'kata' }, id, 'x-probe', '10.244.0.5:5000/a/b:c', 10_000);
  assert.equal(probe.spec!.runtimeClassName, 'kata');
  assert.doesNotThrow(() => checkRuntimeClass('kata-qemu'));
  assert.doesNotThrow(() => checkRuntimeClass(''));
  assert.throws(() => checkRuntimeClass('Sysbox_Runc'), /RuntimeClass/);
});

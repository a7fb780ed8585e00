/**
 * The test cluster itself (deploy/kubernetes/cluster/): its node is Ready, and a Pod with the
 * workstation's boundary (uid 1000, Docker's default capabilities, the rootless-engine seccomp
 * profile, /proc unmasked, /dev/net/tun, never privileged) starts its rootless engine, which runs
 * a container and pushes to the Pod's registry at localhost:5000.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { kubeApi, type KubeApi } from './api.ts';
import { kubeconfig, SECCOMP_PROFILE, testNamespace } from './cluster.ts';
import { sleep } from '../support/wait.ts';

const READY_TIMEOUT_MS = 300_000;
let k: KubeApi;
const ns = testNamespace('cluster');

before(async () => {
  k = kubeApi(await kubeconfig());
  const r = await k.request('POST', '/api/v1/namespaces', { metadata: { name: ns } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
});

after(async () => {
  if (!k) return;
  await k.request('DELETE', `/api/v1/namespaces/${ns}`);
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline && (await k.request('GET', `/api/v1/namespaces/${ns}`)).status !== 404) await sleep(1000);
});

test('the node is Ready', async () => {
  const node = (await k.request('GET', '/api/v1/nodes')).body.items[0];
  assert.ok(node, 'the cluster has a node');
  const ready = node.status.conditions.find((c: any) => c.type === 'Ready');
  assert.equal(ready?.status, 'True', JSON.stringify(node.status.conditions));
});

test('a privileged Pod is refused', async () => {
  const pod = busyboxPod('privileged', { privileged: true });
  const r = await k.request('POST', `/api/v1/namespaces/${ns}/pods`, pod);
  assert.ok(r.status >= 400 && r.status < 500, `status ${r.status}`);
  assert.match(JSON.stringify(r.body), /privileged/i);
});

test('a workstation Pod starts its rootless engine, runs a container and pushes to localhost:5000', { timeout: READY_TIMEOUT_MS + 240_000 }, async (t) => {
  const r = await k.request('POST', `/api/v1/namespaces/${ns}/pods`, workstationPod('ws'));
  assert.equal(r.status, 201, JSON.stringify(r.body));
  await waitReady('ws');

  const boundary = await k.exec(ns, 'ws', 'workstation', ['sh', '-c', 'id -u; grep -E "^(CapEff|Seccomp):" /proc/self/status; test -c /dev/net/tun && echo tun']);
  assert.equal(boundary.exitCode, 0, boundary.stderr);
  assert.match(boundary.stdout, /^1000$/m);
  assert.match(boundary.stdout, /^CapEff:\s+0+$/m);
  assert.match(boundary.stdout, /^Seccomp:\s+2$/m);
  assert.match(boundary.stdout, /^tun$/m);

  await t.test('docker run in the Pod', async () => {
    // The node has no mirror here: the image comes in as a tar through exec's stdin.
    const tar = execFileSync('docker', ['save', 'registry-lab/busybox:latest'], { maxBuffer: 64 << 20 });
    const load = await k.exec(ns, 'ws', 'workstation', ['sh', '-c', `head -c ${tar.length} | docker load`], tar);
    assert.equal(load.exitCode, 0, load.stderr);
    const run = await k.exec(ns, 'ws', 'workstation', ['docker', 'run', '--rm', 'registry-lab/busybox:latest', 'echo', 'ok']);
    assert.equal(run.exitCode, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'ok');
  });

  await t.test('docker push to the Pod registry at localhost:5000', async () => {
    const push = await k.exec(ns, 'ws', 'workstation', [
      'sh',
      '-c',
      'docker tag registry-lab/busybox:latest localhost:5000/smoke/busybox:1 && docker push -q localhost:5000/smoke/busybox:1 && curl -fsS http://localhost:5000/v2/smoke/busybox/tags/list',
    ]);
    assert.equal(push.exitCode, 0, push.stderr);
    assert.match(push.stdout, /"tags":\["1"\]/);
  });
});

async function waitReady(name: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let pod: any;
  while (Date.now() < deadline) {
    pod = (await k.request('GET', `/api/v1/namespaces/${ns}/pods/${name}`)).body;
    if (pod.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')) return;
    const terminated = pod.status?.containerStatuses?.find((c: any) => c.state?.terminated || c.lastState?.terminated);
    if (terminated) break;
    await sleep(1000);
  }
  const logs = (await k.request('GET', `/api/v1/namespaces/${ns}/pods/${name}/log?container=workstation&tailLines=60`)).body;
  assert.fail(`pod ${name} not Ready: ${JSON.stringify(pod?.status)}\n${typeof logs === "string" ? logs : JSON.stringify(logs)}`);
}

function busyboxPod(name: string, securityContext: object) {
  return {
    metadata: { name },
    spec: {
      automountServiceAccountToken: false,
      containers: [{ name: 'box', image: 'registry-lab/busybox:latest', imagePullPolicy: 'Never', command: ['sleep', '3600'], securityContext }],
    },
  };
}

/** The workstation's boundary on Docker (runner/src/docker/sandbox.ts) as a Pod. */
function workstationPod(name: string) {
  return {
    metadata: { name, labels: { app: 'rl-cluster-test' } },
    spec: {
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 1,
      hostname: 'lab',
      containers: [
        {
          name: 'workstation',
          image: 'registry-lab/workstation:2',
          imagePullPolicy: 'Never',
          env: [{ name: 'FORWARD_PORTS', value: '5000' }],
          securityContext: {
            runAsUser: 1000,
            runAsGroup: 1000,
            runAsNonRoot: true,
            // newuidmap/newgidmap hold file capabilities: no_new_privs would void them.
            allowPrivilegeEscalation: true,
            procMount: 'Unmasked',
            seccompProfile: { type: 'Localhost', localhostProfile: SECCOMP_PROFILE },
          },
          readinessProbe: { exec: { command: ['test', '-e', '/run/user/1000/sandbox-ready'] }, periodSeconds: 2, failureThreshold: 600 },
          resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '2Gi' } },
          // The engine's storage (overlay on the container's own overlay fails). One level up: the
          // emptyDir's root is root's, and dockerd must own (chmod) its data directory.
          volumeMounts: [{ name: 'docker', mountPath: '/home/learner/.local/share' }],
        },
        {
          name: 'registry',
          image: 'registry-lab/registry:2',
          imagePullPolicy: 'Never',
          env: [{ name: 'REGISTRY_STORAGE_DELETE_ENABLED', value: 'true' }],
          securityContext: { allowPrivilegeEscalation: false },
          resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
          volumeMounts: [{ name: 'registry', mountPath: '/var/lib/registry' }],
        },
      ],
      volumes: [
        { name: 'docker', emptyDir: { sizeLimit: '4Gi' } },
        { name: 'registry', emptyDir: { sizeLimit: '1Gi' } },
      ],
    },
  };
}

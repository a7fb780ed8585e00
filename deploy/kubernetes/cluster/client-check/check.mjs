// Proves that @kubernetes/client-node talks to the test cluster (Kubernetes
// 1.20) for the calls a Kubernetes backend needs:
//   pods create / list by label / patch with a resourceVersion precondition
//   (a stale claim gets 409), exec with a TTY that resizes, exec without TTY
//   (exit code), logs, delete.
// Usage: node check.mjs <kubeconfig> [image]   (exit 0 = all good)
import { PassThrough, Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';

const [kubeconfigPath, image = 'registry-lab/busybox:latest'] = process.argv.slice(2);
if (!kubeconfigPath) { console.error('usage: node check.mjs <kubeconfig> [image]'); process.exit(2); }
const kc = new k8s.KubeConfig();
kc.loadFromFile(kubeconfigPath);
const core = kc.makeApiClient(k8s.CoreV1Api);
const ns = `rl-client-check-${randomBytes(3).toString('hex')}`;
const name = 'box';
const results = [];
const ok = (what, cond, detail = '') => {
  results.push({ what, ok: !!cond, detail });
  console.log(`${cond ? 'ok  ' : 'FAIL'} ${what}${detail ? `: ${detail}` : ''}`);
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class FakeTerminal extends Writable { // a ResizableStream, as client-node wants
  constructor() { super(); this.columns = 80; this.rows = 24; this.text = ''; }
  _write(chunk, _enc, cb) { this.text += chunk.toString(); cb(); }
  resize(rows, columns) { this.rows = rows; this.columns = columns; this.emit('resize'); }
}
async function until(what, fn, ms = 60000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

async function execCollect(command, { tty = false } = {}) {
  const out = new FakeTerminal(); const err = new FakeTerminal();
  const status = await new Promise((resolve, reject) => {
    new k8s.Exec(kc).exec(ns, name, 'box', command, out, err, null, tty, resolve).catch(reject);
  });
  return { status, stdout: out.text, stderr: err.text };
}

async function main() {
  const version = await kc.makeApiClient(k8s.VersionApi).getCode();
  ok('server version', version.gitVersion, version.gitVersion);
  await core.createNamespace({ body: { metadata: { name: ns } } });
  await core.createNamespacedPod({ namespace: ns, body: {
    metadata: { name, labels: { 'registry-lab/runner': 'check', 'registry-lab/state': 'warm' } },
    spec: {
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 1,
      securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'registry-lab/rootless-engine.json' } },
      containers: [{
        name: 'box', image, imagePullPolicy: 'Never',
        command: ['sh', '-c', 'echo hello-from-box; exec sleep 3600'],
        securityContext: { procMount: 'Unmasked' },
        resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
      }],
    },
  } });
  const running = await until('pod Running', async () => {
    const p = await core.readNamespacedPod({ name, namespace: ns });
    return p.status?.phase === 'Running' ? p : undefined;
  }, 120000);
  ok('pod created and Running', running, running.status.podIP);

  const list = await core.listNamespacedPod({ namespace: ns, labelSelector: 'registry-lab/state=warm' });
  ok('list by label', list.items.length === 1);

  // Claim by relabelling with a resourceVersion precondition; a second claim
  // holding the same (now stale) resourceVersion must get 409 Conflict.
  const rv = running.metadata.resourceVersion;
  const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
  const claim = (who) => core.patchNamespacedPod({ name, namespace: ns, body: {
    metadata: { resourceVersion: rv, labels: { 'registry-lab/state': 'claimed', 'registry-lab/session': who } },
  } }, merge);
  const first = await claim('session-a');
  ok('claim with current resourceVersion', first.metadata.labels['registry-lab/session'] === 'session-a');
  const second = await claim('session-b').then(() => 200, (e) => e.code ?? e.statusCode ?? e.body?.code);
  ok('second claim with stale resourceVersion refused', second === 409, `status ${second}`);

  // Exec with a TTY and resize: stty reports the size the client sent.
  const term = new FakeTerminal();
  const stdin = new PassThrough();
  let exitStatus;
  const ws = await new k8s.Exec(kc).exec(ns, name, 'box', ['sh'], term, null, stdin, true, (s) => { exitStatus = s; });
  ok('exec websocket protocol', ws.protocol, ws.protocol);
  await sleep(500);
  stdin.write('stty size\n');
  await until('first size', async () => term.text.includes('24 80'), 15000);
  ok('tty starts at 24x80', true);
  term.resize(40, 132);
  await sleep(300);
  stdin.write('stty size; tty\n');
  await until('resized', async () => term.text.includes('40 132'), 15000);
  ok('tty resized to 40x132', true);
  ok('it is a tty', /\/dev\/pts\/\d+/.test(term.text));
  stdin.write('exit 3\n');
  await until('exec exit', async () => exitStatus, 15000);
  const code = exitStatus.details?.causes?.find((c) => c.reason === 'ExitCode')?.message;
  ok('exit status reported', exitStatus.status === 'Failure' && code === '3', `${exitStatus.status} code ${code}`);

  // Without TTY: separate stdout/stderr, exit code; and what a sandbox needs.
  const probe = await execCollect(['sh', '-c',
    'ls -l /dev/net/tun; grep Seccomp: /proc/self/status; awk \'$5 ~ /^\\/proc\\// {n++} END {print n+0}\' /proc/self/mountinfo; echo err >&2']);
  ok('exec without tty', probe.status.status === 'Success' && probe.stderr.includes('err'));
  ok('/dev/net/tun present', /^c.* 10,\s*200 /m.test(probe.stdout), probe.stdout.split('\n')[0]);
  ok('seccomp is the custom profile (filter mode 2)', /Seccomp:\s+2/.test(probe.stdout));
  const procMounts = Number(probe.stdout.trim().split('\n').at(-1));
  ok('/proc unmasked (no masking mounts over /proc/*)', procMounts === 0, `${procMounts} mounts under /proc`);
  // What rootless Docker does first: a user namespace that mounts its own /proc.
  const userns = await execCollect(['unshare', '-U', '-r', '-m', '-p', '-f', 'sh', '-c',
    'mount -t proc proc /proc && mount -t tmpfs t /tmp && echo userns-ok']);
  ok('user namespace can mount /proc and tmpfs', userns.stdout.includes('userns-ok'), userns.stderr.trim());

  const logs = await core.readNamespacedPodLog({ name, namespace: ns, container: 'box' });
  ok('logs', String(logs).includes('hello-from-box'));

  await core.deleteNamespacedPod({ name, namespace: ns, gracePeriodSeconds: 1 });
  await until('pod gone', async () => {
    const l = await core.listNamespacedPod({ namespace: ns });
    return l.items.length === 0;
  }, 120000);
  ok('pod deleted', true);
}

let failed = false;
try { await main(); } catch (e) { failed = true; console.error('error:', e?.body ?? e?.message ?? e); }
await core.deleteNamespace({ name: ns }).catch(() => {});
const bad = results.filter((r) => !r.ok).length;
console.log(`${results.length - bad}/${results.length} checks passed${failed ? ', stopped by an error' : ''}`);
process.exit(failed || bad ? 1 : 0);

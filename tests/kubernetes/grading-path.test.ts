/**
 * The grading path on Kubernetes (issue 18's red team, on the test cluster): the registries and
 * the grader live in a Pod of their own that sends nothing but replies, so a learner who squats
 * `localhost:5001` fools only their own tools; a killed registry comes back at the same address
 * with its data; two sessions share no kernel uid and the per-uid kernel accounts are refused;
 * the workstation's root is read-only and a filled /tmp evicts only its own Pod.
 * Every attack is bounded (one call per kernel account, a fill of 1.1 GiB at most).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Runner } from '../../runner/src/app.ts';
import { LABEL, registryPodName, sessionKey } from '../../runner/src/kubernetes/names.ts';
import { api, sleep, type Term } from '../runner/helpers.ts';
import { registryRestartShown, twoReadyLearners } from '../security/ready.ts';
import { boundedAttempt as attempt } from '../security/room.ts';
import { squat as squatPort, unsquat } from '../security/squat.ts';
import { createTestNamespace, startKubeRunner, type TestNamespace } from './fixture.ts';

type Session = { id: string; token: string };

const statusOf = (url: string) =>
  fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(3_000) }).then(
    async (r) => ({ status: r.status, auth: r.headers.get('www-authenticate') ?? '', api: r.headers.get('docker-distribution-api-version') ?? '', body: await r.text() }),
    () => ({ status: 0, auth: '', api: '', body: '' }),
  );

/** Host pids of a Pod's processes named `comm` (cgroup v1 or v2, cgroupfs or systemd driver). */
function podProcesses(podUid: string, comm: string): number[] {
  const forms = [podUid, podUid.replace(/-/g, '_')];
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === comm && forms.some((f) => readFileSync(`/proc/${p}/cgroup`, 'utf8').includes(`pod${f}`));
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('grading path on Kubernetes', { timeout: 30 * 60_000 }, () => {
  let ns: TestNamespace;
  let runner: Runner;
  let a: Session;
  let b: Session;
  let ta: Term;
  let tb: Term;
  const work = mkdtempSync(join(tmpdir(), 'rl-k8s-gp-'));
  // A server on the host's loopback: a learner's realm or redirect may name it; nothing may reach it.
  let hostHits = 0;
  const host: Server = createServer((_req, res) => {
    hostHits++;
    res.end('HOST-SECRET');
  });

  before(async () => {
    await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
    execFileSync('gcc', ['-static', '-O1', '-o', join(work, 'per-uid'), new URL('../security/per-uid.c', import.meta.url).pathname]);
    ns = await createTestNamespace('gp');
    runner = await startKubeRunner(ns);
    ({ a, b, ta, tb } = await twoReadyLearners(runner));
  });
  after(async () => {
    ta?.close();
    tb?.close();
    await runner?.close().catch(() => undefined);
    if (ns) {
      assert.deepEqual(await ns.leftovers(), []);
      await ns.remove();
    }
    host.close();
    rmSync(work, { recursive: true, force: true });
  });

  const squat = (port: number, head: string[]) => squatPort(runner, a.id, ta, port, head);

  it('squatted registry ports with a foreign realm and a redirect: the lab starts, the runner asks the real registries, follows nothing, shows nothing', async () => {
    const port = (host.address() as AddressInfo).port;
    assert.match(await squat(5001, ['HTTP/1.1 401 Unauthorized', `WWW-Authenticate: Bearer realm="http://127.0.0.1:${port}/token",service=x`]), /answer 401/);
    assert.match(await squat(5000, ['HTTP/1.1 302 Found', `Location: http://127.0.0.1:${port}/redirected`]), /answer 302/);
    const start = await api(runner.url, 'POST', `/api/sessions/${a.id}/labs/registry-auth/start`, { token: a.token });
    assert.equal(start.status, 200, `the password registry starts although the learner squats localhost:5001: ${start.text}`);
    for (const lab of ['registry-auth', 'push-private']) {
      const c = await api(runner.url, 'POST', `/api/sessions/${a.id}/labs/${lab}/check`, { token: a.token });
      assert.equal(c.status, 200, c.text);
      const r = c.json as { passed: boolean; criteria: Array<{ message: string }> };
      assert.equal(r.passed, false, `${lab}: nothing was done, nothing passes`);
      for (const cr of r.criteria) assert.doesNotMatch(cr.message, /HOST-SECRET|127\.0\.0\.1:\d+\/(token|redirected)/, `${lab}: ${cr.message}`);
    }
    const ops = runner.provider.ops(a.id);
    const real = await statusOf(`${ops.registryUrl(5001)}/v2/`);
    assert.equal(real.status, 401);
    assert.match(real.auth, /^Basic realm="Registry Lab"/, real.auth);
    assert.equal((await statusOf(`${ops.registryUrl()}/v2/`)).api, 'registry/2.0');
    assert.equal(hostHits, 0, 'nothing reached the host\'s server');
    assert.match(await unsquat(ta), /RESTORED/);
  });

  it('the grader and the registries send nothing but replies: the mirror, the workstation and the host are out of reach', async () => {
    const mirror = (await ns.core.listNamespacedPod({ namespace: ns.name, labelSelector: `${LABEL.role}=mirror` })).items[0]!.status!.podIP!;
    const workstation = (await ns.core.listNamespacedPod({ namespace: ns.name, labelSelector: `${LABEL.session}=${sessionKey(a.id)},${LABEL.role}=sandbox` })).items[0]!.status!.podIP!;
    const ops = runner.provider.ops(a.id);
    const probe = (target: string) => ops.graderExec(['sh', '-c', 'curl -s -m 3 -o /dev/null "$1"; echo "rc=$?"', 'probe', target], { timeoutMs: 20_000 });
    assert.match((await probe('http://localhost:5000/v2/')).stdout, /rc=0/, 'its own registry answers');
    for (const target of [`http://${mirror}:5000/v2/`, `http://${workstation}:5002/`, 'http://169.254.169.254/']) {
      assert.doesNotMatch((await probe(target)).stdout, /rc=0/, `the grader reached ${target}`);
    }
  });

  it('a registry killed outright comes back at the same address with its data, and the session stays up', async () => {
    const pushed = await attempt(ta, 'docker pull -q busybox >/dev/null && docker tag busybox localhost:5000/kept/busybox:1 && docker push -q localhost:5000/kept/busybox:1 >/dev/null && echo PUSHED', 240);
    assert.match(pushed.out, /PUSHED/, pushed.out);
    const ops = runner.provider.ops(a.id);
    await ops.startRegistry({ port: 5001 });
    const url = ops.registryUrl();
    const name = registryPodName(a.id);
    const before = await ns.core.readNamespacedPod({ name, namespace: ns.name });
    const restarts = () => before.status!.containerStatuses!.find((c) => c.name === 'registry')!.restartCount;
    const pids = podProcesses(before.metadata!.uid!, 'registry');
    assert.ok(pids.length >= 2, `the session registry and the extra one run: ${pids}`);
    // What the kernel's OOM killer does to a registry a flood filled: SIGKILL.
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch (err) {
        // One that was already on its way out (the extra registry restarted just before).
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    }
    let back = { status: 0 } as Awaited<ReturnType<typeof statusOf>>;
    for (let i = 0; i < 120 && back.status !== 200; i++) {
      await sleep(500);
      back = await statusOf(`${url}/v2/`);
    }
    assert.equal(back.status, 200, 'the session registry came back');
    assert.equal(ops.registryUrl(), url, 'at the same address');
    // The kubelet reports the restart a moment after the registry answers again.
    let count = restarts();
    for (let i = 0; i < 60 && count <= restarts(); i++, await sleep(500)) {
      count = (await ns.core.readNamespacedPod({ name, namespace: ns.name })).status!.containerStatuses!.find((c) => c.name === 'registry')!.restartCount;
    }
    assert.ok(count > restarts(), 'restarted by the kubelet');
    assert.match((await statusOf(`${url}/v2/_catalog`)).body, /kept\/busybox/, 'its data is kept');
    let extra = 0;
    for (let i = 0; i < 60 && extra !== 200; i++, await sleep(500)) extra = (await statusOf(`${ops.registryUrl(5001)}/v2/`)).status;
    assert.equal(extra, 200, 'the extra registry came back too');
    assert.ok(await registryRestartShown(runner, a), 'the session view shows the restart (liveness probe)');
    const pull = await attempt(ta, 'docker pull -q localhost:5000/kept/busybox:1 >/dev/null && echo PULLED', 120);
    assert.match(pull.out, /PULLED/, pull.out);
  });

  it('two sessions share no kernel uid; keyring, inotify and message queues are refused, in the workstation and in an inner container', async () => {
    const ids = async (t: Term) => (await attempt(t, 'echo "uid=$(id -u)"; docker run --rm busybox cat /proc/self/uid_map', 120)).out;
    const own = (out: string) => [/uid=(\d+)/.exec(out)?.[1], /^\s*0\s+(\d+)\s+\d+/m.exec(out)?.[1]];
    const [ua, ub] = [await ids(ta), await ids(tb)];
    const [[aUid, aSub], [bUid, bSub]] = [own(ua), own(ub)];
    assert.ok(aUid && bUid && aSub && bSub, `${ua}\n${ub}`);
    assert.notEqual(aUid, bUid);
    assert.notEqual(aSub, bSub);
    assert.ok(Number(aUid) !== 1000 && Number(bUid) !== 1000);
    await runner.provider.ops(a.id).copyIn('/home/learner/bin', [{ path: 'per-uid', content: readFileSync(join(work, 'per-uid')), mode: 0o755 }]);
    for (const cmd of ['~/bin/per-uid', 'docker run --rm --security-opt seccomp=unconfined -v ~/bin:/b busybox /b/per-uid']) {
      const r = await attempt(ta, cmd, 120);
      for (const call of ['add_key', 'inotify_init1', 'mq_open']) assert.match(r.out, new RegExp(`${call}: ENOSYS`), `${cmd}\n${r.out}`);
    }
    const other = await attempt(tb, 'docker run --rm busybox echo still-runs', 120);
    assert.match(other.out, /still-runs/, other.out);
  });

  it('the workstation\'s root is read-only; a /tmp filled past its limit evicts that Pod only', async () => {
    const ro = await attempt(ta, 'for p in /usr/local/bin/x /etc/x /var/lib/x /x; do touch "$p" 2>&1 | grep -q "Read-only file system" && echo "RO $p"; done', 30);
    assert.equal(ro.out.match(/^RO /gm)?.length, 4, ro.out);
    // 1.1 GiB into the 1 GiB /tmp: the kubelet evicts the Pod; the other session goes on.
    await attempt(ta, '(setsid sh -c "head -c 1100M /dev/zero > /tmp/fill" >/dev/null 2>&1 &); echo FILLING', 30);
    let state = '';
    for (let i = 0; i < 120 && state !== 'stopped'; i++, await sleep(1000)) {
      state = ((await api(runner.url, 'GET', `/api/sessions/${a.id}`, { token: a.token })).json as { state: string }).state;
    }
    assert.equal(state, 'stopped', 'the filled session is stopped (its Pod evicted)');
    const other = await attempt(tb, 'echo ok > /tmp/ok && cat /tmp/ok', 30);
    assert.match(other.out, /ok/);
  });
});

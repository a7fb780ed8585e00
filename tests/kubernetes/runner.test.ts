/**
 * The runner with SANDBOX_BACKEND=kubernetes on the real test cluster, through its API as on
 * Docker: a session becomes ready, its terminal types, resizes and exits; `docker run busybox`
 * and a push to localhost:5000 work inside; two sessions cannot reach each other; the warm pool;
 * a restart re-adopts; DELETE and close leave nothing in the namespace.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Runner } from '../../runner/src/app.ts';
import { podName, LABEL } from '../../runner/src/kubernetes/names.ts';
import { api, openTerminal, sleep } from '../runner/helpers.ts';
import { newSession, readyTerminal, run } from '../runner/real.ts';
import { createTestNamespace, startKubeRunner, type TestNamespace } from './fixture.ts';

async function waitReady(runner: Runner, s: { id: string; token: string }) {
  for (let i = 0; i < 600; i++) {
    const r = await api(runner.url, 'GET', `/api/sessions/${s.id}`, { token: s.token });
    const state = (r.json as { state: string; error?: string }).state;
    if (state === 'ready') return;
    if (state === 'stopped') throw new Error(`session stopped: ${r.text}`);
    await sleep(500);
  }
  throw new Error('session not ready in 5 minutes');
}

describe('runner on Kubernetes', { timeout: 40 * 60_000 }, () => {
  let ns: TestNamespace;
  let runner: Runner | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'rl-k8s-data-'));
  const runnerId = `k8s-run-${process.pid}`;

  before(async () => {
    ns = await createTestNamespace('runner');
    runner = await startKubeRunner(ns, { runnerId, dataDir });
  });
  after(async () => {
    await runner?.close().catch(() => undefined);
    await ns?.remove();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('the mirror is a Deployment and a Service; the policies exist', async () => {
    const left = await ns.leftovers();
    assert.ok(left.some((l) => l.startsWith('deployment rl-mirror-')), left.join(', '));
    assert.ok(left.some((l) => l.startsWith('service rl-mirror-')), left.join(', '));
    assert.equal(left.filter((l) => l.startsWith('networkpolicy ')).length, 3, left.join(', '));
  });

  let a: { id: string; token: string };
  let b: { id: string; token: string };

  it('a session becomes ready; its Pod is what the boundary asks (read back from the 1.20 API server)', async () => {
    a = await newSession(runner!);
    await waitReady(runner!, a);
    const pod = await ns.core.readNamespacedPod({ name: podName(a.id), namespace: ns.name });
    assert.equal(pod.spec!.automountServiceAccountToken, false);
    const ws = pod.spec!.containers.find((c) => c.name === 'workstation')!;
    assert.equal(ws.securityContext!.procMount, 'Unmasked', 'the API server kept procMount (feature gate on)');
    assert.equal(ws.securityContext!.seccompProfile?.type, 'Localhost');
    assert.ok(!pod.spec!.containers.some((c) => c.securityContext?.privileged));
    for (const c of [...pod.spec!.containers, ...(pod.spec!.initContainers ?? [])]) assert.ok(c.resources?.limits?.memory, `${c.name} has limits`);
  });

  it('the terminal types, resizes and exits with the shell\'s code', async () => {
    const t = await readyTerminal(runner!, a);
    const who = await run(t, 'id -un; pwd');
    assert.match(who.out, /learner[\s\S]*\/home\/learner/);
    t.control({ type: 'resize', cols: 132, rows: 40 });
    await sleep(500);
    const size = await run(t, 'stty size');
    assert.match(size.out, /40 132/);
    t.send('exit 7\r');
    assert.equal((await t.waitEvent('exit', 30_000)).code, 7);
    t.close();
  });

  it('docker run busybox and a push to localhost:5000 work inside', async () => {
    const t = await readyTerminal(runner!, a);
    const r = await run(t, 'docker run --rm busybox echo hello-from-inner && docker tag busybox localhost:5000/k8s/busybox:1 && docker push -q localhost:5000/k8s/busybox:1 && curl -s localhost:5000/v2/_catalog', 300_000);
    assert.equal(r.code, 0, r.out.slice(-2000));
    assert.match(r.out, /hello-from-inner/);
    assert.match(r.out, /k8s\/busybox/);
    t.close();
    // The runner reaches the session registry at the Pod's address.
    const catalog = await fetch(`${runner!.provider.ops(a.id).registryUrl()}/v2/_catalog`).then((x) => x.text());
    assert.match(catalog, /k8s\/busybox/);
  });

  it('two sessions cannot reach each other\'s workstation or registry', async () => {
    b = await newSession(runner!);
    await waitReady(runner!, b);
    const ipA = runner!.provider.ops(a.id).registryUrl().replace(/^http:\/\/|:\d+$/g, '');
    const ipB = runner!.provider.ops(b.id).registryUrl().replace(/^http:\/\/|:\d+$/g, '');
    const tb = await readyTerminal(runner!, b);
    const fromB = await run(tb, `curl -s -m 5 -o /dev/null -w '%{http_code}' http://${ipA}:5000/v2/; echo " rc=$?"`, 60_000);
    assert.doesNotMatch(fromB.out, /200 rc=0/, `B reached A's registry: ${fromB.out}`);
    const inner = await run(tb, `docker run --rm busybox wget -q -T 5 -O- http://${ipA}:5000/v2/ && echo REACHED || echo refused`, 120_000);
    assert.match(inner.out, /refused/);
    tb.close();
    const ta = await readyTerminal(runner!, a);
    const fromA = await run(ta, `curl -s -m 5 -o /dev/null -w '%{http_code}' http://${ipB}:5000/v2/; echo " rc=$?"`, 60_000);
    assert.doesNotMatch(fromA.out, /200 rc=0/, `A reached B's registry: ${fromA.out}`);
    // Its own registry and the mirror still answer.
    const own = await run(ta, `curl -s -m 10 -o /dev/null -w '%{http_code}' http://localhost:5000/v2/ && curl -s -m 10 -o /dev/null -w ' %{http_code}' http://mirror:5000/v2/`, 60_000);
    assert.match(own.out, /200 200/);
    ta.close();
  });

  it('DELETE removes the session\'s Pod and waits until it is gone', async () => {
    const r = await api(runner!.url, 'DELETE', `/api/sessions/${b.id}`, { token: b.token });
    assert.equal(r.status, 204);
    for (let i = 0; i < 240; i++) {
      const pods = await ns.core.listNamespacedPod({ namespace: ns.name, labelSelector: `${LABEL.session}=${Buffer.from(b.id).toString('hex')}` });
      if (pods.items.length === 0) return;
      await sleep(500);
    }
    assert.fail('the Pod of a deleted session is still there');
  });

  it('a restarted runner re-adopts the session: same Pod, its files still there', async () => {
    const t = await readyTerminal(runner!, a);
    await run(t, 'echo kept > ~/mark.txt');
    t.close();
    const before = await ns.core.readNamespacedPod({ name: podName(a.id), namespace: ns.name });
    await runner!.stop();
    runner = await startKubeRunner(ns, { runnerId, dataDir });
    assert.equal(runner.recovery.adopted, 1);
    const after = await ns.core.readNamespacedPod({ name: podName(a.id), namespace: ns.name });
    assert.equal(after.metadata!.uid, before.metadata!.uid, 'the same Pod');
    const t2 = await readyTerminal(runner, a);
    assert.match((await run(t2, 'cat ~/mark.txt')).out, /kept/);
    t2.close();
  });

  it('the warm pool: a new session claims a ready Pod (relabelled claimed)', async () => {
    await runner!.stop();
    runner = await startKubeRunner(ns, { runnerId, dataDir, warmPoolSize: 1 });
    for (let i = 0; i < 600 && runner.sessions.stats().pool.ready < 1; i++) await sleep(500);
    assert.equal(runner.sessions.stats().pool.ready, 1, 'the pool filled');
    const pooled = await ns.core.listNamespacedPod({ namespace: ns.name, labelSelector: `${LABEL.state}=pool` });
    assert.equal(pooled.items.length, 1);
    const r = await api(runner.url, 'POST', '/api/sessions', { body: {} });
    assert.equal(r.status, 201);
    const s = r.json as { id: string; token: string; state: string };
    assert.equal(s.state, 'ready');
    const pod = await ns.core.readNamespacedPod({ name: podName(s.id), namespace: ns.name });
    assert.equal(pod.metadata!.labels![LABEL.state], 'claimed');
    const t = await openTerminal(runner.url, s.id, s.token);
    await t.waitEvent('ready', 60_000);
    t.close();
  });

  it('close() leaves nothing in the namespace', async () => {
    await runner!.close();
    runner = undefined;
    assert.deepEqual(await ns.leftovers(), []);
  });
});

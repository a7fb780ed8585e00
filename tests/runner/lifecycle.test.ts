/**
 * Runner + real Docker: timers (expiring, expiry, idle), warm pool, shutdown cleanup and
 * reaping of objects left by a runner that was killed.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { api, openTerminal, sleep, uniqueRunnerId } from './helpers.ts';
import { dockerObjects, newSession, readyTerminal, removeRunnerObjects, run, startRealRunner } from './real.ts';
import type { ChildProcess } from 'node:child_process';

// Whatever a failing test left behind: child runners and this file's own runner ids only.
const children: ChildProcess[] = [];
const runnerIds: string[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const id of runnerIds) removeRunnerObjects(id);
});

const runnerLabel = (id: string) => `registry-lab.runner=${id}`;

test('expiring event, then expiry closes the terminal and removes the sandbox', async () => {
  const runner = await startRealRunner({ sessionTtlMs: 9_000, sessionMaxTtlMs: 12_000, sessionWarnBeforeMs: 6_000 });
  try {
    const s = await newSession(runner);
    const t = await readyTerminal(runner, s);
    const ev = await t.waitEvent('expiring', 10_000);
    assert.equal(ev.expiresAt, s.expiresAt);
    // Extending moves the end (to the 12 s cap) and the warning comes again.
    const e = await api(runner.url, 'POST', `/api/sessions/${s.id}/extend`, { token: s.token });
    assert.equal(e.status, 200);
    assert.ok(Date.parse(e.json.expiresAt) > Date.parse(s.expiresAt));
    await t.waitEvent('extended', 2_000);
    const again = await api(runner.url, 'POST', `/api/sessions/${s.id}/extend`, { token: s.token });
    assert.ok(again.status === 409 || again.status === 200);
    const ended = await t.waitEvent('ended', 20_000);
    assert.equal(ended.reason, 'expired');
    assert.equal(t.events.filter((x) => x.type === 'expiring').length, 2);
    assert.equal((await t.closed).code, 1008);
    const g = await api(runner.url, 'GET', `/api/sessions/${s.id}`, { token: s.token });
    assert.equal(g.json.state, 'stopped');
    for (let i = 0; i < 50 && dockerObjects(`registry-lab.session=${s.id}`).length; i++) await sleep(200);
    assert.deepEqual(dockerObjects(`registry-lab.session=${s.id}`), []);
  } finally {
    await runner.close();
  }
  assert.deepEqual(dockerObjects(runnerLabel(runner.config.runnerId)), []);
});

test('a session with no terminal for SESSION_IDLE_MS ends; one with a terminal stays', async () => {
  const runner = await startRealRunner({ sessionIdleMs: 4_000 });
  try {
    const idle = await newSession(runner);
    const busy = await newSession(runner);
    const t = await readyTerminal(runner, busy);
    await sleep(6_000);
    const gi = await api(runner.url, 'GET', `/api/sessions/${idle.id}`, { token: idle.token });
    assert.equal(gi.json.state, 'stopped');
    assert.equal(gi.json.stopReason, 'idle');
    const gb = await api(runner.url, 'GET', `/api/sessions/${busy.id}`, { token: busy.token });
    assert.equal(gb.json.state, 'ready');
    assert.equal((await run(t, 'echo alive')).code, 0);
    for (let i = 0; i < 50 && dockerObjects(`registry-lab.session=${idle.id}`).length; i++) await sleep(200);
    assert.deepEqual(dockerObjects(`registry-lab.session=${idle.id}`), []);
    t.close();
  } finally {
    await runner.close();
  }
});

test('warm pool: a claimed sandbox is ready at once; shutdown leaves nothing with the runner label', async () => {
  const runner = await startRealRunner({ warmPoolSize: 1 });
  const label = runnerLabel(runner.config.runnerId);
  try {
    for (let i = 0; i < 300 && runner.sessions.pool.stats().ready < 1; i++) await sleep(200);
    assert.equal(runner.sessions.pool.stats().ready, 1);
    const h = await api(runner.url, 'GET', '/api/health');
    assert.equal(h.json.pool.ready, 1);
    const c = await api(runner.url, 'POST', '/api/sessions', { body: {} });
    assert.equal(c.status, 201);
    assert.equal(c.json.state, 'ready');
    const t = await openTerminal(runner.url, c.json.id, c.json.token);
    await t.waitEvent('ready', 10_000);
    assert.equal((await run(t, 'docker info --format "{{.ServerVersion}}"')).code, 0);
    t.close();
    // The pool refills in the background.
    for (let i = 0; i < 300 && runner.sessions.pool.stats().ready < 1; i++) await sleep(200);
    assert.equal(runner.sessions.pool.stats().ready, 1);
    assert.ok(dockerObjects(label).length > 0);
  } finally {
    await runner.close();
  }
  assert.deepEqual(dockerObjects(label), []);
});

test('a runner killed without cleanup: a new runner with the same RUNNER_ID reaps its objects', async () => {
  const runnerId = uniqueRunnerId('reap');
  runnerIds.push(runnerId);
  const label = runnerLabel(runnerId);
  const main = fileURLToPath(new URL('../../runner/src/main.ts', import.meta.url));
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, PORT: '0', RUNNER_ID: runnerId, WARM_POOL_SIZE: '0', LOG_LEVEL: 'info', SITE_DIR: '/nonexistent-site' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('runner did not start')), 60_000);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const m = /"url":"(http:[^"]+)"/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.once('exit', (code) => reject(new Error(`runner exited with ${code}`)));
    });
    const c = await api(url, 'POST', '/api/sessions', { body: {} });
    assert.equal(c.status, 201);
    const t = await openTerminal(url, c.json.id, c.json.token);
    await t.waitEvent('ready', 120_000);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.ok(dockerObjects(label).length >= 5, `objects left: ${dockerObjects(label).join(', ')}`);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  const runner = await startRealRunner({ runnerId });
  try {
    assert.ok(runner.reaped >= 5, `reaped ${runner.reaped}`);
    // Only the new runner's mirror remains.
    assert.ok(dockerObjects(label).every((o) => !/-ws$|-registry$/.test(o)), dockerObjects(label).join(', '));
  } finally {
    await runner.close();
  }
  assert.deepEqual(dockerObjects(label), []);
});

test('SIGTERM: the runner process removes every sandbox and the mirror, then exits 0', async () => {
  const runnerId = uniqueRunnerId('term');
  runnerIds.push(runnerId);
  const main = fileURLToPath(new URL('../../runner/src/main.ts', import.meta.url));
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, PORT: '0', RUNNER_ID: runnerId, WARM_POOL_SIZE: '0', LOG_LEVEL: 'info', SITE_DIR: '/nonexistent-site' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /"url":"(http:[^"]+)"/.exec(line);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`runner exited with ${code}`)));
  });
  const c = await api(url, 'POST', '/api/sessions', { body: {} });
  const t = await openTerminal(url, c.json.id, c.json.token);
  await t.waitEvent('ready', 120_000);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.deepEqual(dockerObjects(runnerLabel(runnerId)), []);
});

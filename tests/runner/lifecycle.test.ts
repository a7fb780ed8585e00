/**
 * Runner + real Docker: timers (expiring, expiry, idle), warm pool, limits (503, 429, creation
 * rate, sandboxes counted until gone), DELETE during creation, SIGTERM keeping sandboxes,
 * `npm run reset`, and reaping what a lost database can no longer account for.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
const MAIN = fileURLToPath(new URL('../../runner/src/main.ts', import.meta.url));

test('expiring event, then expiry closes the terminal and removes the sandbox', async () => {
  // The warning comes 3 s after creation, before a cold sandbox is ready on a busy machine.
  const runner = await startRealRunner({ sessionTtlMs: 40_000, sessionMaxTtlMs: 43_000, sessionWarnBeforeMs: 37_000 });
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
    // The first extend came after the warning (3 s in), so now + 40 s is past the 43 s cap: capped, then 409.
    assert.equal(e.json.expiresAt, new Date(Date.parse(s.expiresAt) + 3_000).toISOString());
    const again = await api(runner.url, 'POST', `/api/sessions/${s.id}/extend`, { token: s.token });
    assert.equal(again.status, 409, again.text);
    assert.equal(again.json.error.code, 'max_lifetime_reached');
    const ended = await t.waitEvent('ended', 60_000);
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

test('a runner killed without cleanup, whose database is lost: a new runner with the same RUNNER_ID reaps its objects', async () => {
  const runnerId = uniqueRunnerId('reap');
  runnerIds.push(runnerId);
  const label = runnerLabel(runnerId);
  const lostData = mkdtempSync(join(tmpdir(), 'rl-lost-'));
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, PORT: '0', RUNNER_ID: runnerId, DATA_DIR: lostData, WARM_POOL_SIZE: '0', LOG_LEVEL: 'info', SITE_DIR: '/nonexistent-site' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  try {
    const url = await listeningUrl(child);
    const c = await api(url, 'POST', '/api/sessions', { body: {} });
    assert.equal(c.status, 201);
    const t = await openTerminal(url, c.json.id, c.json.token);
    await t.waitEvent('ready', 120_000);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.ok(dockerObjects(label).length >= 5, `objects left: ${dockerObjects(label).join(', ')}`);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(lostData, { recursive: true, force: true });
  }
  // Same RUNNER_ID, another (empty) data directory: nothing accounts for that sandbox.
  const runner = await startRealRunner({ runnerId });
  try {
    assert.ok(runner.reaped >= 1, `reaped ${runner.reaped}`);
    // Only the new runner's mirror remains.
    assert.ok(dockerObjects(label).every((o) => !/-ws$|-registry$/.test(o)), dockerObjects(label).join(', '));
  } finally {
    await runner.close();
  }
  assert.deepEqual(dockerObjects(label), []);
});

test('SIGTERM keeps every sandbox and exits 0; npm run reset removes everything of the RUNNER_ID and its database', async () => {
  const runnerId = uniqueRunnerId('term');
  runnerIds.push(runnerId);
  const dataDir = mkdtempSync(join(tmpdir(), 'rl-term-'));
  const env = { ...process.env, PORT: '0', RUNNER_ID: runnerId, DATA_DIR: dataDir, WARM_POOL_SIZE: '0', LOG_LEVEL: 'info', SITE_DIR: '/nonexistent-site' };
  const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  try {
    const url = await listeningUrl(child);
    const c = await api(url, 'POST', '/api/sessions', { body: {} });
    const t = await openTerminal(url, c.json.id, c.json.token);
    await t.waitEvent('ready', 120_000);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.equal((await t.closed).code, 1012);
    assert.ok(dockerObjects(`registry-lab.session=${c.json.id}`).length >= 4, 'the sandbox is kept');
    assert.ok(existsSync(join(dataDir, `${runnerId}.sqlite`)));
    const reset = spawnSync(process.execPath, [fileURLToPath(new URL('../../scripts/reset.ts', import.meta.url))], { env, encoding: 'utf8' });
    assert.equal(reset.status, 0, reset.stderr);
    assert.match(reset.stdout, new RegExp(`RUNNER_ID=${runnerId}`));
    assert.deepEqual(dockerObjects(runnerLabel(runnerId)), []);
    assert.ok(!existsSync(join(dataDir, `${runnerId}.sqlite`)));
    const quotaDir = process.env.QUOTA_DIR || '/var/lib/registry-lab/quota';
    const quotaFiles = existsSync(quotaDir) ? readdirSync(quotaDir).filter((f) => f.startsWith(`${runnerId}--`)) : [];
    assert.deepEqual(quotaFiles, [], 'reset releases the session disk quotas (files and loop devices)');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('limits on a real runner: 503 capacity_full, 429 too_many_sessions, exact statuses and Retry-After', async () => {
  const runner = await startRealRunner({ maxSessions: 2, maxSessionsPerClient: 5 });
  try {
    const a = await api(runner.url, 'POST', '/api/sessions', { body: {} });
    const b = await api(runner.url, 'POST', '/api/sessions', { body: {} });
    assert.equal(a.status, 201);
    assert.equal(b.status, 201);
    const full = await api(runner.url, 'POST', '/api/sessions', { body: {} });
    assert.equal(full.status, 503, full.text);
    assert.equal(full.json.error.code, 'capacity_full');
    assert.equal(full.headers.get('retry-after'), '30');
    runner.sessions.settings.maxSessions = 5;
    runner.sessions.settings.maxSessionsPerClient = 2;
    const mine = await api(runner.url, 'POST', '/api/sessions', { body: {} });
    assert.equal(mine.status, 429, mine.text);
    assert.equal(mine.json.error.code, 'too_many_sessions');
    for (const s of [a, b]) assert.equal((await api(runner.url, 'DELETE', `/api/sessions/${s.json.id}`, { token: s.json.token })).status, 204);
  } finally {
    await runner.close();
  }
  assert.deepEqual(dockerObjects(runnerLabel(runner.config.runnerId)), []);
});

test('DELETE during creation cancels it at once; the creation rate limit answers 429 with Retry-After', async () => {
  const runner = await startRealRunner({ maxSessionCreatesPerMinute: 3, maxSessionsPerClient: 5 });
  try {
    for (let i = 0; i < 3; i++) {
      const c = await api(runner.url, 'POST', '/api/sessions', { body: {} });
      assert.equal(c.status, 201, c.text);
      assert.equal(c.json.state, 'starting');
      await sleep(300);
      const d = await api(runner.url, 'DELETE', `/api/sessions/${c.json.id}`, { token: c.json.token });
      assert.equal(d.status, 204);
      assert.deepEqual(dockerObjects(`registry-lab.session=${c.json.id}`), [], 'gone when DELETE answers');
    }
    const r = await api(runner.url, 'POST', '/api/sessions', { body: {} });
    assert.equal(r.status, 429, r.text);
    assert.equal(r.json.error.code, 'too_many_creations');
    assert.ok(Number(r.headers.get('retry-after')) > 0);
  } finally {
    await runner.close();
  }
  assert.deepEqual(dockerObjects(runnerLabel(runner.config.runnerId)), []);
});

test('POST then DELETE 50 ms apart: the engine never holds more sandboxes than MAX_SESSIONS', async () => {
  const runner = await startRealRunner({ maxSessions: 4, maxSessionsPerClient: 10 });
  const label = runnerLabel(runner.config.runnerId);
  let most = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      most = Math.max(most, new Set(dockerObjects(label).filter((o) => /^network rl-/.test(o) && !o.includes('rl-mirror-'))).size);
      await sleep(50);
    }
  })();
  try {
    const deletes: Promise<unknown>[] = [];
    let created = 0;
    for (let i = 0; i < 12; i++) {
      const c = await api(runner.url, 'POST', '/api/sessions', { body: {} });
      if (c.status === 201) {
        created++;
        await sleep(50);
        deletes.push(api(runner.url, 'DELETE', `/api/sessions/${c.json.id}`, { token: c.json.token }));
      } else assert.equal(c.status, 503, c.text);
      assert.ok(runner.sessions.stats().sandboxes <= 4, JSON.stringify(runner.sessions.stats()));
    }
    await Promise.all(deletes);
    assert.ok(created >= 4, `created ${created}`);
  } finally {
    sampling = false;
    await sampler;
    await runner.close();
  }
  assert.ok(most <= 4, `the engine held ${most} session networks at once`);
  assert.deepEqual(dockerObjects(label), []);
});

function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('runner did not start')), 120_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /"url":"(http:[^"]+)"/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`runner exited with ${code}`)));
  });
}

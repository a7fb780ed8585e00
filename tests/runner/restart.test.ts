/**
 * Sessions survive the runner (API.md "Sessions survive the runner"): real runner processes,
 * real Docker, real SQLite. SIGTERM and kill -9 keep everything; what expired or vanished while
 * the runner was down is stopped and removed at the next start.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { api, openTerminal, sleep } from './helpers.ts';
import { dockerObjects, run } from './real.ts';
import { logLine, RunnerIdentity } from './processes.ts';
import { UID_LABEL } from '../../runner/src/docker/session-user.ts';

const identities: RunnerIdentity[] = [];
after(async () => {
  for (const id of identities) await id.cleanup();
});
function identity(env: Record<string, string> = {}) {
  const id = new RunnerIdentity(env);
  identities.push(id);
  return id;
}

const sessionLabel = (id: string) => `registry-lab.session=${id}`;

/**
 * A ready session. On a loaded machine a sandbox may fail to start in time (state stopped,
 * stopReason failed): that is the runner answering correctly, so another is asked for (3 tries).
 */
async function createReady(url: string, body: object = {}) {
  for (let attempt = 1; ; attempt++) {
    const c = await api(url, 'POST', '/api/sessions', { body });
    assert.equal(c.status, 201, c.text);
    const s = c.json as { id: string; token: string; expiresAt: string };
    for (let i = 0; i < 900; i++) {
      const g = await api(url, 'GET', `/api/sessions/${s.id}`, { token: s.token });
      if (g.json.state === 'ready') return s;
      if (g.json.state === 'stopped') {
        assert.equal(g.json.stopReason, 'failed', g.text);
        assert.ok(attempt < 3, `three sandboxes failed to start: ${g.text}`);
        break;
      }
      await sleep(200);
    }
  }
}

/**
 * A command as the learner in the workstation (what a terminal would run), without a TTY. By the
 * learner's uid, from the workstation's label: the container's own user is root for its first moments.
 */
function learner(sessionId: string, script: string): string {
  const ws = `rl-${sessionId}-ws`;
  const uid = execFileSync('docker', ['inspect', '-f', `{{index .Config.Labels "${UID_LABEL}"}}`, ws], { encoding: 'utf8' }).trim();
  return execFileSync('docker', ['exec', '-i', '-u', `${uid}:${uid}`, '-w', '/home/learner', ws, 'bash', '-l'], { input: script, encoding: 'utf8', timeout: 300_000 });
}

test('SIGTERM, then kill -9: same token, file, image, registry, lab progress, expiry; a new terminal opens', async () => {
  const who = identity();
  let r = await who.start();
  const s = await createReady(r.url);
  const t = await openTerminal(r.url, s.id, s.token);
  await t.waitEvent('ready', 120_000);
  assert.equal((await run(t, 'echo "kept across restarts" > ~/note.txt')).code, 0);
  learner(s.id, "printf 'FROM busybox\\nRUN echo built > /built\\n' | docker build -q -t localhost:5000/mine:1 - && docker push -q localhost:5000/mine:1");
  const start = await api(r.url, 'POST', `/api/sessions/${s.id}/labs/push-private/start`, { token: s.token });
  assert.equal(start.status, 200, start.text);
  learner(s.id, readFileSync(new URL('../../labs/push-private/solve.sh', import.meta.url), 'utf8'));
  const check = await api(r.url, 'POST', `/api/sessions/${s.id}/labs/push-private/check`, { token: s.token });
  assert.equal(check.json.passed, true, check.text);

  const verify = async (how: string) => {
    const g = await api(r.url, 'GET', `/api/sessions/${s.id}`, { token: s.token });
    assert.equal(g.status, 200, `${how}: ${g.text}`);
    assert.equal(g.json.state, 'ready', how);
    assert.equal(g.json.expiresAt, s.expiresAt, how);
    const p = await api(r.url, 'GET', `/api/sessions/${s.id}/progress`, { token: s.token });
    assert.equal(p.json.labs['push-private']?.passed, true, `${how}: ${p.text}`);
    // The lab state (the digest recorded at start) survived too: the check passes again.
    const again = await api(r.url, 'POST', `/api/sessions/${s.id}/labs/push-private/check`, { token: s.token });
    assert.equal(again.json.passed, true, `${how}: ${again.text}`);
    const t2 = await openTerminal(r.url, s.id, s.token);
    await t2.waitEvent('ready', 60_000);
    assert.match((await run(t2, 'cat ~/note.txt')).out, /kept across restarts/, how);
    const images = await run(t2, 'docker image inspect -f ok localhost:5000/mine:1 && curl -s http://localhost:5000/v2/mine/tags/list');
    assert.equal(images.code, 0, `${how}: ${images.out}`);
    assert.match(images.out, /"tags":\["1"\]/, how);
    t2.close();
    const wrong = await api(r.url, 'GET', `/api/sessions/${s.id}`, { token: 'x'.repeat(43) });
    assert.equal(wrong.status, 401, how);
  };

  const closed = t.closed;
  const stopped = await r.term();
  assert.equal(stopped.code, 0, 'SIGTERM exits 0');
  assert.equal((await closed).code, 1012, 'terminals close with 1012 (service restart)');
  assert.ok(dockerObjects(sessionLabel(s.id)).some((o) => o.endsWith('-ws')), 'the sandbox is kept');
  r = await who.start();
  assert.equal(logLine(r.lines, /^start:/)?.adopted, 1, r.lines.join('\n'));
  await verify('after SIGTERM');

  await r.kill();
  r = await who.start();
  assert.equal(logLine(r.lines, /^start:/)?.adopted, 1, r.lines.join('\n'));
  await verify('after kill -9');
  await r.term();
});

test('while the runner is down: a sandbox removed by hand becomes stopped with a reason; an expired session is removed', async () => {
  // Long enough for two sandboxes to start on a busy machine; the test then waits for the expiry.
  const who = identity({ SESSION_TTL_MS: '240s', SESSION_MAX_TTL_MS: '240s' });
  let r = await who.start();
  const gone = await createReady(r.url);
  const expiring = await createReady(r.url);
  await r.term();
  // Removed by hand while the runner is down: everything of that session.
  execFileSync('docker', ['rm', '-f', '-v', `rl-${gone.id}-registry`, `rl-${gone.id}-ws`], { stdio: 'ignore' });
  r = await who.start();
  const g = await api(r.url, 'GET', `/api/sessions/${gone.id}`, { token: gone.token });
  assert.equal(g.json.state, 'stopped', g.text);
  assert.equal(g.json.stopReason, 'vanished', g.text);
  assert.ok(g.json.error, 'a sentence says why');
  assert.deepEqual(dockerObjects(sessionLabel(gone.id)), [], 'its remains are removed');
  const e = await api(r.url, 'GET', `/api/sessions/${expiring.id}`, { token: expiring.token });
  assert.equal(e.json.state, 'ready', e.text);
  await r.term();
  // Down until after its expiry.
  const wait = Date.parse(expiring.expiresAt) - Date.now() + 1_000;
  if (wait > 0) await sleep(wait);
  r = await who.start();
  const e2 = await api(r.url, 'GET', `/api/sessions/${expiring.id}`, { token: expiring.token });
  assert.equal(e2.json.state, 'stopped', e2.text);
  assert.equal(e2.json.stopReason, 'expired');
  assert.deepEqual(dockerObjects(sessionLabel(expiring.id)), []);
  await r.term();
});

test('a corrupted, then a deleted database: the runner starts, says so, and reaps what it cannot account for', async () => {
  const who = identity();
  let r = await who.start();
  const a = await createReady(r.url);
  await r.term();
  execFileSync('sh', ['-c', `head -c 65536 /dev/urandom > '${who.databaseFile}'; rm -f '${who.databaseFile}-wal' '${who.databaseFile}-shm'`]);
  r = await who.start();
  const problem = logLine(r.lines, /could not be used/);
  assert.ok(problem, `one clear line: ${r.lines.join('\n')}`);
  assert.equal((await api(r.url, 'GET', `/api/sessions/${a.id}`, { token: a.token })).status, 404);
  assert.deepEqual(dockerObjects(sessionLabel(a.id)), []);
  assert.ok(Number(logLine(r.lines, /^start:/)?.reaped) >= 1);
  const b = await createReady(r.url);
  await r.term();
  execFileSync('rm', ['-f', who.databaseFile, `${who.databaseFile}-wal`, `${who.databaseFile}-shm`]);
  r = await who.start();
  assert.ok(logLine(r.lines, /no database yet/), r.lines.join('\n'));
  assert.equal((await api(r.url, 'GET', `/api/sessions/${b.id}`, { token: b.token })).status, 404);
  assert.deepEqual(dockerObjects(sessionLabel(b.id)), []);
  await r.term();
});

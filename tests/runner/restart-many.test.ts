/** 20 sessions taken over at once by a restarted runner process (kill -9 in between). */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, openTerminal, sleep } from './helpers.ts';
import { run } from './real.ts';
import { logLine, RunnerIdentity } from './processes.ts';

const N = 20;
const who = new RunnerIdentity({ MAX_SESSIONS: String(N), MAX_SESSIONS_PER_CLIENT: String(N), MAX_SESSION_CREATES_PER_MINUTE: '100', SESSION_START_TIMEOUT_MS: '15m' }, 'many');
after(() => who.cleanup());

test(`${N} sessions re-adopted at once after kill -9`, async () => {
  let r = await who.start();
  // Made four at a time (the machine is shared); a sandbox that fails to start in time is replaced.
  const ready = async (): Promise<{ id: string; token: string; expiresAt: string }> => {
    for (let attempt = 1; ; attempt++) {
      const c = await api(r.url, 'POST', '/api/sessions', { body: {} });
      assert.equal(c.status, 201, c.text);
      for (;;) {
        const g = await api(r.url, 'GET', `/api/sessions/${c.json.id}`, { token: c.json.token });
        if (g.json.state === 'ready') return c.json;
        if (g.json.state === 'stopped') {
          assert.ok(attempt < 5, g.text);
          break;
        }
        await sleep(250);
      }
    }
  };
  const sessions: { id: string; token: string; expiresAt: string }[] = [];
  while (sessions.length < N) sessions.push(...(await Promise.all(Array.from({ length: Math.min(4, N - sessions.length) }, ready))));
  await r.kill();
  r = await who.start();
  const start = logLine(r.lines, /^start:/);
  assert.equal(start?.adopted, N, JSON.stringify(start));
  for (const s of sessions) {
    const g = await api(r.url, 'GET', `/api/sessions/${s.id}`, { token: s.token });
    assert.equal(g.json.state, 'ready', g.text);
    assert.equal(g.json.expiresAt, s.expiresAt);
  }
  // Every one answers in a new terminal.
  await Promise.all(
    sessions.map(async (s) => {
      const t = await openTerminal(r.url, s.id, s.token);
      await t.waitEvent('ready', 120_000);
      assert.equal((await run(t, 'docker info --format "{{.ServerVersion}}"', 120_000)).code, 0);
      t.close();
    }),
  );
  await r.term();
});

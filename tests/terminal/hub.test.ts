/**
 * The terminal hub through the real runner and WebSockets, on the fake provider (an echoing
 * shell): presence, broadcast, shadows (auth before the upgrade, limit, watched, input ignored,
 * closed by the session's end and by closeAll). The same behaviour on real sandboxes:
 * tests/workshops/shadow.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRunner, type Runner } from '../../runner/src/app.ts';
import { silentLogger } from '../../runner/src/core/log.ts';
import { attachTerminalServer } from '../../runner/src/terminal/server.ts';
import type { AuthorizeShadow } from '../../runner/src/terminal/shadow.ts';
import { CLOSE } from '../../protocol/terminal.ts';
import { createFakeProvider } from '../unit/fake-provider.ts';
import { api, openSocket, openTerminal, rawUpgrade, sleep, uniqueRunnerId, type Term } from '../runner/helpers.ts';
import { until } from '../support/wait.ts';

const KEY = 'instructor-key-for-tests';
/** Workshop "w1" holds the sessions in `members`; KEY opens it. */
const members = new Set<string>();
const authorize: AuthorizeShadow = async (workshop, session, token) => {
  if (workshop !== 'w1') return 'not_found';
  if (token !== KEY) return 'unauthorized';
  return members.has(session) ? 'ok' : 'not_found';
};

const start = (deps: Parameters<typeof createRunner>[1] = {}) =>
  createRunner(
    { port: 0, runnerId: uniqueRunnerId('hub'), warmPoolSize: 0, logLevel: 'silent', siteDir: '/nonexistent-site', maxSessionsPerClient: 100, maxSessionCreatesPerMinute: 1000 },
    { provider: createFakeProvider(), ...deps },
  );

async function session(runner: Runner) {
  const c = await api(runner.url, 'POST', '/api/sessions', { body: {} });
  assert.equal(c.status, 201);
  members.add(c.json.id);
  return c.json as { id: string; token: string };
}
const shadowPath = (session: string, token = KEY, workshop = 'w1') =>
  `/api/workshops/${workshop}/learners/${session}/terminal?token=${encodeURIComponent(token)}`;
const openShadow = (runner: Runner, session: string) => openSocket(runner.url.replace(/^http/, 'ws') + shadowPath(session));
const events = (t: Term, type: string) => t.events.filter((e) => e?.type === type);

describe('terminal hub (fake provider)', () => {
  let runner: Runner;
  before(async () => {
    runner = await start({ authorizeShadow: authorize, terminalTuning: { maxShadowsPerSession: 2 } });
  });
  after(() => runner?.close());

  test('presence fires on the first and the last learner terminal; broadcast reaches only the named sessions', async () => {
    const a = await session(runner);
    const b = await session(runner);
    const seen: [string, boolean][] = [];
    const off = runner.terminals.hub.onPresence((id, c) => seen.push([id, c]));
    assert.equal(runner.terminals.hub.connected(a.id), false);
    const a1 = await openTerminal(runner.url, a.id, a.token);
    const a2 = await openTerminal(runner.url, a.id, a.token);
    const b1 = await openTerminal(runner.url, b.id, b.token);
    await Promise.all([a1, a2, b1].map((t) => t.waitEvent('ready', 5000)));
    assert.equal(runner.terminals.hub.connected(a.id), true);
    const at = new Date('2026-01-02T03:04:05.000Z');
    assert.equal(runner.terminals.hub.broadcast([a.id, a.id, 'no-such-session'], 'Перерыв 5 минут', at), 2);
    for (const t of [a1, a2]) assert.deepEqual(await t.waitEvent('broadcast', 5000), { type: 'broadcast', message: 'Перерыв 5 минут', at: at.toISOString() });
    await sleep(200);
    assert.deepEqual(events(b1, 'broadcast'), []);
    assert.doesNotMatch(a1.output(), /Перерыв/, 'never injected into the shell stream');
    a1.close();
    await a1.closed;
    await sleep(100);
    assert.equal(runner.terminals.hub.connected(a.id), true, 'one terminal is still open');
    a2.close();
    b1.close();
    await Promise.all([a2.closed, b1.closed]);
    await until('four presence changes', () => seen.length === 4);
    off();
    assert.equal(runner.terminals.hub.connected(a.id), false);
    assert.deepEqual(
      seen.filter(([id]) => id === a.id),
      [
        [a.id, true],
        [a.id, false],
      ],
    );
    assert.deepEqual(
      seen.filter(([id]) => id === b.id),
      [
        [b.id, true],
        [b.id, false],
      ],
    );
  });

  test('a shadow is refused before the upgrade: wrong key 401, unknown workshop or learner 404, over the limit 429, bad origin 403', async () => {
    const a = await session(runner);
    const other = await api(runner.url, 'POST', '/api/sessions', { body: {} }); // not in w1
    assert.deepEqual((await rawUpgrade(runner.url, shadowPath(a.id, 'wrong'))).status, 401);
    assert.equal((await rawUpgrade(runner.url, shadowPath(a.id, '')))['body'].error.code, 'unauthorized');
    assert.equal((await rawUpgrade(runner.url, shadowPath(a.id, KEY, 'w2'))).status, 404);
    assert.equal((await rawUpgrade(runner.url, shadowPath(other.json.id))).status, 404);
    assert.equal((await rawUpgrade(runner.url, shadowPath(a.id), { origin: 'http://evil.example' })).status, 403);
    // A learner's own token opens nothing of the workshop's.
    assert.equal((await rawUpgrade(runner.url, shadowPath(a.id, a.token))).status, 401);
    const s1 = await openShadow(runner, a.id);
    const s2 = await openShadow(runner, a.id);
    const refused = await rawUpgrade(runner.url, shadowPath(a.id));
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error.code, 'too_many_shadows');
    s1.close();
    s2.close();
    await Promise.all([s1.closed, s2.closed]);
  });

  test('a shadow sees every terminal of the learner, ignores input, and the learner is told it is watched', async () => {
    const a = await session(runner);
    const t1 = await openTerminal(runner.url, a.id, a.token);
    await t1.waitEvent('ready', 5000);
    const sh = await openShadow(runner, a.id);
    assert.deepEqual(await sh.waitEvent('shadow', 5000), { type: 'shadow', terminals: 1 });
    assert.deepEqual(await t1.waitEvent('watched', 5000), { type: 'watched', watching: true });
    t1.send('echo first\r');
    await sh.waitFor('echo first', 5000);
    // Input from the shadow reaches no shell.
    sh.send('echo from-shadow\r');
    sh.control({ type: 'resize', cols: 10, rows: 5 });
    sh.control('not json');
    const t2 = await openTerminal(runner.url, a.id, a.token);
    await t2.waitEvent('ready', 5000);
    assert.deepEqual(await t2.waitEvent('watched', 5000), { type: 'watched', watching: true });
    t2.send('echo second\r');
    await sh.waitFor('echo second', 5000);
    assert.ok(events(sh, 'shadow').some((e) => e.terminals === 2));
    await sleep(200);
    assert.doesNotMatch(t1.output() + t2.output(), /from-shadow/);
    sh.close();
    await sh.closed;
    await until('t1 told it is no longer watched', () => events(t1, 'watched').length === 2);
    assert.deepEqual(events(t1, 'watched').at(-1), { type: 'watched', watching: false });
    await until('t2 told it is no longer watched', () => events(t2, 'watched').length === 2);
    assert.deepEqual(events(t2, 'watched').at(-1), { type: 'watched', watching: false });
    t2.close();
    await t2.closed;
    await sleep(100);
    assert.deepEqual(events(t1, 'watched').length, 2, 'no second `watched` from a terminal closing');
    t1.close();
  });

  test('a shadow of a learner with no terminal waits and is told how many open; the session ending closes it with `ended`', async () => {
    const a = await session(runner);
    const sh = await openShadow(runner, a.id);
    assert.deepEqual(await sh.waitEvent('shadow', 5000), { type: 'shadow', terminals: 0 });
    const t = await openTerminal(runner.url, a.id, a.token);
    await t.waitEvent('ready', 5000);
    t.send('echo later\r');
    await sh.waitFor('echo later', 5000);
    t.close();
    await t.closed;
    await until('three shadow events', () => events(sh, 'shadow').length === 3);
    assert.deepEqual(events(sh, 'shadow').map((e) => e.terminals), [0, 1, 0]);
    assert.equal((await api(runner.url, 'DELETE', `/api/sessions/${a.id}`, { token: a.token })).status, 204);
    assert.equal((await sh.closed).code, CLOSE.sessionEnded);
    assert.deepEqual(events(sh, 'ended'), [{ type: 'ended', reason: 'deleted' }]);
    assert.equal(runner.terminals.hub.connected(a.id), false);
  });

  test('closeAll (runner restarting) closes shadows with 1012 too', async () => {
    const a = await session(runner);
    const sh = await openShadow(runner, a.id);
    await sh.waitEvent('shadow', 5000);
    runner.terminals.closeAll();
    assert.equal((await sh.closed).code, CLOSE.restart);
  });
});

test('a terminal server without a shadow authorizer answers 503 to shadows', async () => {
  const runner = await start();
  const server = createServer((_q, res) => res.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const terminals = attachTerminalServer({ server, config: runner.config, sessions: runner.sessions, provider: runner.provider, log: silentLogger, port: () => port });
  try {
    const r = await rawUpgrade(`http://127.0.0.1:${port}`, shadowPath('whatever'));
    assert.equal(r.status, 503);
    assert.equal(r.body.error.code, 'shadow_unavailable');
  } finally {
    await terminals.close();
    await new Promise((r) => server.close(r));
    await runner.close();
  }
});

test('runner close() closes open shadows', async () => {
  const runner = await start({ authorizeShadow: authorize });
  const a = await session(runner);
  const sh = await openShadow(runner, a.id);
  await sh.waitEvent('shadow', 5000);
  await runner.close();
  assert.equal((await sh.closed).code, CLOSE.restart);
});

test('hub alone: a shadow over its bound is closed with 1013 and the learners are told they are no longer watched; others keep receiving', async () => {
  const { createTerminalHub } = await import('../../runner/src/terminal/hub.ts');
  const hub = createTerminalHub({ shadowMaxBufferedBytes: 100 });
  const learnerEvents: unknown[] = [];
  const leave = hub.addLearner('s', { event: (e) => learnerEvents.push(e) });
  const sink = (backlog: () => number) => {
    const got = { bytes: 0, events: [] as unknown[], closed: null as null | [number, string] };
    return { got, s: { output: (c: Buffer) => ((got.bytes += c.length), backlog()), event: (e: unknown) => got.events.push(e), close: (code: number, reason: string) => (got.closed = [code, reason]) } };
  };
  let slowBacklog = 0;
  const slow = sink(() => slowBacklog);
  const fast = sink(() => 0);
  hub.addShadow('s', slow.s);
  hub.addShadow('s', fast.s);
  assert.deepEqual(learnerEvents, [{ type: 'watched', watching: true }], 'told once, for the first shadow');
  hub.output('s', Buffer.alloc(50));
  slowBacklog = 101;
  hub.output('s', Buffer.alloc(50));
  assert.deepEqual(slow.got.closed, [CLOSE.shadowTooSlow, 'shadow too slow']);
  assert.equal(hub.shadowCount('s'), 1);
  hub.output('s', Buffer.alloc(50));
  assert.equal(slow.got.bytes, 100);
  assert.equal(fast.got.bytes, 150);
  hub.closeShadows(CLOSE.restart, 'service restart');
  assert.deepEqual(fast.got.closed, [CLOSE.restart, 'service restart']);
  assert.deepEqual(learnerEvents.at(-1), { type: 'watched', watching: false });
  assert.equal(learnerEvents.length, 2);
  leave();
  leave();
  assert.equal(hub.connected('s'), false);
  assert.equal(hub.broadcast(['s'], 'x', new Date()), 0);
});

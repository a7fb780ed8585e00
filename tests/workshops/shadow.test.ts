/**
 * Workshops, terminal side, on real sandboxes: broadcast, presence, shadows (what the learner
 * types and a terminal opened later, `watched`, input ignored, refusals before the upgrade),
 * and a shadow that does not read never stalls the learner. The shadow's authorizer is a test
 * one (the workshop store is not needed for the terminal side); tests/terminal/hub.test.ts
 * covers the same hub on the fake provider, with the edge cases.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import type { Runner } from '../../runner/src/app.ts';
import type { AuthorizeShadow } from '../../runner/src/terminal/shadow.ts';
import { CLOSE } from '../../protocol/terminal.ts';
import { api, openSocket, rawUpgrade, sleep, type Term } from '../runner/helpers.ts';
import { dockerObjects, newSession, readyTerminal, run, startRealRunner } from '../runner/real.ts';
import { until } from '../support/wait.ts';

const KEY = 'test-instructor-key';
const learners = new Set<string>();
const authorize: AuthorizeShadow = async (workshop, session, token) =>
  workshop !== 'room' ? 'not_found' : token !== KEY ? 'unauthorized' : learners.has(session) ? 'ok' : 'not_found';

const shadowPath = (session: string, token = KEY, workshop = 'room') => `/api/workshops/${workshop}/learners/${session}/terminal?token=${encodeURIComponent(token)}`;
const events = (t: Term, type: string) => t.events.filter((e) => e?.type === type);

describe('workshop terminals: broadcast, presence, shadow (real Docker)', () => {
  let runner: Runner;
  let a: { id: string; token: string };
  let b: { id: string; token: string };
  const presence: [string, boolean][] = [];
  const openShadow = (session: string) => openSocket(runner.url.replace(/^http/, 'ws') + shadowPath(session));

  before(async () => {
    runner = await startRealRunner({ maxSessionsPerClient: 10 }, { authorizeShadow: authorize, terminalTuning: { shadowMaxBufferedBytes: 256 * 1024 } });
    runner.terminals.hub.onPresence((id, c) => presence.push([id, c]));
    [a, b] = await Promise.all([newSession(runner), newSession(runner)]);
    learners.add(a.id).add(b.id);
  });
  after(async () => {
    await runner?.close();
    if (runner) assert.deepEqual(dockerObjects(`registry-lab.runner=${runner.config.runnerId}`), []);
  });

  test('broadcast reaches both open terminals of a session and not another session; presence follows the terminals', async () => {
    const [a1, a2, b1] = await Promise.all([readyTerminal(runner, a), readyTerminal(runner, a), readyTerminal(runner, b)]);
    assert.equal(runner.terminals.hub.connected(a.id), true);
    assert.equal(runner.terminals.hub.broadcast([a.id], 'Через 5 минут разбор', new Date()), 2);
    for (const t of [a1, a2]) assert.equal((await t.waitEvent('broadcast', 10_000)).message, 'Через 5 минут разбор');
    // What the learner types is not disturbed: the shell still runs the next command normally.
    assert.equal((await run(a1, 'echo typed-$((40+2))')).out.includes('typed-42'), true);
    await sleep(300);
    assert.deepEqual(events(b1, 'broadcast'), []);
    assert.doesNotMatch(a1.output(), /разбор/);
    for (const t of [a1, a2, b1]) t.close();
    await until('presence to drop', () => !runner.terminals.hub.connected(a.id) && !runner.terminals.hub.connected(b.id), { timeoutMs: 20_000, everyMs: 50 });
    assert.deepEqual(
      presence.filter(([id]) => id === a.id),
      [
        [a.id, true],
        [a.id, false],
      ],
    );
  });

  test('a shadow is refused before the upgrade: wrong key 401, unknown workshop 404, unknown learner 404', async () => {
    assert.equal((await rawUpgrade(runner.url, shadowPath(a.id, 'nope'))).status, 401);
    assert.equal((await rawUpgrade(runner.url, shadowPath(a.id, a.token))).status, 401);
    assert.equal((await rawUpgrade(runner.url, shadowPath(a.id, KEY, 'other-room'))).status, 404);
    assert.equal((await rawUpgrade(runner.url, shadowPath('no-such-session'))).status, 404);
  });

  test('the shadow sees what the learner types and a terminal opened later; its input is ignored; watched true then false', async () => {
    const t1 = await readyTerminal(runner, a);
    const sh = await openShadow(a.id);
    assert.deepEqual(await sh.waitEvent('shadow', 10_000), { type: 'shadow', terminals: 1 });
    assert.deepEqual(await t1.waitEvent('watched', 10_000), { type: 'watched', watching: true });
    await run(t1, 'echo learner-typed-$((6*7))');
    // The echo of the typed line and the command's output.
    await sh.waitFor('echo learner-typed-$((6*7))', 20_000);
    await sh.waitFor('learner-typed-42', 20_000);
    sh.send('touch /tmp/from-shadow\r');
    sh.control({ type: 'resize', cols: 20, rows: 5 });
    const t2 = await readyTerminal(runner, a);
    assert.deepEqual(await t2.waitEvent('watched', 10_000), { type: 'watched', watching: true });
    await run(t2, 'echo second-terminal-$((1+1))');
    await sh.waitFor('second-terminal-2', 20_000);
    assert.ok(events(sh, 'shadow').some((e) => e.terminals === 2));
    const r = await run(t2, 'test -e /tmp/from-shadow; echo exists=$?; stty size');
    assert.match(r.out, /exists=1/, 'the shadow typed nothing into a shell');
    assert.doesNotMatch(r.out, /\b5 20\b/, 'the shadow resized nothing');
    sh.close();
    await until('watched false', () => events(t1, 'watched').length === 2 && events(t2, 'watched').length === 2, { timeoutMs: 10_000, everyMs: 50 });
    assert.deepEqual(events(t1, 'watched').at(-1), { type: 'watched', watching: false });
    assert.deepEqual(events(t2, 'watched').at(-1), { type: 'watched', watching: false });
    t1.close();
    t2.close();
  });

  test('a shadow that does not read is dropped (1013) and the learner never stalls', async () => {
    const t = await readyTerminal(runner, b);
    const sh = await openShadow(b.id);
    await sh.waitEvent('shadow', 10_000);
    const sock = (sh.ws as unknown as { _socket: Socket })._socket;
    sock.pause();
    // About 8 MB of output: more than the loopback socket buffers plus the shadow's 256 KiB bound.
    const before = t.bytes();
    t.send('seq 1 1200000; echo flood-$((1+1))-done\r');
    // (Polling the tail: matching the whole 8 MB transcript on every frame would be quadratic.)
    await until('the flood to reach the learner', () => t.output().slice(-300).includes('1200000\r\nflood-2-done'), { timeoutMs: 300_000, everyMs: 50 });
    assert.ok(t.bytes() - before > 8_000_000, `the learner got everything (${t.bytes() - before} bytes)`);
    assert.equal(runner.terminals.hub.connected(b.id), true);
    sock.resume();
    const closed = await sh.closed;
    // The close frame sits behind the backlog; the runner drops the connection shortly after (1006 on this side).
    assert.ok([CLOSE.shadowTooSlow, 1006].includes(closed.code), `closed with ${closed.code}`);
    // The learner's terminal keeps working and is no longer watched.
    await until('watched false', () => events(t, 'watched').at(-1)?.watching === false, { timeoutMs: 10_000, everyMs: 50 });
    assert.equal((await run(t, 'echo still-here')).code, 0);
    t.close();
  });

  test('the session ending closes its shadow with `ended`', async () => {
    const sh = await openShadow(b.id);
    await sh.waitEvent('shadow', 10_000);
    assert.equal((await api(runner.url, 'DELETE', `/api/sessions/${b.id}`, { token: b.token })).status, 204);
    assert.equal((await sh.closed).code, CLOSE.sessionEnded);
    assert.deepEqual(events(sh, 'ended'), [{ type: 'ended', reason: 'deleted' }]);
  });
});

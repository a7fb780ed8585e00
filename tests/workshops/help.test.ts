/**
 * Help in the room through the real runner, HTTP and WebSockets, on the fake provider (an
 * echoing shell): raised hands (limits, queue order, positions pushed to the learner, reply,
 * helped, broadcast closing hands, the event stream), the consented take-over (input
 * refused before consent, serialised with the learner's, every way it ends, the workshop log)
 * and the recordings (asciicast v2, check markers, no token). The same on real sandboxes:
 * tests/workshops/help-takeover.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRunner, type Runner } from '../../runner/src/app.ts';
import { api, openSocket, openTerminal, sleep, uniqueRunnerId, type Term } from '../runner/helpers.ts';
import { createFakeProvider } from '../unit/fake-provider.ts';
import { castOutput, parseAsciicast } from './asciicast-check.ts';

const OPERATOR = 'operator-token-for-help-tests-0123456789';
const dataDir = mkdtempSync(join(tmpdir(), 'rl-help-'));

async function until(ok: () => boolean, what: string, timeoutMs = 5000) {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(15);
  }
}
const last = (t: Term, type: string) => t.events.filter((e) => e?.type === type).at(-1);
const takeoverStates = (t: Term) => t.events.filter((e) => e?.type === 'takeover').map((e) => e.state + (e.reason ? `:${e.reason}` : ''));

describe('help in the room (fake provider)', () => {
  let runner: Runner;
  let w: { id: string; code: string; instructorKey: string };
  const learners: { id: string; token: string }[] = [];
  const sse: string[] = [];
  let sseAbort: AbortController;

  before(async () => {
    runner = await createRunner(
      { port: 0, runnerId: uniqueRunnerId('help'), warmPoolSize: 0, logLevel: 'silent', siteDir: '/nonexistent-site', dataDir, instructorToken: OPERATOR, helpHandsPerHour: 3, recordingMaxBytes: 64 * 1024, helpContact: 'help@example.org', maxSessionsPerClient: 10 },
      { provider: createFakeProvider(), terminalTuning: { takeover: { askTimeoutMs: 400, maxMs: 1500 } } },
    );
    const c = await api(runner.url, 'POST', '/api/workshops', { token: OPERATOR, body: { title: 'Help room', seats: 5 } });
    assert.equal(c.status, 201, c.text);
    w = c.json;
    for (const name of ['Аня', 'Борис', 'Вера']) {
      const j = await api(runner.url, 'POST', '/api/sessions', { body: { workshop: w.code, name } });
      assert.equal(j.status, 201, j.text);
      learners.push(j.json);
    }
    sseAbort = new AbortController();
    const res = await fetch(`${runner.url}/api/workshops/${w.id}/events?token=${encodeURIComponent(w.instructorKey)}`, { signal: sseAbort.signal });
    void (async () => {
      const dec = new TextDecoder();
      try {
        for await (const chunk of res.body as any) sse.push(dec.decode(chunk));
      } catch {
        /* aborted */
      }
    })();
  });
  after(async () => {
    sseAbort?.abort();
    await runner?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const key = () => w.instructorKey;
  const shadowUrl = (session: string, token = key()) => `${runner.url.replace(/^http/, 'ws')}/api/workshops/${w.id}/learners/${session}/terminal?token=${encodeURIComponent(token)}`;

  test('raise a hand: one at a time, N per hour, plain bounded text; the queue by waiting time; positions, reply, helped, broadcast', async () => {
    const [a, b, c] = learners as [typeof learners[0], typeof learners[0], typeof learners[0]];
    const ta = await openTerminal(runner.url, a.id, a.token);
    await ta.waitEvent('ready', 10_000);
    // Bad input: control characters, too long, unknown fields; no token.
    assert.equal((await api(runner.url, 'POST', `/api/sessions/${a.id}/help`, { token: a.token, body: { message: 'x\u001b[2J' } })).status, 400);
    assert.equal((await api(runner.url, 'POST', `/api/sessions/${a.id}/help`, { token: a.token, body: { message: 'x'.repeat(281) } })).status, 400);
    assert.equal((await api(runner.url, 'POST', `/api/sessions/${a.id}/help`, { body: { message: 'hi' } })).status, 401);
    assert.equal((await api(runner.url, 'POST', `/api/sessions/${a.id}/help`, { token: b.token, body: { message: 'hi' } })).status, 401);

    const up = await api(runner.url, 'POST', `/api/sessions/${a.id}/help`, { token: a.token, body: { message: 'push: <b>denied</b>\nпомогите', lab: 'tagging' } });
    assert.equal(up.status, 201, up.text);
    assert.deepEqual(up.json, { type: 'help', state: 'up', position: 1 });
    await until(() => last(ta, 'help')?.position === 1, 'the position on the terminal');
    const again = await api(runner.url, 'POST', `/api/sessions/${a.id}/help`, { token: a.token, body: {} });
    assert.equal(again.status, 409);
    assert.equal(again.json.error.code, 'hand_already_raised');
    await sleep(5);
    assert.equal((await api(runner.url, 'POST', `/api/sessions/${b.id}/help`, { token: b.token, body: { message: 'тоже' } })).json.position, 2);
    await sleep(5);
    assert.equal((await api(runner.url, 'POST', `/api/sessions/${c.id}/help`, { token: c.token, body: null })).status, 400, 'the body must be an object');
    assert.equal((await api(runner.url, 'POST', `/api/sessions/${c.id}/help`, { token: c.token, body: {} })).json.position, 3);

    const q = await api(runner.url, 'GET', `/api/workshops/${w.id}/help`, { token: key() });
    assert.equal(q.status, 200);
    assert.deepEqual(q.json.map((r: any) => r.name), ['Аня', 'Борис', 'Вера']);
    assert.equal(q.json[0].message, 'push: <b>denied</b>\nпомогите', 'kept as text; the page shows it as text');
    assert.equal(q.json[0].lab, 'tagging');
    assert.ok(q.json[0].waitingMs >= q.json[1].waitingMs);
    assert.equal((await api(runner.url, 'GET', `/api/workshops/${w.id}/help`, { token: a.token })).status, 401, 'a learner cannot read the queue');
    await until(() => sse.join('').includes('event: help'), 'a help event on the stream');

    // The first lowers her hand: the others move up, and are told.
    assert.equal((await api(runner.url, 'DELETE', `/api/sessions/${a.id}/help`, { token: a.token })).json.state, 'down');
    await until(() => last(ta, 'help')?.state === 'down' && last(ta, 'help')?.closedBy === 'learner', 'down on the terminal');
    assert.equal((await api(runner.url, 'GET', `/api/sessions/${b.id}/help`, { token: b.token })).json.position, 1);
    // Reply to one learner only; helped closes the hand.
    const reply = await api(runner.url, 'POST', `/api/workshops/${w.id}/learners/${b.id}/help/reply`, { token: key(), body: { message: 'Проверь тег' } });
    assert.equal(reply.status, 200, reply.text);
    assert.equal((await api(runner.url, 'GET', `/api/sessions/${b.id}/help`, { token: b.token })).json.reply.message, 'Проверь тег');
    assert.equal((await api(runner.url, 'GET', `/api/sessions/${c.id}/help`, { token: c.token })).json.reply, undefined);
    assert.equal((await api(runner.url, 'POST', `/api/workshops/${w.id}/learners/${b.id}/help/helped`, { token: key() })).status, 200);
    assert.equal((await api(runner.url, 'POST', `/api/workshops/${w.id}/learners/${b.id}/help/helped`, { token: key() })).status, 404);
    // A broadcast may close every hand.
    const bc = await api(runner.url, 'POST', `/api/workshops/${w.id}/broadcast`, { token: key(), body: { message: 'Все вместе', closeHands: true } });
    assert.equal(bc.json.handsClosed, 1);
    assert.deepEqual((await api(runner.url, 'GET', `/api/workshops/${w.id}/help`, { token: key() })).json, []);
    // N per hour: a raised twice more (3 in all), then 429.
    for (let i = 0; i < 2; i++) {
      assert.equal((await api(runner.url, 'POST', `/api/sessions/${a.id}/help`, { token: a.token, body: {} })).status, 201);
      await api(runner.url, 'DELETE', `/api/sessions/${a.id}/help`, { token: a.token });
    }
    const limited = await api(runner.url, 'POST', `/api/sessions/${a.id}/help`, { token: a.token, body: {} });
    assert.equal(limited.status, 429);
    assert.equal(limited.json.error.code, 'too_many_hands');
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    // Results gain the requests.
    const res = await api(runner.url, 'GET', `/api/workshops/${w.id}/results.json`, { token: key() });
    assert.equal(res.json.help.length, 5);
    assert.equal(res.json.help.find((h: any) => h.session === b.id).closedBy, 'instructor');
    const csv = (await api(runner.url, 'GET', `/api/workshops/${w.id}/results.csv`, { token: key() })).text;
    assert.match(csv, new RegExp(`Борис,${b.id},help,,true,\\d{4}-`));
    ta.close();
  });

  test('take-over: input refused until the learner allows; then serialised with the learner\'s; ends by the learner, the instructor, timeout, socket close, and is logged', async () => {
    const [a, b] = learners as [typeof learners[0], typeof learners[0]];
    const ta = await openTerminal(runner.url, a.id, a.token);
    await ta.waitEvent('ready', 10_000);
    const sh = await openSocket(shadowUrl(a.id));
    await sh.waitEvent('shadow');
    // Before any ask, and while asked: the shadow's input is dropped.
    sh.send('echo BEFORE-ASK\r');
    sh.control({ type: 'takeover', action: 'ask' });
    await until(() => last(ta, 'takeover')?.state === 'asked', 'the prompt on the learner terminal');
    sh.send('echo WHILE-ASKED\r');
    // A second instructor view cannot ask at the same time.
    const sh2 = await openSocket(shadowUrl(a.id, OPERATOR));
    sh2.control({ type: 'takeover', action: 'ask' });
    await until(() => last(sh2, 'takeover')?.state === 'ended', 'busy answer');
    // Another learner cannot answer for her: consent is per session.
    const tb = await openTerminal(runner.url, b.id, b.token);
    tb.control({ type: 'takeover', action: 'allow' });
    await sleep(100);
    assert.equal(runner.terminals.hub.takeoverState(a.id), 'asked');
    ta.control({ type: 'takeover', action: 'allow' });
    await until(() => last(sh, 'takeover')?.state === 'active', 'active on the shadow');
    assert.equal(last(ta, 'takeover').state, 'active');
    // Serialised: interleaved frames from both arrive whole and in order.
    const from = ta.output().length;
    for (let i = 0; i < 20; i++) {
      sh.send(`I${i}-instructor;`);
      ta.send(`L${i}-learner;`);
    }
    sh.send('\r');
    const echoed = await ta.waitFor('L19-learner;', 5000, from);
    const frames = echoed.match(/[IL]\d+-(instructor|learner);/g)!;
    assert.equal(frames.length, 40);
    assert.deepEqual(frames.filter((f) => f.startsWith('I')), Array.from({ length: 20 }, (_, i) => `I${i}-instructor;`));
    assert.ok(!ta.output().includes('BEFORE-ASK') && !ta.output().includes('WHILE-ASKED'), 'input before consent never reached the shell');
    // Both see the same screen.
    await sh.waitFor('I19-instructor;', 5000);
    // Even typed by the instructor, the key never lands in the learner's recording.
    sh.send(`echo typed ${key()} done\r`);
    await ta.waitFor('done', 5000, from);
    // The learner takes control back at once; the shadow's input is dropped again.
    ta.control({ type: 'takeover', action: 'end' });
    await until(() => last(sh, 'takeover')?.state === 'ended', 'ended on the shadow');
    assert.equal(last(sh, 'takeover').reason, 'learner');
    sh.send('echo AFTER-END\r');
    await sleep(150);
    assert.ok(!ta.output().includes('AFTER-END'));

    // The instructor ends it.
    sh.control({ type: 'takeover', action: 'ask' });
    await until(() => takeoverStates(ta).filter((s) => s === 'asked').length === 2, 'second ask');
    ta.control({ type: 'takeover', action: 'allow' });
    await until(() => takeoverStates(sh).filter((s) => s === 'active').length === 2, 'second active');
    sh.control({ type: 'takeover', action: 'end' });
    await until(() => last(ta, 'takeover')?.reason === 'instructor', 'ended by the instructor');
    // The learner declines.
    sh.control({ type: 'takeover', action: 'ask' });
    await until(() => takeoverStates(ta).filter((s) => s === 'asked').length === 3, 'third ask');
    ta.control({ type: 'takeover', action: 'deny' });
    await until(() => last(sh, 'takeover')?.reason === 'declined', 'declined');
    // Unanswered: the ask times out (400 ms here).
    sh.control({ type: 'takeover', action: 'ask' });
    await until(() => last(sh, 'takeover')?.reason === 'timeout', 'ask timeout', 3000);
    // Active too long: timeout (1.5 s here).
    sh.control({ type: 'takeover', action: 'ask' });
    await until(() => takeoverStates(ta).filter((s) => s === 'asked').length === 5, 'fifth ask');
    ta.control({ type: 'takeover', action: 'allow' });
    await until(() => last(sh, 'takeover')?.state === 'active', 'active again');
    await until(() => last(ta, 'takeover')?.reason === 'timeout', 'active timeout', 4000);
    // The instructor's socket closes.
    sh.control({ type: 'takeover', action: 'ask' });
    await until(() => takeoverStates(ta).filter((s) => s === 'asked').length === 6, 'sixth ask');
    ta.control({ type: 'takeover', action: 'allow' });
    await until(() => last(ta, 'takeover')?.state === 'active', 'active before the close');
    sh.close();
    await until(() => last(ta, 'takeover')?.reason === 'closed', 'ended by the socket close');
    // The learner's page goes away.
    const sh3 = await openSocket(shadowUrl(a.id));
    sh3.control({ type: 'takeover', action: 'ask' });
    await until(() => takeoverStates(ta).filter((s) => s === 'asked').length === 7, 'seventh ask');
    ta.control({ type: 'takeover', action: 'allow' });
    await until(() => last(sh3, 'takeover')?.state === 'active', 'active before the page closes');
    ta.close();
    await until(() => last(sh3, 'takeover')?.reason === 'session', 'ended with the learner terminal');

    const log = (await api(runner.url, 'GET', `/api/workshops/${w.id}/log`, { token: key() })).json as any[];
    const mine = log.filter((e) => e.session === a.id);
    assert.deepEqual(
      mine.map((e) => e.reason),
      ['learner', 'instructor', 'declined', 'timeout', 'timeout', 'closed', 'session'],
    );
    for (const e of mine) {
      assert.equal(e.type, 'takeover');
      assert.equal(e.by, 'instructor');
      assert.equal(e.name, 'Аня');
      assert.ok(e.askedAt && e.endedAt);
      if (e.startedAt) assert.ok(e.durationMs >= 0);
      else assert.equal(e.durationMs, 0);
    }
    assert.ok(sse.join('').includes('event: takeover'));
    await sleep(400);
    for (const r of (await api(runner.url, 'GET', `/api/workshops/${w.id}/learners/${a.id}/recordings`, { token: key() })).json as any[]) {
      const text = (await api(runner.url, 'GET', `/api/workshops/${w.id}/learners/${a.id}/recordings/${r.id}`, { token: key() })).text;
      assert.ok(!text.includes(key()) && !text.includes(a.token), 'no key or token in the recording');
    }
    for (const t of [sh2, sh3, tb]) t.close();
  });

  test('recordings: asciicast v2 with monotonic timestamps, check markers, resize, no token; bounded per session; replay route', async () => {
    const a = learners[2]!;
    const ta = await openTerminal(runner.url, a.id, a.token, { extra: '&cols=100&rows=30' });
    await ta.waitEvent('ready', 10_000);
    ta.send(`echo token ${a.token} and-more\r`);
    await ta.waitFor('and-more');
    ta.control({ type: 'resize', cols: 90, rows: 25 });
    const check = await api(runner.url, 'POST', `/api/sessions/${a.id}/labs/tagging/check`, { token: a.token });
    assert.ok([200, 409, 404].includes(check.status), check.text);
    runner.workshops.room.recordings.mark(a.id, 'check tagging: failed');
    ta.send('echo after-check\r');
    await ta.waitFor('after-check');
    ta.close();
    await ta.closed;
    await sleep(100);
    const list = (await api(runner.url, 'GET', `/api/workshops/${w.id}/learners/${a.id}/recordings`, { token: key() })).json as any[];
    assert.ok(list.length >= 1);
    const latest = list.at(-1);
    const got = await api(runner.url, 'GET', `/api/workshops/${w.id}/learners/${a.id}/recordings/${latest.id}`, { token: key() });
    assert.equal(got.status, 200);
    assert.match(got.headers.get('content-type') ?? '', /asciicast/);
    const cast = parseAsciicast(got.text);
    assert.equal(cast.header.version, 2);
    assert.equal(cast.header.width, 100);
    assert.equal(cast.header.height, 30);
    assert.match(castOutput(cast), /after-check/);
    assert.ok(cast.events.some(([, c, d]) => c === 'r' && d === '90x25'));
    assert.ok(cast.events.some(([, c, d]) => c === 'm' && d === 'check tagging: failed'));
    assert.ok(!got.text.includes(a.token), 'the session token is never in a recording');
    assert.ok(!got.text.includes(w.instructorKey));
    assert.ok(cast.events.map((e) => e[2]).join('').includes('[redacted]'));
    assert.equal(cast.events.filter(([, c]) => c === 'i').length, 0, 'no input unless RECORDING_INPUT');
    // Another learner's recording through this learner's path: 404; a made-up id: 404.
    assert.equal((await api(runner.url, 'GET', `/api/workshops/${w.id}/learners/${learners[0]!.id}/recordings/${latest.id}`, { token: key() })).status, 404);
    assert.equal((await api(runner.url, 'GET', `/api/workshops/${w.id}/learners/${a.id}/recordings/..%2F..%2Fhelp`, { token: key() })).status, 404);
    assert.equal((await api(runner.url, 'GET', `/api/workshops/${w.id}/learners/${a.id}/recordings/${latest.id}`, { token: a.token })).status, 401);

    // The bound: a flood stops at RECORDING_MAX_BYTES (64 KiB here) for the session, with a last marker.
    const tf = await openTerminal(runner.url, a.id, a.token);
    await tf.waitEvent('ready', 10_000);
    tf.send('yes\r');
    await until(() => tf.bytes() > 300 * 1024, 'a flood of output', 10_000);
    tf.send('\u0003');
    tf.close();
    await tf.closed;
    await sleep(100);
    const all = (await api(runner.url, 'GET', `/api/workshops/${w.id}/learners/${a.id}/recordings`, { token: key() })).json as any[];
    const total = all.reduce((n, r) => n + r.bytes, 0);
    assert.ok(total <= 64 * 1024 + 200, `recordings of one session within the bound (${total})`);
    const flood = parseAsciicast((await api(runner.url, 'GET', `/api/workshops/${w.id}/learners/${a.id}/recordings/${all.at(-1).id}`, { token: key() })).text);
    assert.equal(flood.events.at(-1)![1], 'm');
    assert.match(flood.events.at(-1)![2], /truncated/);
    const dir = join(dataDir, 'workshops', runner.config.runnerId, w.id, 'recordings');
    assert.ok(readFileSync(join(dir, `${all[0].id}.cast`), 'utf8').startsWith('{"version":2'));
  });

  test('self-study: the operator\'s help contact for learners outside workshops; their hand is refused', async () => {
    assert.deepEqual((await api(runner.url, 'GET', '/api/help/contact')).json, { contact: 'help@example.org' });
    const solo = await api(runner.url, 'POST', '/api/sessions', { body: {} });
    assert.equal(solo.status, 201, solo.text);
    const r = await api(runner.url, 'POST', `/api/sessions/${solo.json.id}/help`, { token: solo.json.token, body: {} });
    assert.equal(r.status, 409);
    assert.equal(r.json.error.code, 'not_in_workshop');
    await api(runner.url, 'DELETE', `/api/sessions/${solo.json.id}`, { token: solo.json.token });
  });

  test('npm run workshop -- export <id>: results, log and every recording as files', async () => {
    const out = join(dataDir, 'export');
    const root = new URL('../..', import.meta.url).pathname;
    const env = { ...process.env, RUNNER_URL: runner.url, INSTRUCTOR_TOKEN: OPERATOR, DATA_DIR: dataDir, RUNNER_ID: runner.config.runnerId };
    const { stdout } = await promisify(execFile)(process.execPath, [join(root, 'scripts/workshop.ts'), 'export', w.id, '--out', out], { env, cwd: root });
    assert.match(stdout, /exported/);
    assert.ok(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).help.length >= 1);
    assert.match(readFileSync(join(out, 'results.csv'), 'utf8'), /,help,/);
    assert.ok(JSON.parse(readFileSync(join(out, 'log.json'), 'utf8')).length >= 1);
    const casts = readdirSync(join(out, 'recordings'));
    assert.ok(casts.length >= 2 && casts.every((f) => f.endsWith('.cast')));
    for (const f of casts) parseAsciicast(readFileSync(join(out, 'recordings', f), 'utf8'));
    assert.ok(existsSync(join(out, 'recordings')));
  });
});

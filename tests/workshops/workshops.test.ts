/**
 * Workshops through the runner API on a real Docker engine (issue 10): create, list, get,
 * secrets, join, seats (race-free, not the per-client limit), wrong and ended codes, a learner
 * passes a lab (progress, event stream, CSV), instructor reset, broadcast to an open terminal,
 * extend, a runner restart in the middle, end (sandboxes gone, results kept).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRunner, type Runner } from '../../runner/src/app.ts';
import type { Config } from '../../runner/src/config.ts';
import { api, openTerminal, sleep, uniqueRunnerId, type Term } from '../runner/helpers.ts';
import { dockerObjects, run } from '../runner/real.ts';
import { until } from '../support/wait.ts';
import { csvCell } from '../../runner/src/workshops/results.ts';

const OPERATOR = 'operator-token-for-the-workshop-tests';
const XFF = (a: string) => ({ 'x-forwarded-for': a });

/** Reads an SSE stream; `events` fills as frames arrive. */
function eventStream(url: string) {
  const controller = new AbortController();
  const events: { event: string; data: any }[] = [];
  let raw = '';
  const done = (async () => {
    const res = await fetch(url, { signal: controller.signal });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = res.body!.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      raw += Buffer.from(value).toString('utf8');
      let i: number;
      while ((i = raw.indexOf('\n\n')) >= 0) {
        const frame = raw.slice(0, i);
        raw = raw.slice(i + 2);
        const ev = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (ev && data) events.push({ event: ev, data: JSON.parse(data) });
      }
    }
  })().catch(() => undefined);
  return { events, done, close: () => controller.abort() };
}

describe('workshops (real runner, real sandboxes)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rl-workshops-'));
  const runnerId = uniqueRunnerId('ws');
  const settings: Partial<Config> = {
    port: 0,
    runnerId,
    dataDir,
    warmPoolSize: 0,
    logLevel: 'error',
    siteDir: '/nonexistent-site',
    instructorToken: OPERATOR,
    maxSessionsPerClient: 3,
    trustedProxies: ['127.0.0.1'],
  };
  let runner: Runner;
  let w1: any;
  let w2: any;
  const learners: { id: string; token: string }[] = [];
  let term: Term | undefined;

  before(async () => {
    runner = await createRunner(settings);
  });
  after(async () => {
    term?.close();
    await runner?.close();
    rmSync(dataDir, { recursive: true, force: true });
    assert.deepEqual(dockerObjects(`registry-lab.runner=${runnerId}`), []);
  });

  test('create, list and get need the operator token; an instructor key opens its own workshop only', async () => {
    assert.equal((await api(runner.url, 'GET', '/api/workshops')).status, 401);
    assert.equal((await api(runner.url, 'GET', '/api/workshops', { token: 'nope-nope-nope-nope' })).json.error.code, 'wrong_token');
    const c = await api(runner.url, 'POST', '/api/workshops', { token: OPERATOR, body: { title: 'Group 7, Monday', seats: 2, labs: ['tagging'] } });
    assert.equal(c.status, 201, c.text);
    w1 = c.json;
    assert.match(w1.code, /^[A-HJKMNP-Z2-9]{3}-[A-HJKMNP-Z2-9]{3}$/);
    assert.deepEqual(w1.labs, ['tagging']);
    assert.equal(w1.seats, 2);
    assert.ok(w1.instructorKey.length >= 22);
    assert.match(w1.joinUrl, /\/join\/\?code=/);
    assert.match(w1.dashboardUrl, /\/instructor\/workshop\/\?id=/);
    assert.ok(!w1.dashboardUrl.includes(w1.instructorKey), 'the key stays out of the dashboard link');
    w2 = (await api(runner.url, 'POST', '/api/workshops', { token: OPERATOR, body: { title: 'Other room' } })).json;
    assert.ok(w2.labs.length > 1, 'default: every lab');

    const list = await api(runner.url, 'GET', '/api/workshops', { token: OPERATOR });
    assert.equal(list.status, 200);
    assert.deepEqual(list.json.map((w: any) => w.id).sort(), [w1.id, w2.id].sort());
    assert.equal(list.json[0].state, 'open');

    const g = await api(runner.url, 'GET', `/api/workshops/${w1.id}`, { token: w1.instructorKey });
    assert.equal(g.status, 200, g.text);
    assert.equal(g.json.code, w1.code);
    assert.equal(g.json.reserve, 0);
    assert.equal(typeof g.json.ready, 'number');
    const other = await api(runner.url, 'GET', `/api/workshops/${w2.id}`, { token: w1.instructorKey });
    assert.equal(other.status, 403);
    assert.equal(other.json.error.code, 'wrong_workshop');
    assert.equal((await api(runner.url, 'GET', '/api/workshops', { token: w1.instructorKey })).status, 403);
    assert.equal((await api(runner.url, 'GET', '/api/workshops/no-such-workshop-id-000', { token: OPERATOR })).json.error.code, 'unknown_workshop');
    assert.equal((await api(runner.url, 'GET', '/api/workshops/no-such-workshop-id-000', { token: w1.instructorKey })).status, 403);
    const bad = await api(runner.url, 'POST', '/api/workshops', { token: OPERATOR, body: { title: '', seats: 0 } });
    assert.equal(bad.status, 400);
    assert.match(bad.json.error.message, /body\.title|body\.seats/);
  });

  test('learners join by code (case and separators forgiven); seats are the limit; names are checked', async () => {
    const code = w1.code.toLowerCase().replace('-', ' ');
    const a = await api(runner.url, 'POST', '/api/sessions', { body: { workshop: code, name: 'Аня' } });
    assert.equal(a.status, 201, a.text);
    assert.deepEqual(a.json.workshop, { id: w1.id, title: 'Group 7, Monday', code: w1.code });
    const bad = await api(runner.url, 'POST', '/api/sessions', { body: { workshop: w1.code, name: 'bad\u0007name' } });
    assert.equal(bad.status, 400);
    assert.match(bad.json.error.message, /body\.name/);
    const b = await api(runner.url, 'POST', '/api/sessions', { body: { workshop: w1.code.replace('-', ''), name: '=HYPERLINK("http://x")' } });
    assert.equal(b.status, 201, b.text);
    learners.push(a.json, b.json);
    const full = await api(runner.url, 'POST', '/api/sessions', { body: { workshop: w1.code, name: 'Third' } });
    assert.equal(full.status, 409);
    assert.equal(full.json.error.code, 'workshop_full');

    const s = await api(runner.url, 'GET', `/api/sessions/${a.json.id}`, { token: a.json.token });
    assert.equal(s.json.name, 'Аня');
    assert.equal(s.json.workshop.id, w1.id);
    const p = await api(runner.url, 'GET', `/api/workshops/${w1.id}/progress`, { token: w1.instructorKey });
    assert.equal(p.status, 200);
    assert.deepEqual(p.json.learners.map((l: any) => l.name), ['Аня', '=HYPERLINK("http://x")']);
    assert.equal(p.json.learners[0].connected, false);
    assert.equal(p.json.learners[0].lastCheck, null);
    // A learner's token opens nothing of the workshop's.
    assert.equal((await api(runner.url, 'GET', `/api/workshops/${w1.id}/progress`, { token: a.json.token })).status, 401);
    assert.equal((await api(runner.url, 'GET', `/api/workshops/${w1.id}/events?token=${a.json.token}`)).status, 401);
  });

  test('wrong codes: 404 unknown_workshop, then 429 after repeats from one client', async () => {
    const from = XFF('203.0.113.7');
    const first = await api(runner.url, 'POST', '/api/sessions', { body: { workshop: 'ZZZ-ZZZ', name: 'x' }, headers: from });
    assert.equal(first.status, 404);
    assert.equal(first.json.error.code, 'unknown_workshop');
    let last = first;
    for (let i = 0; i < 10; i++) last = await api(runner.url, 'POST', '/api/sessions', { body: { workshop: 'ZZZ-ZZZ', name: 'x' }, headers: from });
    assert.equal(last.status, 429);
    assert.equal(last.json.error.code, 'too_many_attempts');
    assert.ok(Number(last.headers.get('retry-after')) > 0);
    // Even the right code, from that client; other clients are not affected.
    assert.equal((await api(runner.url, 'POST', '/api/sessions', { body: { workshop: w2.code, name: 'x' }, headers: from })).status, 429);
    assert.equal((await api(runner.url, 'POST', '/api/sessions', { body: { workshop: 'ZZZ-ZZZ', name: 'x' }, headers: XFF('203.0.113.8') })).status, 404);
  });

  test('a learner passes a lab: instructor reset, progress, event stream, CSV, last check; broadcast reaches the terminal', async () => {
    const [a] = learners as [{ id: string; token: string }];
    const stream = eventStream(`${runner.url}/api/workshops/${w1.id}/events?token=${encodeURIComponent(w1.instructorKey)}`);
    try {
      term = await openTerminal(runner.url, a.id, a.token);
      await term.waitEvent('ready', 180_000);
      await run(term, 'true', 60_000);
      await until('connected in the stream', () => stream.events.find((e) => e.event === 'learner' && e.data.session === a.id && e.data.connected), { timeoutMs: 60_000, everyMs: 200 });
      const reset = await api(runner.url, 'POST', `/api/workshops/${w1.id}/learners/${a.id}/labs/tagging/start`, { token: w1.instructorKey });
      assert.equal(reset.status, 200, reset.text);
      assert.deepEqual(reset.json, { lab: 'tagging', ready: true });
      const failing = await api(runner.url, 'POST', `/api/sessions/${a.id}/labs/tagging/check`, { token: a.token });
      assert.equal(failing.json.passed, false);
      let p = await api(runner.url, 'GET', `/api/workshops/${w1.id}/progress`, { token: w1.instructorKey });
      const stuck = p.json.learners[0].labs.tagging.failingSince;
      assert.ok(stuck?.criterion && stuck.since, JSON.stringify(p.json.learners[0]));

      const solve = readFileSync(new URL('../../labs/tagging/solve.sh', import.meta.url), 'utf8');
      const r = await run(term, `bash <<'EOF_SOLVE'\n${solve}\nEOF_SOLVE`);
      assert.equal(r.code, 0, r.out);
      const ok = await api(runner.url, 'POST', `/api/sessions/${a.id}/labs/tagging/check`, { token: a.token });
      assert.equal(ok.json.passed, true, ok.text);

      const row = await until('the passing row in the stream', () =>
        stream.events.find((e) => e.event === 'learner' && e.data.session === a.id && e.data.labs?.tagging?.passed),
        { timeoutMs: 60_000, everyMs: 200 },
      );
      assert.equal(row.data.lastCheck.passed, true);
      assert.equal(row.data.lastCheck.lab, 'tagging');
      assert.ok(row.data.lastCheck.criteria.every((c: any) => typeof c.message === 'string' && c.title));
      assert.equal(row.data.labs.tagging.failingSince, undefined);
      assert.ok(stream.events.every((e) => e.event !== 'learner' || [a.id, learners[1]!.id].includes(e.data.session)));

      p = await api(runner.url, 'GET', `/api/workshops/${w1.id}/progress`, { token: w1.instructorKey });
      assert.equal(p.json.learners[0].labs.tagging.passed, true);
      const checks = await api(runner.url, 'GET', `/api/workshops/${w1.id}/learners/${a.id}/checks?lab=tagging`, { token: w1.instructorKey });
      assert.equal(checks.status, 200);
      assert.equal(checks.json[0].passed, true);

      const csv = await api(runner.url, 'GET', `/api/workshops/${w1.id}/results.csv`, { token: w1.instructorKey });
      assert.equal(csv.status, 200);
      assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
      const lines = csv.text.trim().split('\r\n');
      assert.equal(lines[0], 'learner,session,lab,criterion,passed,first_passed_at,last_checked_at');
      // A session id may start with '-', which the CSV neutralises like any formula-looking cell.
      const session = csvCell(a.id);
      assert.ok(lines.some((l) => l.startsWith(`Аня,${session},tagging,`) && l.includes(',true,')), csv.text);
      assert.ok(lines.some((l) => l.startsWith(`"'=HYPERLINK(""http://x"")",`)), 'formula neutralised and quoted');
      assert.ok(lines.some((l) => l.startsWith(`Аня,${session},quiz,0,0`)));
      const json = await api(runner.url, 'GET', `/api/workshops/${w1.id}/results.json`, { token: w1.instructorKey });
      assert.deepEqual(json.json.labs.map((l: any) => l.id), ['tagging']);
      assert.equal(json.json.learners.length, 2);

      const b = await api(runner.url, 'POST', `/api/workshops/${w1.id}/broadcast`, { token: w1.instructorKey, body: { message: 'Перерыв 5 минут' } });
      assert.equal(b.status, 200, b.text);
      assert.ok(b.json.terminals >= 1);
      const ev = await term.waitEvent('broadcast', 10_000);
      assert.equal(ev.message, 'Перерыв 5 минут');
      const s = await api(runner.url, 'GET', `/api/sessions/${a.id}`, { token: a.token });
      assert.equal(s.json.workshop.broadcast.message, 'Перерыв 5 минут');

      const before = (await api(runner.url, 'GET', `/api/sessions/${a.id}`, { token: a.token })).json.expiresAt;
      await sleep(1100);
      const e = await api(runner.url, 'POST', `/api/workshops/${w1.id}/extend`, { token: w1.instructorKey });
      assert.equal(e.status, 200);
      assert.equal(e.json.extended, 2);
      const afterExt = (await api(runner.url, 'GET', `/api/sessions/${a.id}`, { token: a.token })).json.expiresAt;
      assert.ok(Date.parse(afterExt) > Date.parse(before));
    } finally {
      stream.close();
    }
  });

  test('a runner restart keeps workshops, keys, learners and their rows', async () => {
    term?.close();
    term = undefined;
    const stream = eventStream(`${runner.url}/api/workshops/${w1.id}/events?token=${encodeURIComponent(w1.instructorKey)}`);
    await until('stream open', () => stream.events.length >= 0 && sleep(300).then(() => true), { timeoutMs: 60_000, everyMs: 200 });
    await runner.stop();
    await Promise.race([stream.done, sleep(10_000).then(() => assert.fail('the event stream was not closed by stop()'))]);
    runner = await createRunner(settings);
    const p = await api(runner.url, 'GET', `/api/workshops/${w1.id}/progress`, { token: w1.instructorKey });
    assert.equal(p.status, 200, p.text);
    assert.equal(p.json.workshop.state, 'open');
    assert.deepEqual(p.json.learners.map((l: any) => l.session), learners.map((l) => l.id));
    assert.equal(p.json.learners[0].labs.tagging.passed, true);
    assert.equal(p.json.learners[0].lastCheck.passed, true);
    assert.equal(p.json.learners[0].state, 'ready');
    const s = await api(runner.url, 'GET', `/api/sessions/${learners[0]!.id}`, { token: learners[0]!.token });
    assert.equal(s.json.workshop.id, w1.id);
    assert.equal((await api(runner.url, 'POST', '/api/sessions', { body: { workshop: w1.code, name: 'Late' } })).json.error.code, 'workshop_full');
  });

  test('seats, not the per-client limit, bound joins from one address; two joins for the last seat: one wins', async () => {
    const c = await api(runner.url, 'POST', '/api/workshops', { token: OPERATOR, body: { title: 'One NAT', seats: 4, labs: ['tagging'] } });
    const w3 = c.json;
    const joins = await Promise.all(
      Array.from({ length: 5 }, (_, i) => api(runner.url, 'POST', '/api/sessions', { body: { workshop: w3.code, name: `L${i}` } })),
    );
    const statuses = joins.map((j) => j.status).sort();
    assert.deepEqual(statuses, [201, 201, 201, 201, 409], joins.map((j) => j.text).join('\n'));
    const ids = joins.filter((j) => j.status === 201).map((j) => j.json.id as string);
    const d = await api(runner.url, 'DELETE', `/api/workshops/${w3.id}`, { token: w3.instructorKey });
    assert.equal(d.status, 204);
    for (const id of ids) assert.deepEqual(dockerObjects(`registry-lab.session=${id}`), []);
  });

  test('end: sandboxes gone, code dead, results still readable', async () => {
    const d = await api(runner.url, 'DELETE', `/api/workshops/${w1.id}`, { token: w1.instructorKey });
    assert.equal(d.status, 204, d.text);
    for (const l of learners) assert.deepEqual(dockerObjects(`registry-lab.session=${l.id}`), []);
    const g = await api(runner.url, 'GET', `/api/workshops/${w1.id}`, { token: OPERATOR });
    assert.equal(g.json.state, 'ended');
    const j = await api(runner.url, 'POST', '/api/sessions', { body: { workshop: w1.code, name: 'Late' } });
    assert.equal(j.status, 404);
    assert.equal(j.json.error.code, 'unknown_workshop');
    const p = await api(runner.url, 'GET', `/api/workshops/${w1.id}/progress`, { token: w1.instructorKey });
    assert.equal(p.json.learners[0].labs.tagging.passed, true);
    assert.equal(p.json.learners[0].state, 'stopped');
    assert.equal((await api(runner.url, 'GET', `/api/workshops/${w1.id}/results.csv`, { token: w1.instructorKey })).status, 200);
    // endsAt in the past is refused; a workshop whose endsAt passes ends by itself.
    const past = await api(runner.url, 'POST', '/api/workshops', { token: OPERATOR, body: { title: 't', endsAt: '2001-01-01T00:00:00Z' } });
    assert.equal(past.status, 400);
    const soon = await api(runner.url, 'POST', '/api/workshops', { token: OPERATOR, body: { title: 'Short', endsAt: new Date(Date.now() + 1500).toISOString() } });
    assert.equal(soon.status, 201);
    await until('the short workshop ended', async () => (await api(runner.url, 'GET', `/api/workshops/${soon.json.id}`, { token: OPERATOR })).json.state === 'ended', { timeoutMs: 15_000, everyMs: 200 });
    assert.equal((await api(runner.url, 'POST', '/api/sessions', { body: { workshop: soon.json.code, name: 'x' } })).status, 404);
  });
});

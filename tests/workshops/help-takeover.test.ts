/**
 * Help in the room on a real sandbox (issue 23): a workshop learner raises a hand (the failing
 * criteria of a real check attached), the instructor's shadow asks to take over, the learner
 * allows on her own terminal, `docker images` typed in the shadow runs in her rootless engine
 * and both see its output; she takes control back; the recording on disk is asciicast v2 with
 * the check marker and without her token; the take-over is in the workshop's log; the end of
 * the workshop closes her hand. The edge cases run on the fake provider (tests/workshops/help.test.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Runner } from '../../runner/src/app.ts';
import { api, openSocket, sleep, type Term } from '../runner/helpers.ts';
import { dockerObjects, readyTerminal, run, startRealRunner } from '../runner/real.ts';
import { castOutput, parseAsciicast } from './asciicast-check.ts';

const OPERATOR = 'operator-token-help-takeover-0123456789';
const last = (t: Term, type: string) => t.events.filter((e) => e?.type === type).at(-1);
async function until(ok: () => boolean, what: string, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('help and take-over on a real sandbox', { timeout: 600_000 }, () => {
  let runner: Runner;
  const dataDir = mkdtempSync(join(tmpdir(), 'rl-help-real-'));

  before(async () => {
    runner = await startRealRunner({ dataDir, instructorToken: OPERATOR });
  });
  after(async () => {
    await runner?.close();
    if (runner) assert.deepEqual(dockerObjects(`registry-lab.runner=${runner.config.runnerId}`), []);
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('hand with the failing criteria, consented take-over running docker images, take back, recording, log, end', async () => {
    const w = (await api(runner.url, 'POST', '/api/workshops', { token: OPERATOR, body: { title: 'Real help', labs: ['tagging'], seats: 2 } })).json;
    const joined = await api(runner.url, 'POST', '/api/sessions', { body: { workshop: w.code, name: 'Анна' } });
    assert.equal(joined.status, 201, joined.text);
    const s = joined.json as { id: string; token: string };
    const term = await readyTerminal(runner, s);
    assert.equal((await api(runner.url, 'POST', `/api/sessions/${s.id}/labs/tagging/start`, { token: s.token, body: {} })).status, 200);
    const check = await api(runner.url, 'POST', `/api/sessions/${s.id}/labs/tagging/check`, { token: s.token });
    assert.equal(check.status, 200, check.text);
    assert.equal(check.json.passed, false);

    const up = await api(runner.url, 'POST', `/api/sessions/${s.id}/help`, { token: s.token, body: { message: 'тег не ставится' } });
    assert.equal(up.status, 201, up.text);
    const queue = (await api(runner.url, 'GET', `/api/workshops/${w.id}/help`, { token: w.instructorKey })).json;
    assert.equal(queue[0].lab, 'tagging');
    assert.ok(queue[0].failing.length >= 1, 'the failing criteria of her last check are attached');

    const sh = await openSocket(`${runner.url.replace(/^http/, 'ws')}/api/workshops/${w.id}/learners/${s.id}/terminal?token=${encodeURIComponent(w.instructorKey)}`);
    await sh.waitEvent('shadow');
    sh.control({ type: 'takeover', action: 'ask' });
    await until(() => last(term, 'takeover')?.state === 'asked', 'the ask');
    term.control({ type: 'takeover', action: 'allow' });
    await until(() => last(sh, 'takeover')?.state === 'active', 'active');
    const from = term.output().length;
    sh.send('docker images; echo took-over-$((6*7))\r');
    await term.waitFor(/took-over-42/, 60_000, from);
    assert.match(term.output().slice(from), /REPOSITORY\s+TAG/);
    await sh.waitFor(/took-over-42/, 10_000);
    term.control({ type: 'takeover', action: 'end' });
    await until(() => last(sh, 'takeover')?.reason === 'learner', 'taken back');
    sh.send('echo must-not-run\r');
    assert.match((await run(term, 'echo still-mine')).out, /still-mine/);
    assert.doesNotMatch(term.output(), /must-not-run/);
    sh.close();
    term.close();
    await term.closed;
    await sleep(400);

    const dir = join(dataDir, 'workshops', runner.config.runnerId, w.id);
    const casts = readdirSync(join(dir, 'recordings'));
    assert.equal(casts.length, 1);
    const text = readFileSync(join(dir, 'recordings', casts[0]!), 'utf8');
    const cast = parseAsciicast(text);
    assert.ok(cast.events.some(([, c, d]) => c === 'm' && d === 'check tagging: failed'));
    assert.match(castOutput(cast), /REPOSITORY\s+TAG/);
    assert.ok(!text.includes(s.token) && !text.includes(w.instructorKey) && !text.includes(OPERATOR));
    const log = readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(log.length, 1);
    assert.equal(log[0].reason, 'learner');
    assert.ok(log[0].durationMs > 0);

    assert.equal((await api(runner.url, 'DELETE', `/api/workshops/${w.id}`, { token: OPERATOR })).status, 204);
    const results = (await api(runner.url, 'GET', `/api/workshops/${w.id}/results.json`, { token: OPERATOR })).json;
    assert.equal(results.help[0].closedBy, 'end');
  });
});

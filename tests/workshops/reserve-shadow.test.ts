/**
 * Workshops on a real engine, the rest: the reserve warms sandboxes that the workshop's joiners
 * claim first and that go away with the workshop; the instructor's key opens the read-only
 * shadow of a learner's terminal (another workshop's key does not); close() with an event
 * stream open does not hang.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { createRunner, type Runner } from '../../runner/src/app.ts';
import { api, openTerminal, rawUpgrade, sleep, uniqueRunnerId, type Term } from '../runner/helpers.ts';
import { dockerObjects, run } from '../runner/real.ts';
import { until } from '../support/wait.ts';

const OPERATOR = 'operator-token-for-the-reserve-tests';

describe('workshop reserve and shadow terminal (real runner)', () => {
  let runner: Runner;
  let closed = false;
  let term: Term | undefined;
  let shadow: WebSocket | undefined;

  before(async () => {
    runner = await createRunner({ port: 0, runnerId: uniqueRunnerId('wr'), warmPoolSize: 0, logLevel: 'error', siteDir: '/nonexistent-site', instructorToken: OPERATOR, maxSessions: 4 });
  });
  after(async () => {
    shadow?.terminate();
    term?.close();
    if (!closed) await runner?.close();
    assert.deepEqual(dockerObjects(`registry-lab.runner=${runner.config.runnerId}`), []);
  });

  test('reserve: warmed while open, claimed by joiners first, removed at the end; the shadow needs this workshop\'s key', async () => {
    const w = (await api(runner.url, 'POST', '/api/workshops', { token: OPERATOR, body: { title: 'Reserve', seats: 3, reserve: 1, labs: ['tagging'] } })).json;
    const other = (await api(runner.url, 'POST', '/api/workshops', { token: OPERATOR, body: { title: 'Other' } })).json;
    assert.equal(w.reserve, 1);
    await until('a warm sandbox', async () => (await api(runner.url, 'GET', `/api/workshops/${w.id}`, { token: w.instructorKey })).json.ready === 1, { timeoutMs: 180_000, everyMs: 250 });

    // Someone outside the workshop does not take the reserved sandbox.
    const outsider = await api(runner.url, 'POST', '/api/sessions', { body: {} });
    assert.equal(outsider.status, 201);
    assert.equal(outsider.json.state, 'starting');
    assert.equal((await api(runner.url, 'DELETE', `/api/sessions/${outsider.json.id}`, { token: outsider.json.token })).status, 204);

    const joined = await api(runner.url, 'POST', '/api/sessions', { body: { workshop: w.code, name: 'Bob' } });
    assert.equal(joined.status, 201, joined.text);
    assert.equal(joined.json.state, 'ready', 'the joiner got the warm sandbox');
    const learner = joined.json as { id: string; token: string };

    const stream = new AbortController();
    const events = fetch(`${runner.url}/api/workshops/${w.id}/events?token=${encodeURIComponent(w.instructorKey)}`, { signal: stream.signal });
    assert.equal((await events).status, 200);

    term = await openTerminal(runner.url, learner.id, learner.token);
    await term.waitEvent('ready', 120_000);
    await run(term, 'true', 60_000);
    const path = `/api/workshops/${w.id}/learners/${learner.id}/terminal`;
    assert.equal((await rawUpgrade(runner.url, `${path}?token=${encodeURIComponent(other.instructorKey)}`)).status, 401);
    assert.equal((await rawUpgrade(runner.url, `${path}?token=${encodeURIComponent(learner.token)}`)).status, 401);
    assert.equal((await rawUpgrade(runner.url, `/api/workshops/${other.id}/learners/${learner.id}/terminal?token=${OPERATOR}`)).status, 404);

    shadow = new WebSocket(`${runner.url.replace('http', 'ws')}${path}?token=${encodeURIComponent(w.instructorKey)}`);
    let seen = '';
    shadow.on('message', (d, binary) => {
      if (binary) seen += (d as Buffer).toString('utf8');
    });
    await new Promise((resolve, reject) => {
      shadow!.once('open', resolve);
      shadow!.once('error', reject);
    });
    const watched = await term.waitEvent('watched', 10_000);
    assert.equal(watched.watching, true);
    await run(term, 'echo shadow-$((6*7))');
    await until('the shadow sees the output', () => seen.includes('shadow-42'), { timeoutMs: 10_000, everyMs: 250 });

    const d = await api(runner.url, 'DELETE', `/api/workshops/${w.id}`, { token: w.instructorKey });
    assert.equal(d.status, 204);
    assert.deepEqual(dockerObjects(`registry-lab.session=${learner.id}`), []);
    await until('the reserve removed', async () => {
      const h = (await api(runner.url, 'GET', '/api/health')).json;
      return h.pool.ready === 0 && h.pool.creating === 0 && h.pool.removing === 0 && h.pool.target === 0;
    }, { timeoutMs: 60_000, everyMs: 250 });
    stream.abort();

    // close() with a stream open returns.
    const again = await fetch(`${runner.url}/api/workshops/${other.id}/events?token=${OPERATOR}`);
    assert.equal(again.status, 200);
    const t0 = Date.now();
    await runner.close();
    closed = true;
    assert.ok(Date.now() - t0 < 60_000);
    await again.body?.cancel().catch(() => undefined);
  });
});

/** Runner + real Docker + the real grading engine: GET /api/labs, lab at creation, check, solve, restart. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Runner } from '../../runner/src/app.ts';
import { api, sleep, type Term } from '../runner/helpers.ts';
import { dockerObjects, newSession, readyTerminal, run, startRealRunner } from '../runner/real.ts';

describe('labs through the runner API (real Docker)', () => {
  let runner: Runner;
  let s: { id: string; token: string };
  let t: Term;

  before(async () => {
    runner = await startRealRunner();
  });
  after(async () => {
    t?.close();
    await runner?.close();
    if (runner) assert.deepEqual(dockerObjects(`registry-lab.runner=${runner.config.runnerId}`), []);
  });

  test('GET /api/labs lists every lab with its criteria', async () => {
    const r = await api(runner.url, 'GET', '/api/labs');
    assert.equal(r.status, 200, r.text);
    assert.ok(Array.isArray(r.json) && r.json.length > 0);
    const tagging = r.json.find((l: { id: string }) => l.id === 'tagging');
    assert.ok(tagging, 'lab tagging listed');
    assert.equal(typeof tagging.title, 'string');
    assert.equal(typeof tagging.section, 'string');
    assert.ok(tagging.criteria.every((c: object) => Object.keys(c).sort().join() === 'id,title'));
  });

  test('check before the lab was started says to start it first', async () => {
    const fresh = await newSession(runner, {});
    let g = await api(runner.url, 'GET', `/api/sessions/${fresh.id}`, { token: fresh.token });
    for (let i = 0; i < 900 && g.json.state === 'starting'; i++) {
      await sleep(200);
      g = await api(runner.url, 'GET', `/api/sessions/${fresh.id}`, { token: fresh.token });
    }
    assert.equal(g.json.state, 'ready', JSON.stringify(g.json));
    const c = await api(runner.url, 'POST', `/api/sessions/${fresh.id}/labs/tagging/check`, { token: fresh.token });
    assert.equal(c.status, 200, c.text);
    assert.equal(c.json.passed, false);
    assert.equal(c.json.started, false);
    assert.ok(c.json.criteria.length > 0);
    for (const cr of c.json.criteria) {
      assert.equal(cr.passed, false);
      assert.match(cr.message, /ещё не запущена: нажмите «Начать»/);
      assert.doesNotMatch(cr.message, /потеряны/);
    }
    const d = await api(runner.url, 'DELETE', `/api/sessions/${fresh.id}`, { token: fresh.token });
    assert.equal(d.status, 204);
  });

  test('POST /api/sessions {lab} sets the lab up; check fails with messages, passes after the solution, start resets', async () => {
    s = await newSession(runner, { lab: 'tagging' });
    let g = await api(runner.url, 'GET', `/api/sessions/${s.id}`, { token: s.token });
    for (let i = 0; i < 600 && ['pending', 'starting'].includes(g.json.labStatus); i++) {
      await sleep(200);
      g = await api(runner.url, 'GET', `/api/sessions/${s.id}`, { token: s.token });
    }
    assert.equal(g.json.labStatus, 'ready', JSON.stringify(g.json));
    assert.equal(g.json.lab, 'tagging');

    let c = await api(runner.url, 'POST', `/api/sessions/${s.id}/labs/tagging/check`, { token: s.token });
    assert.equal(c.status, 200, c.text);
    assert.equal(c.json.lab, 'tagging');
    assert.equal(c.json.passed, false);
    assert.ok(c.json.criteria.length > 0);
    for (const cr of c.json.criteria) {
      assert.equal(typeof cr.message, 'string');
      assert.ok(cr.message.length > 10, cr.message);
    }
    assert.equal(typeof c.json.durationMs, 'number');

    t = await readyTerminal(runner, s);
    const solve = readFileSync(new URL('../../labs/tagging/solve.sh', import.meta.url), 'utf8');
    const r = await run(t, `bash <<'EOF_SOLVE'\n${solve}\nEOF_SOLVE`);
    assert.equal(r.code, 0, r.out);
    c = await api(runner.url, 'POST', `/api/sessions/${s.id}/labs/tagging/check`, { token: s.token });
    assert.equal(c.json.passed, true, JSON.stringify(c.json.criteria));

    const st = await api(runner.url, 'POST', `/api/sessions/${s.id}/labs/tagging/start`, { token: s.token });
    assert.equal(st.status, 200, st.text);
    assert.deepEqual(st.json, { lab: 'tagging', ready: true });
    c = await api(runner.url, 'POST', `/api/sessions/${s.id}/labs/tagging/check`, { token: s.token });
    assert.equal(c.json.passed, false, 'starting again resets the lab');

    const u = await api(runner.url, 'POST', `/api/sessions/${s.id}/labs/no-such-lab/start`, { token: s.token });
    assert.equal(u.status, 404);
    assert.equal(u.json.error.code, 'unknown_lab');
  });
});

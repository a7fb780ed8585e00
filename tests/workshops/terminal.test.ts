/**
 * The terminal side of workshops through the real workshop API (no test authorizer): a learner
 * joins by code; POST .../broadcast reaches their open terminal; the instructor key opens a
 * shadow that sees what the learner types while the learner is told it is watched; the
 * learner's own token and a wrong key are refused before the upgrade; presence reaches the
 * dashboard's progress.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Runner } from '../../runner/src/app.ts';
import { api, openSocket, openTerminal, rawUpgrade, sleep } from '../runner/helpers.ts';
import { dockerObjects, run, startRealRunner } from '../runner/real.ts';

describe('workshop terminals through the workshop API (real Docker)', () => {
  let runner: Runner;
  const operator = randomBytes(18).toString('base64url');
  let w: { id: string; code: string; instructorKey: string };
  let learner: { id: string; token: string };

  before(async () => {
    runner = await startRealRunner({ instructorToken: operator });
    const c = await api(runner.url, 'POST', '/api/workshops', { token: operator, body: { title: 'Группа 7', labs: ['push-private'], seats: 3 } });
    assert.equal(c.status, 201, c.text);
    w = c.json;
    const j = await api(runner.url, 'POST', '/api/sessions', { body: { workshop: w.code.toLowerCase(), name: 'Аня' } });
    assert.equal(j.status, 201, j.text);
    learner = j.json;
  });
  after(async () => {
    if (w) await api(runner.url, 'DELETE', `/api/workshops/${w.id}`, { token: w.instructorKey });
    await runner?.close();
    if (runner) assert.deepEqual(dockerObjects(`registry-lab.runner=${runner.config.runnerId}`), []);
  });

  test('broadcast, shadow with the instructor key, watched, presence; refusals before the upgrade', async () => {
    const shadowPath = (token: string) => `/api/workshops/${w.id}/learners/${learner.id}/terminal?token=${encodeURIComponent(token)}`;
    assert.equal((await rawUpgrade(runner.url, shadowPath(learner.token))).status, 401);
    assert.equal((await rawUpgrade(runner.url, shadowPath('wrong-key'))).status, 401);

    const t = await openTerminal(runner.url, learner.id, learner.token);
    await t.waitEvent('ready', 180_000);
    await run(t, 'true', 60_000);
    const row = async () => (await api(runner.url, 'GET', `/api/workshops/${w.id}/progress`, { token: w.instructorKey })).json.learners[0];
    for (let i = 0; i < 50 && (await row()).connected !== true; i++) await sleep(100);
    assert.equal((await row()).connected, true);

    const b = await api(runner.url, 'POST', `/api/workshops/${w.id}/broadcast`, { token: w.instructorKey, body: { message: 'Через 5 минут разбор' } });
    assert.equal(b.status, 200, b.text);
    assert.equal((await t.waitEvent('broadcast', 10_000)).message, 'Через 5 минут разбор');

    const sh = await openSocket(runner.url.replace(/^http/, 'ws') + shadowPath(w.instructorKey));
    assert.deepEqual(await t.waitEvent('watched', 10_000), { type: 'watched', watching: true });
    await run(t, 'echo typed-by-ann-$((20+3))');
    await sh.waitFor('typed-by-ann-23', 20_000);
    sh.close();
    for (let i = 0; i < 100 && t.events.filter((e) => e.type === 'watched').length < 2; i++) await sleep(100);
    assert.deepEqual(t.events.filter((e) => e.type === 'watched').at(-1), { type: 'watched', watching: false });
    t.close();
  });
});

/**
 * Cold starts through the runner's start queue, on the real engine (START_CONCURRENCY=1): three
 * sessions asked at once all become ready, none fails for the others; while one waits, the
 * session view and its terminal show its place in line and an estimate.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Runner } from '../../runner/src/app.ts';
import { api, openTerminal, sleep } from './helpers.ts';
import { dockerObjects, newSession, startRealRunner } from './real.ts';

describe('start queue (real Docker)', { timeout: 300_000 }, () => {
  let runner: Runner;
  before(async () => {
    runner = await startRealRunner({ startConcurrency: 1 });
  });
  after(async () => {
    await runner?.close();
    assert.deepEqual(dockerObjects(`registry-lab.runner=${runner.config.runnerId}`), []);
  });

  it('three sessions at once: one starts at a time, the others see their place; all become ready', async () => {
    const sessions = await Promise.all([newSession(runner), newSession(runner), newSession(runner)]);
    const view = async (s: { id: string; token: string }) =>
      (await api(runner.url, 'GET', `/api/sessions/${s.id}`, { token: s.token })).json as { state: string; queue?: { position: number; estimateMs: number } };
    const views = await Promise.all(sessions.map(view));
    const queued = views.filter((v) => v.queue).map((v) => v.queue!.position).sort();
    assert.deepEqual(queued, [1, 2], JSON.stringify(views));
    for (const v of views) if (v.queue) assert.ok(v.queue.estimateMs > 0);
    // The last in line hears its place on the terminal too.
    const last = sessions[views.findIndex((v) => v.queue?.position === 2)]!;
    const t = await openTerminal(runner.url, last.id, last.token);
    const status = await t.waitEvent('status', 10_000);
    assert.ok(status.queue && status.queue.position >= 1, JSON.stringify(status));
    await t.waitEvent('ready', 240_000);
    t.close();
    for (const s of sessions) {
      let state = '';
      for (let i = 0; i < 240 && state !== 'ready'; i++) {
        state = (await view(s)).state;
        if (state === 'stopped') assert.fail(`a start failed beside the others: ${JSON.stringify(await view(s))}`);
        if (state !== 'ready') await sleep(500);
      }
      assert.equal(state, 'ready');
      assert.equal((await view(s)).queue, undefined, 'no place once ready');
    }
  });
});

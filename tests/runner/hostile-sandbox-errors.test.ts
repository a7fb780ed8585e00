/**
 * Issue 14 item 6: after the inner Docker engine of a workstation is killed, raw Docker text
 * (HTTP codes, container ids, internal addresses) reaches the learner nowhere: lab start,
 * check, terminal, session view. The runner's log keeps the details.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { Runner } from '../../runner/src/app.ts';
import { api, openTerminal, sleep } from './helpers.ts';
import { newSession, readyTerminal, removeRunnerObjects, startRealRunner } from './real.ts';

/** What Docker and the runner's internals say, never the learner. */
const RAW = /HTTP code \d+|[0-9a-f]{64}|container stopped|\b(?:10|172)\.\d+\.\d+\.\d+/i;

function workstation(sessionId: string): string {
  return execFileSync('docker', ['ps', '-aq', '--filter', `label=registry-lab.session=${sessionId}`, '--filter', 'label=registry-lab.role=workstation'], {
    encoding: 'utf8',
  }).trim();
}

describe('item 6: a workstation whose Docker engine died (real engine)', () => {
  let runner: Runner;
  before(async () => {
    // The liveness probe would stop the session first (tested in tests/runner/restart*.test.ts):
    // this test is about the answers while the runner has not noticed yet.
    runner = await startRealRunner({ sessionProbeMs: 0 });
  });
  after(async () => {
    await runner.close();
    removeRunnerObjects(runner.config.runnerId);
  });

  test('lab start, check and a new terminal answer with codes the site translates, without Docker text', async () => {
    // On a crowded machine a sandbox can miss its start deadline; that is not what this test is about.
    let s: { id: string; token: string } | null = null;
    for (let attempt = 1; !s; attempt++) {
      const candidate = await newSession(runner);
      try {
        (await readyTerminal(runner, candidate)).close();
        s = candidate;
      } catch (err) {
        const view = await api(runner.url, 'GET', `/api/sessions/${candidate.id}`, { token: candidate.token });
        console.log(`# attempt ${attempt}: the sandbox did not start (${view.json?.stopReason ?? view.json?.state}); ${String(err).slice(0, 120)}`);
        await api(runner.url, 'DELETE', `/api/sessions/${candidate.id}`, { token: candidate.token });
        if (attempt >= 3) throw err;
      }
    }
    const started = await api(runner.url, 'POST', `/api/sessions/${s.id}/labs/tagging/start`, { token: s.token });
    assert.equal(started.status, 200, started.text);

    const ws = workstation(s.id);
    assert.ok(ws, 'the workstation container exists');
    // From the host side, as root: works whether the inner engine runs as root or rootless.
    execFileSync('docker', ['exec', ws, 'pkill', '-x', 'dockerd']);
    // Give the engine (and, where dockerd is the main process, the container) time to go.
    for (let i = 0; i < 20; i++) {
      const state = execFileSync('docker', ['inspect', '-f', '{{.State.Running}}', ws], { encoding: 'utf8' }).trim();
      if (state === 'false') break;
      await sleep(500);
    }

    const again = await api(runner.url, 'POST', `/api/sessions/${s.id}/labs/tagging/start`, { token: s.token });
    assert.doesNotMatch(again.text, RAW, 'lab start');
    if (again.status !== 200) assert.ok(['sandbox_unavailable', 'lab_start_failed'].includes(again.json.error.code), again.text);

    const check = await api(runner.url, 'POST', `/api/sessions/${s.id}/labs/tagging/check`, { token: s.token });
    assert.doesNotMatch(check.text, RAW, 'check');
    if (check.status !== 200) assert.ok(['sandbox_unavailable', 'check_failed'].includes(check.json.error.code), check.text);

    const view = await api(runner.url, 'GET', `/api/sessions/${s.id}`, { token: s.token });
    assert.doesNotMatch(view.text, RAW, 'session view');

    const term = await openTerminal(runner.url, s.id, s.token);
    const closedOrReady = await Promise.race([term.closed.then(() => 'closed'), term.waitEvent('ready', 60_000).then(() => 'ready')]);
    if (closedOrReady === 'ready') term.close();
    for (const e of term.events) {
      assert.doesNotMatch(JSON.stringify(e), RAW, 'terminal event');
      if (e.type === 'error') assert.ok(['sandbox_unavailable', 'shell_failed'].includes(e.code), JSON.stringify(e));
    }
    console.log(`# after pkill dockerd: start ${again.status} ${again.json?.error?.code ?? ''}, check ${check.status} ${check.json?.error?.code ?? ''}, terminal ${closedOrReady} ${JSON.stringify(term.events.filter((e) => e.type === 'error'))}`);
    assert.equal((await api(runner.url, 'DELETE', `/api/sessions/${s.id}`, { token: s.token })).status, 204);
  });
});

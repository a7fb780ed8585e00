/**
 * bench:classroom's help phase (bench/classroom-help.ts) on the fake provider: it runs to the end
 * with a small room, raises a third of the hands, takes over terminals in turn and reports echo
 * and dashboard figures (the numbers themselves are the bench's business, not this test's).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRunner, type Runner } from '../../runner/src/app.ts';
import { helpPhase } from '../../bench/classroom-help.ts';
import { api, uniqueRunnerId } from '../runner/helpers.ts';
import { createFakeProvider } from '../unit/fake-provider.ts';

const OPERATOR = 'operator-token-help-bench-0123456789';
const dataDir = mkdtempSync(join(tmpdir(), 'rl-help-bench-'));
let runner: Runner;
before(async () => {
  runner = await createRunner({ port: 0, runnerId: uniqueRunnerId('hb'), warmPoolSize: 0, logLevel: 'silent', siteDir: '/nonexistent-site', dataDir, instructorToken: OPERATOR }, { provider: createFakeProvider() });
});
after(async () => {
  await runner?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('help phase: hands, take-overs in turn, echo and dashboard figures', async () => {
  const w = (await api(runner.url, 'POST', '/api/workshops', { token: OPERATOR, body: { title: 'Bench help', seats: 6 } })).json;
  const learners = [];
  for (let i = 0; i < 6; i++) {
    const j = await api(runner.url, 'POST', '/api/sessions', { body: { workshop: w.code, name: `L${i}` } });
    assert.equal(j.status, 201, j.text);
    learners.push({ session: j.json.id as string, token: j.json.token as string });
  }
  const r = await helpPhase({ url: runner.url, workshopId: w.id, key: w.instructorKey, learners, takeovers: 3, baselineMs: 600, probeGapMs: 50 });
  assert.deepEqual(r.errors, []);
  assert.equal(r.handsRaised, 2);
  assert.equal(r.takeovers, 3);
  assert.ok(r.echoMs.baseline.n > 0 && r.echoMs.duringHelp.n > 0);
  assert.equal(r.dashboardHelpEventMs.n, 2);
  assert.ok(r.instructorEchoMs.n >= 20);
  const log = (await api(runner.url, 'GET', `/api/workshops/${w.id}/log`, { token: OPERATOR })).json as { reason: string }[];
  assert.deepEqual(log.map((e) => e.reason), ['instructor', 'instructor', 'instructor']);
});

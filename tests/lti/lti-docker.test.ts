/**
 * LTI end to end on the real Docker engine, one sandbox: a student launch from the fake LMS
 * (platform.ts) makes a real sandbox with the lab set up, the real check engine runs, and the
 * platform receives the score (required criteria passed / required criteria, the failing
 * criteria's titles as the comment). The other LTI paths are in lti.test.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Runner } from '../../runner/src/app.ts';
import { operatorTokenPath } from '../../runner/src/workshops/secrets.ts';
import { api, sleep } from '../runner/helpers.ts';
import { removeRunnerObjects, startRealRunner } from '../runner/real.ts';
import { FakePlatform, launch } from './platform.ts';

const LAB = 'save-load';
const dataDir = mkdtempSync(join(tmpdir(), 'rl-lti-docker-'));
let runner: Runner;
let platform: FakePlatform;

before(async () => {
  platform = await new FakePlatform().start();
  runner = await startRealRunner({ dataDir, instructorToken: '' });
  platform.toolJwks = `${runner.url}/lti/jwks`;
  const operator = readFileSync(operatorTokenPath(runner.config), 'utf8').trim();
  const reg = await api(runner.url, 'POST', '/lti/registrations', { token: operator, body: platform.registration() });
  assert.equal(reg.status, 201, reg.text);
});
after(async () => {
  const id = runner?.config.runnerId;
  await runner?.close();
  if (id) removeRunnerObjects(id);
  await platform?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('a launched student checks a real lab in a real sandbox and the LMS gets the score', { timeout: 420_000 }, async () => {
  const criteria = JSON.parse(readFileSync(new URL(`../../labs/${LAB}/lab.json`, import.meta.url), 'utf8')).criteria.filter((c: { required?: boolean }) => c.required !== false);
  const lineitem = platform.lineitem(LAB, criteria.length);
  const r = await launch(platform, runner.url, platform.resourceLink({ sub: 'docker-student', lab: LAB, lineitem }));
  assert.equal(r.status, 200, r.html);
  const s = JSON.parse(/var s=(\{.*?\}),t=/.exec(r.html)![1]!).value as { id: string; token: string };
  // The launch named the lab: the runner sets it up once the sandbox is ready.
  const end = Date.now() + 360_000;
  for (;;) {
    const v = (await api(runner.url, 'GET', `/api/sessions/${s.id}`, { token: s.token })).json;
    if (v.state === 'ready' && v.labStatus === 'ready') break;
    assert.notEqual(v.state, 'stopped', JSON.stringify(v));
    assert.notEqual(v.labStatus, 'failed', JSON.stringify(v));
    assert.ok(Date.now() < end, `sandbox or lab not ready: ${JSON.stringify(v)}`);
    await sleep(1000);
  }
  const check = await api(runner.url, 'POST', `/api/sessions/${s.id}/labs/${LAB}/check`, { token: s.token });
  assert.equal(check.status, 200, check.text);
  const passed = check.json.criteria.filter((c: { required: boolean; passed: boolean }) => c.required && c.passed).length;
  const failing = check.json.criteria.filter((c: { required: boolean; passed: boolean }) => c.required && !c.passed).map((c: { title: string }) => c.title);
  for (let i = 0; i < 200 && !platform.scores.length; i++) await sleep(100);
  assert.equal(platform.scores.length, 1);
  const got = platform.scores[0]!;
  assert.equal(got.contentType, 'application/vnd.ims.lis.v1.score+json');
  assert.equal(got.body.userId, 'docker-student');
  assert.equal(got.body.scoreGiven, passed);
  assert.equal(got.body.scoreMaximum, criteria.length);
  assert.equal(got.body.gradingProgress, check.json.passed ? 'FullyGraded' : 'Pending');
  if (failing.length) assert.equal(got.body.comment, `Ещё не выполнено: ${failing.join('; ')}`);
});

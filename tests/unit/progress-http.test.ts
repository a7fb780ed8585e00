/** Progress routes over HTTP (fake provider, in-memory store): auth, validation, grading, the view. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRunner, type Runner } from '../../runner/src/app.ts';
import { openSqliteStore } from '../../runner/src/store/sqlite.ts';
import { api, uniqueRunnerId } from '../runner/helpers.ts';
import { createFakeProvider } from './fake-provider.ts';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

// Option indexes of docker-hub/hub-role in the course file (the order there is the authors').
const hubRole = (parse(readFileSync(new URL('../../site/src/data/quizzes/docker-hub.yaml', import.meta.url), 'utf8')) as {
  questions: Array<{ id: string; options: Array<{ correct?: boolean }> }>;
}).questions.find((q) => q.id === 'hub-role')!;
const RIGHT = String(hubRole.options.findIndex((o) => o.correct));
const WRONG = String(hubRole.options.findIndex((o) => !o.correct));

let runner: Runner;
before(async () => {
  runner = await createRunner(
    { port: 0, runnerId: uniqueRunnerId('ph'), logLevel: 'silent', siteDir: '/nonexistent-site', warmPoolSize: 0 },
    { provider: createFakeProvider(), store: openSqliteStore(':memory:').store },
  );
});
after(() => runner.close());

test('POST /quiz grades from the course YAML; GET /progress shows it; errors are clear', async () => {
  const c = await api(runner.url, 'POST', '/api/sessions', { body: {} });
  const { id, token } = c.json;
  const right = await api(runner.url, 'POST', `/api/sessions/${id}/quiz`, { token, body: { question: 'docker-hub/hub-role', answer: [RIGHT] } });
  assert.equal(right.status, 200, right.text);
  assert.equal(right.json.question, 'docker-hub/hub-role');
  assert.equal(right.json.correct, true);
  assert.ok(right.json.explanation.length > 10);
  const text = await api(runner.url, 'POST', `/api/sessions/${id}/quiz`, { token, body: { question: 'docker-hub/hub-default-name', answer: 'docker.io/library/nginx:latest' } });
  assert.equal(text.json.correct, true);
  const wrong = await api(runner.url, 'POST', `/api/sessions/${id}/quiz`, { token, body: { question: 'docker-hub/hub-default-name', answer: 'nginx' } });
  assert.equal(wrong.json.correct, false);
  // A verdict sent by the client is ignored: only the answer counts.
  const cheat = await api(runner.url, 'POST', `/api/sessions/${id}/quiz`, { token, body: { question: 'docker-hub/hub-role', answer: [WRONG], correct: true } });
  assert.equal(cheat.json.correct, false);

  const p = await api(runner.url, 'GET', `/api/sessions/${id}/progress`, { token });
  assert.equal(p.status, 200);
  assert.deepEqual(p.json.labs, {});
  assert.equal(p.json.quiz.answered, 2);
  assert.equal(p.json.quiz.correct, 0, 'the latest answer of each question counts');
  assert.equal(p.json.quiz.questions['docker-hub/hub-role'].correct, false);
  assert.ok(Date.parse(p.json.quiz.questions['docker-hub/hub-role'].at));

  const unknown = await api(runner.url, 'POST', `/api/sessions/${id}/quiz`, { token, body: { question: 'nope/nope', answer: 'x' } });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json.error.code, 'unknown_question');
  const bad = await api(runner.url, 'POST', `/api/sessions/${id}/quiz`, { token, body: { question: 'docker-hub/hub-role', answer: 3 } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.code, 'invalid_body');
  assert.match(bad.json.error.message, /body\.answer/);
  assert.equal((await api(runner.url, 'GET', `/api/sessions/${id}/progress`)).status, 401);
  assert.equal((await api(runner.url, 'GET', `/api/sessions/${id}/progress`, { token: 'x'.repeat(43) })).status, 401);
  assert.equal((await api(runner.url, 'GET', `/api/sessions/${'a'.repeat(24)}/progress`, { token })).status, 404);
  const rec = await api(runner.url, 'POST', `/api/sessions/${id}/recreate`, { token });
  assert.equal(rec.status, 409, 'a live session keeps its sandbox');
  assert.equal(rec.json.error.code, 'not_recreatable');
  const other = await api(runner.url, 'POST', '/api/sessions', { body: {} });
  assert.equal((await api(runner.url, 'GET', `/api/sessions/${id}/progress`, { token: other.json.token })).status, 401, 'another session token opens nothing');
});

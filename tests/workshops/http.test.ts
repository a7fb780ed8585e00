/**
 * Workshops over HTTP without Docker (fake provider): the generated operator token file, the
 * CLI against a running runner, a quiz answer in the event stream, an endsAt that passed while
 * the runner was down.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createRunner, type Runner } from '../../runner/src/app.ts';
import type { Config } from '../../runner/src/config.ts';
import { operatorTokenPath } from '../../runner/src/workshops/secrets.ts';
import { api, sleep, uniqueRunnerId } from '../runner/helpers.ts';
import { createFakeProvider } from '../unit/fake-provider.ts';

const root = new URL('../..', import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), 'rl-wshttp-'));
const settings: Partial<Config> = { port: 0, runnerId: uniqueRunnerId('wh'), logLevel: 'silent', siteDir: '/nonexistent-site', warmPoolSize: 0, dataDir, instructorToken: '' };
let runner: Runner;
let operator: string;

before(async () => {
  runner = await createRunner(settings, { provider: createFakeProvider() });
  operator = readFileSync(operatorTokenPath(runner.config), 'utf8').trim();
});
after(async () => {
  await runner.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('without INSTRUCTOR_TOKEN the runner makes one, in DATA_DIR with mode 0600, and it opens the workshop calls', async () => {
  const file = operatorTokenPath(runner.config);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.ok(operator.length >= 32);
  assert.equal((await api(runner.url, 'GET', '/api/workshops', { token: operator })).status, 200);
});

test('npm run workshop: create, list, results --csv, end, against the running runner', async () => {
  const env = { ...process.env, RUNNER_URL: runner.url, DATA_DIR: dataDir, RUNNER_ID: runner.config.runnerId, INSTRUCTOR_TOKEN: '' };
  const cli = (...args: string[]) => promisify(execFile)(process.execPath, [join(root, 'scripts/workshop.ts'), ...args], { env, cwd: root });
  const created = await cli('create', 'Group 7, Monday', '--seats', '30', '--labs', 'tagging', '--reserve', '0');
  const code = /join code:\s+([A-Z0-9]{3}-[A-Z0-9]{3})/.exec(created.stdout)?.[1];
  assert.ok(code, created.stdout);
  assert.match(created.stdout, /join link:\s+http:\/\/.*\/join\/\?code=/);
  assert.match(created.stdout, /dashboard:\s+http:\/\/.*\/instructor\/workshop\/\?id=/);
  assert.ok(!created.stdout.includes(operator), 'the operator token is never printed');
  const id = /\(([A-Za-z0-9_-]{16,})\)/.exec(created.stdout)![1]!;
  assert.match((await cli('list')).stdout, new RegExp(`${id}\\s+${code}\\s+open`));
  const joined = await api(runner.url, 'POST', '/api/sessions', { body: { workshop: code, name: '@Eve' } });
  assert.equal(joined.status, 201, joined.text);
  const csv = (await cli('results', id, '--csv')).stdout;
  assert.match(csv, /^learner,session,lab,criterion,passed,first_passed_at,last_checked_at\r\n/);
  assert.match(csv, /'@Eve,/);
  assert.match((await cli('end', id)).stdout, /ended/);
  assert.equal((await api(runner.url, 'GET', `/api/workshops/${id}`, { token: operator })).json.state, 'ended');
  await assert.rejects(cli('end', 'no-such-workshop-id-00'), /404 unknown_workshop/);
  await assert.rejects(cli('create'), /create needs a title/);
});

test('a quiz answer reaches the event stream as the learner\'s row', async () => {
  const w = (await api(runner.url, 'POST', '/api/workshops', { token: operator, body: { title: 'Quiz' } })).json;
  const s = (await api(runner.url, 'POST', '/api/sessions', { body: { workshop: w.code, name: 'Quinn' } })).json;
  const ctl = new AbortController();
  const res = await fetch(`${runner.url}/api/workshops/${w.id}/events?token=${encodeURIComponent(w.instructorKey)}`, { signal: ctl.signal });
  const reader = res.body!.getReader();
  let text = '';
  const read = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      text += Buffer.from(value).toString();
    }
  })().catch(() => undefined);
  await sleep(300);
  const q = await api(runner.url, 'POST', `/api/sessions/${s.id}/quiz`, { token: s.token, body: { question: 'docker-hub/hub-default-name', answer: 'docker.io/library/nginx:latest' } });
  assert.equal(q.status, 200, q.text);
  const deadline = Date.now() + 10_000;
  while (!/"quiz":\{"answered":1,"correct":1\}/.test(text) && Date.now() < deadline) await sleep(100);
  assert.match(text, /event: learner\ndata: \{"session":"[^"]+","name":"Quinn"[^\n]*"quiz":\{"answered":1,"correct":1\}/);
  ctl.abort();
  await read;
});

test('an endsAt that passed while the runner was down ends the workshop at start', async () => {
  const w = (await api(runner.url, 'POST', '/api/workshops', { token: operator, body: { title: 'Short', endsAt: new Date(Date.now() + 1500).toISOString() } })).json;
  await runner.stop();
  await sleep(2000);
  runner = await createRunner(settings, { provider: createFakeProvider() });
  const g = await api(runner.url, 'GET', `/api/workshops/${w.id}`, { token: operator });
  assert.equal(g.json.state, 'ended');
  assert.equal((await api(runner.url, 'POST', '/api/sessions', { body: { workshop: w.code, name: 'Late' } })).json.error.code, 'unknown_workshop');
  // EventSource stops reconnecting on 204.
  assert.equal((await api(runner.url, 'GET', `/api/workshops/${w.id}/events?token=${operator}`)).status, 204);
  assert.equal(readFileSync(operatorTokenPath(runner.config), 'utf8').trim(), operator, 'the same operator token after a restart');
});

test('broadcast: 1..500 characters without control characters; kept for pages that reload', async () => {
  const w = (await api(runner.url, 'POST', '/api/workshops', { token: operator, body: { title: 'Say' } })).json;
  const s = (await api(runner.url, 'POST', '/api/sessions', { body: { workshop: w.code, name: 'Ann' } })).json;
  const esc = await api(runner.url, 'POST', `/api/workshops/${w.id}/broadcast`, { token: w.instructorKey, body: { message: 'hi \u001b[2J' } });
  assert.equal(esc.status, 400);
  assert.match(esc.json.error.message, /body\.message/);
  assert.equal((await api(runner.url, 'POST', `/api/workshops/${w.id}/broadcast`, { token: w.instructorKey, body: { message: 'x'.repeat(501) } })).status, 400);
  const ok = await api(runner.url, 'POST', `/api/workshops/${w.id}/broadcast`, { token: w.instructorKey, body: { message: 'Перерыв\nдо 12:10' } });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.terminals, 0);
  const g = await api(runner.url, 'GET', `/api/sessions/${s.id}`, { token: s.token });
  assert.equal(g.json.workshop.broadcast.message, 'Перерыв\nдо 12:10');
  assert.equal(g.json.name, 'Ann');
  const plain = (await api(runner.url, 'POST', '/api/sessions', { body: {} })).json;
  const pg = await api(runner.url, 'GET', `/api/sessions/${plain.id}`, { token: plain.token });
  assert.equal(pg.json.workshop, null);
  assert.equal((await api(runner.url, 'POST', `/api/workshops/${w.id}/broadcast`, { token: plain.token, body: { message: 'x' } })).status, 401);
});

test('every workshop call is refused without the right secret', async () => {
  const a = (await api(runner.url, 'POST', '/api/workshops', { token: operator, body: { title: 'A' } })).json;
  const b = (await api(runner.url, 'POST', '/api/workshops', { token: operator, body: { title: 'B' } })).json;
  const learner = (await api(runner.url, 'POST', '/api/sessions', { body: { workshop: a.code, name: 'L' } })).json;
  const calls: [string, string, object?][] = [
    ['GET', `/api/workshops/${a.id}`],
    ['DELETE', `/api/workshops/${a.id}`],
    ['GET', `/api/workshops/${a.id}/progress`],
    ['GET', `/api/workshops/${a.id}/events`],
    ['GET', `/api/workshops/${a.id}/results.csv`],
    ['GET', `/api/workshops/${a.id}/results.json`],
    ['POST', `/api/workshops/${a.id}/broadcast`, { message: 'hi' }],
    ['POST', `/api/workshops/${a.id}/extend`],
    ['POST', `/api/workshops/${a.id}/learners/${learner.id}/labs/tagging/start`],
    ['GET', `/api/workshops/${a.id}/learners/${learner.id}/checks`],
  ];
  for (const [method, path, body] of calls) {
    const none = await api(runner.url, method, path, { body });
    assert.equal(none.status, 401, `${method} ${path} without a token: ${none.text}`);
    assert.equal(none.json.error.code, 'missing_token');
    assert.equal((await api(runner.url, method, path, { body, token: learner.token })).status, 401, `${method} ${path} with a learner's token`);
    assert.equal((await api(runner.url, method, path, { body, token: b.instructorKey })).status, 403, `${method} ${path} with another workshop's key`);
    assert.equal((await api(runner.url, method, path, { body, token: `${a.instructorKey}x` })).status, 401, `${method} ${path} with a wrong key`);
  }
  for (const [method, path, body] of [['POST', '/api/workshops', { title: 'x' }], ['GET', '/api/workshops']] as const) {
    assert.equal((await api(runner.url, method, path, { body })).status, 401);
    assert.equal((await api(runner.url, method, path, { body, token: a.instructorKey })).status, 403, 'an instructor key cannot create or list');
    assert.equal((await api(runner.url, method, path, { body, token: learner.token })).status, 401);
  }
  // The workshop is still there and its learner still live: nothing above changed anything.
  const p = await api(runner.url, 'GET', `/api/workshops/${a.id}/progress`, { token: a.instructorKey });
  assert.equal(p.json.workshop.state, 'open');
  assert.equal(p.json.learners[0].state === 'stopped', false);
});

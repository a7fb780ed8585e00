/**
 * The session's language (issue 20): chosen at POST /api/sessions (body `lang`, else
 * Accept-Language, else ru), kept in the store (migration 3), shown in the session view,
 * changed by PATCH /api/sessions/:id; check answers and quiz explanations follow it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { createRunner, type Runner } from '../../runner/src/app.ts';
import { MIGRATIONS } from '../../runner/src/store/migrations.ts';
import { openSqliteStore } from '../../runner/src/store/sqlite.ts';
import type { LabEngine } from '../../runner/src/labs/service.ts';
import { hasCyrillic } from '../../checks/messages.ts';
import { api, uniqueRunnerId } from '../runner/helpers.ts';
import { createFakeProvider } from './fake-provider.ts';

const engine: LabEngine = {
  async loadLabs() {
    return [
      {
        definition: {
          id: 'demo',
          title: 'Демо',
          order: 1,
          section: 'x',
          summary: 'Демо-лаба',
          criteria: [{ id: 'pushed', title: 'Образ отправлен', required: true }],
          hints: [],
          checkTimeoutMs: 1000,
        },
        english: { title: 'Demo', summary: 'A demo lab', criteria: { pushed: 'The image is pushed' } },
      },
    ];
  },
  async startLab() {},
  async checkLab() {
    return {
      passed: false,
      criteria: [
        {
          id: 'pushed',
          title: 'Образ отправлен',
          titles: { ru: 'Образ отправлен', en: 'The image is pushed' },
          passed: false,
          message: 'В реестре нет образа my-api:v1.',
          messages: { ru: 'В реестре нет образа my-api:v1.', en: 'The registry has no image my-api:v1.' },
          required: true,
        },
      ],
      durationMs: 1,
    };
  },
  createLabState() {
    const m = new Map<string, unknown>();
    return { get: <T>(k: string) => m.get(k) as T | undefined, set: (k, v) => void m.set(k, v), clear: () => m.clear() };
  },
};

let runner: Runner;
before(async () => {
  runner = await createRunner(
    { port: 0, runnerId: uniqueRunnerId('lang'), logLevel: 'silent', siteDir: '/nonexistent-site', warmPoolSize: 0, maxSessionsPerClient: 20 },
    { provider: createFakeProvider(), store: openSqliteStore(':memory:').store, labEngine: async () => engine },
  );
});
after(() => runner.close());

test('POST /api/sessions: body lang, else Accept-Language, else ru; shown in the view', async () => {
  const byBody = await api(runner.url, 'POST', '/api/sessions', { body: { lang: 'en' }, headers: { 'accept-language': 'ru' } });
  assert.equal(byBody.status, 201, byBody.text);
  assert.equal(byBody.json.lang, 'en');
  const byHeader = await api(runner.url, 'POST', '/api/sessions', { body: {}, headers: { 'accept-language': 'de-DE,en-GB;q=0.8,ru;q=0.5' } });
  assert.equal(byHeader.json.lang, 'en');
  const fallback = await api(runner.url, 'POST', '/api/sessions', { body: {} });
  assert.equal(fallback.json.lang, 'ru');
  const view = await api(runner.url, 'GET', `/api/sessions/${byHeader.json.id}`, { token: byHeader.json.token });
  assert.equal(view.json.lang, 'en');
  const bad = await api(runner.url, 'POST', '/api/sessions', { body: { lang: 'de' } });
  assert.equal(bad.status, 400);
  assert.match(bad.json.error.message, /body\.lang/);
});

test('PATCH /api/sessions/:id {lang}: the check answers in the new language; quiz explanations too', async () => {
  const c = await api(runner.url, 'POST', '/api/sessions', { body: { lab: 'demo' } });
  const { id, token } = c.json;
  const notStarted = await api(runner.url, 'POST', `/api/sessions/${id}/labs/demo/check`, { token });
  // Started in the background (lab given at creation) or not yet: either way Russian.
  assert.ok(hasCyrillic(notStarted.json.criteria[0].message));
  await api(runner.url, 'POST', `/api/sessions/${id}/labs/demo/start`, { token });
  const ru = await api(runner.url, 'POST', `/api/sessions/${id}/labs/demo/check`, { token });
  assert.equal(ru.json.criteria[0].message, 'В реестре нет образа my-api:v1.');
  assert.equal(ru.json.criteria[0].title, 'Образ отправлен');
  const quizRu = await api(runner.url, 'POST', `/api/sessions/${id}/quiz`, { token, body: { question: 'docker-hub/hub-role', answer: ['0'] } });
  assert.ok(hasCyrillic(quizRu.json.explanation));

  const p = await api(runner.url, 'PATCH', `/api/sessions/${id}`, { token, body: { lang: 'en' } });
  assert.equal(p.status, 200, p.text);
  assert.equal(p.json.lang, 'en');
  assert.equal(p.json.id, id);
  const en = await api(runner.url, 'POST', `/api/sessions/${id}/labs/demo/check`, { token });
  assert.equal(en.json.criteria[0].message, 'The registry has no image my-api:v1.');
  assert.equal(en.json.criteria[0].title, 'The image is pushed');
  const quizEn = await api(runner.url, 'POST', `/api/sessions/${id}/quiz`, { token, body: { question: 'docker-hub/hub-role', answer: ['0'] } });
  assert.equal(quizEn.json.correct, quizRu.json.correct, 'grading does not depend on the language');
  assert.ok(!hasCyrillic(quizEn.json.explanation) && quizEn.json.explanation.length > 10, quizEn.json.explanation);

  assert.equal((await api(runner.url, 'PATCH', `/api/sessions/${id}`, { token, body: { lang: 'fr' } })).status, 400);
  assert.equal((await api(runner.url, 'PATCH', `/api/sessions/${id}`, { token, body: { lang: 'en', state: 'stopped' } })).status, 400, 'only lang may change');
  assert.equal((await api(runner.url, 'PATCH', `/api/sessions/${id}`, { body: { lang: 'ru' } })).status, 401);
});

test('GET /api/labs?lang=en gives the English titles (lab.en.json); without it the Russian ones', async () => {
  const en = await api(runner.url, 'GET', '/api/labs?lang=en');
  assert.equal(en.json[0].title, 'Demo');
  assert.equal(en.json[0].criteria[0].title, 'The image is pushed');
  const ru = await api(runner.url, 'GET', '/api/labs');
  assert.equal(ru.json[0].title, 'Демо');
});

test('the store keeps the language; a database of schema 2 gets lang ru for its sessions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lang-store-'));
  try {
    const file = join(dir, 'old.sqlite');
    const db = new DatabaseSync(file);
    for (const m of MIGRATIONS.slice(0, 2)) db.exec(m);
    db.exec('PRAGMA user_version = 2');
    db.prepare(`INSERT INTO sessions (id, token_hash, client_address, created_at, expires_at, state) VALUES ('old', x'00', '1.2.3.4', 1, 2, 'ready')`).run();
    db.close();
    const { store } = openSqliteStore(file);
    assert.equal(store.getSession('old')?.lang, 'ru');
    store.updateSession('old', { lang: 'en' });
    assert.equal(store.getSession('old')?.lang, 'en');
    store.close();
    const again = openSqliteStore(file).store;
    assert.equal(again.getSession('old')?.lang, 'en');
    again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * npm run backup while the runner writes, npm run restore with it stopped: every session, check,
 * quiz answer and workshop written before the backup began is in the restored database, and the
 * next runner start reads them. Restore refuses while the runner has the database open.
 * Fake sandbox provider: this is about the database, not Docker.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRunner, type Runner } from '../../runner/src/app.ts';
import { openSqliteStore } from '../../runner/src/store/sqlite.ts';
import { createFakeProvider } from '../unit/fake-provider.ts';
import { api, uniqueRunnerId } from '../runner/helpers.ts';
import { REPO } from '../e2e/helpers.ts';
import { demoEngine } from './fake-engine.ts';

const OPERATOR = 'operator-token-for-backup-test';
const QUESTION = 'automated-builds/ab-what';

function npmScript(script: 'backup' | 'restore', file: string, env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    // What `npm run <script> -- <file>` runs (bootstrap.mjs without its install step).
    const child = spawn(process.execPath, [join(REPO, 'scripts/bootstrap.mjs'), script, file], {
      cwd: REPO,
      env: { ...process.env, ...env, BOOTSTRAP_NO_INSTALL: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

describe('backup while running, restore while stopped', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-backup-'));
  const dataDir = join(dir, 'data');
  const runnerId = uniqueRunnerId('backup');
  const env = { DATA_DIR: dataDir, RUNNER_ID: runnerId };
  const overrides = { port: 0, host: '127.0.0.1', runnerId, dataDir, warmPoolSize: 0, maxSessions: 200, maxSessionsPerClient: 200, maxSessionCreatesPerMinute: 10_000, logLevel: 'silent' as const, siteDir: '/nonexistent-site', instructorToken: OPERATOR };
  let runner: Runner | null = null;

  before(async () => {
    runner = await createRunner(overrides, { provider: createFakeProvider(), labEngine: async () => demoEngine });
  });
  after(async () => {
    await runner?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** One learner's worth of rows: session, lab start, check, quiz answer. */
  async function learner(base: string): Promise<string> {
    const created = await api(base, 'POST', '/api/sessions', { body: {} });
    assert.equal(created.status, 201, created.text);
    const { id, token } = created.json;
    for (let i = 0; i < 50 && (await api(base, 'GET', `/api/sessions/${id}`, { token })).json.state !== 'ready'; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal((await api(base, 'POST', `/api/sessions/${id}/labs/demo/start`, { token })).status, 200);
    const check = await api(base, 'POST', `/api/sessions/${id}/labs/demo/check`, { token });
    assert.equal(check.json.passed, true, check.text);
    const quiz = await api(base, 'POST', `/api/sessions/${id}/quiz`, { token, body: { question: QUESTION, answer: '0' } });
    assert.equal(quiz.status, 200, quiz.text);
    return id;
  }

  test('every session, check, quiz answer and workshop survives backup and restore', async () => {
    const base = runner!.url;
    const sessions: string[] = [];
    const workshops: string[] = [];
    for (let i = 0; i < 10; i++) sessions.push(await learner(base));
    for (let i = 0; i < 3; i++) {
      const w = await api(base, 'POST', '/api/workshops', { token: OPERATOR, body: { title: `Class ${i}`, labs: ['demo'], seats: 5 } });
      assert.equal(w.status, 201, w.text);
      workshops.push(w.json.id);
    }

    // Writes go on while the backup runs.
    const file = join(dir, 'copy.sqlite');
    let writing = true;
    let during = 0;
    const worker = async () => {
      while (writing) {
        await learner(base);
        during++;
      }
    };
    const writers = Promise.all([worker(), worker()]);
    const backup = await npmScript('backup', file, env);
    writing = false;
    await writers;
    assert.equal(backup.code, 0, backup.out);
    assert.match(backup.out, /\[backup\] .*copy\.sqlite: \d+ sessions/);
    assert.ok(during > 0, 'the runner was written to during the backup');

    const refused = await npmScript('restore', file, env);
    assert.notEqual(refused.code, 0, 'restore must refuse while the runner runs');
    assert.match(refused.out, /in use: stop the runner first/);

    await runner!.stop();
    runner = null;
    // Something to be replaced: a database that lost everything.
    rmSync(join(dataDir, `${runnerId}.sqlite`), { force: true });
    const restored = await npmScript('restore', file, env);
    assert.equal(restored.code, 0, restored.out);

    const { store } = openSqliteStore(join(dataDir, `${runnerId}.sqlite`));
    try {
      for (const id of sessions) {
        assert.ok(store.getSession(id), `session ${id}`);
        const p = store.progress(id);
        assert.equal(p.labs.demo?.passed, true, `check of ${id}`);
        assert.ok(p.quiz[QUESTION], `quiz answer of ${id}`);
      }
      for (const id of workshops) assert.ok(store.workshops.get(id), `workshop ${id}`);
    } finally {
      store.close();
    }

    // The next start reads it (the fake engine has no sandboxes: the sessions are ended, not lost).
    runner = await createRunner(overrides, { provider: createFakeProvider(), labEngine: async () => demoEngine });
    const list = await api(runner.url, 'GET', '/api/workshops', { token: OPERATOR });
    assert.deepEqual(new Set(list.json.map((w: { id: string }) => w.id)), new Set(workshops));
    assert.ok(runner.store.getSession(sessions[0]!));
    assert.ok(readdirSync(dataDir).some((f) => f.includes('.before-restore-')) === false, 'nothing to keep: the database had been removed');
    assert.ok(!existsSync(`${file}-wal`), 'the backup is one self-contained file');
  });
});

/**
 * The durable core with a fake provider and the store on an in-memory SQLite database:
 * re-adoption, vanished and died sandboxes, expiry while down, cancel on delete, limits that
 * count sandboxes until they are gone, lab states and checks in the store, quiz grading.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SessionService, type SessionSettings } from '../../runner/src/core/sessions.ts';
import { silentLogger } from '../../runner/src/core/log.ts';
import { ApiError } from '../../runner/src/core/errors.ts';
import { PersistentLabState } from '../../runner/src/core/lab-states.ts';
import { engineHooks } from '../../runner/src/labs/engine-hooks.ts';
import { ProgressService } from '../../runner/src/core/progress.ts';
import { QuizBank } from '../../runner/src/core/quiz.ts';
import { QUIZ_DIR } from '../../runner/src/app.ts';
import { openSqliteStore } from '../../runner/src/store/sqlite.ts';
import { gradeAnswer } from '../../quiz/grade.ts';
import { createFakeProvider, testSessionSettings } from './fake-provider.ts';
import { sleep } from '../support/wait.ts';

const settings = (over: Partial<SessionSettings> = {}) => testSessionSettings({ sessionProbeMs: 0, maxSessionsPerClient: 5, ...over });

test('restart: live sessions are re-adopted with token, expiry and lab state; vanished, died, expired and unknown are handled', async () => {
  const { store } = openSqliteStore(':memory:');
  const provider = createFakeProvider();
  const first = new SessionService({ provider, settings: settings({ sessionTtlMs: 60_000 }), log: silentLogger, store });
  const keep = await first.create({ clientAddress: 'a', lab: 'l1' });
  const vanish = await first.create({ clientAddress: 'a' });
  const die = await first.create({ clientAddress: 'a' });
  for (const s of [keep, vanish, die]) await first.waitReady(s.session);
  const state = new PersistentLabState();
  keep.session.labStates.set('l1', state);
  state.set('digest', 'sha256:abc');
  await first.stop(1_000);
  assert.equal(provider.live.size, 3, 'stop keeps every sandbox');

  // While down: one sandbox removed, one workstation stopped, one unknown sandbox appears.
  provider.live.delete(vanish.session.id);
  provider.dead.add(die.session.id);
  provider.live.add('orphan-from-a-warm-pool');
  const second = new SessionService({ provider, settings: settings(), log: silentLogger, store });
  const report = await second.recover();
  assert.deepEqual({ adopted: report.adopted, stopped: report.stopped, reaped: report.reaped }, { adopted: 1, stopped: 2, reaped: 2 });
  const back = second.authenticate(keep.session.id, keep.token);
  assert.equal(back.state, 'ready');
  assert.equal(back.expiresAt, keep.session.expiresAt);
  assert.equal(back.labStates.get('l1')?.get('digest'), 'sha256:abc');
  assert.equal(second.authenticate(vanish.session.id, vanish.token).stopReason, 'vanished');
  const died = second.authenticate(die.session.id, die.token);
  assert.equal(died.stopReason, 'died');
  assert.ok(died.error);
  assert.ok(!provider.live.has('orphan-from-a-warm-pool'));
  assert.ok(!provider.live.has(die.session.id));
  assert.throws(() => second.authenticate(keep.session.id, vanish.token), (e: ApiError) => e.status === 401);
  await second.shutdown();
  assert.equal(provider.live.size, 0);
});

test('restart: a session that expired while the runner was down is stopped and its sandbox removed', async () => {
  const { store } = openSqliteStore(':memory:');
  const provider = createFakeProvider();
  const first = new SessionService({ provider, settings: settings({ sessionTtlMs: 150, sessionMaxTtlMs: 150, sessionWarnBeforeMs: 10 }), log: silentLogger, store });
  const s = await first.create({ clientAddress: 'a' });
  await first.waitReady(s.session);
  await first.stop(100);
  await sleep(250);
  assert.ok(provider.live.has(s.session.id), 'timers stopped with the runner');
  const second = new SessionService({ provider, settings: settings(), log: silentLogger, store });
  await second.recover();
  const back = second.authenticate(s.session.id, s.token);
  assert.equal(back.state, 'stopped');
  assert.equal(back.stopReason, 'expired');
  assert.equal(provider.live.size, 0);
  await second.shutdown();
});

test('restart: the token is stored only as a hash', async () => {
  const { store } = openSqliteStore(':memory:');
  const svc = new SessionService({ provider: createFakeProvider(), settings: settings(), log: silentLogger, store });
  const { session, token } = await svc.create({ clientAddress: 'a' });
  const row = store.getSession(session.id)!;
  assert.equal(row.tokenHash.length, 32);
  assert.ok(!row.tokenHash.toString('latin1').includes(token));
  await svc.shutdown();
});

test('delete during creation cancels the creation (no waiting for it)', async () => {
  const provider = createFakeProvider({ createDelayMs: 5_000 });
  const svc = new SessionService({ provider, settings: settings({ sessionStartTimeoutMs: 10_000 }), log: silentLogger });
  const { session } = await svc.create({ clientAddress: 'a' });
  await sleep(20);
  const t0 = Date.now();
  await svc.delete(session);
  assert.ok(Date.now() - t0 < 2_000, 'the DELETE did not wait for the 5 s creation');
  assert.deepEqual(provider.cancelled, [session.id]);
  assert.equal(provider.live.size, 0);
  await svc.shutdown();
});

test('MAX_SESSIONS counts a sandbox until it is really gone from the engine', async () => {
  const provider = createFakeProvider();
  const slowDestroy = provider.destroy.bind(provider);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  provider.destroy = async (id) => {
    await gate;
    return slowDestroy(id);
  };
  const svc = new SessionService({ provider, settings: settings({ maxSessions: 2 }), log: silentLogger });
  const a = await svc.create({ clientAddress: 'a' });
  await svc.create({ clientAddress: 'a' });
  const deleting = svc.delete(a.session);
  await assert.rejects(svc.create({ clientAddress: 'b' }), (e: ApiError) => e.status === 503 && e.code === 'capacity_full');
  assert.equal(svc.stats().sandboxes, 2);
  release();
  await deleting;
  await svc.create({ clientAddress: 'b' });
  await svc.shutdown();
});

test('liveness probe: a workstation that stopped ends its session with reason died', async () => {
  const provider = createFakeProvider();
  const svc = new SessionService({ provider, settings: settings({ sessionProbeMs: 50 }), log: silentLogger });
  svc.start();
  const ended: string[] = [];
  svc.on('ended', (_s, reason) => ended.push(reason));
  const { session } = await svc.create({ clientAddress: 'a' });
  await svc.waitReady(session);
  provider.dead.add(session.id);
  for (let i = 0; i < 100 && session.state !== 'stopped'; i++) await sleep(20);
  assert.equal(session.state, 'stopped');
  assert.equal(session.stopReason, 'died');
  assert.deepEqual(ended, ['died']);
  assert.match(session.error ?? '', /stopped working/);
  await svc.shutdown();
});

test('checks and quiz answers land in the store; progress keeps passed once passed, criteria of the latest check', async () => {
  const { store } = openSqliteStore(':memory:');
  const svc = new SessionService({ provider: createFakeProvider(), settings: settings(), log: silentLogger, store });
  const { session } = await svc.create({ clientAddress: 'a' });
  const results = [true, false];
  const hooks = engineHooks(store, silentLogger);
  const engine = await hooks.wrap(async () => ({
    loadLabs: async () => [],
    createLabState: () => new PersistentLabState(),
    startLab: async () => {},
    checkLab: async () => {
      const ok = results.shift()!;
      return { passed: ok, durationMs: 5, criteria: [{ id: 'c1', title: 'C1', passed: ok, message: 'm', required: true }] };
    },
  }))();
  const lab = { definition: { id: 'lab-a' } } as never;
  const ctx = { sandbox: { sessionId: session.id }, state: engine.createLabState(), labDir: '' } as never;
  await engine.checkLab(lab, ctx);
  await engine.checkLab(lab, ctx);
  const progress = new ProgressService(store, () => QuizBank.load(QUIZ_DIR));
  const view = progress.view(session);
  assert.equal(view.labs['lab-a']!.passed, true);
  assert.deepEqual(view.labs['lab-a']!.criteria, { c1: false });
  assert.ok(view.labs['lab-a']!.firstPassedAt && view.labs['lab-a']!.lastCheckedAt);
  const bank = await QuizBank.load(QUIZ_DIR);
  const [first] = bank.ids();
  await progress.answer(session, first!, 'definitely wrong');
  const after = progress.view(session);
  assert.equal(after.quiz.answered, 1);
  assert.equal(after.quiz.correct, 0);
  await assert.rejects(progress.answer(session, 'no/such', 'x'), (e: ApiError) => e.status === 404 && e.code === 'unknown_question');
  await svc.shutdown();
});

test('quiz: the runner grades every question of every quiz as the site does (right and wrong answers)', async () => {
  const bank = await QuizBank.load(QUIZ_DIR);
  let graded = 0;
  for (const name of readdirSync(QUIZ_DIR).filter((n) => /\.ya?ml$/.test(n))) {
    const quiz = parse(readFileSync(join(QUIZ_DIR, name), 'utf8'));
    for (const q of quiz.questions) {
      const id = `${quiz.section}/${q.id}`;
      // What the site embeds in the page (Quiz.astro: data-correct, data-answers) and grades with.
      const key = { type: q.type, correct: (q.options ?? []).flatMap((o: { correct?: boolean }, i: number) => (o.correct ? [i] : [])), answers: q.answers ?? [] };
      const candidates: (number[] | string)[] =
        q.type === 'single' || q.type === 'multiple'
          ? [key.correct, ...q.options.map((_: unknown, i: number) => [i]), [], q.options.map((_: unknown, i: number) => i)]
          : [...key.answers, `  ${key.answers[0]}  `, 'совсем не то', 'docker run hello-world'];
      for (const c of candidates) {
        const site = gradeAnswer(key, c);
        const runner = bank.grade(id, Array.isArray(c) ? c.map(String) : c).correct;
        assert.equal(runner, site, `${id} ${JSON.stringify(c)}`);
        graded++;
      }
      // The right answer is right and an empty one is wrong, on both sides.
      assert.equal(bank.grade(id, Array.isArray(candidates[0]) ? (candidates[0] as number[]).map(String) : (candidates[0] as string)).correct, true, id);
    }
  }
  assert.ok(graded > 50, `graded ${graded}`);
});

test('recreate: a died session gets a fresh sandbox with the same id, token, expiry and progress; others get 409', async () => {
  const { store } = openSqliteStore(':memory:');
  const provider = createFakeProvider();
  const svc = new SessionService({ provider, settings: settings({ sessionProbeMs: 30 }), log: silentLogger, store });
  svc.start();
  const { session, token } = await svc.create({ clientAddress: 'a' });
  await svc.waitReady(session);
  store.recordQuiz(session.id, { question: 'docker-hub/hub-role', answer: ['0'], correct: true, at: Date.now() });
  await assert.rejects(svc.recreate(session), (e: ApiError) => e.status === 409 && e.code === 'not_recreatable');
  provider.dead.add(session.id);
  for (let i = 0; i < 100 && session.state !== 'stopped'; i++) await sleep(20);
  assert.equal(session.stopReason, 'died');
  const expiresAt = session.expiresAt;
  await svc.recreate(session);
  assert.equal(session.state, 'starting');
  await svc.waitReady(session);
  assert.equal(svc.authenticate(session.id, token), session);
  assert.equal(session.expiresAt, expiresAt);
  assert.equal(session.stopReason, null);
  assert.ok(provider.live.has(session.id));
  assert.equal(store.progress(session.id).quiz['docker-hub/hub-role']?.correct, true);
  assert.equal(store.getSession(session.id)?.state, 'ready');
  await svc.delete(session);
  await assert.rejects(svc.recreate(session), (e: ApiError) => e.status === 409, 'a deleted session is not recreated');
  await svc.shutdown();
});

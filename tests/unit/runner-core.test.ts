/** Runner core with a fake sandbox provider: config, sessions, limits, timers, pool, shutdown. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONFIG_VARIABLES, loadConfig, parseBytes, parseDuration } from '../../runner/src/config.ts';
import { SessionService } from '../../runner/src/core/sessions.ts';
import { queueStarts, StartQueue } from '../../runner/src/core/start-queue.ts';
import { WarmPool } from '../../runner/src/core/pool.ts';
import { SlidingWindowLimit } from '../../runner/src/core/rate-limit.ts';
import { silentLogger } from '../../runner/src/core/log.ts';
import { ApiError } from '../../runner/src/core/errors.ts';
import { createFakeProvider, testSessionSettings } from './fake-provider.ts';
import { readFileSync } from 'node:fs';
import { sleep, until } from '../support/wait.ts';

const settings = testSessionSettings;

/** The fake provider and the timers here move in milliseconds: ask often. */
const quick = { timeoutMs: 3000, everyMs: 5 };

test('config: defaults, units, every variable listed', () => {
  const c = loadConfig({});
  assert.equal(c.port, 4321);
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.runnerId, 'registry-lab');
  assert.equal(c.sessionTtlMs, 2 * 3600_000);
  assert.equal(c.sessionIdleMs, 30 * 60_000);
  assert.equal(c.sessionMaxTtlMs, 4 * 3600_000);
  assert.equal(c.sessionWarnBeforeMs, 5 * 60_000);
  assert.equal(c.warmPoolSize, 2);
  assert.equal(c.maxSessions, 20);
  assert.equal(c.maxSessionsPerClient, 3);
  assert.equal(c.workstationMemory, 2 * 1024 ** 3);
  assert.equal(c.workstationCpus, 1);
  assert.equal(c.workstationPids, 2048);
  assert.equal(c.registryMemory, 256 * 1024 ** 2);
  assert.equal(c.logMaxSize, '1m');
  assert.deepEqual(c.allowedOrigins, []);
  assert.equal(c.workstationImage, 'registry-lab/workstation:2');
  assert.equal(c.registryImage, 'registry-lab/registry:2');
  assert.equal(c.mirrorImage, 'registry-lab/mirror:latest');
  assert.ok(c.siteDir.endsWith('/site/dist'));
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('2h'), 7_200_000);
  assert.equal(parseBytes('256m'), 256 * 1024 ** 2);
  const o = loadConfig({ PORT: '0', SESSION_TTL_MS: '30m', ALLOWED_ORIGINS: 'https://a.example/, http://b:1' });
  assert.equal(o.port, 0);
  assert.equal(o.sessionTtlMs, 1_800_000);
  assert.deepEqual(o.allowedOrigins, ['https://a.example', 'http://b:1']);
  assert.throws(() => loadConfig({ PORT: 'abc', MAX_SESSIONS: '-1' }), /PORT[\s\S]*MAX_SESSIONS/);
  assert.throws(() => loadConfig({ SESSION_TTL_MS: '5h' }), /SESSION_MAX_TTL_MS/);
  // Every listed variable is read by the schema (the README table is checked against this list).
  const src = readFileSync(new URL('../../runner/src/config.ts', import.meta.url), 'utf8');
  for (const v of CONFIG_VARIABLES) assert.match(src, new RegExp(`\\b${v.name}: `), v.name);
});

test('sessions: create -> ready, token, get, delete destroys the sandbox', async () => {
  const provider = createFakeProvider();
  const svc = new SessionService({ provider, settings: settings(), log: silentLogger });
  const { session, token } = await svc.create({ clientAddress: 'a', lab: 'x', name: 'N' });
  assert.equal(session.state, 'starting');
  assert.match(session.id, /^[A-Za-z0-9_-]{24}$/);
  assert.equal(Buffer.from(token, 'base64url').length, 32);
  await svc.waitReady(session);
  assert.equal(session.state, 'ready');
  assert.ok(provider.live.has(session.id));
  assert.equal(svc.authenticate(session.id, token), session);
  assert.throws(() => svc.authenticate(session.id, undefined), (e: ApiError) => e.status === 401);
  assert.throws(() => svc.authenticate(session.id, token.slice(1)), (e: ApiError) => e.status === 401);
  assert.throws(() => svc.authenticate('nope', token), (e: ApiError) => e.status === 404);
  const other = await svc.create({ clientAddress: 'b' });
  assert.throws(() => svc.authenticate(other.session.id, token), (e: ApiError) => e.status === 401);
  await svc.delete(session);
  assert.equal(session.state, 'stopped');
  assert.ok(!provider.live.has(session.id));
  await svc.shutdown();
  assert.equal(provider.live.size, 0);
});

test('sessions: deleting while the sandbox is still being created leaves nothing', async () => {
  const provider = createFakeProvider({ createDelayMs: 100 });
  const svc = new SessionService({ provider, settings: settings(), log: silentLogger });
  const { session } = await svc.create({ clientAddress: 'a' });
  await svc.delete(session);
  assert.equal(provider.live.size, 0);
  assert.equal(session.state, 'stopped');
  await svc.shutdown();
});

test('sessions: limits -> 503 with Retry-After, 429 per client', async () => {
  const provider = createFakeProvider();
  const svc = new SessionService({ provider, settings: settings({ maxSessions: 3, maxSessionsPerClient: 2 }), log: silentLogger });
  await svc.create({ clientAddress: 'a' });
  await svc.create({ clientAddress: 'a' });
  await assert.rejects(svc.create({ clientAddress: 'a' }), (e: ApiError) => e.status === 429 && /at most 2/.test(e.message));
  await svc.create({ clientAddress: 'b' });
  await assert.rejects(
    svc.create({ clientAddress: 'c' }),
    (e: ApiError) => e.status === 503 && e.headers['retry-after'] === '30' && /capacity is full/.test(e.message),
  );
  await svc.shutdown();
});

test('sessions: extend up to the cap, then 409', async () => {
  const provider = createFakeProvider();
  const svc = new SessionService({ provider, settings: settings({ sessionTtlMs: 1000, sessionMaxTtlMs: 1500, sessionWarnBeforeMs: 100 }), log: silentLogger });
  const { session } = await svc.create({ clientAddress: 'a' });
  const first = session.expiresAt;
  await sleep(20);
  svc.extend(session);
  assert.ok(session.expiresAt > first);
  await sleep(600);
  svc.extend(session);
  assert.equal(session.expiresAt, session.createdAt + 1500);
  assert.throws(() => svc.extend(session), (e: ApiError) => e.status === 409);
  await svc.shutdown();
});

test('sessions: expiring event, again after extend; expiry ends the session', async () => {
  const provider = createFakeProvider();
  const svc = new SessionService({
    provider,
    settings: settings({ sessionTtlMs: 400, sessionMaxTtlMs: 2000, sessionWarnBeforeMs: 250 }),
    log: silentLogger,
  });
  const events: string[] = [];
  svc.on('expiring', () => events.push('expiring'));
  svc.on('ended', (_s, reason) => events.push(`ended:${reason}`));
  const { session } = await svc.create({ clientAddress: 'a' });
  await until('expiring', () => events.includes('expiring'), quick);
  assert.ok(Date.now() >= session.expiresAt - 260);
  svc.extend(session);
  await until('a second expiring', () => events.filter((e) => e === 'expiring').length === 2, quick);
  await until('ended:expired', () => events.includes('ended:expired'), { ...quick, timeoutMs: 2000 });
  assert.equal(session.state, 'stopped');
  await until('no live sandbox', () => provider.live.size === 0, quick);
  await svc.shutdown();
});

test('sessions: idle expiry without a terminal; a terminal keeps it alive', async () => {
  const provider = createFakeProvider();
  const svc = new SessionService({ provider, settings: settings({ sessionIdleMs: 150 }), log: silentLogger });
  const a = await svc.create({ clientAddress: 'a' });
  const b = await svc.create({ clientAddress: 'a' });
  const detach = svc.attachTerminal(b.session);
  await sleep(300);
  assert.equal(a.session.state, 'stopped');
  assert.equal(a.session.stopReason, 'idle');
  assert.equal(b.session.state, 'ready');
  detach();
  await sleep(300);
  assert.equal(b.session.state, 'stopped');
  await svc.shutdown();
});

test('sessions: a failed sandbox start stops the session with an error', async () => {
  const provider = createFakeProvider();
  provider.failCreate = true;
  const svc = new SessionService({ provider, settings: settings(), log: silentLogger });
  const { session } = await svc.create({ clientAddress: 'a' });
  await assert.rejects(svc.waitReady(session), (e: ApiError) => e.status === 409);
  assert.equal(session.state, 'stopped');
  assert.match(session.error ?? '', /fake create failure/);
  await svc.shutdown();
});

test('warm pool: claimed sandbox is ready at once, pool refills, shutdown destroys all and stops refilling', async () => {
  const provider = createFakeProvider({ createDelayMs: 30 });
  const svc = new SessionService({ provider, settings: settings({ warmPoolSize: 2 }), log: silentLogger });
  svc.start();
  await until('two ready in the pool', () => svc.pool.stats().ready === 2, quick);
  const { session } = await svc.create({ clientAddress: 'a' });
  assert.equal(session.state, 'ready');
  assert.equal(session.fromPool, true);
  assert.ok(provider.live.has(session.id));
  await until('two ready in the pool', () => svc.pool.stats().ready === 2, quick);
  assert.equal(provider.live.size, 3);
  const createdBefore = provider.created.length;
  await svc.shutdown();
  assert.equal(provider.live.size, 0);
  await sleep(100);
  assert.equal(provider.created.length, createdBefore, 'no refill after shutdown');
  await assert.rejects(svc.create({ clientAddress: 'a' }), (e: ApiError) => e.status === 503);
});

test('warm pool: never exceeds capacity left', async () => {
  const provider = createFakeProvider({ createDelayMs: 10 });
  const svc = new SessionService({ provider, settings: settings({ warmPoolSize: 3, maxSessions: 2, maxSessionsPerClient: 5 }), log: silentLogger });
  svc.start();
  await until('two ready in the pool', () => svc.pool.stats().ready === 2, quick);
  await svc.create({ clientAddress: 'a' });
  await svc.create({ clientAddress: 'a' });
  await sleep(100);
  assert.equal(svc.pool.stats().ready + svc.pool.stats().creating, 0);
  assert.equal(provider.live.size, 2);
  await svc.shutdown();
});

test('rate limit: a sliding window per key, with the time until the next event', () => {
  let now = 0;
  const limit = new SlidingWindowLimit(2, 60_000, () => now);
  assert.deepEqual(limit.take('a'), { ok: true });
  now = 10_000;
  assert.deepEqual(limit.take('a'), { ok: true });
  assert.deepEqual(limit.take('b'), { ok: true }, 'keys are counted apart');
  now = 30_000;
  assert.deepEqual(limit.take('a'), { ok: false, retryAfterMs: 30_000 });
  now = 60_001;
  assert.deepEqual(limit.take('a'), { ok: true }, 'the first event left the window');
});

test('sessions: creating too often from one client -> 429 too_many_creations with Retry-After', async () => {
  const provider = createFakeProvider();
  const svc = new SessionService({ provider, settings: settings({ maxSessionCreatesPerMinute: 2, maxSessionsPerClient: 10 }), log: silentLogger });
  for (let i = 0; i < 2; i++) {
    const { session } = await svc.create({ clientAddress: 'a' });
    await svc.delete(session);
  }
  await assert.rejects(svc.create({ clientAddress: 'a' }), (e: unknown) => {
    assert.ok(e instanceof ApiError);
    assert.equal(e.status, 429);
    assert.equal(e.code, 'too_many_creations');
    assert.match(e.message, /Try again in \d+ s/);
    assert.ok(Number(e.headers['retry-after']) > 0);
    return true;
  });
  const other = await svc.create({ clientAddress: 'b' });
  assert.ok(other.session.id, 'another client is not limited');
  await svc.shutdown();
});

test('warm pool: when its target shrinks while a sandbox is being made, a ready sandbox stays and the new one goes', async () => {
  const provider = createFakeProvider({ createDelayMs: 50 });
  let target = 2;
  const pool = new WarmPool({ provider, log: silentLogger, target: () => target });
  pool.fill();
  await until('two ready', () => pool.stats().ready === 2, quick);
  target = 3;
  pool.fill();
  assert.equal(pool.stats().creating, 1);
  target = 2;
  pool.fill();
  assert.equal(pool.stats().ready, 2, 'the ready ones are kept: the next learner claims one at once');
  await until('the extra one made and given back', () => pool.stats().creating === 0 && provider.destroyed.length === 1, quick);
  assert.equal(pool.stats().ready, 2);
  await pool.shutdown();
});

test('waiting for ready: the wait for a start slot does not count, and the runner stopping ends every wait', async () => {
  const provider = createFakeProvider({ createDelayMs: 150 });
  const queue = new StartQueue({ slots: 1 });
  const svc = new SessionService({ provider: queueStarts(provider, queue), settings: settings({ sessionStartTimeoutMs: 200 }), log: silentLogger, startQueue: queue });
  const created = await Promise.all([0, 1, 2].map((i) => svc.create({ clientAddress: `c${i}` })));
  const last = created[2]!.session;
  assert.equal(svc.queuePlace(last.id)?.position, 2, 'the third start waits for the other two');
  // About 300 ms in the queue, then a 150 ms start: longer than the 200 ms start timeout, all of it waiting.
  await svc.waitReady(last);
  assert.equal(last.state, 'ready');
  // A wait the runner's stop ends: 503, not a request left hanging.
  const more = await Promise.all([3, 4].map((i) => svc.create({ clientAddress: `c${i}` })));
  const waiting = assert.rejects(svc.waitReady(more[1]!.session), (e: ApiError) => e.status === 503);
  await svc.stop(0);
  await waiting;
  await assert.rejects(svc.waitReady(more[1]!.session), (e: ApiError) => e.status === 503);
  await svc.shutdown();
});

test('a room being admitted: admissionsSettled waits for the last start that waited, and the runner stopping ends the wait', async () => {
  const provider = createFakeProvider({ createDelayMs: 60 });
  const queue = new StartQueue({ slots: 1 });
  const svc = new SessionService({ provider: queueStarts(provider, queue), settings: settings(), log: silentLogger, startQueue: queue });
  await svc.admissionsSettled(5_000); // nothing arriving: at once
  const created = await Promise.all([0, 1, 2].map((i) => svc.create({ clientAddress: `c${i}` })));
  const [first, , last] = created.map((c) => c.session);
  await svc.waitReady(first!);
  // The first learner is in; a lab setup of theirs waits until the last of the room is in too.
  await svc.admissionsSettled(5_000);
  assert.deepEqual([queue.stats().running, queue.stats().waiting], [0, 0], 'settled only once the last start that waited has ended');
  await svc.waitReady(last!);
  const more = await Promise.all([3, 4].map((i) => svc.create({ clientAddress: `c${i}` })));
  const waiting = assert.rejects(svc.admissionsSettled(5_000), (e: ApiError) => e.status === 503);
  await svc.stop(0);
  await waiting;
  await assert.rejects(svc.admissionsSettled(5_000), (e: ApiError) => e.status === 503);
  assert.ok(more.length === 2);
  await svc.shutdown();
});

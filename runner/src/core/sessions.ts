/**
 * Sessions: one learner's sandbox, its token, its lifetime. No Docker calls here (the sandbox
 * provider is a dependency) and no SQL (the store is). Admission, timers, lab states, the
 * restart recovery and the HTTP views live in their own modules. Events:
 *
 *   'created'  (session)                  a new session was admitted (before its sandbox is ready)
 *   'ready'    (session)                  the sandbox answers; lab setup may start (not on re-adoption)
 *   'expiring' (session)                  SESSION_WARN_BEFORE_MS before the end
 *   'extended' (session)                  expiresAt moved
 *   'ended'    (session, reason)          the session stopped (its sandbox is being removed)
 */
import { EventEmitter } from 'node:events';
import type { SandboxProvider } from '../sandbox/provider.ts';
import { openSqliteStore } from '../store/sqlite.ts';
import type { SessionPatch, Store, StoredSession } from '../store/types.ts';
import { Admission, shuttingDownError } from './admission.ts';
import { ApiError } from './errors.ts';
import { hashToken, newSandboxId, newToken } from './ids.ts';
import { errMessage, type Logger } from './log.ts';
import { WarmPool, type PoolStats } from './pool.ts';
import { recover, type RecoveryReport } from './recovery.ts';
import type { CreateSessionInput, Session, SessionSettings, StopReason } from './session-model.ts';
import { createWithin, removeSandbox } from './creation.ts';
import { deadSandboxes } from './liveness.ts';
import type { QueuePlace, StartQueue, StartQueueStats } from './start-queue.ts';
import { armTimers, newStoredSession, RECREATABLE, recordFrom, revive, saveQuietly, type SessionRecord } from './records.ts';
import { SessionRegistry } from './registry.ts';
import { sessionTimerActions } from './timers.ts';
import { waitReady, whileRunning } from './wait-ready.ts';
import { extendedExpiry, stoppedError } from './views.ts';

export type { CreateSessionInput, Session, SessionSettings, SessionState, StopReason } from './session-model.ts';
export { formatDuration, sessionView } from './views.ts';

const DEFAULT_PROBE_MS = 5_000;

export class SessionService extends EventEmitter {
  readonly settings: SessionSettings;
  readonly store: Store;
  readonly pool: WarmPool;
  private readonly provider: SandboxProvider;
  private readonly log: Logger;
  private readonly registry = new SessionRegistry();
  private readonly admission: Admission;
  private shuttingDown = false;
  private shutdownPromise: Promise<void> | null = null;
  private probeTimer: NodeJS.Timeout | null = null;
  /** Warm sandboxes held for open workshops (their joiners claim them first); set by workshops/service.ts. */
  reservedForWorkshops = (): number => 0;

  /** Cold starts wait here for a slot (start-queue.ts); absent: no queue (tests). */
  private readonly startQueue: StartQueue | undefined;

  constructor(opts: { provider: SandboxProvider; settings: SessionSettings; log: Logger; store?: Store; startQueue?: StartQueue }) {
    super();
    this.setMaxListeners(0);
    ({ provider: this.provider, settings: this.settings, log: this.log, startQueue: this.startQueue } = opts);
    this.store = opts.store ?? openSqliteStore(':memory:').store;
    this.admission = new Admission(this.settings);
    const target = () => Math.max(0, Math.min(this.settings.warmPoolSize + this.reservedForWorkshops(), this.settings.maxSessions - this.occupiedBySessions()));
    this.pool = new WarmPool({ provider: this.provider, log: this.log, target });
  }

  /** Takes back what a previous run left (see recovery.ts). Call once, before start(). */
  recover(): Promise<RecoveryReport> {
    const { store, provider, log, settings } = this;
    return recover({ store, provider, log, settings, register: (stored, state) => this.register(stored, state) });
  }

  /** Starts the warm pool and the liveness probe. */
  start(): void {
    this.pool.fill();
    const every = this.settings.sessionProbeMs ?? DEFAULT_PROBE_MS;
    if (every > 0 && !this.probeTimer) {
      this.probeTimer = setInterval(() => void this.probe(), every);
      this.probeTimer.unref();
    }
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Where the session's cold start waits, or null (not waiting). */
  queuePlace(id: string): QueuePlace | null {
    return this.startQueue?.place(id) ?? null;
  }

  /** Resolves once no room is being admitted through the start queue, or after maxMs (start-queue.ts, settled). */
  admissionsSettled(maxMs: number): Promise<void> {
    if (this.shuttingDown) return Promise.reject(shuttingDownError());
    const queue = this.startQueue;
    if (!queue?.admitting) return Promise.resolve();
    // The runner stopping ends the wait (503), as it ends waits for ready.
    return whileRunning(this, queue.settled(maxMs));
  }

  activeCount(): number {
    return this.stats().sessions;
  }

  /** Sandboxes of sessions on the engine or about to be: live, reserved, being removed. */
  private occupiedBySessions(): number {
    return this.registry.counts().onEngine + this.admission.reservedTotal();
  }

  stats(): { sessions: number; starting: number; ready: number; terminals: number; sandboxes: number; pool: PoolStats; startQueue: StartQueueStats | null } {
    const { starting, ready, terminals } = this.registry.counts();
    return { sessions: starting + ready, starting, ready, terminals, sandboxes: this.occupiedBySessions() + this.pool.occupied(), pool: this.pool.stats(), startQueue: this.startQueue?.stats() ?? null };
  }

  /** Every session not stopped (for the dashboard, tests and the bench). */
  list(): Session[] {
    return this.registry.all().map((r) => r.session).filter((s) => s.state !== 'stopped');
  }

  async create(input: CreateSessionInput): Promise<{ session: Session; token: string }> {
    if (this.shuttingDown) throw shuttingDownError();
    const client = input.clientAddress;
    const { release, mayClaim } = this.admission.admitCreation(input, { registry: this.registry, sandboxes: this.stats().sandboxes, poolReady: this.pool.stats().ready, reservedForWorkshops: this.reservedForWorkshops() });
    // The reservation holds until the session is registered: released earlier, the pool's target
    // would count this sandbox nowhere for a moment and start one more.
    let pooled: Awaited<ReturnType<WarmPool['claim']>>;
    let token: string;
    let stored: StoredSession;
    let rec: SessionRecord;
    try {
      pooled = await (mayClaim ? this.pool.claim() : Promise.resolve(null)).catch(() => null);
      if (this.shuttingDown) {
        if (pooled) await this.provider.destroy(pooled.id).catch(() => {});
        throw shuttingDownError();
      }
      token = newToken();
      stored = newStoredSession({ id: pooled?.id ?? newSandboxId(), tokenHash: hashToken(token), input, ttlMs: this.settings.sessionTtlMs, fromPool: Boolean(pooled) });
      this.store.insertSession(stored);
      rec = this.register(stored, 'starting');
    } finally {
      release();
    }
    rec.session.labStatus = input.lab ? 'pending' : null;
    if (pooled) this.markReady(rec);
    else this.startSandbox(rec);
    this.pool.fill();
    this.log.info({ session: stored.id, fromPool: stored.fromPool, lab: stored.lab, workshop: stored.workshop, client }, 'session created');
    this.emit('created', rec.session);
    return { session: rec.session, token };
  }

  /** Puts a session in memory (new, re-adopted or stopped) with its timers. */
  private register(stored: StoredSession, state: Session['state']): SessionRecord {
    const rec = recordFrom(stored, state, this.store, (r) =>
      sessionTimerActions(r.session, {
        halted: () => this.shuttingDown,
        end: (reason) => void this.end(r, reason),
        warn: () => this.emit('expiring', r.session),
        log: this.log,
      }),
    );
    this.registry.add(rec);
    armTimers(rec, stored.stoppedAt, this.settings, () => this.registry.forget(rec));
    return rec;
  }

  private persist(id: string, patch: SessionPatch): void {
    saveQuietly(this.store, this.log, id, patch);
  }

  private startSandbox(rec: SessionRecord): void {
    const { session } = rec;
    const abort = (rec.abort = new AbortController());
    rec.creation = createWithin(this.provider, session.id, abort, this.settings.sessionStartTimeoutMs).then(
      () => {
        if (session.state === 'starting') this.markReady(rec);
      },
      (err: unknown) => {
        if (session.state === 'stopped') return;
        session.error = `The sandbox could not start: ${errMessage(err)}`;
        this.log.error({ session: session.id, err: errMessage(err) }, 'sandbox creation failed');
        void this.end(rec, 'failed');
      },
    ).finally(() => {
      rec.abort = null;
    });
  }

  private markReady(rec: SessionRecord): void {
    rec.session.state = 'ready';
    rec.session.readyAt = Date.now();
    this.persist(rec.session.id, { state: 'ready', readyAt: rec.session.readyAt });
    this.emit('ready', rec.session);
  }

  /** The session if the token matches: 404 unknown id, 401 missing or wrong token. */
  authenticate(id: string, token: string | undefined | null): Session {
    return this.registry.authenticate(id, token);
  }

  /** The session without authentication (internal use). */
  get(id: string): Session | undefined {
    return this.registry.record(id)?.session;
  }

  /** Resolves once the session is ready; rejects with 409 if it stopped, or after timeoutMs if given (wait-ready.ts). */
  waitReady(session: Session, timeoutMs?: number): Promise<Session> {
    if (this.shuttingDown && session.state === 'starting') return Promise.reject(shuttingDownError());
    return waitReady(this, session, timeoutMs);
  }

  /** Moves expiresAt to now + SESSION_TTL_MS, capped at createdAt + SESSION_MAX_TTL_MS. */
  /** The learner switched the page's language: later check messages and quiz explanations use it (kept in the store). Allowed on a stopped session too (its view still answers). */
  setLang(session: Session, lang: 'ru' | 'en'): Session {
    if (session.lang !== lang) {
      session.lang = lang;
      this.persist(session.id, { lang });
    }
    return session;
  }

  extend(session: Session): Session {
    const rec = this.registry.record(session.id);
    if (!rec || session.state === 'stopped') throw stoppedError(session);
    const next = extendedExpiry(session, this.settings.sessionTtlMs, this.settings.sessionMaxTtlMs);
    if (next > session.expiresAt) {
      session.expiresAt = next;
      this.persist(session.id, { expiresAt: next });
      rec.timers.expiry(next, this.settings.sessionWarnBeforeMs);
      this.emit('extended', session);
    }
    return session;
  }

  /** Ends the session and waits until its sandbox is gone (a creation in flight is cancelled). Idempotent. */
  async delete(session: Session): Promise<void> {
    const rec = this.registry.record(session.id);
    if (!rec) return;
    await this.end(rec, 'deleted');
  }

  /** A terminal connected: the session is not idle. Returns the detach function. */
  attachTerminal(session: Session): () => void {
    const rec = this.registry.record(session.id);
    session.terminals++;
    rec?.timers.stopIdle();
    let detached = false;
    return () => {
      if (detached) return;
      detached = true;
      session.terminals = Math.max(0, session.terminals - 1);
      if (rec && session.terminals === 0 && session.state !== 'stopped' && !this.shuttingDown) rec.timers.idle(this.settings.sessionIdleMs);
    };
  }

  /** True when the session ends within SESSION_WARN_BEFORE_MS (a terminal connecting then gets the event at once). */
  isExpiringSoon(session: Session): boolean {
    return session.state !== 'stopped' && session.expiresAt - Date.now() <= this.settings.sessionWarnBeforeMs;
  }

  /** Ready sessions whose workstation is gone or stopped end with reason `died`. */
  async probe(): Promise<number> {
    const dead = this.shuttingDown ? [] : await deadSandboxes(this.provider, this.registry.all(), this.log);
    for (const rec of dead) void this.end(rec, 'died');
    return dead.length;
  }

  /**
   * A fresh sandbox for a session whose own is gone (stopped: died, vanished, failed): same id,
   * token, expiry and progress. Counts as a creation for the limits. 409 otherwise.
   */
  async recreate(session: Session): Promise<Session> {
    const rec = this.registry.record(session.id);
    if (this.shuttingDown) throw shuttingDownError();
    if (!rec || session.state !== 'stopped' || !RECREATABLE.includes(session.stopReason!) || session.expiresAt <= Date.now()) {
      throw new ApiError(409, 'not_recreatable', 'Only a session whose sandbox died or vanished, and that has not expired, gets a fresh sandbox; start a new session.');
    }
    await rec.destroyed;
    this.admission.admit(session.clientAddress, { sandboxes: this.stats().sandboxes, pooledReady: false, ofClient: 0 });
    if (session.state !== 'stopped' || rec.destroyed === null) return session;
    revive(rec, this.settings);
    this.persist(session.id, { state: 'starting', stopReason: null, error: null, readyAt: null, stoppedAt: null });
    this.startSandbox(rec);
    this.log.info({ session: session.id }, 'fresh sandbox for the session');
    return session;
  }

  private end(rec: SessionRecord, reason: StopReason): Promise<void> {
    const { session } = rec;
    if (rec.destroyed) return rec.destroyed;
    session.state = 'stopped';
    session.stopReason = reason;
    rec.removing = true;
    rec.timers.stopAll();
    this.persist(session.id, { state: 'stopped', stopReason: reason, stoppedAt: Date.now(), error: session.error });
    rec.abort?.abort();
    this.emit('ended', session, reason);
    rec.destroyed = (async () => {
      // A creation in flight was cancelled above; it settles before the removal.
      await removeSandbox(this.provider, session.id, rec.creation, this.log);
      rec.removing = false;
      this.log.info({ session: session.id, reason }, 'session ended');
      if (!this.shuttingDown) {
        rec.timers.removeAfter(this.settings.sessionStoppedKeepMs, () => this.registry.forget(rec));
        this.pool.fill();
      }
    })();
    return rec.destroyed;
  }

  /**
   * The runner stops and sessions survive: no new session, timers and probe stop, the pool is
   * abandoned (the next start reaps it), creations in flight get up to `waitMs` to finish.
   */
  async stop(waitMs = 30_000): Promise<void> {
    this.halt();
    this.pool.abandon();
    const pending = this.registry.all().flatMap((r) => [r.creation?.catch(() => {}), r.destroyed ?? undefined]);
    await Promise.race([Promise.allSettled(pending), new Promise((r) => setTimeout(r, waitMs).unref())]);
    this.registry.clear();
  }

  /** Ends every session and removes every sandbox and the pool (reset, tests); no refill afterwards. */
  shutdown(): Promise<void> {
    if (this.shutdownPromise) return this.shutdownPromise;
    this.halt();
    this.shutdownPromise = (async () => {
      const poolDone = this.pool.shutdown();
      await Promise.allSettled(this.registry.all().map((rec) => this.end(rec, 'shutdown')));
      await poolDone;
      this.registry.clear();
    })();
    return this.shutdownPromise;
  }

  private halt(): void {
    if (!this.shuttingDown) this.emit('halted');
    this.shuttingDown = true;
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = null;
  }
}

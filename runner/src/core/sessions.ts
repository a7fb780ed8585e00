/**
 * Sessions: one learner's sandbox, its token, its lifetime. No Docker calls here (the sandbox
 * provider is a dependency) and no SQL (the store is). Admission, timers, lab states, the
 * restart recovery and the HTTP views live in their own modules. Events:
 *
 *   'ready'    (session)                  the sandbox answers; lab setup may start (not on re-adoption)
 *   'expiring' (session)                  SESSION_WARN_BEFORE_MS before the end
 *   'extended' (session)                  expiresAt moved
 *   'ended'    (session, reason)          the session stopped (its sandbox is being removed)
 */
import { EventEmitter } from 'node:events';
import type { SandboxProvider } from '../docker/provider.ts';
import { openSqliteStore } from '../store/sqlite.ts';
import type { SessionPatch, Store, StoredSession } from '../store/types.ts';
import { Admission, shuttingDownError } from './admission.ts';
import { ApiError, notFound } from './errors.ts';
import { hashToken, ID_PATTERN, newSandboxId, newToken, tokenMatches } from './ids.ts';
import { LabStateMap } from './lab-states.ts';
import { errMessage, type Logger } from './log.ts';
import { WarmPool, type PoolStats } from './pool.ts';
import { recover, type RecoveryReport } from './recovery.ts';
import type { CreateSessionInput, Session, SessionSettings, StopReason } from './session.ts';
import { SessionTimers } from './timers.ts';
import { formatDuration, stoppedError } from './views.ts';

export type { CreateSessionInput, Session, SessionSettings, SessionState, StopReason } from './session.ts';
export { formatDuration, sessionView } from './views.ts';

export interface SessionRecord {
  session: Session;
  tokenHash: Buffer;
  timers: SessionTimers;
  /** The sandbox creation in flight, and how to cancel it. */
  creation: Promise<void> | null;
  abort: AbortController | null;
  /** Set once the session ended: resolves when its sandbox is gone. */
  destroyed: Promise<void> | null;
  /** Ended but its sandbox is still on the engine (counts against MAX_SESSIONS). */
  removing: boolean;
}

const DEFAULT_PROBE_MS = 5_000;

export class SessionService extends EventEmitter {
  readonly settings: SessionSettings;
  readonly store: Store;
  readonly pool: WarmPool;
  private readonly provider: SandboxProvider;
  private readonly log: Logger;
  private readonly records = new Map<string, SessionRecord>();
  private readonly admission: Admission;
  /** Slots taken by creations that are still asking the pool (limits hold under bursts). */
  private readonly reserved = new Map<string, number>();
  private shuttingDown = false;
  private shutdownPromise: Promise<void> | null = null;
  private probeTimer: NodeJS.Timeout | null = null;

  constructor(opts: { provider: SandboxProvider; settings: SessionSettings; log: Logger; store?: Store }) {
    super();
    this.setMaxListeners(0);
    this.provider = opts.provider;
    this.settings = opts.settings;
    this.log = opts.log;
    this.store = opts.store ?? openSqliteStore(':memory:').store;
    this.admission = new Admission(this.settings);
    this.pool = new WarmPool({
      provider: this.provider,
      log: this.log,
      target: () => Math.max(0, Math.min(this.settings.warmPoolSize, this.settings.maxSessions - this.occupiedBySessions())),
    });
  }

  /** Takes back what a previous run left (see recovery.ts). Call once, before start(). */
  async recover(): Promise<RecoveryReport> {
    return recover({
      store: this.store,
      provider: this.provider,
      log: this.log,
      settings: this.settings,
      register: (stored, state) => this.register(stored, state),
    });
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

  activeCount(): number {
    let n = 0;
    for (const r of this.records.values()) if (r.session.state !== 'stopped') n++;
    return n;
  }

  /** Sandboxes of sessions on the engine or about to be: live, reserved, being removed. */
  private occupiedBySessions(): number {
    let n = 0;
    for (const r of this.records.values()) if (r.session.state !== 'stopped' || r.removing) n++;
    for (const k of this.reserved.values()) n += k;
    return n;
  }

  stats(): { sessions: number; starting: number; ready: number; terminals: number; sandboxes: number; pool: PoolStats } {
    let starting = 0;
    let ready = 0;
    let terminals = 0;
    for (const { session } of this.records.values()) {
      if (session.state === 'starting') starting++;
      if (session.state === 'ready') ready++;
      terminals += session.terminals;
    }
    return { sessions: starting + ready, starting, ready, terminals, sandboxes: this.occupiedBySessions() + this.pool.occupied(), pool: this.pool.stats() };
  }

  /** Every session not stopped (for the dashboard, tests and the bench). */
  list(): Session[] {
    return [...this.records.values()].map((r) => r.session).filter((s) => s.state !== 'stopped');
  }

  async create(input: CreateSessionInput): Promise<{ session: Session; token: string }> {
    if (this.shuttingDown) throw shuttingDownError();
    const client = input.clientAddress;
    let ofClient = this.reserved.get(client) ?? 0;
    for (const { session } of this.records.values()) if (session.state !== 'stopped' && session.clientAddress === client) ofClient++;
    this.admission.admit(client, {
      sandboxes: this.occupiedBySessions() + this.pool.occupied(),
      pooledReady: this.pool.stats().ready > 0,
      ofClient,
    });

    this.reserved.set(client, (this.reserved.get(client) ?? 0) + 1);
    let pooled: { id: string } | null;
    try {
      pooled = await this.pool.claim().catch(() => null);
    } finally {
      const left = (this.reserved.get(client) ?? 1) - 1;
      if (left > 0) this.reserved.set(client, left);
      else this.reserved.delete(client);
    }
    if (this.shuttingDown) {
      if (pooled) await this.provider.destroy(pooled.id).catch(() => {});
      throw shuttingDownError();
    }

    const now = Date.now();
    const token = newToken();
    const stored: StoredSession = {
      id: pooled?.id ?? newSandboxId(),
      tokenHash: hashToken(token),
      clientAddress: client,
      createdAt: now,
      expiresAt: now + this.settings.sessionTtlMs,
      state: 'starting',
      stopReason: null,
      error: null,
      lab: input.lab ?? null,
      workshop: input.workshop ?? null,
      name: input.name ?? null,
      fromPool: Boolean(pooled),
      readyAt: null,
      stoppedAt: null,
    };
    this.store.insertSession(stored);
    const rec = this.register(stored, 'starting');
    rec.session.labStatus = input.lab ? 'pending' : null;
    if (pooled) this.markReady(rec);
    else {
      rec.abort = new AbortController();
      rec.creation = this.startSandbox(rec, rec.abort.signal);
    }
    this.pool.fill();
    this.log.info({ session: stored.id, fromPool: stored.fromPool, lab: stored.lab, client }, 'session created');
    return { session: rec.session, token };
  }

  /** Puts a session in memory (new, re-adopted or stopped) with its timers. */
  private register(stored: StoredSession, state: Session['state']): SessionRecord {
    const session: Session = {
      id: stored.id,
      createdAt: stored.createdAt,
      state,
      expiresAt: stored.expiresAt,
      lab: stored.lab,
      workshop: stored.workshop,
      name: stored.name,
      clientAddress: stored.clientAddress,
      error: stored.error,
      labError: null,
      labStatus: null,
      stopReason: (stored.stopReason as StopReason | null) ?? null,
      fromPool: stored.fromPool,
      readyAt: stored.readyAt,
      terminals: 0,
      labStates: new LabStateMap(this.store, stored.id, state === 'stopped' ? undefined : this.store.labStates(stored.id)),
    };
    const rec: SessionRecord = {
      session,
      tokenHash: stored.tokenHash,
      creation: null,
      abort: null,
      destroyed: null,
      removing: false,
      timers: new SessionTimers({
        expire: () => {
          this.log.info({ session: session.id }, 'session expired');
          void this.end(rec, 'expired');
        },
        warn: () => {
          if (session.state !== 'stopped') this.emit('expiring', session);
        },
        idle: () => {
          if (session.terminals === 0 && session.state !== 'stopped') {
            this.log.info({ session: session.id }, 'session idle (no terminal); ending it');
            void this.end(rec, 'idle');
          }
        },
      }),
    };
    this.records.set(session.id, rec);
    if (state === 'stopped') {
      const keep = (stored.stoppedAt ?? Date.now()) + this.settings.sessionStoppedKeepMs - Date.now();
      rec.timers.removeAfter(keep, () => this.forget(rec));
    } else {
      rec.timers.expiry(session.expiresAt, this.settings.sessionWarnBeforeMs);
      rec.timers.idle(this.settings.sessionIdleMs);
    }
    return rec;
  }

  private forget(rec: SessionRecord): void {
    if (this.records.get(rec.session.id) === rec) this.records.delete(rec.session.id);
  }

  private persist(id: string, patch: SessionPatch): void {
    try {
      this.store.updateSession(id, patch);
    } catch (err) {
      this.log.error({ session: id, err: errMessage(err) }, 'could not save the session');
    }
  }

  private async startSandbox(rec: SessionRecord, signal: AbortSignal): Promise<void> {
    const { session } = rec;
    let timer: NodeJS.Timeout | null = null;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the sandbox did not start within ${Math.round(this.settings.sessionStartTimeoutMs / 1000)} s`)),
          this.settings.sessionStartTimeoutMs,
        );
        timer.unref();
      });
      await Promise.race([this.provider.create(session.id, { signal }), timeout]);
      if (session.state === 'starting') this.markReady(rec);
    } catch (err) {
      if (session.state !== 'stopped') {
        session.error = `The sandbox could not start: ${errMessage(err)}`;
        this.log.error({ session: session.id, err: errMessage(err) }, 'sandbox creation failed');
        void this.end(rec, 'failed');
      }
    } finally {
      if (timer) clearTimeout(timer);
      rec.abort = null;
    }
  }

  private markReady(rec: SessionRecord): void {
    rec.session.state = 'ready';
    rec.session.readyAt = Date.now();
    this.persist(rec.session.id, { state: 'ready', readyAt: rec.session.readyAt });
    this.emit('ready', rec.session);
  }

  private lookup(id: string): SessionRecord {
    const rec = typeof id === 'string' && ID_PATTERN.test(id) ? this.records.get(id) : undefined;
    if (!rec) throw notFound('session', String(id));
    return rec;
  }

  /** The session if the token matches: 404 unknown id, 401 missing or wrong token. */
  authenticate(id: string, token: string | undefined | null): Session {
    const rec = this.lookup(id);
    if (!token) throw new ApiError(401, 'missing_token', 'This call needs the session token: Authorization: Bearer <token> (or ?token= for the terminal).');
    if (!tokenMatches(token, rec.tokenHash)) throw new ApiError(401, 'wrong_token', 'The token does not belong to this session.');
    return rec.session;
  }

  /** The session without authentication (internal use). */
  get(id: string): Session | undefined {
    return this.records.get(id)?.session;
  }

  /** Resolves once the session is ready; rejects with 409 if it stopped, or after timeoutMs. */
  waitReady(session: Session, timeoutMs = this.settings.sessionStartTimeoutMs): Promise<Session> {
    if (session.state === 'ready') return Promise.resolve(session);
    if (session.state === 'stopped') return Promise.reject(stoppedError(session));
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.off('ready', onReady);
        this.off('ended', onEnded);
      };
      const onReady = (s: Session) => {
        if (s !== session) return;
        done();
        resolve(s);
      };
      const onEnded = (s: Session) => {
        if (s !== session) return;
        done();
        reject(stoppedError(s));
      };
      const timer = setTimeout(() => {
        done();
        reject(new ApiError(409, 'session_starting', 'The sandbox is still starting; try again in a few seconds.'));
      }, timeoutMs);
      timer.unref();
      this.on('ready', onReady);
      this.on('ended', onEnded);
    });
  }

  /** Moves expiresAt to now + SESSION_TTL_MS, capped at createdAt + SESSION_MAX_TTL_MS. */
  extend(session: Session): Session {
    const rec = this.records.get(session.id);
    if (!rec || session.state === 'stopped') throw stoppedError(session);
    const cap = session.createdAt + this.settings.sessionMaxTtlMs;
    if (session.expiresAt >= cap) {
      throw new ApiError(
        409,
        'max_lifetime_reached',
        `The session already lasts the maximum of ${formatDuration(this.settings.sessionMaxTtlMs)}; it cannot be extended further.`,
      );
    }
    const next = Math.min(cap, Date.now() + this.settings.sessionTtlMs);
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
    const rec = this.records.get(session.id);
    if (!rec) return;
    await this.end(rec, 'deleted');
  }

  /** A terminal connected: the session is not idle. Returns the detach function. */
  attachTerminal(session: Session): () => void {
    const rec = this.records.get(session.id);
    session.terminals++;
    rec?.timers.stopIdle();
    let detached = false;
    return () => {
      if (detached) return;
      detached = true;
      session.terminals = Math.max(0, session.terminals - 1);
      if (rec && session.terminals === 0 && session.state !== 'stopped') rec.timers.idle(this.settings.sessionIdleMs);
    };
  }

  /** True when the session ends within SESSION_WARN_BEFORE_MS (a terminal connecting then gets the event at once). */
  isExpiringSoon(session: Session): boolean {
    return session.state !== 'stopped' && session.expiresAt - Date.now() <= this.settings.sessionWarnBeforeMs;
  }

  /** Ready sessions whose workstation is gone or stopped end with reason `died`. */
  async probe(): Promise<number> {
    if (this.shuttingDown) return 0;
    const ready = [...this.records.values()].filter((r) => r.session.state === 'ready');
    if (!ready.length) return 0;
    let found;
    try {
      found = await this.provider.sandboxes();
    } catch (err) {
      this.log.warn({ err: errMessage(err) }, 'sandbox probe failed');
      return 0;
    }
    let died = 0;
    for (const rec of ready) {
      if (rec.session.state !== 'ready' || found.get(rec.session.id)?.running) continue;
      died++;
      rec.session.error = 'The sandbox stopped working (its workstation is no longer running). Start a new sandbox; your progress is kept.';
      this.log.warn({ session: rec.session.id }, 'workstation is not running; the session stops');
      void this.end(rec, 'died');
    }
    return died;
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
      // A creation in flight was cancelled above; let it settle so nothing is left behind.
      if (rec.creation) await rec.creation.catch(() => {});
      try {
        await this.provider.destroy(session.id);
      } catch (err) {
        this.log.error({ session: session.id, err: errMessage(err) }, 'sandbox destroy failed');
      }
      rec.removing = false;
      this.log.info({ session: session.id, reason }, 'session ended');
      if (!this.shuttingDown) {
        rec.timers.removeAfter(this.settings.sessionStoppedKeepMs, () => this.forget(rec));
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
    this.shuttingDown = true;
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = null;
    this.pool.abandon();
    const creations = [...this.records.values()].flatMap((r) => (r.creation ? [r.creation.catch(() => {})] : []));
    const destroys = [...this.records.values()].flatMap((r) => (r.destroyed ? [r.destroyed] : []));
    await Promise.race([Promise.allSettled([...creations, ...destroys]), new Promise((r) => setTimeout(r, waitMs).unref())]);
    for (const rec of this.records.values()) rec.timers.dispose();
    this.records.clear();
  }

  /** Ends every session and removes every sandbox and the pool (reset, tests); no refill afterwards. */
  shutdown(): Promise<void> {
    if (this.shutdownPromise) return this.shutdownPromise;
    this.shuttingDown = true;
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = null;
    this.shutdownPromise = (async () => {
      const poolDone = this.pool.shutdown();
      await Promise.allSettled([...this.records.values()].map((rec) => this.end(rec, 'shutdown')));
      await poolDone;
      for (const rec of this.records.values()) rec.timers.dispose();
      this.records.clear();
    })();
    return this.shutdownPromise;
  }
}

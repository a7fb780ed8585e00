/**
 * Sessions: one learner's sandbox, its token, its lifetime. No Docker calls here; the
 * sandbox provider is a dependency. Terminals and labs subscribe to the events:
 *
 *   'ready'    (session)                  the sandbox answers; lab setup may start
 *   'expiring' (session)                  SESSION_WARN_BEFORE_MS before the end
 *   'extended' (session)                  expiresAt moved
 *   'ended'    (session, reason)          the session stopped (its sandbox is being removed)
 */
import { EventEmitter } from 'node:events';
import type { SandboxProvider } from '../docker/provider.ts';
import type { LabState } from '../../../checks/context.ts';
import { ApiError, notFound } from './errors.ts';
import { hashToken, ID_PATTERN, newSandboxId, newToken, tokenMatches } from './ids.ts';
import type { Config } from '../config.ts';
import { errMessage, type Logger } from './log.ts';
import { WarmPool, type PoolStats } from './pool.ts';
import { SlidingWindowLimit } from './rate-limit.ts';

export type SessionState = 'starting' | 'ready' | 'stopped';
export type StopReason = 'deleted' | 'expired' | 'idle' | 'failed' | 'shutdown';

export type SessionSettings = Pick<
  Config,
  | 'sessionTtlMs'
  | 'sessionIdleMs'
  | 'sessionMaxTtlMs'
  | 'sessionWarnBeforeMs'
  | 'sessionStoppedKeepMs'
  | 'sessionStartTimeoutMs'
  | 'warmPoolSize'
  | 'maxSessions'
  | 'maxSessionsPerClient'
  | 'maxSessionCreatesPerMinute'
>;

export interface Session {
  readonly id: string;
  readonly createdAt: number;
  state: SessionState;
  /** Epoch ms. */
  expiresAt: number;
  lab: string | null;
  workshop: string | null;
  name: string | null;
  clientAddress: string;
  /** Why the sandbox could not start (state stopped, stopReason failed). */
  error: string | null;
  /** Why the lab given at creation could not be set up. */
  labError: string | null;
  /** Setup of the lab given at creation: pending until the sandbox is ready. */
  labStatus: 'pending' | 'starting' | 'ready' | 'failed' | null;
  stopReason: StopReason | null;
  fromPool: boolean;
  readyAt: number | null;
  /** Terminals connected now. */
  terminals: number;
  /** Per-lab grading memory (checks/context.ts LabState). */
  readonly labStates: Map<string, LabState>;
}

interface Internal {
  session: Session;
  tokenHash: Buffer;
  creation: Promise<void> | null;
  expireTimer: NodeJS.Timeout | null;
  warnTimer: NodeJS.Timeout | null;
  idleTimer: NodeJS.Timeout | null;
  removeTimer: NodeJS.Timeout | null;
  /** expiresAt for which 'expiring' was already emitted. */
  warnedFor: number;
  destroyed: Promise<void> | null;
}

export interface CreateSessionInput {
  lab?: string | null;
  workshop?: string | null;
  name?: string | null;
  clientAddress: string;
}

/** Retry-After (seconds) when capacity is full. */
const RETRY_AFTER_S = 30;

export class SessionService extends EventEmitter {
  readonly settings: SessionSettings;
  private readonly provider: SandboxProvider;
  private readonly log: Logger;
  private readonly sessions = new Map<string, Internal>();
  readonly pool: WarmPool;
  private shuttingDown = false;
  private shutdownPromise: Promise<void> | null = null;
  private readonly creations: SlidingWindowLimit;

  constructor(opts: { provider: SandboxProvider; settings: SessionSettings; log: Logger }) {
    super();
    this.setMaxListeners(0);
    this.provider = opts.provider;
    this.settings = opts.settings;
    this.log = opts.log;
    this.creations = new SlidingWindowLimit(this.settings.maxSessionCreatesPerMinute, 60_000);
    this.pool = new WarmPool({
      provider: this.provider,
      log: this.log,
      target: () => Math.max(0, Math.min(this.settings.warmPoolSize, this.settings.maxSessions - this.activeCount())),
    });
  }

  /** Starts the warm pool. */
  start(): void {
    this.pool.fill();
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  activeCount(): number {
    let n = 0;
    for (const s of this.sessions.values()) if (s.session.state !== 'stopped') n++;
    return n;
  }

  stats(): { sessions: number; starting: number; ready: number; terminals: number; pool: PoolStats } {
    let starting = 0;
    let ready = 0;
    let terminals = 0;
    for (const { session } of this.sessions.values()) {
      if (session.state === 'starting') starting++;
      if (session.state === 'ready') ready++;
      terminals += session.terminals;
    }
    return { sessions: starting + ready, starting, ready, terminals, pool: this.pool.stats() };
  }

  /** Every session not stopped (for the dashboard, tests and the bench). */
  list(): Session[] {
    return [...this.sessions.values()].map((s) => s.session).filter((s) => s.state !== 'stopped');
  }

  async create(input: CreateSessionInput): Promise<{ session: Session; token: string }> {
    if (this.shuttingDown) {
      throw new ApiError(503, 'shutting_down', 'The runner is shutting down; try again in a moment.', { 'retry-after': String(RETRY_AFTER_S) });
    }
    if (this.activeCount() >= this.settings.maxSessions) {
      throw new ApiError(
        503,
        'capacity_full',
        `All ${this.settings.maxSessions} sandboxes are in use; capacity is full. Try again in a few minutes.`,
        { 'retry-after': String(RETRY_AFTER_S) },
      );
    }
    let mine = 0;
    for (const { session } of this.sessions.values()) {
      if (session.state !== 'stopped' && session.clientAddress === input.clientAddress) mine++;
    }
    if (mine >= this.settings.maxSessionsPerClient) {
      throw new ApiError(
        429,
        'too_many_sessions',
        `You already have ${mine} sessions open (at most ${this.settings.maxSessionsPerClient} per client). Delete one or wait until one expires.`,
      );
    }
    const rate = this.creations.take(input.clientAddress);
    if (!rate.ok) {
      const seconds = Math.max(1, Math.ceil(rate.retryAfterMs / 1000));
      throw new ApiError(
        429,
        'too_many_creations',
        `You created ${this.creations.limit} sessions in the last minute (at most ${this.creations.limit} per client). Try again in ${seconds} s.`,
        { 'retry-after': String(seconds) },
      );
    }

    // Reserve the slot synchronously (the pool claim below awaits), so limits hold under bursts.
    const now = Date.now();
    const placeholderId = newSandboxId();
    const token = newToken();
    const session: Session = {
      id: placeholderId,
      createdAt: now,
      state: 'starting',
      expiresAt: now + this.settings.sessionTtlMs,
      lab: input.lab ?? null,
      workshop: input.workshop ?? null,
      name: input.name ?? null,
      clientAddress: input.clientAddress,
      error: null,
      labError: null,
      labStatus: input.lab ? 'pending' : null,
      stopReason: null,
      fromPool: false,
      readyAt: null,
      terminals: 0,
      labStates: new Map(),
    };
    const rec: Internal = {
      session,
      tokenHash: hashToken(token),
      creation: null,
      expireTimer: null,
      warnTimer: null,
      idleTimer: null,
      removeTimer: null,
      warnedFor: 0,
      destroyed: null,
    };
    this.sessions.set(placeholderId, rec);

    const pooled = await this.pool.claim().catch(() => null);
    if (session.state === 'stopped' || this.shuttingDown) {
      // The runner began shutting down while the pool was asked.
      if (pooled) await this.provider.destroy(pooled.id).catch(() => {});
      this.sessions.delete(placeholderId);
      throw new ApiError(503, 'shutting_down', 'The runner is shutting down; try again in a moment.', { 'retry-after': String(RETRY_AFTER_S) });
    }
    if (pooled) {
      // The session takes the pooled sandbox's id.
      this.sessions.delete(placeholderId);
      (session as { id: string }).id = pooled.id;
      this.sessions.set(pooled.id, rec);
      session.fromPool = true;
      this.markReady(rec);
    } else {
      rec.creation = this.startSandbox(rec);
    }
    this.scheduleExpiry(rec);
    this.scheduleIdle(rec);
    this.pool.fill();
    this.log.info({ session: session.id, fromPool: session.fromPool, lab: session.lab, client: input.clientAddress }, 'session created');
    return { session, token };
  }

  private async startSandbox(rec: Internal): Promise<void> {
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
      await Promise.race([this.provider.create(session.id), timeout]);
      if (session.state === 'starting') this.markReady(rec);
    } catch (err) {
      if (session.state !== 'stopped') {
        session.error = `The sandbox could not start: ${errMessage(err)}`;
        this.log.error({ session: session.id, err: errMessage(err) }, 'sandbox creation failed');
        void this.end(rec, 'failed');
      }
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  private markReady(rec: Internal): void {
    rec.session.state = 'ready';
    rec.session.readyAt = Date.now();
    this.emit('ready', rec.session);
  }

  private lookup(id: string): Internal {
    const rec = typeof id === 'string' && ID_PATTERN.test(id) ? this.sessions.get(id) : undefined;
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
    return this.sessions.get(id)?.session;
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
    const rec = this.sessions.get(session.id);
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
      this.scheduleExpiry(rec);
      this.emit('extended', session);
    }
    return session;
  }

  /** Ends the session and waits until its sandbox is gone. Idempotent. */
  async delete(session: Session): Promise<void> {
    const rec = this.sessions.get(session.id);
    if (!rec) return;
    await this.end(rec, 'deleted');
  }

  /** A terminal connected: the session is not idle. Returns the detach function. */
  attachTerminal(session: Session): () => void {
    const rec = this.sessions.get(session.id);
    session.terminals++;
    if (rec?.idleTimer) {
      clearTimeout(rec.idleTimer);
      rec.idleTimer = null;
    }
    let detached = false;
    return () => {
      if (detached) return;
      detached = true;
      session.terminals = Math.max(0, session.terminals - 1);
      if (rec && session.terminals === 0) this.scheduleIdle(rec);
    };
  }

  private scheduleIdle(rec: Internal): void {
    if (rec.idleTimer) clearTimeout(rec.idleTimer);
    rec.idleTimer = null;
    if (rec.session.state === 'stopped' || rec.session.terminals > 0) return;
    rec.idleTimer = setTimeout(() => {
      rec.idleTimer = null;
      if (rec.session.terminals === 0) {
        this.log.info({ session: rec.session.id }, 'session idle (no terminal); ending it');
        void this.end(rec, 'idle');
      }
    }, this.settings.sessionIdleMs);
    rec.idleTimer.unref();
  }

  private scheduleExpiry(rec: Internal): void {
    if (rec.expireTimer) clearTimeout(rec.expireTimer);
    if (rec.warnTimer) clearTimeout(rec.warnTimer);
    rec.expireTimer = rec.warnTimer = null;
    const { session } = rec;
    if (session.state === 'stopped') return;
    const left = session.expiresAt - Date.now();
    rec.expireTimer = setTimeout(() => {
      rec.expireTimer = null;
      this.log.info({ session: session.id }, 'session expired');
      void this.end(rec, 'expired');
    }, Math.max(0, left));
    rec.expireTimer.unref();
    const warnIn = left - this.settings.sessionWarnBeforeMs;
    if (rec.warnedFor !== session.expiresAt) {
      rec.warnTimer = setTimeout(() => {
        rec.warnTimer = null;
        if (session.state === 'stopped' || rec.warnedFor === session.expiresAt) return;
        rec.warnedFor = session.expiresAt;
        this.emit('expiring', session);
      }, Math.max(0, warnIn));
      rec.warnTimer.unref();
    }
  }

  /** True when the session ends within SESSION_WARN_BEFORE_MS (a terminal connecting then gets the event at once). */
  isExpiringSoon(session: Session): boolean {
    return session.state !== 'stopped' && session.expiresAt - Date.now() <= this.settings.sessionWarnBeforeMs;
  }

  private end(rec: Internal, reason: StopReason): Promise<void> {
    const { session } = rec;
    if (rec.destroyed) return rec.destroyed;
    session.state = 'stopped';
    session.stopReason = reason;
    for (const t of [rec.expireTimer, rec.warnTimer, rec.idleTimer]) if (t) clearTimeout(t);
    rec.expireTimer = rec.warnTimer = rec.idleTimer = null;
    this.emit('ended', session, reason);
    rec.destroyed = (async () => {
      // If the sandbox is still being created, let that settle first so nothing is left behind.
      if (rec.creation) await rec.creation.catch(() => {});
      try {
        await this.provider.destroy(session.id);
      } catch (err) {
        this.log.error({ session: session.id, err: errMessage(err) }, 'sandbox destroy failed');
      }
      this.log.info({ session: session.id, reason }, 'session ended');
      if (!this.shuttingDown) {
        rec.removeTimer = setTimeout(() => this.sessions.delete(session.id), this.settings.sessionStoppedKeepMs);
        rec.removeTimer.unref();
        this.pool.fill();
      }
    })();
    return rec.destroyed;
  }

  /** Ends every session and the pool; no refill afterwards. */
  shutdown(): Promise<void> {
    if (this.shutdownPromise) return this.shutdownPromise;
    this.shuttingDown = true;
    this.shutdownPromise = (async () => {
      const poolDone = this.pool.shutdown();
      await Promise.allSettled([...this.sessions.values()].map((rec) => this.end(rec, 'shutdown')));
      await poolDone;
      for (const rec of this.sessions.values()) if (rec.removeTimer) clearTimeout(rec.removeTimer);
      this.sessions.clear();
    })();
    return this.shutdownPromise;
  }
}

function stoppedError(s: Session): ApiError {
  const why =
    s.stopReason === 'failed'
      ? (s.error ?? 'its sandbox could not start')
      : s.stopReason === 'idle'
        ? 'it had no terminal open for too long'
        : s.stopReason === 'expired'
          ? 'its time ran out'
          : s.stopReason === 'shutdown'
            ? 'the runner is shutting down'
            : 'it was deleted';
  return new ApiError(409, 'session_stopped', `The session has stopped (${why}). Start a new session.`);
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}

/** The API view of a session (API.md GET /api/sessions/:id, plus extensions). */
export function sessionView(s: Session) {
  return {
    id: s.id,
    state: s.state,
    expiresAt: new Date(s.expiresAt).toISOString(),
    lab: s.lab,
    ...(s.labStatus ? { labStatus: s.labStatus } : {}),
    ...(s.labError ? { labError: s.labError } : {}),
    ...(s.error ? { error: s.error } : {}),
    ...(s.state === 'stopped' && s.stopReason ? { stopReason: s.stopReason } : {}),
    terminals: s.terminals,
    fromPool: s.fromPool,
  };
}

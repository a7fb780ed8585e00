/** A session in memory with what the service keeps beside it (token hash, timers, creation). */
import type { SessionPatch, Store, StoredSession } from '../store/types.ts';
import { errMessage, type Logger } from './log.ts';
import { LabStateMap } from './lab-states.ts';
import type { CreateSessionInput, Session, SessionSettings, StopReason } from './session-model.ts';
import { SessionTimers, type TimerCallbacks } from './timers.ts';

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

/** A record from the stored row; live sessions get their saved lab states back. */
export function recordFrom(stored: StoredSession, state: Session['state'], store: Store, on: (rec: SessionRecord) => TimerCallbacks): SessionRecord {
  const session: Session = {
    id: stored.id,
    createdAt: stored.createdAt,
    state,
    expiresAt: stored.expiresAt,
    lab: stored.lab,
    workshop: stored.workshop,
    name: stored.name,
    lang: stored.lang,
    clientAddress: stored.clientAddress,
    error: stored.error,
    labError: null,
    labStatus: null,
    stopReason: (stored.stopReason as StopReason | null) ?? null,
    fromPool: stored.fromPool,
    readyAt: stored.readyAt,
    terminals: 0,
    registry: null,
    labStates: new LabStateMap(store, stored.id, state === 'stopped' ? undefined : store.labStates(stored.id)),
  };
  const rec = { session, tokenHash: stored.tokenHash, creation: null, abort: null, destroyed: null, removing: false } as Omit<SessionRecord, 'timers'> as SessionRecord;
  rec.timers = new SessionTimers(on(rec));
  return rec;
}

/** The stored row of a session being created now. */
export function newStoredSession(opts: {
  id: string;
  tokenHash: Buffer;
  input: CreateSessionInput;
  ttlMs: number;
  fromPool: boolean;
}): StoredSession {
  const now = Date.now();
  return {
    id: opts.id,
    tokenHash: opts.tokenHash,
    clientAddress: opts.input.clientAddress,
    createdAt: now,
    expiresAt: now + opts.ttlMs,
    state: 'starting',
    stopReason: null,
    error: null,
    lab: opts.input.lab ?? null,
    workshop: opts.input.workshop ?? null,
    name: opts.input.name ?? null,
    lang: opts.input.lang ?? 'ru',
    fromPool: opts.fromPool,
    readyAt: null,
    stoppedAt: null,
  };
}

/** Counts for /api/health and the limits. */
export function countRecords(records: Iterable<SessionRecord>, client?: string) {
  let starting = 0;
  let ready = 0;
  let terminals = 0;
  let onEngine = 0;
  let ofClient = 0;
  for (const { session, removing } of records) {
    if (session.state === 'starting') starting++;
    if (session.state === 'ready') ready++;
    if (session.state !== 'stopped' || removing) onEngine++;
    if (session.state !== 'stopped' && session.clientAddress === client) ofClient++;
    terminals += session.terminals;
  }
  return { starting, ready, terminals, onEngine, ofClient };
}

/** Live: expiry, warning and idleness; stopped: removal from memory once SESSION_STOPPED_KEEP_MS passed. */
export function armTimers(rec: SessionRecord, stoppedAt: number | null, settings: SessionSettings, forget: () => void): void {
  if (rec.session.state === 'stopped') {
    rec.timers.removeAfter((stoppedAt ?? Date.now()) + settings.sessionStoppedKeepMs - Date.now(), forget);
  } else {
    rec.timers.expiry(rec.session.expiresAt, settings.sessionWarnBeforeMs);
    rec.timers.idle(settings.sessionIdleMs);
  }
}

/** A session row update whose failure is logged, not thrown (the session goes on in memory). */
export function saveQuietly(store: Store, log: Logger, id: string, patch: SessionPatch): void {
  try {
    store.updateSession(id, patch);
  } catch (err) {
    log.error({ session: id, err: errMessage(err) }, 'could not save the session');
  }
}

/** Stop reasons after which the same session may get a fresh sandbox (its own sandbox is gone). */
export const RECREATABLE: readonly StopReason[] = ['died', 'vanished', 'failed'];

/** A stopped session back to `starting` for a fresh sandbox: same id, token, expiry and progress. */
export function revive(rec: SessionRecord, settings: SessionSettings): void {
  const { session } = rec;
  rec.timers.dispose();
  session.state = 'starting';
  session.stopReason = null;
  session.error = null;
  session.labError = null;
  session.labStatus = session.lab ? 'pending' : null;
  session.readyAt = null;
  // Grading memory belonged to the old sandbox (digests of images that are gone).
  for (const state of session.labStates.values()) state.clear();
  rec.destroyed = null;
  rec.removing = false;
  armTimers(rec, null, settings, () => undefined);
}

/** How sessions look to HTTP clients: the API view and the 409 of a stopped session. */
import { ApiError } from './errors.ts';
import type { Session } from './session-model.ts';
import type { QueuePlace } from './start-queue.ts';

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}

export function stoppedError(s: Session): ApiError {
  const why =
    s.stopReason === 'failed'
      ? (s.error ?? 'its sandbox could not start')
      : s.stopReason === 'idle'
        ? 'it had no terminal open for too long'
        : s.stopReason === 'expired'
          ? 'its time ran out'
          : s.stopReason === 'shutdown'
            ? 'the runner is shutting down'
            : s.stopReason === 'vanished'
              ? 'its sandbox was gone when the runner restarted'
              : s.stopReason === 'died'
                ? 'its sandbox stopped working'
                : 'it was deleted';
  return new ApiError(409, 'session_stopped', `The session has stopped (${why}). Start a new session.`);
}

/** The API view of a session (API.md GET /api/sessions/:id, plus extensions); `place`: its cold start still waits (start-queue.ts). */
export function sessionView(s: Session, place?: QueuePlace | null) {
  return {
    id: s.id,
    state: s.state,
    expiresAt: new Date(s.expiresAt).toISOString(),
    lab: s.lab,
    lang: s.lang,
    ...(s.labStatus ? { labStatus: s.labStatus } : {}),
    ...(s.labError ? { labError: s.labError } : {}),
    ...(s.error ? { error: s.error } : {}),
    ...(s.state === 'stopped' && s.stopReason ? { stopReason: s.stopReason } : {}),
    terminals: s.terminals,
    fromPool: s.fromPool,
    ...(s.registry && s.state === 'ready' ? { registry: { ...s.registry } } : {}),
    ...(place && s.state === 'starting' ? { queue: place } : {}),
  };
}

/** The expiry an extend gives: now + SESSION_TTL_MS, capped at createdAt + SESSION_MAX_TTL_MS; 409 at the cap. */
export function extendedExpiry(s: Session, ttlMs: number, maxTtlMs: number): number {
  const cap = s.createdAt + maxTtlMs;
  if (s.expiresAt >= cap) {
    throw new ApiError(409, 'max_lifetime_reached', `The session already lasts the maximum of ${formatDuration(maxTtlMs)}; it cannot be extended further.`);
  }
  return Math.min(cap, Date.now() + ttlMs);
}

/**
 * Admission of new sessions: shutting down (503), capacity (503: every sandbox on the engine
 * counts until it is really gone), per-client sessions (429) and creations per minute (429).
 */
import { ApiError } from './errors.ts';
import { SlidingWindowLimit } from './rate-limit.ts';
import type { CreateSessionInput, SessionSettings } from './session-model.ts';

/** Retry-After (seconds) when capacity is full. */
export const RETRY_AFTER_S = 30;

export const shuttingDownError = () =>
  new ApiError(503, 'shutting_down', 'The runner is shutting down; try again in a moment.', { 'retry-after': String(RETRY_AFTER_S) });

export interface Occupancy {
  /** Sandboxes on the engine or about to be: live sessions, reserved slots, sandboxes being removed, the warm pool. */
  sandboxes: number;
  /** A ready pooled sandbox can be claimed (no new sandbox needed). */
  pooledReady: boolean;
  /** Live sessions (and reservations) of this client. */
  ofClient: number;
}

export class Admission {
  private readonly settings: SessionSettings;
  readonly creations: SlidingWindowLimit;
  /** Slots taken by creations still asking the pool, per client (limits hold under bursts). */
  private readonly reserved = new Map<string, number>();

  constructor(settings: SessionSettings) {
    this.settings = settings;
    this.creations = new SlidingWindowLimit(settings.maxSessionCreatesPerMinute, 60_000);
  }

  reservedTotal(): number {
    let n = 0;
    for (const k of this.reserved.values()) n += k;
    return n;
  }

  reservedOf(client: string): number {
    return this.reserved.get(client) ?? 0;
  }

  /** Holds a slot for `client` until the returned function is called. */
  reserve(client: string): () => void {
    this.reserved.set(client, this.reservedOf(client) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = this.reservedOf(client) - 1;
      if (left > 0) this.reserved.set(client, left);
      else this.reserved.delete(client);
    };
  }

  /**
   * Admits a new session or throws: a workshop join counts against the workshop's seats (slot
   * key "workshop:<id>"), any other creation against its client address. Sandboxes warmed for
   * workshops go to their joiners first (`mayClaim`). Synchronous up to the returned slot, so
   * two creations for the last seat cannot both pass. Call `release` once the session is registered.
   */
  admitCreation(
    input: CreateSessionInput,
    now: { registry: { ofWorkshop(id: string): number; counts(client: string): { ofClient: number } }; sandboxes: number; poolReady: number; reservedForWorkshops: number },
  ): { release: () => void; mayClaim: boolean } {
    const client = input.clientAddress;
    const seated = input.workshop && input.seats != null ? input.workshop : null;
    const key = seated ? `workshop:${seated}` : client;
    const taken = (seated ? now.registry.ofWorkshop(seated) : now.registry.counts(client).ofClient) + this.reservedOf(key);
    const mayClaim = seated ? now.poolReady > 0 : now.poolReady > now.reservedForWorkshops;
    this.admit(client, { sandboxes: now.sandboxes, pooledReady: mayClaim, ofClient: taken }, seated ? input.seats! : undefined);
    return { release: this.reserve(key), mayClaim };
  }

  /**
   * Throws the ApiError that refuses the creation, or records it against the rate limit. With
   * `seats` (a workshop join) `o.ofClient` counts the workshop's sessions and the seats replace
   * the per-client limits (a class behind one NAT is one address).
   */
  admit(client: string, o: Occupancy, seats?: number): void {
    const { maxSessions, maxSessionsPerClient } = this.settings;
    if (!o.pooledReady && o.sandboxes >= maxSessions) {
      throw new ApiError(
        503,
        'capacity_full',
        `All ${maxSessions} sandboxes are in use; capacity is full. Try again in a few minutes.`,
        { 'retry-after': String(RETRY_AFTER_S) },
      );
    }
    if (seats !== undefined) {
      if (o.ofClient >= seats) {
        throw new ApiError(409, 'workshop_full', `Every seat of this workshop is taken (${seats}). Ask the instructor for a seat.`);
      }
      return;
    }
    if (o.ofClient >= maxSessionsPerClient) {
      throw new ApiError(
        429,
        'too_many_sessions',
        `You already have ${o.ofClient} sessions open (at most ${maxSessionsPerClient} per client). Delete one or wait until one expires.`,
      );
    }
    const rate = this.creations.take(client);
    if (!rate.ok) {
      const seconds = Math.max(1, Math.ceil(rate.retryAfterMs / 1000));
      throw new ApiError(
        429,
        'too_many_creations',
        `You created ${this.creations.limit} sessions in the last minute (at most ${this.creations.limit} per client). Try again in ${seconds} s.`,
        { 'retry-after': String(seconds) },
      );
    }
  }
}

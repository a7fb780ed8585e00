/**
 * Wrong join codes per client address: after `limit` wrong codes within a minute every join
 * attempt of that client is refused (429) until the oldest one is a minute old, so codes
 * cannot be guessed by trying.
 */
const WINDOW_MS = 60_000;

export class WrongCodeLimit {
  private readonly failures = new Map<string, number[]>();
  private readonly limit: number;
  private readonly now: () => number;

  constructor(limit: number, now: () => number = Date.now) {
    this.limit = limit;
    this.now = now;
  }

  /** Milliseconds until this client may try again, or 0. */
  blockedFor(client: string): number {
    const times = this.recent(client);
    return times.length >= this.limit ? times[0]! + WINDOW_MS - this.now() : 0;
  }

  fail(client: string): void {
    const times = this.recent(client);
    times.push(this.now());
    this.failures.set(client, times);
  }

  private recent(client: string): number[] {
    const cutoff = this.now() - WINDOW_MS;
    // Bounded memory: forget every client whose failures are all old.
    if (this.failures.size > 10_000) for (const [k, t] of this.failures) if (t[t.length - 1]! <= cutoff) this.failures.delete(k);
    const times = (this.failures.get(client) ?? []).filter((t) => t > cutoff);
    if (times.length) this.failures.set(client, times);
    else this.failures.delete(client);
    return times;
  }
}

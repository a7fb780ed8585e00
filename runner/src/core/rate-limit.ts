/**
 * Sliding-window limit per key (a client address): at most `limit` events in `windowMs`.
 * Memory stays bounded by the keys seen within one window.
 */
export class SlidingWindowLimit {
  readonly limit: number;
  readonly windowMs: number;
  private readonly now: () => number;
  private readonly events = new Map<string, number[]>();

  constructor(limit: number, windowMs: number, now: () => number = Date.now) {
    this.limit = limit;
    this.windowMs = windowMs;
    this.now = now;
  }

  /** Records an event for `key` if the limit allows it; otherwise says when the next one may come. */
  take(key: string): { ok: true } | { ok: false; retryAfterMs: number } {
    const now = this.now();
    this.prune(now);
    const times = this.events.get(key) ?? [];
    if (times.length >= this.limit) return { ok: false, retryAfterMs: times[0]! + this.windowMs - now };
    times.push(now);
    this.events.set(key, times);
    return { ok: true };
  }

  private prune(now: number): void {
    for (const [key, times] of this.events) {
      while (times.length && times[0]! <= now - this.windowMs) times.shift();
      if (!times.length) this.events.delete(key);
    }
  }
}

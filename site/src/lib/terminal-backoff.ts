/** Reconnect delays: from 1 s doubling to 30 s, ±20 % jitter so a restarted runner is not hit by every page at once. */
const FIRST_MS = 1000;
const MAX_MS = 30_000;

export class Backoff {
  private current = FIRST_MS;

  next(): number {
    const delay = Math.round(this.current * (0.8 + Math.random() * 0.4));
    this.current = Math.min(this.current * 2, MAX_MS);
    return delay;
  }

  reset() {
    this.current = FIRST_MS;
  }
}

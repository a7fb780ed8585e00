/**
 * Waiting in tests, one way: `sleep(ms)`, and `until(what, fn)`, which asks `fn` again and again
 * until it gives a truthy value (returned) and throws "timed out waiting for <what>" when it
 * has not within the time allowed. Every test waits through these two.
 */

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface UntilOptions {
  /** How long `fn` has to become truthy (default 5 s). */
  timeoutMs?: number;
  /** Pause between two asks (default 20 ms); wider when `fn` costs something (an HTTP call). */
  everyMs?: number;
}

type Truthy<T> = Exclude<T, false | undefined | null | 0 | ''>;

export async function until<T>(what: string, fn: () => T | Promise<T>, { timeoutMs = 5_000, everyMs = 20 }: UntilOptions = {}): Promise<Truthy<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as Truthy<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (${timeoutMs} ms)`);
    await sleep(everyMs);
  }
}

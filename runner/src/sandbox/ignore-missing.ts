/**
 * Idempotent lookups and removals for both sandbox backends: each says what "the object does not
 * exist" looks like (Docker: HTTP 404; Kubernetes: the API server's 404), the rest is shared.
 */
export type MissingTest = (err: unknown) => boolean;

/** The value of `p`, or undefined when it failed because the object is absent; other errors propagate. */
export async function ignoreMissingWhen<T>(isMissing: MissingTest, p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

/** `ignoreMissingWhen` bound to one backend's test, e.g. `const ignoreMissing = ignoringMissing(isNotFound)`. */
export function ignoringMissing(isMissing: MissingTest): <T>(p: Promise<T>) => Promise<T | undefined> {
  return (p) => ignoreMissingWhen(isMissing, p);
}

import Docker from 'dockerode';

/** One dockerode client; DOCKER_HOST / the default socket decide where it points. */
export function createDockerClient(): Docker {
  return new Docker();
}

export function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { statusCode?: number }).statusCode === 404;
}

export function isConflict(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { statusCode?: number }).statusCode === 409;
}

/** Ignores "no such object" errors, so removals are idempotent. */
export async function ignoreMissing<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Docker's size strings ("2g", "256m", "512k", "1024") as bytes. */
export function parseBytes(size: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(size.trim());
  if (!m) throw new Error(`not a size: "${size}" (use e.g. 512m or 2g)`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.round(Number(m[1]) * mult);
}

import { statSync } from 'node:fs';

/** Bytes of a SQLite database file with its WAL (0 for ":memory:" or a missing file). */
export function storeBytes(location: string): number {
  if (location === ':memory:') return 0;
  let total = 0;
  for (const f of [location, `${location}-wal`]) {
    try {
      total += statSync(f).size;
    } catch {
      /* not there (yet) */
    }
  }
  return total;
}

/** Where a runner's database lives in DATA_DIR, and removing it (with its WAL and shared-memory files). */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.ts';

export function databasePath(config: Pick<Config, 'dataDir' | 'runnerId'>): string {
  return join(config.dataDir, `${config.runnerId}.sqlite`);
}

/** Deletes the database files of a runner (with its WAL and shared-memory files). */
export function removeDatabase(config: Pick<Config, 'dataDir' | 'runnerId'>): string[] {
  const base = databasePath(config);
  const removed: string[] = [];
  for (const f of [base, `${base}-wal`, `${base}-shm`]) {
    if (existsSync(f)) {
      rmSync(f, { force: true });
      removed.push(f);
    }
  }
  return removed;
}

/**
 * Removing everything of a RUNNER_ID: its containers, networks and volumes (every sandbox and
 * the mirror) and its database. An explicit act (`npm run reset`, the tests), never a side
 * effect of stopping: stop the runner first.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config.ts';
import type { SandboxProvider } from './sandbox/provider.ts';

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

export async function resetRunner(config: Config, provider?: SandboxProvider): Promise<{ files: string[] }> {
  const p = provider ?? (await (await import('./app.ts')).dockerProviderFor(config));
  await p.shutdown();
  return { files: removeDatabase(config) };
}

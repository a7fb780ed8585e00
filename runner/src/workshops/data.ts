/**
 * A workshop's files in DATA_DIR: `workshops/<RUNNER_ID>/<workshop id>/` holds its help
 * requests (help.json), its log (log.jsonl: take-overs) and its terminal recordings
 * (recordings/*.cast). Retention: the folder is removed once the workshop ended longer ago
 * than WORKSHOP_DATA_RETENTION_MS (default 7 days); folders of workshops the store does not
 * know are removed too.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../config.ts';

const SAFE_ID = /^[A-Za-z0-9_-]{1,80}$/;

/** The root of this runner's workshop folders. */
export function workshopsRoot(config: Pick<Config, 'dataDir' | 'runnerId'>): string {
  return join(config.dataDir, 'workshops', config.runnerId);
}

/** A workshop's folder (ids are the runner's own; anything else is refused, never joined into a path). */
export function workshopDir(config: Pick<Config, 'dataDir' | 'runnerId'>, workshopId: string): string {
  if (!SAFE_ID.test(workshopId)) throw new Error(`not a workshop id: ${workshopId.slice(0, 80)}`);
  return join(workshopsRoot(config), workshopId);
}

/** Removes every workshop folder of this RUNNER_ID (runner.close(): tests, bench), and `workshops/` itself once empty. */
export function removeWorkshopData(config: Pick<Config, 'dataDir' | 'runnerId'>): void {
  const root = workshopsRoot(config);
  rmSync(root, { recursive: true, force: true });
  try {
    rmdirSync(dirname(root));
  } catch {
    /* another runner's folders are still there, or none was made */
  }
}

export function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** One line of the workshop's log (take-overs: who, when, how long). */
export function appendLog(dir: string, entry: object): void {
  ensureDir(dir);
  appendFileSync(join(dir, 'log.jsonl'), `${JSON.stringify(entry)}\n`, { mode: 0o600 });
}

export function readLog(dir: string): unknown[] {
  const f = join(dir, 'log.jsonl');
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as unknown];
      } catch {
        return [];
      }
    });
}

/**
 * Removes the folders whose workshop ended more than `retentionMs` ago, or that no workshop
 * of the store owns. `endedAt(id)`: undefined = unknown workshop, null = still open.
 */
export function sweepWorkshopData(root: string, endedAt: (id: string) => number | null | undefined, retentionMs: number, now = Date.now()): string[] {
  if (!existsSync(root)) return [];
  const removed: string[] = [];
  for (const id of readdirSync(root)) {
    const ended = endedAt(id);
    if (ended === null) continue;
    if (ended === undefined || ended + retentionMs <= now) {
      rmSync(join(root, id), { recursive: true, force: true });
      removed.push(id);
    }
  }
  return removed;
}

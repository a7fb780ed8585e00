/**
 * Backups of the runner's database. `backupDatabase` uses SQLite's online backup (node:sqlite
 * `backup()`), so it takes a consistent copy while the runner writes; `restoreDatabase` puts a
 * copy back and refuses while any process has the database open (the runner must be stopped).
 */
import { copyFileSync, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { backup, DatabaseSync } from 'node:sqlite';
import { MIGRATIONS } from './migrations.ts';

export interface BackupSummary {
  file: string;
  bytes: number;
  sessions: number;
  checks: number;
  quizAnswers: number;
  workshops: number;
  schemaVersion: number;
}

function count(db: DatabaseSync, table: string): number {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table);
  return exists ? Number((db.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n) : 0;
}

/** Opens a copy read-only, checks it is a sound database of a schema this runner knows, counts its rows. */
export function inspectCopy(file: string): BackupSummary {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const check = Object.values(db.prepare('PRAGMA integrity_check').get() as object)[0];
    if (check !== 'ok') throw new Error(`${file} is damaged (integrity check: ${String(check)})`);
    const schemaVersion = Number((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version);
    if (schemaVersion === 0 || schemaVersion > MIGRATIONS.length) {
      throw new Error(`${file} is not a database of this runner (schema version ${schemaVersion}, this runner knows 1..${MIGRATIONS.length})`);
    }
    return {
      file,
      bytes: statSync(file).size,
      sessions: count(db, 'sessions'),
      checks: count(db, 'checks'),
      quizAnswers: count(db, 'quiz_answers'),
      workshops: count(db, 'workshops'),
      schemaVersion,
    };
  } finally {
    db.close();
  }
}

/** A consistent copy of `database` (which may be in use) at `target`; written aside, then renamed. */
export async function backupDatabase(database: string, target: string): Promise<BackupSummary> {
  if (!existsSync(database)) throw new Error(`there is no database at ${database} (DATA_DIR and RUNNER_ID name it)`);
  const dest = resolve(target);
  if (dest === resolve(database)) throw new Error('the backup cannot be the database itself');
  const partial = join(dirname(dest), `.${basename(dest)}.partial-${process.pid}`);
  rmSync(partial, { force: true });
  const source = new DatabaseSync(database, { readOnly: true });
  try {
    source.exec('PRAGMA busy_timeout = 5000');
    // Pages in steps of 256: the runner's writes go on between steps; SQLite restarts the copy
    // of a step a write touched, so the result is one consistent moment.
    await backup(source, partial, { rate: 256 });
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  } finally {
    source.close();
  }
  // A self-contained file: no WAL beside it.
  const db = new DatabaseSync(partial);
  try {
    db.exec('PRAGMA journal_mode = DELETE');
  } finally {
    db.close();
  }
  const summary = inspectCopy(partial);
  renameSync(partial, dest);
  return { ...summary, file: dest };
}

/** True while another connection has the database open (the runner holds it for its whole life). */
export function databaseInUse(database: string): boolean {
  if (!existsSync(database)) return false;
  const db = new DatabaseSync(database);
  try {
    db.exec('PRAGMA busy_timeout = 0');
    // In WAL mode an exclusive lock is granted only when no other connection is open.
    db.exec('PRAGMA locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
    return false;
  } catch (err) {
    if (/locked|busy/i.test((err as Error).message)) return true;
    throw err;
  } finally {
    db.close();
  }
}

/**
 * Puts `copy` in place of `database`. The current file (if any) is kept beside it as
 * `<name>.before-restore-<time>` (with its WAL).
 */
export function restoreDatabase(copy: string, database: string): { summary: BackupSummary; previous: string | null } {
  if (!existsSync(copy)) throw new Error(`there is no backup at ${copy}`);
  const summary = inspectCopy(copy);
  if (databaseInUse(database)) throw new Error(`${database} is in use: stop the runner first (SIGTERM keeps every session)`);
  let previous: string | null = null;
  if (existsSync(database)) {
    previous = `${database}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    for (const suffix of ['', '-wal', '-shm']) if (existsSync(database + suffix)) renameSync(database + suffix, previous + suffix);
  }
  const partial = `${database}.restoring`;
  copyFileSync(copy, partial);
  renameSync(partial, database);
  return { summary, previous };
}

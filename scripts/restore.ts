/**
 * npm run restore -- <file>: puts a backup in place of the runner's database. Stop the runner
 * first (it refuses while the database is open); the file it replaces is kept beside it as
 * <RUNNER_ID>.sqlite.before-restore-<time>. On its next start the runner takes back the
 * sessions whose sandboxes still exist and ends the rest (stop reason "vanished").
 */
import { loadConfig } from '../runner/src/config.ts';
import { databasePath } from '../runner/src/store/files.ts';
import { restoreDatabase } from '../runner/src/store/backup.ts';

const copy = process.argv[2];
if (!copy || process.argv.length > 3) {
  console.error('usage: npm run restore -- <file>');
  process.exit(2);
}
try {
  const database = databasePath(loadConfig(process.env));
  const { summary: s, previous } = restoreDatabase(copy, database);
  console.log(`[restore] ${database} now holds ${s.sessions} sessions, ${s.checks} checks, ${s.quizAnswers} quiz answers, ${s.workshops} workshops${previous ? `; the previous file is ${previous}` : ''}`);
} catch (err) {
  console.error(`[restore] failed: ${(err as Error).message}`);
  process.exit(1);
}

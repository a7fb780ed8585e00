/**
 * npm run backup -- <file>: a consistent copy of the runner's database (DATA_DIR/<RUNNER_ID>.sqlite)
 * taken with SQLite's online backup; the runner may keep running. Same environment as the runner.
 *
 *   DATA_DIR=/var/lib/registry-lab npm run backup -- /var/backups/registry-lab/$(date +%F).sqlite
 */
import { loadConfig } from '../runner/src/config.ts';
import { databasePath } from '../runner/src/store/files.ts';
import { backupDatabase } from '../runner/src/store/backup.ts';

const target = process.argv[2];
if (!target || process.argv.length > 3) {
  console.error('usage: npm run backup -- <file>');
  process.exit(2);
}
try {
  const s = await backupDatabase(databasePath(loadConfig(process.env)), target);
  console.log(`[backup] ${s.file}: ${s.sessions} sessions, ${s.checks} checks, ${s.quizAnswers} quiz answers, ${s.workshops} workshops (${s.bytes} bytes, schema ${s.schemaVersion})`);
} catch (err) {
  console.error(`[backup] failed: ${(err as Error).message}`);
  process.exit(1);
}

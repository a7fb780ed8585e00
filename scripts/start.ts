/**
 * `npm start`: the whole platform on a fresh clone. Makes the images and the site when they
 * are missing or out of date, then runs the runner (site + API + terminals on one origin).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(new URL('.', import.meta.url).pathname, '..');
for (const [title, script] of [
  ['images', 'images/build.ts'],
  ['site', 'scripts/build-site.ts'],
] as const) {
  console.log(`[start] ${title}…`);
  const r = spawnSync(process.execPath, [script], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`[start] ${title} failed`);
    process.exit(r.status ?? 1);
  }
}
await import('../runner/src/main.ts');

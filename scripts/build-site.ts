/**
 * Builds the course site (Astro + Starlight) into site/dist. Run with Node 22:
 *   node scripts/bootstrap.mjs build-site        (or: node_modules/.bin/node scripts/build-site.ts)
 * Environment: RL_LABS_DIR (default ./labs) points the site at another labs folder (test fixtures).
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const astro = join(root, 'node_modules/.bin/astro');
const args = ['build', '--root', 'site', ...process.argv.slice(2)];
const started = Date.now();
const r = spawnSync(astro, args, {
  cwd: root,
  stdio: 'inherit',
  env: {
    ...process.env,
    ASTRO_TELEMETRY_DISABLED: '1',
    PATH: `${dirname(process.execPath)}:${join(root, 'node_modules/.bin')}:${process.env.PATH}`,
  },
});
if (r.status !== 0) {
  console.error(`[build-site] astro build failed (exit ${r.status ?? r.signal})`);
  process.exit(r.status ?? 1);
}
console.log(`[build-site] site/dist built in ${((Date.now() - started) / 1000).toFixed(1)} s`);

#!/usr/bin/env node
// Plain JavaScript on purpose: this runs on whatever Node the machine has (20 here).
// It installs the dependencies when needed (including a Node 22 binary from npm, which
// Astro 7 and the runner need), then runs the requested target under Node 22.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const targets = {
  start: 'scripts/start.ts',
  test: 'scripts/test.ts',
  mutants: 'scripts/mutants.ts',
  bench: 'bench/run.ts',
  'bench-classroom': 'bench/classroom.ts',
  images: 'images/build.ts',
  'build-site': 'scripts/build-site.ts',
  reset: 'scripts/reset.ts',
  workshop: 'scripts/workshop.ts',
  lti: 'scripts/lti.ts',
  backup: 'scripts/backup.ts',
  restore: 'scripts/restore.ts',
};

const [target, ...rest] = process.argv.slice(2);
if (!targets[target]) {
  console.error(`usage: bootstrap.mjs <${Object.keys(targets).join('|')}> [args]`);
  process.exit(2);
}

function mtime(p) {
  try { return statSync(join(root, p)).mtimeMs; } catch { return 0; }
}

const installed = mtime('node_modules/.package-lock.json');
// BOOTSTRAP_NO_INSTALL=1 skips this (tests/scripts runs bootstrap without touching node_modules).
if (!process.env.BOOTSTRAP_NO_INSTALL && (!installed || installed < mtime('package.json') || installed < mtime('package-lock.json'))) {
  console.log('[bootstrap] installing dependencies (npm install)…');
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: root, stdio: 'inherit' });
  if (r.error) console.error(`[bootstrap] could not run npm: ${r.error.message}`);
  if (r.status !== 0) process.exit(r.status || 1);
}

const [major, minor] = process.versions.node.split('.').map(Number);
const modern = major > 22 || (major === 22 && minor >= 12);
// BOOTSTRAP_NODE picks another Node binary (used by tests/scripts to prove a failed spawn fails).
const node = process.env.BOOTSTRAP_NODE || (modern ? process.execPath : join(root, 'node_modules/node/bin/node'));
if (!existsSync(node)) {
  console.error('[bootstrap] Node 22.12+ is needed and node_modules/node/bin/node is missing; run npm install');
  process.exit(1);
}
const r = spawnSync(node, [join(root, targets[target]), ...rest], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, PATH: `${dirname(node)}:${join(root, 'node_modules/.bin')}:${process.env.PATH}` },
});
if (r.error) {
  console.error(`[bootstrap] could not start ${node}: ${r.error.message}`);
  process.exit(1);
}
// A child killed by a signal has no status: that is a failure too.
process.exit(r.status ?? 1);

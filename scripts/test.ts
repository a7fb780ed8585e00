/**
 * `npm test`: every test, on a real Docker engine. Makes the images and the site first
 * (reused when unchanged), typechecks (the root project, then the site), runs all suites in one `node --test` run, then
 * verifies that nothing the tests made is left: Docker containers, networks, volumes and
 * images, files in the run's TMPDIR, and processes the tests started.
 *
 *   TEST_CONCURRENCY (default 2)
 *   TEST_FILTER=<substring of a test file path>   narrows the run; refused under CI=true
 *   COMPOSE_TEST=1                                 includes tests/deploy/compose.test.ts (left out otherwise)
 *   RL_TEST_KUBECONFIG=<path>                      runs tests/kubernetes on that cluster instead of starting
 *                                                  the test cluster (scripts/test/cluster.ts)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { randomBytes } from 'node:crypto';
import { hostObjects, markedProcesses, tempLeftovers } from './test/leftovers.ts';
import { needsCluster, startCluster, type Cluster } from './test/cluster.ts';

const root = join(new URL('.', import.meta.url).pathname, '..');
const node = process.execPath;
const marker = `RL_TEST_RUN=${randomBytes(6).toString('hex')}`;
const [markerName, markerValue] = marker.split('=');
let cluster: Cluster | undefined;

function step(title: string, cmd: string, args: string[]): void {
  console.log(`\n[test] ${title}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
  if (r.status !== 0) {
    console.error(`[test] ${title} failed`);
    cluster?.abortSync();
    process.exit(r.status ?? 1);
  }
}

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return testFiles(p);
    return name.endsWith('.test.ts') ? [relative(root, p)] : [];
  });
}

// Narrowing: printed when active, refused in CI (a green CI run must mean every test ran).
const narrowing = ['TEST_FILTER', 'LAB', 'LAB_SKIP_WRONG'].filter((k) => process.env[k]?.trim());
if (narrowing.length) {
  const shown = narrowing.map((k) => `${k}=${process.env[k]}`).join(' ');
  if (process.env.CI === 'true') {
    console.error(`[test] ${shown} narrows the suite and is refused under CI=true`);
    process.exit(1);
  }
  console.log(`[test] filter active: ${shown} (not every test runs)`);
}
const filter = process.env.TEST_FILTER?.trim();
// The compose deployment test builds the runner image (npm ci + site build in Docker): it is
// left out unless COMPOSE_TEST=1, and said so (README, "Deployment with docker-compose").
const LEFT_OUT = process.env.COMPOSE_TEST === '1' ? [] : ['tests/deploy/compose.test.ts'];
const files = testFiles(join(root, 'tests'))
  .filter((f) => !LEFT_OUT.includes(f))
  .filter((f) => !filter || f.includes(filter))
  // node --test runs the files in its own (sorted) order, whatever order they are given in.
  .sort();
if (LEFT_OUT.length) console.log(`[test] left out: ${LEFT_OUT.join(', ')} (COMPOSE_TEST=1 includes it)`);
if (files.length === 0) {
  // node --test with no files would pick up every test file and this script itself.
  console.error(`[test] TEST_FILTER=${filter} matches no test file under tests/`);
  process.exit(1);
}

step('images', node, ['images/build.ts']);
// The cluster imports the images just built; it starts while the typecheck and site build run.
if (needsCluster(files)) {
  cluster = startCluster({ ...process.env, [markerName]: markerValue });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      cluster?.abortSync();
      process.exit(130);
    });
  }
}
step('typecheck', join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json', '--noEmit']);
step('site build', node, ['scripts/build-site.ts']);
// The site's own tsconfig (astro's strict settings): site/src, astro.config.mjs and what they import
// (quiz/, protocol/, checks/lab-schema.ts). After the build, which writes the astro:content types
// (site/.astro) the collections' code is checked against; .astro components are left to the build.
step('site typecheck', join(root, 'node_modules/.bin/tsc'), ['-p', 'site/tsconfig.json', '--noEmit']);

const before = await hostObjects();
if (before.length) console.log(`[test] note: ${before.length} Docker objects exist before the tests; they are not counted`);
const clusterEnv = (await cluster?.ready()) ?? {};
const runTmp = mkdtempSync(join(tmpdir(), 'rl-test-run-'));

console.log(`\n[test] ${files.length} test files`);
const run = spawnSync(node, ['--test', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? '2'}`, ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, ...clusterEnv, TMPDIR: runTmp, [markerName]: markerValue },
});
const clusterLeft = (await cluster?.finish()) ?? [];

// Give stopping children a moment before counting them.
await new Promise((r) => setTimeout(r, 2_000));
const left = [
  ...(await hostObjects()).filter((o) => !before.includes(o)),
  ...tempLeftovers(runTmp),
  ...markedProcesses(marker),
  ...clusterLeft,
];
rmSync(runTmp, { recursive: true, force: true });
if (left.length) {
  console.error(`[test] the tests left ${left.length} things behind:\n  ${left.join('\n  ')}`);
  process.exit(1);
}
console.log(`[test] nothing left behind (Docker objects, temporary files, processes${cluster ? ', the test cluster and the host it ran on' : ''})`);
process.exit(run.status ?? 1);

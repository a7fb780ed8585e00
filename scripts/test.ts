/**
 * `npm test`: every test, on a real Docker engine. Makes the images and the site first
 * (reused when unchanged), typechecks, runs all suites in one `node --test` run, then
 * verifies that nothing the tests made is left in Docker.
 *
 *   TEST_CONCURRENCY (default 2)   TEST_FILTER=<substring of a test file path>
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import Docker from 'dockerode';

const root = join(new URL('.', import.meta.url).pathname, '..');
const node = process.execPath;

function step(title: string, cmd: string, args: string[]): void {
  console.log(`\n[test] ${title}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
  if (r.status !== 0) {
    console.error(`[test] ${title} failed`);
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

/** Every container, custom network and volume: labelled or not, so an unlabelled leak shows too. */
async function leftovers(): Promise<string[]> {
  const docker = new Docker();
  const [c, n, v] = await Promise.all([docker.listContainers({ all: true }), docker.listNetworks(), docker.listVolumes()]);
  return [
    ...c.map((x) => `container ${x.Names[0]} (${x.Image})`),
    ...n.filter((x) => !['bridge', 'host', 'none'].includes(x.Name)).map((x) => `network ${x.Name}`),
    ...(v.Volumes ?? []).map((x) => `volume ${x.Name}`),
  ];
}

const before = await leftovers();
if (before.length) console.log(`[test] note: ${before.length} Docker objects exist before the tests; they are not counted`);

step('images', node, ['images/build.ts']);
step('typecheck', join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json', '--noEmit']);
step('site build', node, ['scripts/build-site.ts']);

const filter = process.env.TEST_FILTER;
const files = testFiles(join(root, 'tests')).filter((f) => !filter || f.includes(filter)).sort();
console.log(`\n[test] ${files.length} test files`);
const run = spawnSync(node, ['--test', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? '2'}`, ...files], {
  cwd: root,
  stdio: 'inherit',
  env: process.env,
});

const after = (await leftovers()).filter((o) => !before.includes(o));
if (after.length) {
  console.error(`[test] the tests left ${after.length} Docker objects behind:\n  ${after.join('\n  ')}`);
  process.exit(1);
}
console.log('[test] no Docker objects left behind');
process.exit(run.status ?? 1);

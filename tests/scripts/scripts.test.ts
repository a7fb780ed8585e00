/** The entry scripts fail loudly: bootstrap when its child cannot start, npm test when narrowed wrongly. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

function run(script: string, args: string[], env: Record<string, string>) {
  const clean = { ...process.env };
  for (const k of ['CI', 'TEST_FILTER', 'LAB', 'LAB_SKIP_WRONG']) delete clean[k];
  return spawnSync(process.execPath, [join(root, script), ...args], { cwd: root, env: { ...clean, ...env }, encoding: 'utf8', timeout: 60_000 });
}

describe('scripts/bootstrap.mjs', () => {
  it('exits non-zero when the child cannot be spawned', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-bootstrap-'));
    try {
      const notRunnable = join(dir, 'node');
      writeFileSync(notRunnable, 'not a program');
      chmodSync(notRunnable, 0o644);
      const r = run('scripts/bootstrap.mjs', ['bench'], { BOOTSTRAP_NODE: notRunnable, BOOTSTRAP_NO_INSTALL: '1' });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /could not start .*EACCES/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 with the usage for an unknown target', () => {
    const r = run('scripts/bootstrap.mjs', ['nope'], { BOOTSTRAP_NO_INSTALL: '1' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /usage: bootstrap\.mjs/);
  });
});

describe('scripts/test.ts (npm test)', () => {
  it('refuses TEST_FILTER, LAB and LAB_SKIP_WRONG under CI=true', () => {
    for (const env of [{ TEST_FILTER: 'labs' }, { LAB: 'tagging' }, { LAB_SKIP_WRONG: '1' }] as Array<Record<string, string>>) {
      const r = run('scripts/test.ts', [], { CI: 'true', ...env });
      assert.equal(r.status, 1, JSON.stringify(env));
      assert.match(r.stderr, /narrows the suite and is refused under CI=true/);
    }
  });

  it('exits 1 when TEST_FILTER matches no test file (instead of node --test finding every file, itself included)', () => {
    const r = run('scripts/test.ts', [], { TEST_FILTER: 'no-such-test-file-xyz' });
    assert.equal(r.status, 1);
    assert.match(r.stdout, /filter active: TEST_FILTER=no-such-test-file-xyz/);
    assert.match(r.stderr, /matches no test file/);
  });
});

/**
 * clear_learner_dir (checks/sandbox-lib/common.sh), which setups run as root on folders of the
 * learner's home: folders emptied in place, nothing followed outside through a learner's link.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const COMMON = fileURLToPath(new URL('../../checks/sandbox-lib/common.sh', import.meta.url));
const clear = (...dirs: string[]) => execFileSync('bash', ['-c', '. "$0"; clear_learner_dir "$@"', COMMON, ...dirs]);

describe('clear_learner_dir', () => {
  it('empties folders in place (dot files too), keeps a listed subfolder as the same folder, removes the rest', () => {
    const home = mkdtempSync(join(tmpdir(), 'rl-clear-'));
    try {
      const git = join(home, 'git');
      const bare = join(git, 'app.git');
      mkdirSync(join(bare, 'hooks'), { recursive: true });
      mkdirSync(join(git, 'attempt', 'deep'), { recursive: true });
      writeFileSync(join(git, '.hidden'), 'x');
      writeFileSync(join(bare, 'hooks', 'post-receive'), 'x');
      const [gitIno, bareIno] = [statSync(git).ino, statSync(bare).ino];
      clear(git, bare);
      assert.deepEqual(readdirSync(git), ['app.git']);
      assert.deepEqual(readdirSync(bare), []);
      assert.equal(statSync(git).ino, gitIno, 'the folder itself stays (a shell in it is not stranded)');
      assert.equal(statSync(bare).ino, bareIno);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('removes a file or a link in place of a folder, never what a link points at; a missing folder is no error', () => {
    const home = mkdtempSync(join(tmpdir(), 'rl-clear-'));
    try {
      const outside = join(home, 'outside');
      mkdirSync(outside);
      writeFileSync(join(outside, 'keep'), 'x');
      symlinkSync(outside, join(home, 'answers'));
      writeFileSync(join(home, 'transfer'), 'a file where a folder belongs');
      mkdirSync(join(home, 'keys'));
      symlinkSync(outside, join(home, 'keys', 'link'));
      clear(join(home, 'answers'), join(home, 'transfer'), join(home, 'keys'), join(home, 'absent'));
      assert.equal(existsSync(join(home, 'answers')), false);
      assert.equal(existsSync(join(home, 'transfer')), false);
      assert.deepEqual(readdirSync(join(home, 'keys')), []);
      assert.deepEqual(readdirSync(outside), ['keep'], 'nothing behind a link is touched');
      assert.ok(lstatSync(outside).isDirectory());
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

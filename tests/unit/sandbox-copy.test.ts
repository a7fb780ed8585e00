// copyIn and graderExec as both backends run them (runner/src/sandbox/copy.ts), over a recorded RunIn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyInto, inWorkFolder, type RunIn } from '../../runner/src/sandbox/copy.ts';

function recorder(fail?: (cmd: string[]) => { exitCode: number; stderr: string } | undefined) {
  const calls: { cmd: string[]; cwd?: string; stdin?: boolean }[] = [];
  const run: RunIn = async (cmd, opts = {}) => {
    calls.push({ cmd, cwd: opts.cwd, stdin: opts.stdin !== undefined });
    const f = fail?.(cmd);
    return { exitCode: f?.exitCode ?? 0, stdout: '', stderr: f?.stderr ?? '' };
  };
  return { run, calls };
}

test('copyIn makes the folder without following a symlink, then unpacks one tar there', async () => {
  const { run, calls } = recorder();
  await copyInto(run, '/home/learner/lab', [{ path: 'a/b.txt', content: 'x' }], 1000);
  assert.equal(calls.length, 2);
  assert.deepEqual(calls[0]!.cmd.slice(0, 2), ['sh', '-c']);
  assert.equal(calls[0]!.cmd.at(-1), '/home/learner/lab', 'the path is an argument, never spliced into the script');
  assert.deepEqual(calls[1]!.cmd, ['tar', '-x', '--no-same-owner', '-C', '/home/learner/lab', '-f', '-']);
  assert.ok(calls[1]!.stdin);
});

test('copyIn refuses a folder that leads elsewhere and writes nothing', async () => {
  const { run, calls } = recorder((cmd) => (cmd[0] === 'sh' ? { exitCode: 1, stderr: '' } : undefined));
  await assert.rejects(copyInto(run, '/home/learner/x', [{ path: 'f', content: '' }], 1000), /leads elsewhere/);
  assert.equal(calls.length, 1);
});

test('graderExec runs in a fresh private folder with its files and removes it, also when the command fails', async () => {
  const { run, calls } = recorder((cmd) => (cmd[0] === 'bash' ? { exitCode: 3, stderr: 'no' } : undefined));
  const r = await inWorkFolder(run, 'cosign verify "$REF"', { files: [{ path: 'key.pub', content: 'k' }] }, 65534);
  assert.equal(r.exitCode, 3);
  const dir = calls[0]!.cmd[3]!;
  assert.match(dir, /^\/tmp\/work-[0-9a-f]{12}$/);
  assert.deepEqual(calls.map((c) => c.cmd[0]), ['mkdir', 'tar', 'bash', 'rm']);
  assert.equal(calls[2]!.cwd, dir);
  assert.deepEqual(calls[3]!.cmd, ['rm', '-rf', dir]);
  const again = recorder();
  await inWorkFolder(again.run, ['true'], {}, 0);
  assert.notEqual(again.calls[0]!.cmd[3], dir, 'a new folder every call');
  assert.deepEqual(again.calls.map((c) => c.cmd[0]), ['mkdir', 'true', 'rm'], 'no tar without files');
});

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

test('copyIn makes the folder without following a symlink and unpacks one tar there, in one command', async () => {
  const { run, calls } = recorder();
  await copyInto(run, '/home/learner/lab', [{ path: 'a/b.txt', content: 'x' }], 1000);
  assert.equal(calls.length, 1);
  assert.deepEqual(calls[0]!.cmd.slice(0, 2), ['sh', '-c']);
  assert.match(calls[0]!.cmd[2]!, /realpath -e[\s\S]*exec tar -x --no-same-owner -C "\$1" -f -/);
  assert.equal(calls[0]!.cmd.at(-1), '/home/learner/lab', 'the path is an argument, never spliced into the script');
  assert.ok(calls[0]!.stdin);
});

test('copyIn refuses a folder that leads elsewhere, and says which failed', async () => {
  const refused = recorder(() => ({ exitCode: 90, stderr: '' }));
  await assert.rejects(copyInto(refused.run, '/home/learner/x', [{ path: 'f', content: '' }], 1000), /cannot create \/home\/learner\/x: it leads elsewhere/);
  const full = recorder(() => ({ exitCode: 2, stderr: 'tar: f: Cannot open: No space left on device' }));
  await assert.rejects(copyInto(full.run, '/home/learner/x', [{ path: 'f', content: '' }], 1000), /cannot write files under \/home\/learner\/x: tar: f: Cannot open: No space/);
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

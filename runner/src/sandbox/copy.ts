/**
 * Files into a sandbox and the grader's scratch folder, the same on both backends: each backend
 * only says how to run one command in one container (RunIn); creating the destination safely,
 * unpacking the tar and the grader's work folder are written once here.
 */
import { randomBytes } from 'node:crypto';
import type { ExecOptions, ExecResult, FileToCopy } from '../../../checks/sandbox.ts';
import { shellCommand } from './shell.ts';
import { streamToBuffer, tarOf } from './tar.ts';

/** Runs argv in one container of a sandbox as the user the backend chose for it; a timeout answers 124. */
export type RunIn = (cmd: string[], opts?: Pick<ExecOptions, 'cwd' | 'env' | 'stdin' | 'timeoutMs'>) => Promise<ExecResult>;

/** Creates `destDir` only where the path is what it says: no symlink of the learner's redirects the runner's write. */
const SAFE_DIR = 'install -d -- "$1" && test "$(realpath -e -- "$1")" = "$1"';
/** The exit status of SAFE_IN_DIR when `destDir` cannot be made or leads elsewhere. */
const DIR_REFUSED = 90;
/** SAFE_DIR, then the tar on stdin unpacked there: one command, so one exec per copy (issue 19). */
const SAFE_IN_DIR = `${SAFE_DIR} || exit ${DIR_REFUSED}; exec tar -x --no-same-owner -C "$1" -f -`;

/** Unpacks `files` under the existing `destDir`, owned by `uid` (through tar in the container: works on tmpfs too). */
export async function untarInto(run: RunIn, destDir: string, files: FileToCopy[], uid: number): Promise<void> {
  const tar = await streamToBuffer(tarOf(files, uid, uid));
  const r = await run(['tar', '-x', '--no-same-owner', '-C', destDir, '-f', '-'], { stdin: tar, timeoutMs: 60_000 });
  if (r.exitCode !== 0) throw new Error(`cannot write files under ${destDir}: ${r.stderr.trim().slice(0, 300)}`);
}

/** SandboxOps.copyIn: `destDir` made (as the container's user, never through a symlink), then the files, in one command. */
export async function copyInto(run: RunIn, destDir: string, files: FileToCopy[], uid: number): Promise<void> {
  const tar = await streamToBuffer(tarOf(files, uid, uid));
  const r = await run(['sh', '-c', SAFE_IN_DIR, 'copy-in', destDir], { stdin: tar, timeoutMs: 60_000 });
  if (r.exitCode === DIR_REFUSED) throw new Error(`cannot create ${destDir}: ${r.stderr.trim().slice(0, 300) || 'it leads elsewhere (symlink)'}`);
  if (r.exitCode !== 0) throw new Error(`cannot write files under ${destDir}: ${r.stderr.trim().slice(0, 300)}`);
}

/** SandboxOps.graderExec: the command in a fresh private folder of the grader (with its files), removed afterwards. */
export async function inWorkFolder(
  run: RunIn,
  cmd: string | string[],
  opts: Omit<ExecOptions, 'user' | 'cwd'> & { files?: FileToCopy[] },
  uid: number,
): Promise<ExecResult> {
  const cwd = `/tmp/work-${randomBytes(6).toString('hex')}`;
  await run(['mkdir', '-m', '700', cwd], { timeoutMs: 10_000 });
  try {
    if (opts.files?.length) await untarInto(run, cwd, opts.files, uid);
    return await run(shellCommand(cmd), { cwd, env: opts.env, stdin: opts.stdin, timeoutMs: opts.timeoutMs });
  } finally {
    await run(['rm', '-rf', cwd], { timeoutMs: 10_000 }).catch(() => undefined);
  }
}

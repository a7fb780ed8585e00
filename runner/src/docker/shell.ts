import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { execCapture } from './exec.ts';
import type { ShellHandle } from '../sandbox/provider.ts';

/** Between the hang-up and the kill of what ignored it. */
const HANGUP_GRACE_S = 2;
/** Every process a terminal starts inherits this variable: how its shell is found again to end it. */
export const MARK = 'REGISTRY_LAB_TERMINAL';

/**
 * Ends everything a closed terminal left: the sessions (setsid sense) of every process
 * carrying the terminal's mark get SIGHUP, as a real hang-up; what is left after the grace
 * gets SIGKILL. Run as the shell's own user, it can read and signal only that user's
 * processes. Inner containers (children of the sandbox's dockerd) are not touched.
 */
export const HANGUP_SCRIPT = `
m="${MARK}=$1"
pids=$(grep -lzxF "$m" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3 | paste -sd, -)
[ -n "$pids" ] || exit 0
sids=""
for s in $(ps -o sid= -p "$pids" 2>/dev/null | sort -un); do [ "$s" -gt 1 ] && sids="$sids,$s"; done
sids=\${sids#,}
[ -n "$sids" ] || exit 0
pkill -HUP -s "$sids"
sleep ${HANGUP_GRACE_S}
pkill -KILL -s "$sids"
exit 0
`;

/**
 * An interactive login shell with a TTY. The stream is raw terminal bytes: never demultiplexed.
 * The shell and the exec that ends it run as `user` (`uid:gid`; by default the workstation's own
 * user): a number, since Docker resolves names in the image's /etc/passwd, not the session's.
 */
export async function openLoginShell(container: Docker.Container, size: { cols: number; rows: number }, user?: string): Promise<ShellHandle> {
  const SHELL_USER = user ?? ((await container.inspect()).Config.User || '1000:1000');
  const mark = randomBytes(12).toString('hex');
  const exec = await container.exec({
    Cmd: ['bash', '-l'],
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: true,
    User: SHELL_USER,
    WorkingDir: '/home/learner',
    Env: ['TERM=xterm-256color', 'COLORTERM=truecolor', 'HOME=/home/learner', 'USER=learner', 'LANG=C.UTF-8', `${MARK}=${mark}`],
  });
  const stream = (await exec.start({ hijack: true, stdin: true, Tty: true })) as Duplex;
  const resize = async (cols: number, rows: number) => {
    try {
      await exec.resize({ w: cols, h: rows });
    } catch {
      // The shell may already have ended; a lost resize is harmless.
    }
  };
  await resize(size.cols, size.rows);
  const exited = new Promise<number>((resolve) => {
    let settled = false;
    const finish = async () => {
      if (settled) return;
      settled = true;
      try {
        for (let i = 0; i < 25; i++) {
          const info = await exec.inspect();
          if (!info.Running) return resolve(info.ExitCode ?? -1);
          await new Promise((r) => setTimeout(r, 20));
        }
      } catch {
        // container gone
      }
      resolve(-1);
    };
    stream.on('end', finish);
    stream.on('close', finish);
    stream.on('error', finish);
  });
  let ended: Promise<void> | null = null;
  const end = () =>
    (ended ??= execCapture(container, ['sh', '-c', HANGUP_SCRIPT, 'hangup', mark], { user: SHELL_USER, timeoutMs: 60_000 }).then(
      () => undefined,
      () => undefined, // the sandbox is gone: so is the shell
    ));
  return {
    stream,
    resize,
    exited,
    close: () => {
      stream.destroy();
      return end();
    },
  };
}

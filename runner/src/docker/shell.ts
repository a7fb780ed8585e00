/** A terminal's login shell in a Docker workstation by the engine's exec stream (where terminal-socket.ts is not used: the runner in a container), ended by the hang-up of sandbox/shell.ts; and what both ways share. */
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { ShellHandle } from '../sandbox/provider.ts';
import { hangupCommand, loginShellEnv } from '../sandbox/shell.ts';
import { LEARNER_HOME } from '../sandbox/workstation.ts';
import { execCapture } from './exec.ts';

/**
 * An interactive login shell with a TTY. The stream is raw terminal bytes: never demultiplexed.
 * The shell and the exec that ends it run as `user` (`uid:gid`, never the container's own user, root
 * while the workstation starts): a number, since Docker resolves names in the image's /etc/passwd, not the session's.
 */
export async function openLoginShell(container: Docker.Container, size: { cols: number; rows: number }, user: string): Promise<ShellHandle> {
  const mark = randomBytes(12).toString('hex');
  const exec = await container.exec({
    Cmd: ['bash', '-l'],
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: true,
    User: user,
    WorkingDir: LEARNER_HOME,
    Env: loginShellEnv(mark),
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
  const exited = exitCodeAtEnd(stream, exec);
  const end = hangupOnce(container, mark, user);
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

/** The exec's exit code once `stream` ended (the process may take a moment to be reaped), or -1. */
export function exitCodeAtEnd(stream: Duplex, exec: Docker.Exec, onEnd?: () => void): Promise<number> {
  return new Promise<number>((resolve) => {
    let settled = false;
    const finish = async () => {
      if (settled) return;
      settled = true;
      onEnd?.();
      try {
        for (let i = 0; i < 25; i++) {
          const info = await exec.inspect();
          if (!info.Running) return resolve(info.ExitCode ?? -1);
          await new Promise((r) => setTimeout(r, 20));
        }
      } catch {
        // the container is gone
      }
      resolve(-1);
    };
    stream.on('end', finish);
    stream.on('close', finish);
    stream.on('error', finish);
  });
}

/** Ends the terminal's processes (sandbox/shell.ts, HANGUP_SCRIPT) once, however often it is called; never rejects. */
export function hangupOnce(container: Docker.Container, mark: string, user: string): () => Promise<void> {
  let ended: Promise<void> | null = null;
  return () =>
    (ended ??= execCapture(container, hangupCommand(mark), { user, timeoutMs: 60_000 }).then(
      () => undefined,
      () => undefined, // the sandbox is gone: so is the shell
    ));
}

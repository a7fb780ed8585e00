import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { ShellHandle } from './provider.ts';

/** An interactive login shell with a TTY. The stream is raw terminal bytes: never demultiplexed. */
export async function openLoginShell(container: Docker.Container, size: { cols: number; rows: number }): Promise<ShellHandle> {
  const exec = await container.exec({
    Cmd: ['bash', '-l'],
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: true,
    User: 'learner',
    WorkingDir: '/home/learner',
    Env: ['TERM=xterm-256color', 'COLORTERM=truecolor', 'HOME=/home/learner', 'USER=learner', 'LANG=C.UTF-8'],
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
  return { stream, resize, exited, close: () => stream.destroy() };
}

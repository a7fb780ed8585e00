/**
 * A container's output, followed for a line: how the runner learns that a workstation or a holder
 * it started is ready without asking the engine again and again (an exec or a `top` per try).
 * Call it after the start: the engine follows only a running container's log (a created one's
 * ends at once), and a fresh container's log holds this start's lines only.
 */
import type Docker from 'dockerode';

/** True once `line` appears on the container's output (followed, the last 4 KiB kept); false when the output ends or the deadline passes. */
export async function untilLogLine(c: Docker.Container, line: string, deadline: number): Promise<boolean> {
  const stream = (await c.logs({ follow: true, stdout: true, stderr: true })) as unknown as NodeJS.ReadableStream & { destroy(): void };
  return new Promise<boolean>((resolve) => {
    let tail = '';
    const done = (seen: boolean) => {
      clearTimeout(timer);
      stream.removeAllListeners('data');
      stream.destroy();
      resolve(seen);
    };
    const timer = setTimeout(() => done(false), Math.max(0, deadline - Date.now()));
    stream.on('data', (b: Buffer) => {
      tail = (tail + b.toString('latin1')).slice(-4096);
      if (tail.includes(line)) done(true);
    });
    stream.on('end', () => done(false));
    stream.on('error', () => done(false));
  });
}

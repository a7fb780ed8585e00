/**
 * Running a command in a container without a TTY (execCapture): stdout and stderr apart, the exit code, a timeout, bounded output.
 */
import { PassThrough, type Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { ExecResult } from '../../../checks/sandbox.ts';

export interface CaptureOptions {
  user?: string;
  env?: Record<string, string>;
  cwd?: string;
  stdin?: string | Buffer;
  timeoutMs?: number;
  /** Output beyond this many bytes per stream is dropped (the command keeps running). */
  maxOutputBytes?: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * Runs a command without a TTY, demultiplexes stdout/stderr and reads the exit code from
 * exec inspect. A timeout kills the command (through coreutils `timeout` inside) and answers 124.
 */
export async function execCapture(container: Docker.Container, cmd: string[], opts: CaptureOptions = {}): Promise<ExecResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const max = opts.maxOutputBytes ?? 16 * 1024 * 1024;
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  const exec = await container.exec({
    Cmd: ['timeout', '-k', '3', String(seconds), ...cmd],
    AttachStdout: true,
    AttachStderr: true,
    AttachStdin: opts.stdin !== undefined,
    Tty: false,
    User: opts.user,
    WorkingDir: opts.cwd,
    Env: Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`),
  });
  const stream = (await exec.start({ hijack: true, stdin: opts.stdin !== undefined })) as Duplex;
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let outLen = 0;
  let errLen = 0;
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (c: Buffer) => { if (outLen < max) { out.push(c); outLen += c.length; } });
  stderr.on('data', (c: Buffer) => { if (errLen < max) { err.push(c); errLen += c.length; } });
  container.modem.demuxStream(stream, stdout, stderr);
  if (opts.stdin !== undefined) {
    stream.write(opts.stdin);
    // Half-close so the command sees end of input; the hijacked socket supports it.
    (stream as unknown as { end(): void }).end();
  }
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), timeoutMs + 5_000);
    stream.on('end', () => resolve(false));
    stream.on('close', () => resolve(false));
    stream.on('error', () => resolve(false));
  });
  clearTimeout(timer);
  if (timedOut) stream.destroy();
  let exitCode = 124;
  if (!timedOut) {
    // The exec may need a moment to be marked as finished after its stream ends.
    for (let i = 0; i < 50; i++) {
      const info = await exec.inspect();
      if (!info.Running) { exitCode = info.ExitCode ?? -1; break; }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  return { exitCode, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

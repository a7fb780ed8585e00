/**
 * Running a command in a container of a Pod through the API server without a TTY: environment,
 * working folder, stdin and a timeout made from what Kubernetes exec lacks; the exit code from its status.
 */
import { PassThrough, Writable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import type { ExecResult } from '../../../checks/sandbox.ts';
import type { KubeClients } from './client.ts';

export interface KubeExecOptions {
  env?: Record<string, string>;
  cwd?: string;
  stdin?: string | Buffer;
  timeoutMs?: number;
  maxOutputBytes?: number;
}

export interface RawExecResult {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/** Exit code from the exec's status channel: Success = 0, NonZeroExitCode carries the code. */
export function exitCodeOf(status: k8s.V1Status | undefined): number {
  if (!status) return -1;
  if (status.status === 'Success') return 0;
  const code = status.details?.causes?.find((c) => c.reason === 'ExitCode')?.message;
  return code !== undefined && /^\d+$/.test(code) ? Number(code) : -1;
}

/**
 * The command as run: Kubernetes exec has no user, working directory, environment or stdin
 * half-close (before 1.29), so `env -C` sets the first two, `timeout` bounds it and `head -c`
 * gives the command exactly the stdin bytes (an end of input the protocol cannot send).
 */
export function wrapCommand(cmd: string[], opts: KubeExecOptions): string[] {
  const seconds = Math.max(1, Math.ceil((opts.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000));
  // Names become `env` operands: one with `=` or a leading `-` would be read as something else.
  const bad = Object.keys(opts.env ?? {}).find((k) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(k));
  if (bad !== undefined) throw new Error(`exec: ${JSON.stringify(bad)} is not an environment variable name`);
  const env = Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`);
  const inner = ['env', ...(opts.cwd ? ['-C', opts.cwd] : []), ...env, 'timeout', '-k', '3', String(seconds), ...cmd];
  if (opts.stdin === undefined) return inner;
  const length = Buffer.byteLength(opts.stdin);
  return ['sh', '-c', 'n=$1; shift; head -c "$n" | exec "$@"', 'stdin', String(length), ...inner];
}

class Collector extends Writable {
  readonly chunks: Buffer[] = [];
  private size = 0;
  private readonly max: number;
  constructor(max: number) {
    super();
    this.max = max;
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void) {
    if (this.size < this.max) {
      this.chunks.push(chunk);
      this.size += chunk.length;
    }
    cb();
  }
  text() {
    return Buffer.concat(this.chunks);
  }
}

/** Runs a command in a container of a Pod without a TTY; a timeout answers 124. */
export async function execRaw(kube: KubeClients, pod: string, container: string, cmd: string[], opts: KubeExecOptions = {}): Promise<RawExecResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const stdout = new Collector(opts.maxOutputBytes ?? 64 * 1024 * 1024);
  const stderr = new Collector(opts.maxOutputBytes ?? 16 * 1024 * 1024);
  // Never ended: before the v5 exec protocol (Kubernetes 1.29) client-node closes the whole
  // WebSocket when stdin ends; `head -c` (wrapCommand) ends the command's input instead.
  const stdin = opts.stdin === undefined ? null : new PassThrough();
  stdin?.write(Buffer.from(opts.stdin!));
  let ws: { close(): void } | undefined;
  const code = await new Promise<number>((resolve, reject) => {
    let done = false;
    const finish = (c: number) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(c);
    };
    const timer = setTimeout(() => {
      ws?.close();
      finish(124);
    }, timeoutMs + 10_000);
    new k8s.Exec(kube.kc)
      .exec(kube.namespace, pod, container, wrapCommand(cmd, opts), stdout, stderr, stdin, false, (status) => finish(exitCodeOf(status)))
      .then((socket) => {
        ws = socket;
        // A socket closed without a status: the container or the connection went away.
        socket.on('close', () => setTimeout(() => finish(-1), 200));
      }, (err: unknown) => {
        clearTimeout(timer);
        done = true;
        reject(err);
      });
  });
  stdin?.destroy();
  return { exitCode: code, stdout: stdout.text(), stderr: stderr.text() };
}

export async function execCapture(kube: KubeClients, pod: string, container: string, cmd: string[], opts: KubeExecOptions = {}): Promise<ExecResult> {
  const r = await execRaw(kube, pod, container, cmd, opts);
  return { exitCode: r.exitCode, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

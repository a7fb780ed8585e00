/**
 * A terminal's login shell in a Kubernetes workstation: an exec with a TTY through the API server,
 * started and ended as sandbox/shell.ts says (environment, mark, hang-up).
 */
import { Duplex, PassThrough } from 'node:stream';
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import type { ShellHandle } from '../sandbox/provider.ts';
import { hangupCommand, loginShellEnv } from '../sandbox/shell.ts';
import type { KubeClients } from './client.ts';
import { execCapture, exitCodeOf } from './exec.ts';
import { CONTAINER } from './pod.ts';
import { LEARNER_HOME } from '../sandbox/workstation.ts';

/**
 * What client-node's Exec needs to send resizes (`columns`, `rows`, a `resize` event), and the
 * back-pressure ShellHandle.stream promises: client-node ignores write()'s answer, so a full
 * buffer (the bridge paused the stream: terminal/flow-control.ts decides when) pauses the exec's
 * WebSocket, TCP back-pressure up to the API server and the shell. No pacing rule of its own.
 */
class TerminalOutput extends PassThrough {
  columns: number;
  rows: number;
  socket: { pause(): void; resume(): void } | undefined;
  constructor(cols: number, rows: number) {
    super({ highWaterMark: 256 * 1024 });
    this.columns = cols;
    this.rows = rows;
    this.on('drain', () => this.socket?.resume());
  }
  override write(chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
    const ok = super.write(chunk, encoding as BufferEncoding, cb as () => void);
    if (!ok) this.socket?.pause();
    return ok;
  }
  setSize(cols: number, rows: number) {
    this.columns = cols;
    this.rows = rows;
    this.emit('resize');
  }
}

/**
 * A login shell as the learner (the workstation's user) with a TTY, through the API server.
 * The stream is raw terminal bytes; close() hangs up everything the terminal started
 * (sandbox/shell.ts HANGUP_SCRIPT), as on Docker.
 */
export async function openKubeShell(kube: KubeClients, pod: string, size: { cols: number; rows: number }): Promise<ShellHandle> {
  const mark = randomBytes(12).toString('hex');
  const input = new PassThrough();
  const output = new TerminalOutput(size.cols, size.rows);
  let resolveExit!: (code: number) => void;
  const exited = new Promise<number>((r) => (resolveExit = r));
  const env = loginShellEnv(mark);
  const ws = await new k8s.Exec(kube.kc).exec(kube.namespace, pod, CONTAINER.workstation, ['env', '-C', LEARNER_HOME, ...env, 'bash', '-l'], output, null, input, true, (status) =>
    resolveExit(exitCodeOf(status)),
  );
  output.socket = ws;
  ws.on('close', () => {
    setTimeout(() => resolveExit(-1), 200);
    output.end();
  });
  void exited.then(() => output.end());
  const stream = Duplex.from({ readable: output, writable: input });
  stream.on('close', () => ws.close());
  let ended: Promise<void> | null = null;
  const end = () =>
    (ended ??= execCapture(kube, pod, CONTAINER.workstation, hangupCommand(mark), { timeoutMs: 60_000 }).then(
      () => undefined,
      () => undefined, // the Pod is gone: so is the shell
    ));
  return {
    stream,
    async resize(cols, rows) {
      output.setSize(cols, rows);
    },
    exited,
    close: () => {
      stream.destroy();
      ws.close();
      return end();
    },
  };
}

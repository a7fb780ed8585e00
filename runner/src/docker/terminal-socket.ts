/**
 * Terminals without the engine's exec stream: each session gets a socket of the runner's own, in a
 * host directory mounted read-only into its workstation, and a terminal's shell is started there
 * by `sandbox-term` (images/workstation/sandbox-term), which connects back and relays between the
 * socket and a pseudo-terminal. Keystrokes then cross one small program instead of dockerd and
 * containerd-shim with their FIFOs (the keystroke echo of issue 19, item 5).
 *
 * Needs the runner on the Docker host itself (a bind mount's source is a host path); elsewhere
 * (the runner in a container) sessions keep the exec stream (shell.ts). Everything that arrives on
 * a socket comes from the learner's side: a connection must name a pending terminal's token within
 * a few bytes and seconds, or it is closed; a session's socket takes a bounded number at once.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { ShellHandle } from '../sandbox/provider.ts';
import { loginShellEnv } from '../sandbox/shell.ts';
import { LEARNER_HOME } from '../sandbox/workstation.ts';
import { exitCodeAtEnd, hangupOnce } from './shell.ts';

/** Where the socket's directory is mounted in the workstation. */
export const TERMINAL_MOUNT = '/run/registry-lab/term';
const SOCKET_NAME = 't.sock';
/** sandbox-term's first line: "<32 hex> d|c\n". */
const HELLO_MAX_BYTES = 40;
const HELLO_TIMEOUT_MS = 5_000;
/** Until sandbox-term connected both ways (it starts in a few milliseconds on a quiet host). */
const CONNECT_TIMEOUT_MS = 30_000;
/** Two per open terminal; more than a learner's handful of terminals and strays is refused. */
const MAX_CONNECTIONS = 32;
const TOKEN_VAR = 'REGISTRY_LAB_TERM_TOKEN';

interface Pending {
  data?: net.Socket;
  ctl?: net.Socket;
  done(): void;
}

/** Short, fixed-length names: a Unix socket's path has at most 107 bytes. */
const short = (s: string, n: number) => createHash('sha256').update(s).digest('hex').slice(0, n);

export class TerminalSockets {
  private readonly runnerDir: string;
  private readonly servers = new Map<string, { server: net.Server; sockets: Set<net.Socket> }>();
  private readonly pending = new Map<string, Pending>();

  /** `baseDir`: TERMINAL_DIR (config-variables.ts has its default, memory-backed on the host). */
  constructor(runnerId: string, baseDir: string) {
    this.runnerDir = join(baseDir, short(runnerId, 12));
  }

  /** Whether the runner can mount host directories into workstations (it runs on the Docker host). */
  static usable(opts: { selfContainer?: string }): boolean {
    const host = process.env.DOCKER_HOST ?? '';
    return !opts.selfContainer && (host === '' || host.startsWith('unix://'));
  }

  /** Whether the runner may make its directory (a runner that is not root may not, under /run). */
  async writable(): Promise<boolean> {
    try {
      await mkdir(this.runnerDir, { recursive: true, mode: 0o700 });
      return true;
    } catch {
      return false;
    }
  }

  /** The session's directory on the host: the workstation's mount source. */
  dirOf(id: string): string {
    return join(this.runnerDir, short(id, 16));
  }

  /** Makes the session's directory (before its workstation is created). */
  async prepare(id: string): Promise<string> {
    await mkdir(this.runnerDir, { recursive: true, mode: 0o700 });
    const dir = this.dirOf(id);
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await chmod(dir, 0o755);
    return dir;
  }

  /** Listens on the session's socket (again, after a restart: a stale socket file is replaced). */
  async listen(id: string): Promise<void> {
    if (this.servers.has(id)) return;
    const path = join(await this.prepare(id), SOCKET_NAME);
    await rm(path, { force: true });
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      this.accept(socket);
    });
    server.maxConnections = MAX_CONNECTIONS;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', () => undefined);
    // The workstation's user (a uid of the session's own) connects; the directory is the bound.
    await chmod(path, 0o666);
    this.servers.set(id, { server, sockets });
  }

  /**
   * Stops listening and ends the session's connections, open terminals included (the runner stops,
   * as their exec streams would end with it); the directory stays for the next run to adopt.
   */
  async close(id: string): Promise<void> {
    const s = this.servers.get(id);
    this.servers.delete(id);
    if (!s) return;
    const closed = new Promise<void>((r) => s.server.close(() => r()));
    for (const socket of s.sockets) socket.destroy();
    await closed;
  }

  /** Stops listening and deletes the session's directory (the sandbox is gone). */
  async remove(id: string): Promise<void> {
    await this.close(id);
    await rm(this.dirOf(id), { recursive: true, force: true });
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.servers.keys()].map((id) => this.close(id)));
  }

  /** Deletes the directories of every session but `keep` (after a crash), or all of them. */
  async removeExcept(keep: string[] = []): Promise<void> {
    const kept = new Set(keep.map((id) => short(id, 16)));
    const entries = await readdir(this.runnerDir).catch(() => [] as string[]);
    await Promise.all(entries.filter((e) => !kept.has(e)).map((e) => rm(join(this.runnerDir, e), { recursive: true, force: true })));
    if (keep.length === 0) await rm(this.runnerDir, { recursive: true, force: true });
  }

  private accept(socket: net.Socket): void {
    socket.on('error', () => undefined);
    let hello = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(), HELLO_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      hello = Buffer.concat([hello, chunk]);
      const nl = hello.indexOf(10);
      if (nl < 0) {
        if (hello.length > HELLO_MAX_BYTES) socket.destroy();
        return;
      }
      socket.off('data', onData);
      clearTimeout(timer);
      const m = /^([0-9a-f]{32}) ([dc])$/.exec(hello.subarray(0, nl).toString('latin1'));
      const p = m ? this.pending.get(m[1]!) : undefined;
      const kind = m?.[2] === 'd' ? 'data' : 'ctl';
      if (!p || p[kind]) {
        socket.destroy();
        return;
      }
      socket.pause();
      const rest = hello.subarray(nl + 1);
      if (rest.length) socket.unshift(rest);
      p[kind] = socket;
      if (p.data && p.ctl) p.done();
    };
    socket.on('data', onData);
    socket.on('close', () => clearTimeout(timer));
  }

  /**
   * A login shell through the session's socket. Rejects if sandbox-term did not connect (its exec
   * failed, or the workstation has no socket): the caller then uses the exec stream.
   */
  async open(container: Docker.Container, id: string, size: { cols: number; rows: number }, user: string, command: string[]): Promise<ShellHandle> {
    if (!this.servers.has(id)) throw new Error('no terminal socket for this session');
    const token = randomBytes(16).toString('hex');
    const mark = randomBytes(12).toString('hex');
    let done!: () => void;
    const connected = new Promise<void>((r) => (done = r));
    const pending: Pending = { done };
    this.pending.set(token, pending);
    try {
      const exec = await container.exec({
        Cmd: ['sandbox-term', `${TERMINAL_MOUNT}/${SOCKET_NAME}`, String(size.cols), String(size.rows), '--', ...command],
        AttachStdin: false,
        AttachStdout: false,
        AttachStderr: false,
        Tty: false,
        User: user,
        WorkingDir: LEARNER_HOME,
        Env: [...loginShellEnv(mark), `${TOKEN_VAR}=${token}`],
      });
      // The engine answers a detached start with an empty stream: read to its end, so its connection closes.
      const started = (await exec.start({ Detach: true })) as unknown as NodeJS.ReadableStream | undefined;
      started?.on?.('error', () => undefined);
      started?.resume?.();
      const failed = execEnded(exec, connected);
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        connected.then(() => 'connected' as const),
        failed.then((code) => `sandbox-term ended (exit code ${code}) before it connected` as const),
        new Promise<string>((r) => (timer = setTimeout(() => r('sandbox-term did not connect in time'), CONNECT_TIMEOUT_MS))),
      ]);
      clearTimeout(timer);
      if (outcome !== 'connected') throw new Error(outcome);
      return this.handle(container, exec, pending as Required<Pending>, mark, user);
    } catch (err) {
      pending.data?.destroy();
      pending.ctl?.destroy();
      throw err;
    } finally {
      this.pending.delete(token);
    }
  }

  private handle(container: Docker.Container, exec: Docker.Exec, p: Required<Pending>, mark: string, user: string): ShellHandle {
    const { data: stream, ctl } = p;
    // Paused since its first line: what the shell writes waits there until the terminal reads it
    // (a standby shell's banner, core/standby-shells.ts). Reading starts the flow again, as on a
    // stream never paused; the bridge's flow control pauses and resumes it from then on.
    const flowOnRead = (event: string | symbol) => {
      if (event !== 'data') return;
      stream.off('newListener', flowOnRead);
      stream.resume();
    };
    stream.on('newListener', flowOnRead);
    ctl.resume();
    ctl.on('data', () => undefined);
    const exited = exitCodeAtEnd(stream, exec, () => ctl.destroy());
    const end = hangupOnce(container, mark, user);
    return {
      stream,
      resize: async (cols, rows) => {
        if (!ctl.destroyed) ctl.write(`${Math.trunc(cols)} ${Math.trunc(rows)}\n`);
      },
      exited,
      close: () => {
        stream.destroy();
        ctl.destroy();
        return end();
      },
    };
  }
}

/** Resolves with the exec's exit code if it ends before `connected` (polled while waiting). */
async function execEnded(exec: Docker.Exec, connected: Promise<void>): Promise<number> {
  let isConnected = false;
  void connected.then(() => (isConnected = true));
  for (let delay = 20; !isConnected; delay = Math.min(delay * 2, 500)) {
    await new Promise((r) => setTimeout(r, delay));
    if (isConnected) break;
    const info = await exec.inspect().catch(() => null);
    if (info && !info.Running && info.ExitCode !== null) return info.ExitCode;
  }
  return new Promise<number>(() => undefined);
}

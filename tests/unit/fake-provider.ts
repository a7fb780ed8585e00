/**
 * A small in-memory SandboxProvider for unit tests of the runner core (no Docker).
 * Its "shell" echoes input like a TTY and knows a few commands:
 *   yes          floods "y\r\n" (respecting backpressure) until Ctrl-C
 *   count        counts input bytes until Ctrl-D, then prints COUNT=<n>
 *   exit <n>     ends with that code
 */
import { Duplex } from 'node:stream';
import type { SandboxInfo, SandboxProvider, ShellHandle } from '../../runner/src/sandbox/provider.ts';
import type { SandboxOps } from '../../checks/context.ts';
import type { SessionSettings } from '../../runner/src/core/session-model.ts';

export interface FakeProvider extends SandboxProvider {
  live: Set<string>;
  created: string[];
  destroyed: string[];
  resizes: { cols: number; rows: number }[];
  createDelayMs: number;
  failCreate: boolean;
  shutdownCalled: number;
  /** Sandboxes whose workstation "stopped" (still listed, not running). */
  dead: Set<string>;
  adopted: string[];
  cancelled: string[];
  released: number;
}

class FakeShell extends Duplex {
  line = '';
  mode: 'line' | 'count' = 'line';
  counted = 0;
  flooding = false;
  onExit: (code: number) => void;
  constructor(onExit: (code: number) => void) {
    super({ highWaterMark: 16 * 1024 });
    this.onExit = onExit;
    setImmediate(() => this.push('learner@lab:~$ '));
  }
  _read() {
    while (this.flooding) {
      if (!this.push(Buffer.from('y\r\n'.repeat(4096)))) return;
    }
  }
  _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void) {
    for (const byte of chunk) {
      if (this.mode === 'count') {
        if (byte === 4) {
          this.mode = 'line';
          this.push(`COUNT=${this.counted}\r\nlearner@lab:~$ `);
        } else this.counted++;
        continue;
      }
      if (byte === 3) {
        this.flooding = false;
        this.push('^C\r\nlearner@lab:~$ ');
        this.line = '';
        continue;
      }
      if (byte === 13 || byte === 10) {
        this.push('\r\n');
        this.run(this.line.trim());
        this.line = '';
        continue;
      }
      this.line += String.fromCharCode(byte);
      this.push(Buffer.from([byte]));
    }
    // A slow consumer: input is taken asynchronously, so writers see backpressure.
    setImmediate(cb);
  }
  run(cmd: string) {
    if (cmd === 'yes') {
      this.flooding = true;
      this._read();
      return;
    }
    if (cmd === 'count') {
      this.mode = 'count';
      this.counted = 0;
      return;
    }
    const exit = /^exit(?:\s+(\d+))?$/.exec(cmd);
    if (exit) {
      this.push(null);
      this.onExit(Number(exit[1] ?? 0));
      return;
    }
    const echo = /^echo (.*)$/.exec(cmd);
    if (echo) this.push(`${echo[1]}\r\n`);
    this.push('learner@lab:~$ ');
  }
}

export function createFakeProvider(opts: { createDelayMs?: number } = {}): FakeProvider {
  const p: FakeProvider = {
    live: new Set(),
    created: [],
    destroyed: [],
    resizes: [],
    createDelayMs: opts.createDelayMs ?? 20,
    failCreate: false,
    shutdownCalled: 0,
    dead: new Set(),
    adopted: [],
    cancelled: [],
    released: 0,
    async init() {
      return { reaped: 0 };
    },
    async create(id: string, opts: { signal?: AbortSignal } = {}): Promise<SandboxInfo> {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, p.createDelayMs);
        opts.signal?.addEventListener('abort', () => {
          clearTimeout(t);
          resolve();
        });
      });
      if (opts.signal?.aborted) {
        p.cancelled.push(id);
        throw new Error('the sandbox creation was cancelled');
      }
      if (p.failCreate) throw new Error('fake create failure');
      p.live.add(id);
      p.created.push(id);
      return { id, workstationIp: '10.0.0.2', createdAt: new Date() };
    },
    async destroy(id: string) {
      p.dead.delete(id);
      if (p.live.delete(id)) p.destroyed.push(id);
    },
    async isRunning(id: string) {
      return p.live.has(id) && !p.dead.has(id);
    },
    async sandboxes() {
      return new Map([...p.live].map((id) => [id, { workstation: true, running: !p.dead.has(id) }]));
    },
    async adopt(id: string) {
      if (!p.live.has(id) || p.dead.has(id)) throw new Error(`sandbox ${id} is not running`);
      p.adopted.push(id);
      return { id, workstationIp: '10.0.0.2', createdAt: new Date() };
    },
    async release() {
      p.released++;
    },
    async openShell(id: string, size): Promise<ShellHandle> {
      if (!p.live.has(id)) throw new Error(`unknown sandbox ${id}`);
      p.resizes.push(size);
      let resolveExit!: (code: number) => void;
      const exited = new Promise<number>((r) => (resolveExit = r));
      const stream = new FakeShell((code) => setTimeout(() => resolveExit(code), 5));
      stream.on('close', () => resolveExit(-1));
      return {
        stream,
        exited,
        async resize(cols, rows) {
          p.resizes.push({ cols, rows });
        },
        close() {
          stream.destroy();
        },
      };
    },
    ops(id: string): SandboxOps {
      return {
        sessionId: id,
        home: '/home/learner',
        exec: async () => ({ exitCode: 0, stdout: '', stderr: '' }),
        graderExec: async () => ({ exitCode: 0, stdout: '', stderr: '' }),
        readFile: async () => null,
        copyIn: async () => {},
        registryUrl: (port = 5000) => `http://10.0.0.2:${port}`,
        startRegistry: async () => {},
        probeImage: async () => ({ ok: false, error: 'fake' }),
      };
    },
    async shutdown() {
      p.shutdownCalled++;
      for (const id of p.live) p.destroyed.push(id);
      p.live.clear();
    },
    async memoryUsage() {
      return { workstation: 1, registry: 1 };
    },
  };
  return p;
}

/** Session settings for the core's unit tests: roomy lifetimes, no warm pool, small limits. */
export function testSessionSettings(over: Partial<SessionSettings> = {}): SessionSettings {
  return {
    sessionTtlMs: 60_000,
    sessionIdleMs: 60_000,
    sessionMaxTtlMs: 120_000,
    sessionWarnBeforeMs: 5_000,
    sessionStoppedKeepMs: 60_000,
    sessionStartTimeoutMs: 5_000,
    warmPoolSize: 0,
    maxSessions: 5,
    maxSessionsPerClient: 3,
    maxSessionCreatesPerMinute: 100,
    ...over,
  };
}

/**
 * Hooks that report into Metrics without the reporting code knowing prom-client: a provider
 * wrapper (sandbox starts), an engine wrapper (checks), session events (claims, ends), and a
 * watcher of terminal sockets (connections, bytes).
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { SandboxProvider } from '../sandbox/provider.ts';
import { isSandboxGone } from '../sandbox/errors.ts';
import { withCreate } from '../core/provider-wrappers.ts';
import type { SessionService } from '../core/sessions.ts';
import type { LabEngine } from '../labs/service.ts';
import { SHADOW_PATH } from '../terminal/shadow.ts';
import type { Metrics } from './registry.ts';

/** A few fixed words for a failed start, so the label never holds Docker's text. */
export function startFailureReason(err: unknown, signal?: AbortSignal): string {
  const text = err instanceof Error ? err.message : String(err);
  if (signal?.aborted) return 'cancelled';
  if (/did not start within|timed? ?out/i.test(text)) return 'timeout';
  if (/no such image|pull access denied|image .* not found/i.test(text)) return 'image_missing';
  if (isSandboxGone(err) || /ECONNREFUSED|ENOENT.*sock/i.test(text)) return 'engine_unreachable';
  if (/no space left|disk quota/i.test(text)) return 'disk_full';
  return 'error';
}

export function instrumentProvider(provider: SandboxProvider, metrics: Metrics): SandboxProvider {
  const create: SandboxProvider['create'] = async (id, opts) => {
    const called = performance.now();
    // A provider with a start queue says when the start itself begins; the wait before is apart.
    let began = called;
    const started = () => {
      began = performance.now();
      metrics.sandboxStartWait((began - called) / 1000);
      opts?.started?.();
    };
    try {
      const info = await provider.create(id, { ...opts, started });
      metrics.sandboxStart('ok', 'ok', (performance.now() - began) / 1000);
      return info;
    } catch (err) {
      metrics.sandboxStart('failed', startFailureReason(err, opts?.signal), (performance.now() - began) / 1000);
      throw err;
    }
  };
  return withCreate(provider, create);
}

export function instrumentEngine(load: () => Promise<LabEngine>, metrics: Metrics): () => Promise<LabEngine> {
  return async () => {
    const engine = await load();
    return {
      loadLabs: (dir) => engine.loadLabs(dir),
      createLabState: () => engine.createLabState(),
      startLab: (lab, ctx) => engine.startLab(lab, ctx),
      checkLab: async (lab, ctx) => {
        const began = performance.now();
        const id = lab.definition.id;
        try {
          const outcome = await engine.checkLab(lab, ctx);
          metrics.check(id, outcome.passed ? 'passed' : 'failed', (performance.now() - began) / 1000);
          return outcome;
        } catch (err) {
          metrics.check(id, 'error', (performance.now() - began) / 1000);
          throw err;
        }
      },
    };
  };
}

export function watchSessions(sessions: SessionService, metrics: Metrics): void {
  sessions.on('created', (s: { fromPool?: boolean }) => {
    if (s.fromPool) metrics.poolClaim();
  });
  sessions.on('ended', (_s: unknown, reason: string) => metrics.sessionEnded(String(reason)));
}

const TERMINAL = /^\/api\/sessions\/[^/?]+\/terminal$/;

/**
 * Bytes of terminal WebSockets (learner terminals and shadows, frames included), read from the
 * upgraded sockets themselves: open sockets are added at each scrape, the rest when they close.
 */
export function watchTerminalSockets(server: Server, metrics: Metrics): { flush(): void } {
  const live = new Map<Socket, { read: number; written: number }>();
  const account = (socket: Socket, seen: { read: number; written: number }) => {
    metrics.terminalBytes('in', socket.bytesRead - seen.read);
    metrics.terminalBytes('out', socket.bytesWritten - seen.written);
    seen.read = socket.bytesRead;
    seen.written = socket.bytesWritten;
  };
  server.on('upgrade', (req: { url?: string }, duplex: Duplex) => {
    const path = (req.url ?? '').split('?')[0]!;
    if (!TERMINAL.test(path) && !SHADOW_PATH.test(path)) return;
    const socket = duplex as Socket;
    // The upgrade request itself was read already: count from here.
    const seen = { read: socket.bytesRead, written: socket.bytesWritten };
    live.set(socket, seen);
    socket.once('close', () => {
      account(socket, seen);
      live.delete(socket);
    });
  });
  return {
    flush: () => {
      for (const [socket, seen] of live) account(socket, seen);
    },
  };
}

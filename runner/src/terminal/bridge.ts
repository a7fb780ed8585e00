/**
 * One WebSocket <-> one login shell.
 *
 * Output: every chunk of the shell is sent at once as a binary frame (no batching). Flow
 * control pauses the shell stream (so dockerd, and then the program, block) when
 *   - ws.bufferedAmount > highWaterBytes (resumes on the socket's 'drain'), or
 *   - the client acknowledges ({"type":"ack","bytes":N}) and the unacknowledged bytes exceed
 *     ackHighBytes (resumes below ackLowBytes).
 * Input: binary frames are written to the shell respecting its backpressure (the WebSocket
 * is paused until the shell stream drains), so a large paste in many frames arrives whole.
 */
import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import type { ShellHandle, SandboxProvider } from '../docker/provider.ts';
import { ApiError } from '../core/errors.ts';
import { errMessage, type Logger } from '../core/log.ts';
import type { Session, SessionService, StopReason } from '../core/sessions.ts';

export interface TerminalTuning {
  highWaterBytes: number;
  ackHighBytes: number;
  ackLowBytes: number;
  pingIntervalMs: number;
}

export const DEFAULT_TUNING: TerminalTuning = {
  highWaterBytes: 1024 * 1024,
  ackHighBytes: 2 * 1024 * 1024,
  ackLowBytes: 512 * 1024,
  pingIntervalMs: 30_000,
};

export const MAX_COLS = 500;
export const MAX_ROWS = 200;

/** Clamped size, or null when the values are missing, zero, negative or not numbers. */
export function clampSize(cols: unknown, rows: unknown): { cols: number; rows: number } | null {
  const c = typeof cols === 'number' ? cols : typeof cols === 'string' && cols.trim() !== '' ? Number(cols) : NaN;
  const r = typeof rows === 'number' ? rows : typeof rows === 'string' && rows.trim() !== '' ? Number(rows) : NaN;
  if (!Number.isFinite(c) || !Number.isFinite(r) || c < 1 || r < 1) return null;
  return { cols: Math.min(MAX_COLS, Math.floor(c)), rows: Math.min(MAX_ROWS, Math.floor(r)) };
}

const END_REASONS: Record<StopReason, string> = {
  deleted: 'session deleted',
  expired: 'session expired',
  idle: 'session idle',
  failed: 'sandbox failed',
  shutdown: 'runner shutting down',
  vanished: 'sandbox gone',
  died: 'sandbox stopped',
};

export function bridge(opts: {
  ws: WebSocket;
  socket: Duplex;
  session: Session;
  sessions: SessionService;
  provider: SandboxProvider;
  log: Logger;
  initialSize: { cols: unknown; rows: unknown };
  tuning?: Partial<TerminalTuning>;
  onClose: () => void;
}): (code: number, reason: string, event?: object) => void {
  const { ws, socket, session, sessions, provider, log } = opts;
  const t: TerminalTuning = { ...DEFAULT_TUNING, ...opts.tuning };
  let size = clampSize(opts.initialSize.cols, opts.initialSize.rows) ?? { cols: 80, rows: 24 };
  let shell: ShellHandle | null = null;
  let closed = false;
  const pending: Buffer[] = [];
  let unacked = 0;
  let acking = false;
  let outputPaused = false;
  let inputPaused = false;
  let alive = true;

  const sendJson = (obj: object) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(obj));
  };

  const overHigh = () => ws.bufferedAmount > t.highWaterBytes || (acking && unacked > t.ackHighBytes);
  const maybeResume = () => {
    if (!outputPaused || !shell || closed) return;
    if (ws.bufferedAmount > t.highWaterBytes) return;
    if (acking && unacked > t.ackLowBytes) return;
    outputPaused = false;
    shell.stream.resume();
  };

  const onOutput = (chunk: Buffer) => {
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(chunk, { binary: true });
    unacked += chunk.length;
    if (!outputPaused && overHigh()) {
      outputPaused = true;
      shell?.stream.pause();
    }
  };
  socket.on('drain', maybeResume);

  /** Resizes in flight: input waits for them so keystrokes never overtake a resize. */
  let holding = 0;
  const flushPending = () => {
    for (const b of pending.splice(0)) writeInput(b);
    if (!inputPaused && !closed) ws.resume();
  };

  const writeInput = (buf: Buffer) => {
    if (!shell || holding > 0) {
      pending.push(buf);
      return;
    }
    const ok = shell.stream.write(buf);
    if (!ok && !inputPaused) {
      inputPaused = true;
      ws.pause();
      shell.stream.once('drain', () => {
        inputPaused = false;
        if (!closed) ws.resume();
      });
    }
  };

  const control = (text: string) => {
    if (text.length > 4096) return;
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (!msg || typeof msg !== 'object' || Array.isArray(msg)) return;
    const m = msg as Record<string, unknown>;
    switch (m.type) {
      case 'resize': {
        const s = clampSize(m.cols, m.rows);
        if (!s || (s.cols === size.cols && s.rows === size.rows)) return;
        size = s;
        if (shell) {
          holding++;
          ws.pause();
          void shell
            .resize(s.cols, s.rows)
            .catch(() => {})
            .finally(() => {
              if (--holding === 0 && !closed) flushPending();
            });
        }
        return;
      }
      case 'ack': {
        const n = typeof m.bytes === 'number' ? m.bytes : NaN;
        if (!Number.isFinite(n) || n < 0) return;
        acking = true;
        unacked = Math.max(0, unacked - Math.floor(n));
        maybeResume();
        return;
      }
      case 'ping':
        sendJson({ type: 'pong', ...(typeof m.t === 'number' || typeof m.t === 'string' ? { t: m.t } : {}) });
        return;
      default:
        return; // unknown control messages are ignored
    }
  };

  ws.on('message', (data, isBinary) => {
    if (closed) return;
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
    if (isBinary) writeInput(buf);
    else control(buf.toString('utf8'));
  });
  ws.on('pong', () => {
    alive = true;
  });
  ws.on('error', (err) => {
    log.debug({ session: session.id, err: errMessage(err) }, 'terminal websocket error');
  });
  ws.on('close', () => finish(1000, ''));

  const ping = setInterval(() => {
    if (!alive) {
      ws.terminate();
      return;
    }
    alive = false;
    try {
      ws.ping();
    } catch {
      /* closing */
    }
  }, t.pingIntervalMs);
  ping.unref();

  let warnedFor = 0;
  const onExpiring = (s: Session) => {
    if (s !== session || warnedFor === s.expiresAt) return;
    warnedFor = s.expiresAt;
    sendJson({ type: 'expiring', expiresAt: new Date(s.expiresAt).toISOString() });
  };
  const onExtended = (s: Session) => {
    if (s === session) sendJson({ type: 'extended', expiresAt: new Date(s.expiresAt).toISOString() });
  };
  const onEnded = (s: Session, reason: StopReason) => {
    if (s !== session) return;
    sendJson({ type: 'ended', reason });
    // The session is gone for good: 1008, so a browser client starts a new session instead of
    // reconnecting; a runner shutdown is 1001 (going away: reconnect later).
    finish(reason === 'shutdown' ? 1001 : 1008, END_REASONS[reason] ?? 'session ended');
  };
  sessions.on('expiring', onExpiring);
  sessions.on('extended', onExtended);
  sessions.on('ended', onEnded);

  function finish(code: number, reason: string, event?: object) {
    if (closed) return;
    if (event) sendJson(event);
    closed = true;
    clearInterval(ping);
    sessions.off('expiring', onExpiring);
    sessions.off('extended', onExtended);
    sessions.off('ended', onEnded);
    socket.off('drain', maybeResume);
    pending.length = 0;
    if (shell) {
      shell.stream.off('data', onOutput);
      try {
        shell.close();
      } catch {
        /* already closed */
      }
    }
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) {
      try {
        ws.close(code, reason);
      } catch {
        ws.terminate();
      }
      setTimeout(() => ws.terminate(), 2000).unref();
    }
    opts.onClose();
  }

  // Input is held until the shell exists.
  ws.pause();
  if (session.state === 'starting') sendJson({ type: 'status', state: 'starting' });

  let openedWith = size;
  sessions
    .waitReady(session)
    .then(() => provider.openShell(session.id, (openedWith = size)))
    .then(
      (h) => {
        if (closed) {
          h.close();
          return;
        }
        shell = h;
        if (size.cols !== openedWith.cols || size.rows !== openedWith.rows) void h.resize(size.cols, size.rows).catch(() => {});
        const stream: Duplex = h.stream;
        stream.on('data', onOutput);
        stream.on('error', (err) => log.debug({ session: session.id, err: errMessage(err) }, 'shell stream error'));
        void h.exited.then((code) => {
          if (closed) return;
          sendJson({ type: 'exit', code });
          finish(1000, 'shell exited');
        });
        sendJson({ type: 'ready', cols: size.cols, rows: size.rows, expiresAt: new Date(session.expiresAt).toISOString() });
        if (sessions.isExpiringSoon(session)) onExpiring(session);
        flushPending();
      },
      (err) => {
        if (closed) return;
        const code = err instanceof ApiError ? err.code : 'shell_failed';
        const message = err instanceof ApiError ? err.message : `The terminal could not start: ${errMessage(err)}`;
        log.error({ session: session.id, err: errMessage(err) }, 'terminal could not start');
        sendJson({ type: 'error', code, message });
        // Refused after the upgrade (the session stopped or never became ready): 1008; a failing shell: 1011.
        finish(err instanceof ApiError ? 1008 : 1011, err instanceof ApiError ? code : 'shell failed');
      },
    );

  return finish;
}

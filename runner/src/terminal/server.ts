/**
 * WebSocket terminals: GET /api/sessions/:id/terminal?token=<token>.
 *
 * The HTTP server's 'upgrade' event is handled here (ws in noServer mode): session, token,
 * Origin and the per-session terminal limit are checked BEFORE the upgrade, a refusal is a
 * plain HTTP answer with a JSON error body on the raw socket.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Config } from '../config.ts';
import type { SandboxProvider } from '../docker/provider.ts';
import { ApiError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { Session, SessionService } from '../core/sessions.ts';
import { bridge, type TerminalTuning } from './bridge.ts';

const PATH = /^\/api\/sessions\/([^/]+)\/terminal\/?$/;

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

function reject(socket: Duplex, status: number, code: string, message: string) {
  const body = JSON.stringify({ error: { code, message } });
  if (socket.writable) {
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** Allowed origins: ALLOWED_ORIGINS, or the request Host's own origin plus 127.0.0.1/localhost on the runner's port. */
export function originAllowed(origin: string | undefined, req: Pick<IncomingMessage, 'headers'>, config: Config, port: number): boolean {
  // Non-browser clients (scripts, tests) send no Origin; browsers always do.
  if (origin === undefined) return true;
  const o = origin.replace(/\/+$/, '').toLowerCase();
  if (config.allowedOrigins.length > 0) return config.allowedOrigins.some((a) => a.toLowerCase() === o);
  const host = req.headers.host?.toLowerCase();
  const allowed = new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);
  if (host) {
    allowed.add(`http://${host}`);
    allowed.add(`https://${host}`);
  }
  return allowed.has(o);
}

export interface TerminalServer {
  /** Open terminals (all sessions). */
  count(): number;
  /** Closes every terminal (1001, or `code`: 1012 when the runner restarts) and stops accepting. */
  close(opts?: { code?: number; reason?: string }): Promise<void>;
}

export function attachTerminalServer(opts: {
  server: Server;
  config: Config;
  sessions: SessionService;
  provider: SandboxProvider;
  log: Logger;
  port: () => number;
  tuning?: Partial<TerminalTuning>;
}): TerminalServer {
  const { server, config, sessions, provider, log } = opts;
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.terminalMaxFrame, perMessageDeflate: false, clientTracking: true });
  let closing = false;
  const closers = new Set<(code: number, reason: string, event?: object) => void>();

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://runner.invalid');
    } catch {
      return reject(socket, 400, 'bad_url', 'The URL is malformed.');
    }
    const m = PATH.exec(url.pathname);
    if (!m) return reject(socket, 404, 'not_found', 'No WebSocket endpoint here; terminals are at /api/sessions/:id/terminal.');
    if (closing) return reject(socket, 503, 'shutting_down', 'The runner is shutting down.');
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      return reject(socket, 400, 'bad_upgrade', 'Only WebSocket upgrades are supported.');
    }
    let session: Session;
    try {
      let id = m[1]!;
      try {
        id = decodeURIComponent(id);
      } catch {
        /* keep raw: it will be an unknown id */
      }
      session = sessions.authenticate(id, url.searchParams.get('token'));
    } catch (err) {
      if (err instanceof ApiError) return reject(socket, err.status, err.code, err.message);
      return reject(socket, 400, 'bad_request', 'The request is malformed.');
    }
    const origin = req.headers.origin;
    if (!originAllowed(origin, req, config, opts.port())) {
      log.warn({ session: session.id, origin }, 'terminal refused: origin not allowed');
      return reject(socket, 403, 'origin_not_allowed', `Origin ${String(origin).slice(0, 200)} may not open terminals on this runner.`);
    }
    if (session.state === 'stopped') {
      return reject(socket, 409, 'session_stopped', 'The session has stopped. Start a new session.');
    }
    if (session.terminals >= config.maxTerminalsPerSession) {
      return reject(socket, 429, 'too_many_terminals', `At most ${config.maxTerminalsPerSession} terminals may be open on one session.`);
    }
    const cols = Number(url.searchParams.get('cols'));
    const rows = Number(url.searchParams.get('rows'));
    // Count the terminal now so the idle timer cannot fire between the check and the shell.
    const detach = sessions.attachTerminal(session);
    let bridged = false;
    // If the handshake fails (bad key or version), ws answers 400 and never calls back.
    socket.once('close', () => {
      if (!bridged) detach();
    });
    wss.handleUpgrade(req, socket, head, (ws) => {
      bridged = true;
      const close = bridge({
        ws,
        socket,
        session,
        sessions,
        provider,
        log,
        initialSize: { cols, rows },
        tuning: opts.tuning,
        onClose: () => {
          detach();
          closers.delete(close);
        },
      });
      closers.add(close);
    });
  };

  server.on('upgrade', onUpgrade);

  return {
    count: () => closers.size,
    async close(o = {}) {
      closing = true;
      server.off('upgrade', onUpgrade);
      // 1012 "service restart": the session survives, the client reconnects (no 'ended' event).
      const code = o.code ?? 1001;
      for (const c of [...closers]) c(code, o.reason ?? 'runner shutting down', code === 1001 ? { type: 'ended', reason: 'shutdown' } : undefined);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      // Give close frames a moment, then drop whatever is left.
      const deadline = Date.now() + 1000;
      while (wss.clients.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const ws of wss.clients) (ws as WebSocket).terminate();
    },
  };
}


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
import type { SandboxProvider } from '../sandbox/provider.ts';
import { ApiError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { Session, SessionService } from '../core/sessions.ts';
import { CLOSE, encodeMessage } from '../../../protocol/terminal.ts';
import { bridge, DEFAULT_TUNING, type CloseTerminal, type TerminalRecording, type TerminalTuning } from './bridge.ts';
import { createTerminalHub, type LearnerTerminal, type TerminalHub, type TerminalHubInternal } from './hub.ts';
import { SHADOW_PATH, shadowUpgrades, type AuthorizeShadow } from './shadow.ts';
import { HOST_MISSING, HOST_REFUSED, hostRule, originAllowed } from '../http/hosts.ts';
import { writeRawError } from '../http/client-errors.ts';

const PATH = /^\/api\/sessions\/([^/]+)\/terminal\/?$/;

/** The hub of presence, broadcasts, shadows and take-overs for terminals with this tuning. */
export function terminalHub(tuning: Partial<TerminalTuning> = {}): TerminalHubInternal {
  const t: TerminalTuning = { ...DEFAULT_TUNING, ...tuning };
  return createTerminalHub({ shadowMaxBufferedBytes: t.shadowMaxBufferedBytes, takeover: t.takeover });
}

/** A refusal before the upgrade: a plain HTTP answer in the API's error shape. */
const reject = (socket: Duplex, status: number, code: string, message: string) => writeRawError(socket, status, code, message);


export interface TerminalServer {
  /** Open terminals (all sessions). */
  count(): number;
  /**
   * Closes every open terminal now, by default with 1012 "service restart" (the client
   * reconnects to the same session once the runner answers again). Keeps accepting.
   */
  closeAll(code?: number, reason?: string): void;
  /** Stops accepting (new upgrades get 503), closes every terminal and shadow with 1012, waits for the sockets. */
  close(): Promise<void>;
  /** Presence, broadcasts and shadows (hub.ts). */
  hub: TerminalHub;
}

export function attachTerminalServer(opts: {
  server: Server;
  config: Config;
  sessions: SessionService;
  provider: SandboxProvider;
  log: Logger;
  port: () => number;
  tuning?: Partial<TerminalTuning>;
  /** Who may watch a learner's terminals (the workshops); without it shadows get 503. */
  authorizeShadow?: AuthorizeShadow;
  /**
   * A recording for a new learner terminal, or null (the workshops record theirs). `secrets`:
   * strings the recording must never contain (the session token of the upgrade URL).
   */
  recordTerminal?: (session: Session, size: { cols: number; rows: number }, secrets: string[]) => TerminalRecording | null;
  /** The hub, when its users need it before the server exists (app.ts: the workshops); default: a new one from `tuning`. */
  hub?: TerminalHubInternal;
}): TerminalServer {
  const { server, config, sessions, provider, log } = opts;
  const tuning: TerminalTuning = { ...DEFAULT_TUNING, ...opts.tuning };
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.terminalMaxFrame, perMessageDeflate: false, clientTracking: true });
  let closing = false;
  const closers = new Set<CloseTerminal>();

  const hostAllowed = hostRule(config);
  const hub = opts.hub ?? terminalHub(tuning);
  const shadow = shadowUpgrades({
    wss,
    hub,
    sessions,
    log,
    authorize: opts.authorizeShadow,
    maxPerSession: tuning.maxShadowsPerSession,
    originAllowed: (req) => originAllowed(req.headers.origin, req, config, opts.port()),
    pingIntervalMs: tuning.pingIntervalMs,
  });

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    // DNS rebinding: the same Host rule as every HTTP request (http/hosts.ts).
    if (!req.headers.host) return reject(socket, HOST_MISSING.status, HOST_MISSING.code, HOST_MISSING.message);
    if (!hostAllowed(req.headers.host)) return reject(socket, HOST_REFUSED.status, HOST_REFUSED.code, HOST_REFUSED.message(req.headers.host));
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://runner.invalid');
    } catch {
      return reject(socket, 400, 'bad_url', 'The URL is malformed.');
    }
    const m = PATH.exec(url.pathname);
    const sm = m ? null : SHADOW_PATH.exec(url.pathname);
    if (!m && !sm) return reject(socket, 404, 'not_found', 'No WebSocket endpoint here; terminals are at /api/sessions/:id/terminal.');
    if (closing) return reject(socket, 503, 'shutting_down', 'The runner is shutting down.');
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      return reject(socket, 400, 'bad_upgrade', 'Only WebSocket upgrades are supported.');
    }
    if (sm) return void shadow(req, socket, head, url, sm);
    if (!m) return;
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
      const token = url.searchParams.get('token') ?? '';
      const learner: LearnerTerminal = {
        event: (e) => {
          if (ws.readyState === ws.OPEN) ws.send(encodeMessage(e));
        },
      };
      const leave = hub.addLearner(session.id, learner);
      const close = bridge({
        ws,
        socket,
        session,
        sessions,
        provider,
        log,
        initialSize: { cols, rows },
        tuning,
        tap: (chunk) => hub.output(session.id, chunk),
        onTakeover: (action) => hub.learnerTakeover(session.id, action),
        exposeInput: (write, redact) => {
          learner.input = write;
          learner.redact = redact;
        },
        record: opts.recordTerminal ? (size) => opts.recordTerminal!(session, size, [token]) : undefined,
        onClose: () => {
          leave();
          detach();
          closers.delete(close);
        },
      });
      closers.add(close);
    });
  };

  server.on('upgrade', onUpgrade);

  const closeAll = (code: number = CLOSE.restart, reason = 'service restart') => {
    for (const c of [...closers]) c(code, reason);
    hub.closeShadows(code, reason);
  };

  return {
    count: () => closers.size,
    hub,
    closeAll,
    async close() {
      closing = true;
      server.off('upgrade', onUpgrade);
      closeAll();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      // Give close frames a moment, then drop whatever is left.
      const deadline = Date.now() + 1000;
      while (wss.clients.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const ws of wss.clients) (ws as WebSocket).terminate();
    },
  };
}


/**
 * Shadows: GET /api/workshops/:id/learners/:session/terminal?token=<instructor key or operator token>.
 *
 * A read-only WebSocket for an instructor: from the upgrade on it receives, as binary frames,
 * the output of every terminal of that learner (also of terminals opened later), and a
 * `{"type":"shadow","terminals":n}` event whenever the learner's number of open terminals
 * changes. What the shadow sends is ignored, except a `takeover` message (ask, end) and, while
 * the learner allows a take-over it asked for, its binary frames (input; hub.ts). Who may watch is the workshop's business:
 * `authorize` (W's workshop store) answers; without one, shadows are refused with 503.
 *
 * Everything is checked before the upgrade; a refusal is a plain HTTP answer with a JSON error.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, type WebSocketServer } from 'ws';
import type { Config } from '../config.ts';
import { ApiError } from '../core/errors.ts';
import { errMessage, type Logger } from '../core/log.ts';
import type { Session, SessionService } from '../core/sessions.ts';
import { writeRawError } from '../http/client-errors.ts';
import { CLOSE, encodeMessage, parseClientMessage, type EndReason, type ServerEvent } from '../../../protocol/terminal.ts';
import { startHeartbeat } from './heartbeat.ts';
import type { ShadowSink, TerminalHubInternal } from './hub.ts';

export const SHADOW_PATH = /^\/api\/workshops\/([^/]+)\/learners\/([^/]+)\/terminal\/?$/;

/** `{ok, who}`: allowed, naming who for the workshop log ("instructor", "operator"). */
export type ShadowAuthorization = 'ok' | 'unauthorized' | 'not_found' | { ok: true; who: string };
/** May this token watch this learner of this workshop? (The session must belong to the workshop.) */
export type AuthorizeShadow = (workshopId: string, sessionId: string, token: string | null) => Promise<ShadowAuthorization>;

export const DEFAULT_MAX_SHADOWS_PER_SESSION = 4;

const decode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

export function shadowUpgrades(opts: {
  wss: WebSocketServer;
  hub: TerminalHubInternal;
  sessions: SessionService;
  log: Logger;
  authorize?: AuthorizeShadow;
  maxPerSession: number;
  originAllowed(req: IncomingMessage): boolean;
  pingIntervalMs: number;
}): (req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, m: RegExpExecArray) => Promise<void> {
  const { wss, hub, sessions, log } = opts;
  const reject = (socket: Duplex, status: number, code: string, message: string) => writeRawError(socket, status, code, message);

  return async (req, socket, head, url, m) => {
    if (!opts.authorize) return reject(socket, 503, 'shadow_unavailable', 'This runner has no workshops: terminals cannot be watched.');
    const workshopId = decode(m[1]!);
    const sessionId = decode(m[2]!);
    if (!opts.originAllowed(req)) {
      log.warn({ workshop: workshopId, origin: req.headers.origin }, 'shadow refused: origin not allowed');
      return reject(socket, 403, 'origin_not_allowed', `Origin ${String(req.headers.origin).slice(0, 200)} may not watch terminals on this runner.`);
    }
    let verdict: ShadowAuthorization;
    try {
      verdict = await opts.authorize(workshopId, sessionId, url.searchParams.get('token'));
    } catch (err) {
      if (err instanceof ApiError) return reject(socket, err.status, err.code, err.message);
      log.error({ workshop: workshopId, err: errMessage(err) }, 'shadow authorization failed');
      return reject(socket, 500, 'internal', 'The runner could not check this request.');
    }
    if (socket.destroyed) return;
    if (verdict === 'unauthorized') return reject(socket, 401, 'unauthorized', 'A valid instructor key or operator token is required.');
    if (verdict !== 'ok' && typeof verdict !== 'object') return reject(socket, 404, 'not_found', 'No such workshop, or no such learner in it.');
    const who = typeof verdict === 'object' ? verdict.who : 'instructor';
    const session = sessions.get(sessionId);
    if (!session) return reject(socket, 404, 'not_found', 'No such workshop, or no such learner in it.');
    if (session.state === 'stopped') return reject(socket, 409, 'session_stopped', "The learner's session has ended.");
    if (hub.shadowCount(session.id) >= opts.maxPerSession) {
      return reject(socket, 429, 'too_many_shadows', `At most ${opts.maxPerSession} views may watch one learner at once.`);
    }
    const secret = url.searchParams.get('token') ?? undefined;
    wss.handleUpgrade(req, socket, head, (ws) => watch(ws, session, who, secret));
  };

  function watch(ws: WebSocket, session: Session, who: string, secret: string | undefined) {
    let closed = false;
    const send = (data: Buffer | string, binary: boolean) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(data, { binary });
    };
    const sink: ShadowSink = {
      output(chunk) {
        send(chunk, true);
        return ws.bufferedAmount;
      },
      event: (e: ServerEvent) => send(encodeMessage(e), false),
      close: (code, reason) => finish(code, reason),
      who,
      secret,
    };
    // Input reaches the learner's shell only during an allowed take-over; otherwise it is dropped.
    ws.on('message', (data, isBinary) => {
      if (closed) return;
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
      if (isBinary) return void hub.shadowInput(session.id, sink, buf);
      const m = parseClientMessage(buf.toString('utf8'));
      if (m?.type === 'takeover') hub.shadowTakeover(session.id, sink, m.action);
    });
    ws.on('error', (err) => log.debug({ session: session.id, err: errMessage(err) }, 'shadow websocket error'));
    ws.on('close', () => finish(CLOSE.normal, ''));
    const ping = startHeartbeat(ws, opts.pingIntervalMs);
    const onEnded = (s: Session, reason: EndReason) => {
      if (s !== session) return;
      hub.sessionEnded(session.id);
      if (reason === 'shutdown') finish(CLOSE.restart, 'service restart');
      else {
        sink.event({ type: 'ended', reason });
        finish(CLOSE.sessionEnded, 'session ended');
      }
    };
    sessions.on('ended', onEnded);
    const remove = hub.addShadow(session.id, sink);
    log.info({ session: session.id }, 'shadow opened');

    function finish(code: number, reason: string) {
      if (closed) return;
      closed = true;
      remove();
      clearInterval(ping);
      sessions.off('ended', onEnded);
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) {
        try {
          ws.close(code, reason);
        } catch {
          ws.terminate();
        }
        // A shadow too slow to read its backlog will not read the close frame either.
        setTimeout(() => ws.terminate(), code === CLOSE.shadowTooSlow ? 200 : 2000).unref();
      }
      if (code === CLOSE.shadowTooSlow) log.warn({ session: session.id }, 'shadow dropped: too slow');
    }
  }
}

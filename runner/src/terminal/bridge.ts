/**
 * One WebSocket <-> one login shell: wiring only. The protocol is protocol/terminal.ts,
 * output pacing is FlowControl (flow-control.ts), input pacing is ShellInput (input.ts),
 * session news is followSession (session-events.ts).
 *
 * Output: a chunk after a quiet moment is sent at once as a binary frame; what follows it within
 * a couple of milliseconds leaves as one frame (OutputBatch, output-batch.ts), events after it.
 * The shell is opened once the session is ready (the client is told `status` meanwhile,
 * then `ready`), and ended (hang-up, then kill) whenever the terminal closes.
 */
import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import { CLOSE, clampSize, encodeMessage, parseClientMessage, type EndReason, type ServerEvent } from '../../../protocol/terminal.ts';
import type { ShellHandle, SandboxProvider } from '../sandbox/provider.ts';
import { ApiError } from '../core/errors.ts';
import { shellFailed } from '../core/sandbox-errors.ts';
import { errMessage, type Logger } from '../core/log.ts';
import type { Session, SessionService } from '../core/sessions.ts';
import { DEFAULT_FLOW_LIMITS, FlowControl } from './flow-control.ts';
import { startHeartbeat } from './heartbeat.ts';
import { ShellInput } from './input.ts';
import { OutputBatch } from './output-batch.ts';
import { followSession } from './session-events.ts';
import type { TerminalRecording } from '../workshops/terminals.ts';
import { DEFAULT_HUB_TUNING } from './hub.ts';
import { DEFAULT_MAX_SHADOWS_PER_SESSION } from './shadow.ts';
import type { TakeoverTuning } from './takeover.ts';

export interface TerminalTuning {
  /** Unsent bytes on the socket above which output pauses (until it drains). */
  highWaterBytes: number;
  /** Unacknowledged bytes above which output pauses, once the client acks. */
  ackHighBytes: number;
  /** ... and below which it resumes. */
  ackLowBytes: number;
  pingIntervalMs: number;
  /** A shadow (hub.ts) holding more unsent bytes than this is dropped. */
  shadowMaxBufferedBytes: number;
  /** Shadows that may watch one session at once. */
  maxShadowsPerSession: number;
  /** Take-over timeouts (takeover.ts). */
  takeover?: Partial<TakeoverTuning>;
}

export const DEFAULT_TUNING: TerminalTuning = {
  highWaterBytes: DEFAULT_FLOW_LIMITS.socketHighBytes,
  ackHighBytes: DEFAULT_FLOW_LIMITS.highBytes,
  ackLowBytes: DEFAULT_FLOW_LIMITS.lowBytes,
  pingIntervalMs: 30_000,
  shadowMaxBufferedBytes: DEFAULT_HUB_TUNING.shadowMaxBufferedBytes,
  maxShadowsPerSession: DEFAULT_MAX_SHADOWS_PER_SESSION,
};

const END_TEXT: Record<EndReason, string> = {
  deleted: 'session deleted',
  expired: 'session expired',
  idle: 'session idle',
  failed: 'sandbox failed',
  shutdown: 'service restart',
  vanished: 'sandbox gone',
  died: 'sandbox stopped',
};

export type { TerminalRecording } from '../workshops/terminals.ts';

/** Closes the terminal: optional last event, then the close frame. */
export type CloseTerminal = (code: number, reason: string, event?: ServerEvent) => void;

export function bridge(opts: {
  ws: WebSocket;
  socket: Duplex;
  session: Session;
  sessions: SessionService;
  provider: SandboxProvider;
  log: Logger;
  initialSize: { cols: unknown; rows: unknown };
  tuning?: Partial<TerminalTuning>;
  /** Sees every output chunk after it was sent to this terminal (the hub copies it to shadows). */
  tap?: (chunk: Buffer) => void;
  /** A learner's `takeover` message (allow, deny, end). */
  onTakeover?: (action: 'ask' | 'allow' | 'deny' | 'end') => void;
  /** Receives the function that writes into this shell as if typed here (a take-over's input), and the recording's redaction. */
  exposeInput?: (write: (chunk: Buffer) => void, redact: (secret: string) => void) => void;
  /** Made once the size is known: this terminal's recording, if any. */
  record?: (size: { cols: number; rows: number }) => TerminalRecording | null;
  onClose: () => void;
}): CloseTerminal {
  const { ws, socket, session, sessions, provider, log } = opts;
  const t: TerminalTuning = { ...DEFAULT_TUNING, ...opts.tuning };
  const flow = new FlowControl({ highBytes: t.ackHighBytes, lowBytes: t.ackLowBytes, socketHighBytes: t.highWaterBytes });
  const input = new ShellInput(ws);
  let size = clampSize(opts.initialSize.cols, opts.initialSize.rows) ?? { cols: 80, rows: 24 };
  let shell: ShellHandle | null = null;
  let closed = false;
  const recording = opts.record?.(size) ?? null;
  const typed = (buf: Buffer) => {
    recording?.input(buf);
    input.write(buf);
  };
  opts.exposeInput?.(
    (chunk) => {
      if (!closed) typed(chunk);
    },
    (secret) => recording?.redact?.(secret),
  );

  const sendOutput = (chunk: Buffer) => {
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(chunk, { binary: true });
    opts.tap?.(chunk);
    recording?.output(chunk);
    if (flow.account(chunk.length, ws.bufferedAmount)) shell?.stream.pause();
  };
  const output = new OutputBatch(sendOutput);
  const send = (e: ServerEvent) => {
    // An event (exit, ended, ...) follows the output that came before it.
    output.flush();
    if (ws.readyState === WebSocket.OPEN) ws.send(encodeMessage(e));
  };
  const resumeIf = (ok: boolean) => {
    if (ok && shell && !closed) shell.stream.resume();
  };
  const onOutput = (chunk: Buffer) => output.push(chunk);
  const onDrain = () => resumeIf(flow.drained(ws.bufferedAmount));
  socket.on('drain', onDrain);

  const control = (text: string) => {
    const m = parseClientMessage(text);
    if (m?.type === 'resize') {
      if (m.cols === size.cols && m.rows === size.rows) return;
      size = { cols: m.cols, rows: m.rows };
      recording?.resize(size.cols, size.rows);
      if (shell) input.hold(shell.resize(size.cols, size.rows));
    } else if (m?.type === 'ack') {
      resumeIf(flow.commit(m.bytes, ws.bufferedAmount));
    } else if (m?.type === 'ping') {
      send(m.t === undefined ? { type: 'pong' } : { type: 'pong', t: m.t });
    } else if (m?.type === 'takeover') {
      opts.onTakeover?.(m.action);
    }
  };

  ws.on('message', (data, isBinary) => {
    if (closed) return;
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
    if (isBinary) typed(buf);
    else control(buf.toString('utf8'));
  });
  ws.on('error', (err) => log.debug({ session: session.id, err: errMessage(err) }, 'terminal websocket error'));
  ws.on('close', () => finish(CLOSE.normal, ''));

  // While input is paused the socket is not read, so a pong could not be seen: judge only a reading socket.
  const ping = startHeartbeat(ws, t.pingIntervalMs, () => input.paused);

  const news = followSession(sessions, session, {
    event: send,
    // A runner stopping keeps the session: CLOSE.restart (reconnect), no `ended`. Otherwise the session is gone.
    ended: (reason) =>
      reason === 'shutdown'
        ? finish(CLOSE.restart, END_TEXT.shutdown)
        : finish(CLOSE.sessionEnded, END_TEXT[reason] ?? 'session ended', { type: 'ended', reason }),
  });

  let queueTimer: NodeJS.Timeout | undefined;
  function finish(code: number, reason: string, event?: ServerEvent) {
    if (closed) return;
    if (event) send(event);
    output.close();
    closed = true;
    clearInterval(ping);
    recording?.close();
    if (queueTimer) clearInterval(queueTimer);
    news.stop();
    socket.off('drain', onDrain);
    input.close();
    if (shell) {
      shell.stream.off('data', onOutput);
      shell.close();
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

  // Starting: the status, with the place in line and an estimate while the start waits for a slot,
  // sent again each second while they change.
  let lastStatus = '';
  const sendStatus = () => {
    if (session.state !== 'starting') return;
    const place = sessions.queuePlace(session.id);
    const event: ServerEvent = place
      ? { type: 'status', state: 'starting', queue: { position: place.position, estimateMs: Math.ceil(place.estimateMs / 1000) * 1000 } }
      : { type: 'status', state: 'starting' };
    const frame = encodeMessage(event);
    if (frame === lastStatus) return;
    lastStatus = frame;
    send(event);
  };
  sendStatus();
  queueTimer = setInterval(sendStatus, 1000);
  queueTimer.unref();
  void sessions.waitReady(session).catch(() => undefined).finally(() => clearInterval(queueTimer));
  let openedWith = size;
  sessions
    .waitReady(session)
    .then(() => provider.openShell(session.id, (openedWith = size)))
    .then(
      (h) => {
        if (closed) return h.close();
        shell = h;
        if (size.cols !== openedWith.cols || size.rows !== openedWith.rows) input.hold(h.resize(size.cols, size.rows));
        h.stream.on('data', onOutput);
        h.stream.on('error', (err) => log.debug({ session: session.id, err: errMessage(err) }, 'shell stream error'));
        void h.exited.then((code) => {
          if (!closed) finish(CLOSE.normal, 'shell exited', { type: 'exit', code });
        });
        send({ type: 'ready', cols: size.cols, rows: size.rows, expiresAt: new Date(session.expiresAt).toISOString() });
        news.warnIfSoon();
        input.attach(h.stream);
      },
      (err) => {
        if (closed) return;
        log.error({ session: session.id, err: errMessage(err) }, 'terminal could not start');
        // Refused after the upgrade (the session stopped or never became ready): sessionEnded; a failing shell: shellFailed.
        if (err instanceof ApiError) finish(CLOSE.sessionEnded, err.code, { type: 'error', code: err.code, message: err.message });
        else {
          // Docker's own text (container ids, states) stays in the log.
          const { code, message } = shellFailed(err);
          finish(CLOSE.shellFailed, 'shell failed', { type: 'error', code, message });
        }
      },
    );

  return finish;
}

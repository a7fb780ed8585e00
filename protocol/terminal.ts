/**
 * The terminal WebSocket protocol ("Terminal" in API.md, the runner's public API contract shared
 * with clients), in one place: the runner (runner/src/terminal/), the site (site/src/lib/terminal-client.ts) and the tests
 * import it, as ttyd's server and client share their command bytes.
 *
 * Frames: binary = terminal bytes (output server→client, input client→server); text = one
 * JSON object, a ClientMessage (client→server) or a ServerEvent (server→client).
 *
 * Plain TypeScript with no imports and no enums, so that node's type stripping, tsc and
 * Vite (the site) all read it as it is.
 */

/** Close codes the runner sends after the upgrade (a refusal before it is an HTTP status with a JSON error). */
export const CLOSE = {
  /** The shell exited (an `exit` event came first), or the client closed. */
  normal: 1000,
  /** The session ended for good (`ended` came first) or was refused after the upgrade (`error` first): start a new session. */
  sessionEnded: 1008,
  /** An input frame over TERMINAL_MAX_FRAME. */
  tooBig: 1009,
  /** The shell could not start (`error` came first): the session is fine, try again. */
  shellFailed: 1011,
  /** The runner is restarting: reconnect to the same session once it answers again. */
  restart: 1012,
  /** A shadow (instructor's read-only view) fell too far behind the learner's output and was dropped: reopen it. */
  shadowTooSlow: 1013,
} as const;
export type CloseCode = (typeof CLOSE)[keyof typeof CLOSE];

export const LIMITS = {
  maxCols: 500,
  maxRows: 200,
  /** Longer text frames are ignored. */
  maxControlChars: 4096,
} as const;

/**
 * Ack-based flow control (as wetty): after the client's first `ack`, the runner pauses the
 * shell while more than `highBytes` it sent are unacknowledged and resumes below `lowBytes`.
 * The client acknowledges what xterm.js has rendered, at least every `ackEveryBytes`.
 */
export const FLOW = {
  highBytes: 2 * 1024 * 1024,
  lowBytes: 512 * 1024,
  ackEveryBytes: 32 * 1024,
  /** An ack of fewer bytes is sent after this delay. */
  ackDelayMs: 20,
} as const;

/**
 * Why a session ended, the one list (the runner's StopReason is this type). `vanished`: its
 * sandbox was gone when the runner started again; `died`: its workstation stopped while the
 * session was live (docs/api-extensions.md).
 */
export const END_REASONS = ['deleted', 'expired', 'idle', 'failed', 'shutdown', 'vanished', 'died'] as const;
export type EndReason = (typeof END_REASONS)[number];

/* ---------------- client → server (text frames) ---------------- */

export interface ResizeMessage {
  type: 'resize';
  cols: number;
  rows: number;
}
export interface AckMessage {
  type: 'ack';
  /** Bytes of output rendered since the last ack. */
  bytes: number;
}
export interface PingMessage {
  type: 'ping';
  t?: number | string;
}
/**
 * Take-over (workshops): on a shadow socket the instructor sends `ask` or `end`; on a learner
 * terminal the learner sends `allow`, `deny` or `end` (take control back).
 */
export const TAKEOVER_ACTIONS = ['ask', 'allow', 'deny', 'end'] as const;
export interface TakeoverMessage {
  type: 'takeover';
  action: (typeof TAKEOVER_ACTIONS)[number];
}
export type ClientMessage = ResizeMessage | AckMessage | PingMessage | TakeoverMessage;

/* ---------------- server → client (text frames) ---------------- */

/**
 * The sandbox is still starting; `ready` follows (awaited once, by the runner). `queue`: its
 * cold start waits for a slot (runner/src/core/start-queue.ts), sent again as it changes.
 */
export interface StatusEvent {
  type: 'status';
  state: 'starting';
  queue?: { position: number; estimateMs: number };
}
/** The shell runs; input sent before it was held and is delivered now. */
export interface ReadyEvent {
  type: 'ready';
  cols: number;
  rows: number;
  expiresAt: string;
}
/** The shell ended with this code; close 1000 follows. */
export interface ExitEvent {
  type: 'exit';
  code: number;
}
/** The session ends at expiresAt; sent when the runner's warning window opens (the one source of that window). */
export interface ExpiringEvent {
  type: 'expiring';
  expiresAt: string;
}
/** The session was extended: the warning is over until the next `expiring`. */
export interface ExtendedEvent {
  type: 'extended';
  expiresAt: string;
}
/** The session is gone; close 1008 follows. */
export interface EndedEvent {
  type: 'ended';
  reason: EndReason;
}
/** The terminal could not start; close 1008 (session refused) or 1011 (shell failed) follows. */
export interface ErrorEvent {
  type: 'error';
  code: string;
  message: string;
}
export interface PongEvent {
  type: 'pong';
  t?: number | string;
}
/** A workshop instructor's message to every open terminal of the workshop. */
export interface BroadcastEvent {
  type: 'broadcast';
  message: string;
  at: string;
}
/** An instructor started (true) or stopped (false) watching this learner's terminals. */
export interface WatchedEvent {
  type: 'watched';
  watching: boolean;
}
/**
 * To a shadow only (GET /api/workshops/:id/learners/:session/terminal): how many terminals the
 * learner has open, sent when the shadow opens and whenever that number changes (0: nothing to show).
 */
export interface ShadowEvent {
  type: 'shadow';
  terminals: number;
}
/**
 * The learner's raised hand (workshops): `up` with the place in the queue (1 = next), or
 * `down` with why it closed. `reply`: the instructor's latest answer to this learner only.
 */
export interface HelpEvent {
  type: 'help';
  state: 'up' | 'down';
  position?: number;
  closedBy?: 'learner' | 'instructor' | 'broadcast' | 'end';
  reply?: { message: string; at: string };
}
export const TAKEOVER_STATES = ['asked', 'active', 'ended'] as const;
export const TAKEOVER_END_REASONS = ['learner', 'instructor', 'declined', 'timeout', 'closed', 'session'] as const;
/**
 * Take-over of the learner's terminal, to the learner's terminals and the instructor's shadow:
 * `asked` (the learner is prompted), `active` (the shadow's input reaches the shell), `ended`.
 */
export interface TakeoverEvent {
  type: 'takeover';
  state: (typeof TAKEOVER_STATES)[number];
  reason?: (typeof TAKEOVER_END_REASONS)[number];
}
export type ServerEvent =
  | HelpEvent
  | TakeoverEvent
  | StatusEvent
  | ReadyEvent
  | ExitEvent
  | ExpiringEvent
  | ExtendedEvent
  | EndedEvent
  | ErrorEvent
  | PongEvent
  | BroadcastEvent
  | WatchedEvent
  | ShadowEvent;

export type ServerEventType = ServerEvent['type'];

/* ---------------- helpers both sides use ---------------- */

/** Clamped size, or null when the values are missing, zero, negative or not numbers. */
export function clampSize(cols: unknown, rows: unknown): { cols: number; rows: number } | null {
  const num = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN);
  const c = num(cols);
  const r = num(rows);
  if (!Number.isFinite(c) || !Number.isFinite(r) || c < 1 || r < 1) return null;
  return { cols: Math.min(LIMITS.maxCols, Math.floor(c)), rows: Math.min(LIMITS.maxRows, Math.floor(r)) };
}

function parseObject(text: string): Record<string, unknown> | null {
  if (text.length > LIMITS.maxControlChars) return null;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

const isStamp = (v: unknown): v is number | string => typeof v === 'number' || typeof v === 'string';

/** A valid control message, or null (unknown or malformed messages are ignored, never fatal). Sizes come back clamped. */
export function parseClientMessage(text: string): ClientMessage | null {
  const m = parseObject(text);
  switch (m?.type) {
    case 'resize': {
      const s = clampSize(m.cols, m.rows);
      return s && { type: 'resize', ...s };
    }
    case 'ack': {
      const n = m.bytes;
      return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? { type: 'ack', bytes: Math.floor(n) } : null;
    }
    case 'ping':
      return isStamp(m.t) ? { type: 'ping', t: m.t } : { type: 'ping' };
    case 'takeover':
      return (TAKEOVER_ACTIONS as readonly unknown[]).includes(m.action) ? { type: 'takeover', action: m.action as TakeoverMessage['action'] } : null;
    default:
      return null;
  }
}

const str = (v: unknown): v is string => typeof v === 'string';

/** A server event the client understands, or null (a newer runner may send more: ignore it). */
export function parseServerEvent(text: string): ServerEvent | null {
  const m = parseObject(text);
  if (!m) return null;
  switch (m.type) {
    case 'status': {
      if (m.state !== 'starting') return null;
      const q = m.queue as { position?: unknown; estimateMs?: unknown } | undefined;
      const queued = q && typeof q === 'object' && Number.isInteger(q.position) && typeof q.estimateMs === 'number';
      return queued ? { type: 'status', state: 'starting', queue: { position: q.position as number, estimateMs: q.estimateMs as number } } : { type: 'status', state: 'starting' };
    }
    case 'ready':
      return str(m.expiresAt) && typeof m.cols === 'number' && typeof m.rows === 'number'
        ? { type: 'ready', cols: m.cols, rows: m.rows, expiresAt: m.expiresAt }
        : null;
    case 'exit':
      return { type: 'exit', code: typeof m.code === 'number' ? m.code : -1 };
    case 'expiring':
    case 'extended':
      return str(m.expiresAt) ? { type: m.type, expiresAt: m.expiresAt } : null;
    case 'ended':
      return (END_REASONS as readonly unknown[]).includes(m.reason) ? { type: 'ended', reason: m.reason as EndReason } : null;
    case 'error':
      return str(m.code) ? { type: 'error', code: m.code, message: str(m.message) ? m.message : m.code } : null;
    case 'pong':
      return isStamp(m.t) ? { type: 'pong', t: m.t } : { type: 'pong' };
    case 'broadcast':
      return str(m.message) ? { type: 'broadcast', message: m.message, at: str(m.at) ? m.at : new Date().toISOString() } : null;
    case 'watched':
      return typeof m.watching === 'boolean' ? { type: 'watched', watching: m.watching } : null;
    case 'help': {
      if (m.state !== 'up' && m.state !== 'down') return null;
      const r = m.reply as { message?: unknown; at?: unknown } | undefined;
      const e: HelpEvent = { type: 'help', state: m.state };
      if (Number.isInteger(m.position)) e.position = m.position as number;
      if (m.closedBy === 'learner' || m.closedBy === 'instructor' || m.closedBy === 'broadcast' || m.closedBy === 'end') e.closedBy = m.closedBy;
      if (r && typeof r === 'object' && str(r.message)) e.reply = { message: r.message, at: str(r.at) ? r.at : new Date().toISOString() };
      return e;
    }
    case 'takeover': {
      if (!(TAKEOVER_STATES as readonly unknown[]).includes(m.state)) return null;
      const e: TakeoverEvent = { type: 'takeover', state: m.state as TakeoverEvent['state'] };
      if ((TAKEOVER_END_REASONS as readonly unknown[]).includes(m.reason)) e.reason = m.reason as TakeoverEvent['reason'];
      return e;
    }
    case 'shadow':
      return typeof m.terminals === 'number' && Number.isInteger(m.terminals) && m.terminals >= 0 ? { type: 'shadow', terminals: m.terminals } : null;
    default:
      return null;
  }
}

/** The text frame of a message or event (typed, so neither side can send a shape the other does not know). */
export function encodeMessage(msg: ClientMessage | ServerEvent): string {
  return JSON.stringify(msg);
}

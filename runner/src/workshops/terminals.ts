/**
 * What the workshops need of the learners' terminals, declared by the workshops: the hub
 * (terminal/hub.ts) gives presence, broadcasts and events; a terminal writes into the
 * TerminalRecording the workshops make for it; a take-over that ends is told as a TakeoverRecord.
 * app.ts hands the hub in when it makes the WorkshopService; workshops/ imports nothing of terminal/.
 */
import type { ServerEvent, TakeoverEvent } from '../../../protocol/terminal.ts';

export interface WorkshopTerminals {
  /** Sends a `broadcast` event to every open learner terminal of these sessions; returns how many were reached. */
  broadcast(sessionIds: readonly string[], message: string, at: Date): number;
  /** At least one learner terminal of this session is open (shadows do not count). */
  connected(sessionId: string): boolean;
  /** Called on 0→1 (true) and 1→0 (false) open learner terminals of a session. Returns the unsubscribe function. */
  onPresence(cb: (sessionId: string, connected: boolean) => void): () => void;
  /** Sends an event (help, ...) to every open learner terminal of this session; returns how many were reached. */
  notify(sessionId: string, e: ServerEvent): number;
}

/** What a recording (workshops) is told of one terminal; input only reaches it when input recording is on. */
export interface TerminalRecording {
  output(chunk: Buffer): void;
  input(chunk: Buffer): void;
  resize(cols: number, rows: number): void;
  /** A string never to write from now on (the key of an instructor taking over this terminal). */
  redact?(secret: string): void;
  close(): void;
}

export type TakeoverEndReason = NonNullable<TakeoverEvent['reason']>;

/** What the workshop log keeps of one take-over (asked and never allowed ones included). */
export interface TakeoverRecord {
  sessionId: string;
  /** Who asked: the role that opened the shadow ("instructor" or "operator"). */
  by: string;
  askedAt: number;
  /** When the learner allowed it; null if never. */
  startedAt: number | null;
  endedAt: number;
  reason: TakeoverEndReason;
}

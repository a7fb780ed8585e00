/**
 * Take-over of a learner's terminal by an instructor's shadow, with the learner's consent: the
 * state per session (none → asked → active → none) and every way it ends. Sockets stay in
 * hub.ts/shadow.ts; this module only decides and tells (`tell`) and reports the end (`ended`).
 *
 * - `ask` comes from a shadow (the instructor key was checked at its upgrade); one take-over per
 *   session at a time (another shadow asking gets `busy`).
 * - Only the learner (a message on their own terminal, authenticated by the session token)
 *   turns `asked` into `active`; an unanswered ask expires after `askTimeoutMs`.
 * - `active` ends when the learner takes control back, the instructor ends it, after `maxMs`,
 *   when the owning shadow closes, or when the session ends.
 */
import type { ServerEvent } from '../../../protocol/terminal.ts';
import type { TakeoverEndReason, TakeoverRecord } from '../workshops/terminals.ts';

// Declared by the workshops, which keep the log of take-overs.
export type { TakeoverEndReason, TakeoverRecord } from '../workshops/terminals.ts';

export interface TakeoverTuning {
  /** An ask the learner does not answer within this ends with `timeout`. */
  askTimeoutMs: number;
  /** An active take-over ends with `timeout` after this. */
  maxMs: number;
}

export const DEFAULT_TAKEOVER_TUNING: TakeoverTuning = { askTimeoutMs: 60_000, maxMs: 15 * 60_000 };

interface Current {
  owner: object;
  by: string;
  askedAt: number;
  startedAt: number | null;
  timer: NodeJS.Timeout;
}

export class Takeovers {
  private readonly current = new Map<string, Current>();
  private readonly tuning: TakeoverTuning;
  private readonly tell: (sessionId: string, owner: object, e: ServerEvent) => void;
  private readonly ended: (r: TakeoverRecord) => void;
  private readonly now: () => number;

  constructor(opts: {
    tuning?: Partial<TakeoverTuning>;
    /** Sends the event to the session's learner terminals and to the owner shadow. */
    tell(sessionId: string, owner: object, e: ServerEvent): void;
    ended(r: TakeoverRecord): void;
    now?: () => number;
  }) {
    this.tuning = { ...DEFAULT_TAKEOVER_TUNING, ...opts.tuning };
    this.tell = opts.tell;
    this.ended = opts.ended;
    this.now = opts.now ?? Date.now;
  }

  state(sessionId: string): 'none' | 'asked' | 'active' {
    const c = this.current.get(sessionId);
    return !c ? 'none' : c.startedAt === null ? 'asked' : 'active';
  }

  /** May this shadow's input reach the session's shell now? */
  canWrite(sessionId: string, owner: object): boolean {
    const c = this.current.get(sessionId);
    return !!c && c.owner === owner && c.startedAt !== null;
  }

  /** A shadow asks. `busy`: another take-over of this session is asked or active. */
  ask(sessionId: string, owner: object, by: string): 'asked' | 'busy' {
    const c = this.current.get(sessionId);
    if (c) return c.owner === owner ? 'asked' : 'busy';
    const timer = this.timer(sessionId, this.tuning.askTimeoutMs);
    this.current.set(sessionId, { owner, by, askedAt: this.now(), startedAt: null, timer });
    this.tell(sessionId, owner, { type: 'takeover', state: 'asked' });
    return 'asked';
  }

  /** The learner answers an ask. Returns whether there was one to answer. */
  answer(sessionId: string, allow: boolean): boolean {
    const c = this.current.get(sessionId);
    if (!c || c.startedAt !== null) return false;
    if (!allow) {
      this.finish(sessionId, 'declined');
      return true;
    }
    clearTimeout(c.timer);
    c.startedAt = this.now();
    c.timer = this.timer(sessionId, this.tuning.maxMs);
    this.tell(sessionId, c.owner, { type: 'takeover', state: 'active' });
    return true;
  }

  /** The learner takes control back (or withdraws an unanswered ask). */
  learnerEnds(sessionId: string): void {
    if (this.current.has(sessionId)) this.finish(sessionId, 'learner');
  }

  /** The instructor ends it from the shadow that asked. */
  instructorEnds(sessionId: string, owner: object): void {
    if (this.current.get(sessionId)?.owner === owner) this.finish(sessionId, 'instructor');
  }

  /** The shadow socket closed: whatever it held ends. */
  ownerClosed(sessionId: string, owner: object): void {
    if (this.current.get(sessionId)?.owner === owner) this.finish(sessionId, 'closed');
  }

  /** The session ended, or its last learner terminal closed. */
  sessionGone(sessionId: string): void {
    if (this.current.has(sessionId)) this.finish(sessionId, 'session');
  }

  /** Ends every take-over (the runner stops). */
  closeAll(): void {
    for (const id of [...this.current.keys()]) this.finish(id, 'closed');
  }

  private timer(sessionId: string, ms: number): NodeJS.Timeout {
    const t = setTimeout(() => {
      if (this.current.has(sessionId)) this.finish(sessionId, 'timeout');
    }, ms);
    t.unref();
    return t;
  }

  private finish(sessionId: string, reason: TakeoverEndReason): void {
    const c = this.current.get(sessionId);
    if (!c) return;
    clearTimeout(c.timer);
    this.current.delete(sessionId);
    this.tell(sessionId, c.owner, { type: 'takeover', state: 'ended', reason });
    try {
      this.ended({ sessionId, by: c.by, askedAt: c.askedAt, startedAt: c.startedAt, endedAt: this.now(), reason });
    } catch {
      /* the listener's failure is its own */
    }
  }
}

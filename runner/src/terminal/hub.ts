/**
 * The fan-out between terminals of one runner: which learner terminals are open per session
 * (presence), instructor broadcasts to them, and shadows (read-only watchers) that receive a
 * copy of every learner terminal's output.
 *
 * Shadows never slow a learner: output is copied to them without waiting, and a shadow whose
 * socket holds more than `shadowMaxBufferedBytes` unsent is dropped (the learner's own flow
 * control, bridge.ts, only looks at the learner's socket).
 *
 * Take-over (takeover.ts): a shadow that asked and was allowed by the learner writes into the
 * learner's newest terminal, through that terminal's own input queue (input.ts), so the
 * learner's and the instructor's frames reach the shell one whole frame after the other.
 */
import { CLOSE, type ServerEvent, type TakeoverMessage } from '../../../protocol/terminal.ts';
import { Takeovers, type TakeoverRecord, type TakeoverTuning } from './takeover.ts';

/** The part W's workshop routes use. */
export interface TerminalHub {
  /** Sends a `broadcast` event to every open learner terminal of these sessions; returns how many were reached. */
  broadcast(sessionIds: readonly string[], message: string, at: Date): number;
  /** At least one learner terminal of this session is open (shadows do not count). */
  connected(sessionId: string): boolean;
  /** Called on 0→1 (true) and 1→0 (false) open learner terminals of a session. Returns the unsubscribe function. */
  onPresence(cb: (sessionId: string, connected: boolean) => void): () => void;
  /** Sends an event (help, ...) to every open learner terminal of this session; returns how many were reached. */
  notify(sessionId: string, e: ServerEvent): number;
  /** Called when a take-over ends (asked-only ones included). Returns the unsubscribe function. */
  onTakeover(cb: (r: TakeoverRecord) => void): () => void;
  /** Called on every take-over state change of a session (for the dashboard). */
  onTakeoverState(cb: (sessionId: string, state: 'asked' | 'active' | 'ended') => void): () => void;
  takeoverState(sessionId: string): 'none' | 'asked' | 'active';
}

/** One open learner terminal, as the hub sees it. */
export interface LearnerTerminal {
  /** Sends a JSON event on the terminal's socket (no-op once it is closing). */
  event(e: ServerEvent): void;
  /** Writes bytes to this terminal's shell as if typed there (take-over). */
  input?(chunk: Buffer): void;
  /** Keeps a string out of this terminal's recording (the key of a shadow taking over). */
  redact?(secret: string): void;
}

/** One open shadow, as the hub sees it. */
export interface ShadowSink {
  /** Sends output bytes; returns the socket's unsent backlog after the send. */
  output(chunk: Buffer): number;
  event(e: ServerEvent): void;
  close(code: number, reason: string): void;
  /** Who opened it, for the workshop log ("instructor" or "operator"). */
  who?: string;
  /** The key it was opened with: kept out of the learner's recordings once it asks to take over. */
  secret?: string;
}

export interface HubTuning {
  /** A shadow with more unsent bytes than this is closed (CLOSE.shadowTooSlow). */
  shadowMaxBufferedBytes: number;
  takeover?: Partial<TakeoverTuning>;
}

export const DEFAULT_HUB_TUNING: HubTuning = { shadowMaxBufferedBytes: 4 * 1024 * 1024 };

export interface TerminalHubInternal extends TerminalHub {
  /** A learner terminal opened (counted for presence, told `watched` if watched). Returns its remover. */
  addLearner(sessionId: string, t: LearnerTerminal): () => void;
  /** Output of one of the session's learner terminals: copied to the session's shadows. */
  output(sessionId: string, chunk: Buffer): void;
  /** A shadow opened. Returns its remover (idempotent). */
  addShadow(sessionId: string, s: ShadowSink): () => void;
  shadowCount(sessionId: string): number;
  /** Closes every shadow (of one session, or all). */
  closeShadows(code: number, reason: string, sessionId?: string): void;
  /** A learner terminal's `takeover` message (allow, deny, end). */
  learnerTakeover(sessionId: string, action: TakeoverMessage['action']): void;
  /** A shadow's `takeover` message (ask, end). */
  shadowTakeover(sessionId: string, s: ShadowSink, action: TakeoverMessage['action']): void;
  /** Input from a shadow: reaches the learner's newest terminal only during its active take-over. Returns whether it did. */
  shadowInput(sessionId: string, s: ShadowSink, chunk: Buffer): boolean;
  /** The session ended: its take-over too. */
  sessionEnded(sessionId: string): void;
}

interface Room {
  learners: Set<LearnerTerminal>;
  shadows: Set<ShadowSink>;
}

export function createTerminalHub(tuning: Partial<HubTuning> = {}): TerminalHubInternal {
  const t: HubTuning = { ...DEFAULT_HUB_TUNING, ...tuning };
  const rooms = new Map<string, Room>();
  const presence = new Set<(sessionId: string, connected: boolean) => void>();
  const takeoverEnds = new Set<(r: TakeoverRecord) => void>();
  const takeoverStates = new Set<(sessionId: string, state: 'asked' | 'active' | 'ended') => void>();
  const each = <A extends unknown[]>(set: Set<(...a: A) => void>, ...a: A) => {
    for (const cb of [...set]) {
      try {
        cb(...a);
      } catch {
        /* a listener's failure is its own */
      }
    }
  };
  const takeovers = new Takeovers({
    tuning: tuning.takeover,
    tell(id, owner, e) {
      for (const l of rooms.get(id)?.learners ?? []) l.event(e);
      (owner as ShadowSink).event(e);
      if (e.type === 'takeover') each(takeoverStates, id, e.state);
    },
    ended: (r) => each(takeoverEnds, r),
  });

  const room = (id: string): Room => {
    let r = rooms.get(id);
    if (!r) rooms.set(id, (r = { learners: new Set(), shadows: new Set() }));
    return r;
  };
  const forgetIfEmpty = (id: string) => {
    const r = rooms.get(id);
    if (r && r.learners.size === 0 && r.shadows.size === 0) rooms.delete(id);
  };
  const firePresence = (id: string, connected: boolean) => {
    for (const cb of [...presence]) {
      try {
        cb(id, connected);
      } catch {
        /* a listener's failure is its own */
      }
    }
  };
  const tellShadows = (r: Room) => {
    for (const s of r.shadows) s.event({ type: 'shadow', terminals: r.learners.size });
  };
  const tellLearners = (r: Room, watching: boolean) => {
    for (const l of r.learners) l.event({ type: 'watched', watching });
  };

  const removeShadow = (id: string, s: ShadowSink) => {
    const r = rooms.get(id);
    if (!r || !r.shadows.delete(s)) return;
    takeovers.ownerClosed(id, s);
    if (r.shadows.size === 0) tellLearners(r, false);
    forgetIfEmpty(id);
  };

  return {
    broadcast(sessionIds, message, at) {
      const e: ServerEvent = { type: 'broadcast', message, at: at.toISOString() };
      let reached = 0;
      for (const id of new Set(sessionIds)) {
        for (const l of rooms.get(id)?.learners ?? []) {
          l.event(e);
          reached++;
        }
      }
      return reached;
    },
    connected: (id) => (rooms.get(id)?.learners.size ?? 0) > 0,
    notify(id, e) {
      let reached = 0;
      for (const l of rooms.get(id)?.learners ?? []) {
        l.event(e);
        reached++;
      }
      return reached;
    },
    onTakeover(cb) {
      takeoverEnds.add(cb);
      return () => void takeoverEnds.delete(cb);
    },
    onTakeoverState(cb) {
      takeoverStates.add(cb);
      return () => void takeoverStates.delete(cb);
    },
    takeoverState: (id) => takeovers.state(id),
    learnerTakeover(id, action) {
      if (action === 'allow' || action === 'deny') takeovers.answer(id, action === 'allow');
      else if (action === 'end') takeovers.learnerEnds(id);
    },
    shadowTakeover(id, s, action) {
      const r = rooms.get(id);
      if (action === 'ask') {
        if (!r || !r.shadows.has(s)) return;
        // Nobody to ask: the learner has no terminal open.
        if (r.learners.size === 0) return s.event({ type: 'takeover', state: 'ended', reason: 'session' });
        if (s.secret) for (const l of r.learners) l.redact?.(s.secret);
        if (takeovers.ask(id, s, s.who ?? 'instructor') === 'busy') s.event({ type: 'takeover', state: 'ended', reason: 'declined' });
      } else if (action === 'end') takeovers.instructorEnds(id, s);
    },
    shadowInput(id, s, chunk) {
      if (!takeovers.canWrite(id, s)) return false;
      const newest = [...(rooms.get(id)?.learners ?? [])].pop();
      if (!newest?.input) return false;
      newest.input(chunk);
      return true;
    },
    sessionEnded: (id) => takeovers.sessionGone(id),
    onPresence(cb) {
      presence.add(cb);
      return () => void presence.delete(cb);
    },

    addLearner(id, l) {
      const r = room(id);
      r.learners.add(l);
      if (r.shadows.size > 0) l.event({ type: 'watched', watching: true });
      tellShadows(r);
      if (r.learners.size === 1) firePresence(id, true);
      let removed = false;
      return () => {
        if (removed) return;
        removed = true;
        r.learners.delete(l);
        tellShadows(r);
        // Consent was given on a page that is gone: the take-over ends with it.
        if (r.learners.size === 0) takeovers.sessionGone(id);
        if (r.learners.size === 0) firePresence(id, false);
        forgetIfEmpty(id);
      };
    },
    output(id, chunk) {
      const r = rooms.get(id);
      if (!r || r.shadows.size === 0) return;
      for (const s of [...r.shadows]) {
        if (s.output(chunk) > t.shadowMaxBufferedBytes) {
          removeShadow(id, s);
          s.close(CLOSE.shadowTooSlow, 'shadow too slow');
        }
      }
    },
    addShadow(id, s) {
      const r = room(id);
      r.shadows.add(s);
      if (r.shadows.size === 1) tellLearners(r, true);
      s.event({ type: 'shadow', terminals: r.learners.size });
      return () => removeShadow(id, s);
    },
    shadowCount: (id) => rooms.get(id)?.shadows.size ?? 0,
    closeShadows(code, reason, sessionId) {
      const ids = sessionId === undefined ? [...rooms.keys()] : [sessionId];
      for (const id of ids) {
        for (const s of [...(rooms.get(id)?.shadows ?? [])]) {
          removeShadow(id, s);
          s.close(code, reason);
        }
      }
    },
  };
}

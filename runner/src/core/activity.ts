/**
 * One small bus for what learners do, so observers (the workshop dashboard's event stream)
 * subscribe in one place instead of being called from everywhere: lab checks and starts
 * (labs/service.ts), quiz answers (progress.ts), session changes (forwarded from the
 * SessionService events) and terminal presence (the terminal hub).
 */
import { EventEmitter } from 'node:events';
import type { Session } from './session-model.ts';

export interface CheckAnswer {
  lab: string;
  passed: boolean;
  criteria: { id: string; title: string; passed: boolean; message: string }[];
}

export type Activity =
  | { kind: 'created' | 'ready' | 'extended' | 'ended' | 'quiz'; session: Session }
  | { kind: 'lab-start'; session: Session; lab: string }
  | { kind: 'check'; session: Session; answer: CheckAnswer; at: number }
  | { kind: 'presence'; sessionId: string; connected: boolean };

export class ActivityBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  emit(a: Activity): void {
    this.emitter.emit('activity', a);
  }

  /** Returns the unsubscribe function. */
  on(listener: (a: Activity) => void): () => void {
    // A failing observer never breaks the learner's call.
    const safe = (a: Activity) => {
      try {
        listener(a);
      } catch {
        /* observers log their own errors */
      }
    };
    this.emitter.on('activity', safe);
    return () => this.emitter.off('activity', safe);
  }
}

/** Forwards the SessionService's own events to the bus. */
export function forwardSessionEvents(sessions: { on(ev: string, fn: (s: Session) => void): unknown }, bus: ActivityBus): void {
  for (const kind of ['created', 'ready', 'extended', 'ended'] as const) sessions.on(kind, (session: Session) => bus.emit({ kind, session }));
}

/**
 * Waiting for a session to become ready (a request that needs its sandbox).
 */
import type { EventEmitter } from 'node:events';
import { ApiError } from './errors.ts';
import type { Session } from './session-model.ts';
import { stoppedError } from './views.ts';

/** Resolves once the session is ready; rejects with 409 if it stopped, or after timeoutMs. */
export function waitReady(events: EventEmitter, session: Session, timeoutMs: number): Promise<Session> {
  if (session.state === 'ready') return Promise.resolve(session);
  if (session.state === 'stopped') return Promise.reject(stoppedError(session));
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      events.off('ready', onReady);
      events.off('ended', onEnded);
    };
    const onReady = (s: Session) => {
      if (s !== session) return;
      done();
      resolve(s);
    };
    const onEnded = (s: Session) => {
      if (s !== session) return;
      done();
      reject(stoppedError(s));
    };
    const timer = setTimeout(() => {
      done();
      reject(new ApiError(409, 'session_starting', 'The sandbox is still starting; try again in a few seconds.'));
    }, timeoutMs);
    timer.unref();
    events.on('ready', onReady);
    events.on('ended', onEnded);
  });
}

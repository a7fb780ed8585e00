/**
 * Waiting for a session to become ready (a request that needs its sandbox).
 */
import type { EventEmitter } from 'node:events';
import { shuttingDownError } from './admission.ts';
import { ApiError } from './errors.ts';
import type { Session } from './session-model.ts';
import { stoppedError } from './views.ts';

/**
 * Resolves once the session is ready; rejects with 409 if it stopped, or after timeoutMs when one
 * is given. Without one it waits as long as the session is starting: the start itself is bounded
 * (SESSION_START_TIMEOUT_MS from when it leaves the start queue, creation.ts) and ends the session
 * when it runs out, so a learner who waits minutes for a slot in a full room is not turned away.
 * The runner stopping (`halted`) ends every wait with 503, so no request outlives it.
 */
export function waitReady(events: EventEmitter, session: Session, timeoutMs?: number): Promise<Session> {
  if (session.state === 'ready') return Promise.resolve(session);
  if (session.state === 'stopped') return Promise.reject(stoppedError(session));
  return new Promise((resolve, reject) => {
    const done = () => {
      if (timer) clearTimeout(timer);
      events.off('ready', onReady);
      events.off('ended', onEnded);
      events.off('halted', onHalted);
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
    const onHalted = () => {
      done();
      reject(shuttingDownError());
    };
    const timer =
      timeoutMs === undefined
        ? null
        : setTimeout(() => {
            done();
            reject(new ApiError(409, 'session_starting', 'The sandbox is still starting; try again in a few seconds.'));
          }, timeoutMs);
    timer?.unref();
    events.on('ready', onReady);
    events.on('ended', onEnded);
    events.on('halted', onHalted);
  });
}

/**
 * Waiting for a session to become ready (a request that needs its sandbox), and any wait of a
 * request that must end when the runner stops.
 */
import type { EventEmitter } from 'node:events';
import { shuttingDownError } from './admission.ts';
import { ApiError } from './errors.ts';
import type { Session } from './session-model.ts';
import { stoppedError } from './views.ts';

/**
 * `p`, unless the runner stops first (`halted`): then 503, after `abandon` (which drops what `p`
 * still listens to), so that no request outlives the runner.
 */
export function whileRunning<T>(events: EventEmitter, p: Promise<T>, abandon?: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onHalted = () => {
      abandon?.();
      reject(shuttingDownError());
    };
    events.once('halted', onHalted);
    p.then(
      (v) => {
        events.off('halted', onHalted);
        resolve(v);
      },
      (e: unknown) => {
        events.off('halted', onHalted);
        reject(e);
      },
    );
  });
}

/**
 * Resolves once the session is ready; rejects with 409 if it stopped, or after timeoutMs when one
 * is given. Without one it waits as long as the session is starting: the start itself is bounded
 * (SESSION_START_TIMEOUT_MS from when it leaves the start queue, creation.ts) and ends the session
 * when it runs out, so a learner who waits minutes for a slot in a full room is not turned away.
 * The runner stopping ends every wait with 503 (whileRunning).
 */
export function waitReady(events: EventEmitter, session: Session, timeoutMs?: number): Promise<Session> {
  if (session.state === 'ready') return Promise.resolve(session);
  if (session.state === 'stopped') return Promise.reject(stoppedError(session));
  let done = () => {};
  const ready = new Promise<Session>((resolve, reject) => {
    done = () => {
      if (timer) clearTimeout(timer);
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
  });
  return whileRunning(events, ready, () => done());
}

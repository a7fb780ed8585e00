/**
 * The lab engine as the runner uses it: lab states that save themselves, every check recorded
 * in the store, and the count of starts and checks in flight (a stopping runner lets them end).
 */
import type { LabEngine } from './service.ts';
import type { Store } from '../store/types.ts';
import { PersistentLabState } from '../core/lab-states.ts';
import { errMessage, type Logger } from '../core/log.ts';

export interface EngineHooks {
  wrap(load: () => Promise<LabEngine>): () => Promise<LabEngine>;
  /** Resolves when no start or check runs, or after `maxMs`. */
  idle(maxMs: number): Promise<boolean>;
  inFlight(): number;
}

export function engineHooks(store: Store, log: Logger): EngineHooks {
  let running = 0;
  const waiters = new Set<() => void>();
  const track = async <T>(op: () => Promise<T>): Promise<T> => {
    running++;
    try {
      return await op();
    } finally {
      running--;
      if (running === 0) for (const w of [...waiters]) w();
    }
  };
  return {
    wrap: (load) => async () => {
      const engine = await load();
      return {
        loadLabs: (dir) => engine.loadLabs(dir),
        createLabState: () => new PersistentLabState(),
        startLab: (lab, ctx) => track(() => engine.startLab(lab, ctx)),
        checkLab: (lab, ctx) =>
          track(async () => {
            const outcome = await engine.checkLab(lab, ctx);
            try {
              store.recordCheck(ctx.sandbox.sessionId, {
                lab: lab.definition.id,
                passed: outcome.passed,
                criteria: outcome.criteria.map((c) => ({ id: c.id, passed: c.passed })),
                at: Date.now(),
                durationMs: outcome.durationMs,
              });
            } catch (err) {
              log.error({ session: ctx.sandbox.sessionId, lab: lab.definition.id, err: errMessage(err) }, 'could not record the check');
            }
            return outcome;
          }),
      };
    },
    inFlight: () => running,
    idle(maxMs) {
      if (running === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const done = (ok: boolean) => {
          clearTimeout(timer);
          waiters.delete(onIdle);
          resolve(ok);
        };
        const onIdle = () => done(true);
        const timer = setTimeout(() => done(false), maxMs);
        waiters.add(onIdle);
      });
    },
  };
}

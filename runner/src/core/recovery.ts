/**
 * Start after a stop, a crash or kill -9: every unexpired session whose sandbox is still there
 * is taken over as it was (id, token, files, images, registry, lab states, expiry); a session
 * whose sandbox vanished or died is stopped with a reason; what nobody accounts for (expired
 * sessions, warm-pool leftovers, sandboxes of a lost database) is removed.
 */
import type { SandboxProvider } from '../sandbox/provider.ts';
import type { Store, StoredSession } from '../store/types.ts';
import { errMessage, type Logger } from './log.ts';
import type { Session, SessionSettings, StopReason } from './session-model.ts';

export interface RecoveryReport {
  adopted: number;
  /** Stopped at start: sandbox gone (vanished), not running (died), expired, or half made. */
  stopped: number;
  /** Sandboxes removed: of stopped or expired sessions, and of no known session. */
  reaped: number;
  ms: number;
}

const ADOPT_CONCURRENCY = 8;

async function inBatches<T>(items: T[], n: number, fn: (x: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(n, queue.length) }, async () => {
      for (let x = queue.shift(); x !== undefined; x = queue.shift()) await fn(x);
    }),
  );
}

export async function recover(deps: {
  store: Store;
  provider: SandboxProvider;
  log: Logger;
  settings: SessionSettings;
  register(stored: StoredSession, state: Session['state']): { session: Session };
}): Promise<RecoveryReport> {
  const { store, provider, log, settings } = deps;
  const t0 = Date.now();
  const onEngine = await provider.sandboxes();
  const stored = store.loadSessions(t0 - settings.sessionStoppedKeepMs);
  const keep = new Set<string>();
  const report: RecoveryReport = { adopted: 0, stopped: 0, reaped: 0, ms: 0 };

  const stop = (s: StoredSession, reason: StopReason, error: string | null) => {
    const patch = { state: 'stopped' as const, stopReason: reason, stoppedAt: Date.now(), error };
    store.updateSession(s.id, patch);
    deps.register({ ...s, ...patch }, 'stopped');
    report.stopped++;
    log.info({ session: s.id, reason }, 'session stopped at start');
  };

  const live: StoredSession[] = [];
  for (const s of stored) {
    const found = onEngine.get(s.id);
    if (s.state === 'stopped') deps.register(s, 'stopped');
    else if (s.expiresAt <= t0) stop(s, 'expired', null);
    else if (s.state === 'starting') stop(s, 'failed', 'The runner restarted while the sandbox was being created. Start a new session.');
    else if (!found?.workstation) stop(s, 'vanished', 'The sandbox was removed while the runner was stopped. Start a new sandbox; your progress is kept.');
    else if (!found.running) stop(s, 'died', 'The sandbox stopped while the runner was stopped. Start a new sandbox; your progress is kept.');
    else live.push(s);
  }

  await inBatches(live, ADOPT_CONCURRENCY, async (s) => {
    try {
      await provider.adopt(s.id);
      deps.register(s, 'ready');
      keep.add(s.id);
      report.adopted++;
    } catch (err) {
      log.warn({ session: s.id, err: errMessage(err) }, 'sandbox could not be taken over');
      stop(s, 'died', 'The sandbox could not be taken over after the runner restarted. Start a new sandbox; your progress is kept.');
    }
  });

  const orphans = [...onEngine.keys()].filter((id) => !keep.has(id));
  await inBatches(orphans, ADOPT_CONCURRENCY, async (id) => {
    try {
      await provider.destroy(id);
      report.reaped++;
    } catch (err) {
      log.error({ sandbox: id, err: errMessage(err) }, 'could not remove a sandbox nobody accounts for');
    }
  });
  report.ms = Date.now() - t0;
  return report;
}

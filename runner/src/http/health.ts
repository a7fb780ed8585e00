/**
 * Health of this runner (extensions, docs/api-extensions.md and docs/operations.md):
 *
 *   GET /api/health        capacity and state (the dashboard's and the bench's figures)
 *   GET /api/health/live   200 while the process serves HTTP, also while it stops (a restart would not help)
 *   GET /api/health/ready  200 when it can take learners: store open, sandbox engine reachable,
 *                          mirror up, labs loaded; else 503 naming what is not. 503 while stopping.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import type { SandboxProvider } from '../sandbox/provider.ts';
import { errMessage } from '../core/log.ts';
import type { SessionService } from '../core/sessions.ts';
import type { LabService } from '../labs/service.ts';

export type ReadinessCheck = 'store' | 'engine' | 'mirror' | 'labs';

export interface HealthDeps {
  config: Config;
  sessions: SessionService;
  labs?: LabService;
  provider?: SandboxProvider;
}

const CHECK_TIMEOUT_MS = 3_000;

function within<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${CHECK_TIMEOUT_MS / 1000} s`)), CHECK_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Each check: null when fine, else a sentence for the operator. */
export async function readiness(deps: HealthDeps): Promise<Record<ReadinessCheck, string | null>> {
  const { sessions, labs, provider } = deps;
  const run = async (what: string, fn: () => Promise<unknown>): Promise<string | null> => {
    try {
      const r = await within(fn(), what);
      return r === false ? `${what} is not running` : null;
    } catch (err) {
      return `${what}: ${errMessage(err)}`.slice(0, 300);
    }
  };
  const [store, engine, mirror, labsLoaded] = await Promise.all([
    run('the store', async () => sessions.store.stats()),
    run('the sandbox engine', async () => (provider ? provider.sandboxes() : null)),
    run('the mirror', async () => (provider?.mirrorUp ? provider.mirrorUp() : null)),
    run('the labs', async () => {
      if (!labs) return null;
      const list = await labs.list();
      if (list.length === 0) throw new Error('none loaded');
      return null;
    }),
  ]);
  return { store, engine, mirror, labs: labsLoaded };
}

export function healthRoutes(deps: HealthDeps) {
  const { config, sessions } = deps;
  let inFlight: Promise<Record<ReadinessCheck, string | null>> | null = null;
  return async (app: FastifyInstance) => {
    app.get('/api/health', async () => {
      const st = sessions.stats();
      return {
        ok: !sessions.isShuttingDown,
        sessions: st.sessions,
        starting: st.starting,
        ready: st.ready,
        terminals: st.terminals,
        pool: st.pool,
        ...(st.startQueue ? { startQueue: { slots: st.startQueue.slots, running: st.startQueue.running, waiting: st.startQueue.waiting } } : {}),
        maxSessions: config.maxSessions,
        runnerId: config.runnerId,
      };
    });
    app.get('/api/health/live', async (_req, reply) => reply.header('cache-control', 'no-store').send({ live: true }));
    app.get('/api/health/ready', async (_req, reply) => {
      reply.header('cache-control', 'no-store');
      if (sessions.isShuttingDown) return reply.code(503).send({ ready: false, stopping: true, problems: ['the runner is stopping'] });
      // Probes from several places at once share one round of checks.
      inFlight ??= readiness(deps).finally(() => (inFlight = null));
      const checks = await inFlight;
      const problems = Object.values(checks).filter((p): p is string => p !== null);
      const ok = problems.length === 0;
      const status = Object.fromEntries(Object.entries(checks).map(([k, v]) => [k, v === null]));
      return reply.code(ok ? 200 : 503).send({ ready: ok, checks: status, problems });
    });
  };
}

/**
 * The runner's Prometheus figures, in one place. The rest of the runner reports through the
 * small hooks below (or is read at scrape time through `observe`); nothing else imports
 * prom-client. One registry per runner: tests start several runners in one process.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type StartOutcome = 'ok' | 'failed';

/** Read at every scrape (cheap, in-memory figures). */
export interface Observed {
  sessions: { starting: number; ready: number };
  pool: { ready: number; creating: number; target: number };
  maxSessions: number;
  terminals: number;
  sseClients: number;
  /** Bytes of the database with its WAL. */
  storeBytes: number;
  /** Sessions per client address at its highest, and the limit (per-client quota). */
  busiestClient: number;
  maxSessionsPerClient: number;
  /** Host disk taken by the per-session quota file systems (0 without quotas), and SESSION_DISK_QUOTA. */
  diskQuota: { usedBytes: number; busiestSessionBytes: number; limitBytes: number };
  /** The cold-start queue: slots in use now (adaptive unless START_CONCURRENCY is set), running and waiting starts. */
  startQueue: { slots: number; running: number; waiting: number } | null;
}

export interface Metrics {
  readonly registry: Registry;
  sandboxStart(outcome: StartOutcome, reason: string, seconds: number): void;
  /** Time a start waited for a slot in the start queue. */
  sandboxStartWait(seconds: number): void;
  poolClaim(): void;
  sessionEnded(reason: string): void;
  check(lab: string, result: 'passed' | 'failed' | 'error', seconds: number): void;
  apiError(status: number, code: string): void;
  terminalBytes(direction: 'in' | 'out', bytes: number): void;
  /** Where scrape-time figures come from (set once the runner is wired). */
  observe(read: () => Observed): void;
  render(): Promise<{ contentType: string; body: string }>;
}

export const PREFIX = 'registrylab_';

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let read: (() => Observed) | null = null;
  let last: Observed | null = null;
  // Every gauge reads the same snapshot, taken once per scrape by the first gauge collected.
  const snapshot = (): Observed | null => (last ??= read?.() ?? null);

  const gauge = (name: string, help: string, labelNames: string[], fill: (g: Gauge, o: Observed) => void) =>
    new Gauge({
      name: PREFIX + name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        const o = snapshot();
        if (o) fill(this, o);
      },
    });

  gauge('sessions', 'Sessions by state.', ['state'], (g, o) => {
    g.set({ state: 'starting' }, o.sessions.starting);
    g.set({ state: 'ready' }, o.sessions.ready);
  });
  gauge('sessions_max', 'MAX_SESSIONS: sessions this runner admits at once.', [], (g, o) => g.set(o.maxSessions));
  gauge('warm_pool_sandboxes', 'Warm-pool sandboxes by state (ready, creating) and the target size.', ['state'], (g, o) => {
    g.set({ state: 'ready' }, o.pool.ready);
    g.set({ state: 'creating' }, o.pool.creating);
    g.set({ state: 'target' }, o.pool.target);
  });
  gauge('start_queue', 'Cold-start queue: slots (starts admitted at once now), running and waiting starts.', ['of'], (g, o) => {
    if (!o.startQueue) return;
    g.set({ of: 'slots' }, o.startQueue.slots);
    g.set({ of: 'running' }, o.startQueue.running);
    g.set({ of: 'waiting' }, o.startQueue.waiting);
  });
  gauge('terminal_connections', 'Open learner terminals.', [], (g, o) => g.set(o.terminals));
  gauge('sse_clients', 'Open workshop event streams (Server-Sent Events).', [], (g, o) => g.set(o.sseClients));
  gauge('store_bytes', 'Size of the SQLite database with its write-ahead log.', [], (g, o) => g.set(o.storeBytes));
  gauge('disk_quota_bytes', 'Host disk used by the sessions\' quota file systems (all, the busiest session) and SESSION_DISK_QUOTA per session (0: no quota).', ['of'], (g, o) => {
    g.set({ of: 'used' }, o.diskQuota.usedBytes);
    g.set({ of: 'busiest_session' }, o.diskQuota.busiestSessionBytes);
    g.set({ of: 'limit' }, o.diskQuota.limitBytes);
  });
  gauge('client_sessions_max', 'Sessions of the busiest client address, and MAX_SESSIONS_PER_CLIENT.', ['of'], (g, o) => {
    g.set({ of: 'busiest_client' }, o.busiestClient);
    g.set({ of: 'limit' }, o.maxSessionsPerClient);
  });

  const starts = new Counter({ name: `${PREFIX}sandbox_starts_total`, help: 'Sandbox starts (sessions and warm pool) by outcome and reason.', labelNames: ['outcome', 'reason'], registers: [registry] });
  const startSeconds = new Histogram({
    name: `${PREFIX}sandbox_start_seconds`,
    help: 'Time from the start of a sandbox (after any wait in the start queue) to ready, successful starts.',
    buckets: [1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180],
    registers: [registry],
  });
  const startWait = new Histogram({
    name: `${PREFIX}sandbox_start_wait_seconds`,
    help: 'Time a sandbox start waited for a slot in the start queue (START_CONCURRENCY) before it began.',
    buckets: [0.1, 1, 5, 10, 20, 30, 60, 120, 300],
    registers: [registry],
  });
  const claims = new Counter({ name: `${PREFIX}warm_pool_claims_total`, help: 'Sessions that got a warm-pool sandbox.', registers: [registry] });
  const ended = new Counter({ name: `${PREFIX}sessions_ended_total`, help: 'Sessions ended, by reason.', labelNames: ['reason'], registers: [registry] });
  const checks = new Histogram({
    name: `${PREFIX}check_seconds`,
    help: 'Lab checks by lab and result (passed, failed, error).',
    labelNames: ['lab', 'result'],
    buckets: [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60],
    registers: [registry],
  });
  const errors = new Counter({ name: `${PREFIX}api_errors_total`, help: 'Error answers of the API by status and code.', labelNames: ['status', 'code'], registers: [registry] });
  const bytes = new Counter({ name: `${PREFIX}terminal_bytes_total`, help: 'Bytes on terminal WebSockets (in: from browsers, out: to browsers).', labelNames: ['direction'], registers: [registry] });
  for (const direction of ['in', 'out']) bytes.inc({ direction }, 0);
  starts.inc({ outcome: 'ok', reason: 'ok' }, 0);

  return {
    registry,
    sandboxStart(outcome, reason, seconds) {
      starts.inc({ outcome, reason });
      if (outcome === 'ok') startSeconds.observe(seconds);
    },
    sandboxStartWait: (seconds) => startWait.observe(seconds),
    poolClaim: () => claims.inc(),
    sessionEnded: (reason) => ended.inc({ reason }),
    check: (lab, result, seconds) => checks.observe({ lab, result }, seconds),
    apiError: (status, code) => errors.inc({ status: String(status), code }),
    terminalBytes: (direction, n) => {
      if (n > 0) bytes.inc({ direction }, n);
    },
    observe(r) {
      read = r;
    },
    async render() {
      last = null;
      try {
        return { contentType: registry.contentType, body: await registry.metrics() };
      } finally {
        last = null;
      }
    },
  };
}

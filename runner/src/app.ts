/**
 * Wires the runner in-process: config -> store -> provider -> sessions (re-adopted, + warm
 * pool) -> labs -> HTTP app (+ progress routes) -> terminals. Used by main.ts, the tests, the
 * e2e suites and the bench.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { checkConfig, loadConfig, REPO_ROOT, type Config } from './config.ts';
import { acceptOnlyOn, currentAddresses } from './http/own-interfaces.ts';
import type { SandboxProvider } from './sandbox/provider.ts';
import { ActivityBus, forwardSessionEvents } from './core/activity.ts';
import { engineHooks } from './labs/engine-hooks.ts';
import { queueStarts, StartQueue } from './core/start-queue.ts';
import { hostCpu } from './core/start-slots.ts';
import { standbyShells } from './core/standby-shells.ts';
import { instrumentEngine, instrumentProvider, watchSessions, watchTerminalSockets } from './metrics/instrument.ts';
import { createMetrics, type Metrics } from './metrics/registry.ts';
import { installMetrics } from './metrics/route.ts';
import { storeBytes } from './metrics/store-size.ts';
import { quotaUsage } from './metrics/disk-quota.ts';
import { ApiError } from './core/errors.ts';
import { errMessage, silentLogger, type Logger } from './core/log.ts';
import { ProgressService } from './core/progress.ts';
import { QuizBank } from './core/quiz.ts';
import type { RecoveryReport } from './core/recovery.ts';
import { SessionService } from './core/sessions.ts';
import { buildHttpApp } from './http/app.ts';
import { durableRoutes } from './http/durable.ts';
import { LabService, loadEngine, type LabEngine } from './labs/service.ts';
import { databasePath, removeDatabase } from './store/files.ts';
import { providerFor } from './backends.ts';
import { openSqliteStore } from './store/sqlite.ts';
import type { Store } from './store/types.ts';
import { attachTerminalServer, terminalHub, type TerminalServer } from './terminal/server.ts';
import type { TerminalTuning } from './terminal/bridge.ts';
import type { AuthorizeShadow } from './terminal/shadow.ts';
import { removeOperatorToken } from './workshops/secrets.ts';
import { WorkshopService } from './workshops/service.ts';
import { removeWorkshopData } from './workshops/data.ts';
import { LtiService } from './lti/service.ts';
import { ltiRoutes } from './lti/routes.ts';
import { removeToolKeys } from './lti/keys.ts';

export interface Runner {
  url: string;
  port: number;
  config: Config;
  provider: SandboxProvider;
  sessions: SessionService;
  labs: LabService;
  progress: ProgressService;
  workshops: WorkshopService;
  /** LTI 1.3 (runner/src/lti): launches, deep linking, the score outbox. */
  lti: LtiService;
  store: Store;
  app: FastifyInstance;
  terminals: TerminalServer;
  /** Prometheus figures (GET /metrics). */
  metrics: Metrics;
  /** Sandboxes removed at start (of expired, stopped or unknown sessions, and warm-pool leftovers). */
  reaped: number;
  /** What the start took back from a previous run. */
  recovery: RecoveryReport;
  /**
   * Stops and keeps every session (SIGTERM): no new work, terminals closed with 1012, running
   * starts and checks finish (bounded), sandboxes and the database stay. Idempotent.
   */
  stop(): Promise<void>;
  /** Stops and removes everything of this RUNNER_ID: sandboxes, pool, mirror and database (tests, bench). Idempotent. */
  close(): Promise<void>;
}

export interface RunnerDeps {
  provider?: SandboxProvider;
  /** Replaces checks/engine.ts (tests). */
  labEngine?: () => Promise<LabEngine>;
  terminalTuning?: Partial<TerminalTuning>;
  /** Who may watch a learner's terminals (tests; the workshops wire their own). */
  authorizeShadow?: AuthorizeShadow;
  /** Replaces the SQLite file in DATA_DIR (tests: openSqliteStore(':memory:').store). */
  store?: Store;
  /** How long a stop waits for running starts and checks (default 30 s). */
  stopGraceMs?: number;
}

export const QUIZ_DIR = `${REPO_ROOT}/site/src/data/quizzes`;


export async function createRunner(overrides: Partial<Config> = {}, deps: RunnerDeps = {}): Promise<Runner> {
  const config: Config = { ...loadConfig(process.env), ...overrides };
  checkConfig(config);
  const opened = deps.store ? { store: deps.store, problem: null, created: false } : openSqliteStore(databasePath(config));
  const store = opened.store;
  const metrics = createMetrics();
  // Cold starts wait for a slot outside the measured start (metrics time the start itself).
  const startQueue = new StartQueue({ slots: config.startConcurrency, cpu: hostCpu });

  let port = config.port;
  let log: Logger = silentLogger;
  // The fastify logger exists only once the app is built; until then lines are kept.
  const early: [keyof Logger, object, string | undefined][] = [];
  const lateLog: Logger = {
    info: (o, m) => (log === silentLogger ? early.push(['info', o, m]) : log.info(o, m)),
    warn: (o, m) => (log === silentLogger ? early.push(['warn', o, m]) : log.warn(o, m)),
    error: (o, m) => (log === silentLogger ? early.push(['error', o, m]) : log.error(o, m)),
    debug: (o, m) => log.debug(o, m),
  };
  // Measured outside the queue: the wait for a slot and the start itself, apart (metrics/instrument.ts).
  // A pool sandbox's standby shell opens after its slot is free (core/standby-shells.ts).
  const provider = instrumentProvider(queueStarts(standbyShells(deps.provider ?? (await providerFor(config)), lateLog), startQueue), metrics);
  const hooks = engineHooks(store, lateLog);
  const sessions = new SessionService({ provider, settings: config, log: lateLog, store, startQueue });
  // What learners do, in one place (the workshop dashboard listens).
  const activity = new ActivityBus();
  forwardSessionEvents(sessions, activity);
  watchSessions(sessions, metrics);
  const labs = new LabService({ labsDir: config.labsDir, provider, sessions, log: lateLog, engine: hooks.wrap(instrumentEngine(deps.labEngine ?? loadEngine, metrics)), activity });
  let bank: Promise<QuizBank> | null = null;
  const quizBank = () => {
    bank ??= QuizBank.load(QUIZ_DIR).catch((err: unknown) => {
      bank = null;
      throw new ApiError(503, 'quiz_unavailable', `The quizzes could not be loaded: ${errMessage(err)}`);
    });
    return bank;
  };
  const progress = new ProgressService(store, quizBank, activity);
  const terminalTuning: Partial<TerminalTuning> = { ...deps.terminalTuning, takeover: { maxMs: config.takeoverMaxMs, ...deps.terminalTuning?.takeover } };
  // Made before the workshops, which use it (presence, broadcasts), and handed to the terminal server.
  const hub = terminalHub(terminalTuning);
  const workshops = new WorkshopService({ store, sessions, labs, progress, bus: activity, config, log: lateLog, terminals: hub });

  let app: FastifyInstance;
  let lti: LtiService;
  let recovery: RecoveryReport;
  let terminalBytes: { flush(): void } | null = null;
  try {
    await provider.init();
    // Taken before any session network is joined by this run.
    const ownAddresses = config.runnerContainer ? currentAddresses() : null;
    recovery = await sessions.recover();
    lti = await LtiService.create({ store, sessions, workshops, bus: activity, config, log: lateLog });
    app = await buildHttpApp({ config, sessions, labs, workshops, provider, port: () => port, metrics: (root) => installMetrics(root, { metrics, allow: config.metricsAllow, token: config.metricsToken, trustedProxies: config.trustedProxies, beforeScrape: () => terminalBytes?.flush() }), frameAncestors: () => lti.frameAncestors() });
    await app.register(durableRoutes({ sessions, progress }));
    await app.register(ltiRoutes(lti));
    if (ownAddresses) acceptOnlyOn(app.server, ownAddresses);
  } catch (err) {
    await sessions.stop(0).catch(() => {});
    await provider.release().catch(() => {});
    store.close();
    throw err;
  }
  log = app.log;
  for (const [level, o, m] of early.splice(0)) log[level](o, m);
  if (opened.problem) log.error({ database: store.location }, opened.problem);
  else if (opened.created && !deps.store) log.info({ database: store.location }, 'no database yet: starting with no sessions');
  // Where the operator token is, never the token itself.
  if (workshops.operator.source === 'environment') log.info({}, 'workshops: the operator token is INSTRUCTOR_TOKEN');
  else log.info({ file: workshops.operator.source }, `workshops: the operator token is in ${workshops.operator.source}${workshops.operator.created ? ' (made now)' : ''}`);
  log.info({ ...recovery, runnerId: config.runnerId }, `start: took over ${recovery.adopted} sessions, stopped ${recovery.stopped}, removed ${recovery.reaped} sandboxes`);

  // A lab named at session creation is set up once the sandbox is ready.
  sessions.on('ready', (s) => {
    if (s.lab) labs.startInBackground(s, s.lab);
  });

  const terminals = attachTerminalServer({ server: app.server, config, sessions, provider, log, port: () => port,
    tuning: terminalTuning,
    hub,
    authorizeShadow: deps.authorizeShadow ?? ((w, s, t) => workshops.authorizeShadow(w, s, t)),
    recordTerminal: (s, size, secrets) => workshops.room.recordTerminal(s, size, secrets),
  });
  // Take-overs happen between terminals; the workshop keeps their log and tells its dashboards.
  terminals.hub.onTakeover((r) => workshops.room.logTakeover(r));
  terminals.hub.onTakeoverState((id, state) => workshops.room.takeoverChanged(id, state));
  terminalBytes = watchTerminalSockets(app.server, metrics);
  metrics.observe(() => {
    const st = sessions.stats();
    const perClient = new Map<string, number>();
    for (const s of sessions.list()) perClient.set(s.clientAddress, (perClient.get(s.clientAddress) ?? 0) + 1);
    return {
      sessions: { starting: st.starting, ready: st.ready },
      pool: st.pool,
      startQueue: st.startQueue,
      maxSessions: config.maxSessions,
      terminals: st.terminals,
      sseClients: workshops.streams.count(),
      storeBytes: storeBytes(store.location),
      busiestClient: Math.max(0, ...perClient.values()),
      maxSessionsPerClient: config.maxSessionsPerClient,
      diskQuota: { ...(config.sandboxBackend === 'docker' && config.sessionDiskQuota > 0 ? quotaUsage(config.quotaDir, config.runnerId) : { usedBytes: 0, busiestSessionBytes: 0 }), limitBytes: config.sessionDiskQuota },
    };
  });

  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    await terminals.close().catch(() => {});
    await sessions.stop(0).catch(() => {});
    await provider.release().catch(() => {});
    store.close();
    throw err;
  }
  port = (app.server.address() as AddressInfo).port;
  const hostForUrl = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${hostForUrl}:${port}`;

  sessions.start();
  workshops.start();
  lti.start();
  void labs.preload().then((n) => log.info({ labs: n }, 'labs loaded'));

  const runSteps = async (steps: [string, () => Promise<unknown>][]) => {
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (err) {
        log.error({ step: name, err: errMessage(err) }, 'shutdown step failed');
      }
    }
  };
  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      // Synchronously first: no new session, no new API call (503), no new terminal.
      const sessionsStopped = sessions.stop();
      // Event streams end now (EventSource reconnects to the next run); end timers stop.
      workshops.stop();
      await runSteps([
        ['terminals', () => terminals.close()],
        ['checks', () => hooks.idle(deps.stopGraceMs ?? 30_000)],
        ['lti', () => lti.stop()],
        ['sessions', () => sessionsStopped],
        ['provider', () => provider.release()],
        ['http', () => app.close()],
        ['store', async () => store.close()],
      ]);
    })();
    return stopping;
  };
  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      workshops.stop();
      await runSteps([
        ['lti', () => lti.stop()],
        ['terminals', () => terminals.close()],
        ['sessions', () => sessions.shutdown()],
        ['provider', () => provider.shutdown()],
        // Before http: app.close() may wait long for a client that does not read.
        ['store', async () => store.close()],
        ['database', async () => (deps.store ? undefined : removeDatabase(config))],
        ['workshop data', async () => removeWorkshopData(config)],
        ['operator token', async () => (config.instructorToken ? undefined : removeOperatorToken(config))],
        ['lti keys', async () => removeToolKeys(config)],
        ['http', () => app.close()],
      ]);
    })();
    return closing;
  };

  return { url, port, config, provider, sessions, labs, progress, workshops, lti, store, app, terminals, metrics, reaped: recovery.reaped, recovery, stop, close };
}

/**
 * Wires the runner in-process: config -> provider -> sessions (+ warm pool) -> labs ->
 * HTTP app -> terminals. Used by main.ts, the tests, the e2e suites and the bench.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { checkConfig, loadConfig, sandboxLimits, type Config } from './config.ts';
import { acceptOnlyOn, currentAddresses } from './http/own-interfaces.ts';
import type { SandboxProvider } from './docker/provider.ts';
import { errMessage, silentLogger, type Logger } from './core/log.ts';
import { SessionService } from './core/sessions.ts';
import { buildHttpApp } from './http/app.ts';
import { LabService, type LabEngine } from './labs/service.ts';
import { attachTerminalServer, type TerminalServer } from './terminal/server.ts';
import type { TerminalTuning } from './terminal/bridge.ts';

export interface Runner {
  url: string;
  port: number;
  config: Config;
  provider: SandboxProvider;
  sessions: SessionService;
  labs: LabService;
  app: FastifyInstance;
  terminals: TerminalServer;
  /** Objects of a previous run of this RUNNER_ID removed at start. */
  reaped: number;
  /** Closes terminals, destroys every sandbox (sessions and pool) and the mirror, stops listening. Idempotent. */
  close(): Promise<void>;
}

export interface RunnerDeps {
  provider?: SandboxProvider;
  /** Replaces checks/engine.ts (tests). */
  labEngine?: () => Promise<LabEngine>;
  terminalTuning?: Partial<TerminalTuning>;
}

/** The real Docker provider (runner/src/docker/index.ts), configured from the runner config. */
export async function dockerProviderFor(config: Config): Promise<SandboxProvider> {
  const mod = await import('./docker/index.ts');
  return mod.createDockerProvider({
    runnerId: config.runnerId,
    images: { workstation: config.workstationImage, registry: config.registryImage, mirror: config.mirrorImage },
    limits: sandboxLimits(config),
    selfContainer: config.runnerContainer || undefined,
    egress: { policy: config.egress, allow: config.egressAllow },
    runtime: config.workstationRuntime,
    diskQuotaBytes: config.sessionDiskQuota,
    quotaDir: config.quotaDir,
  });
}

export async function createRunner(overrides: Partial<Config> = {}, deps: RunnerDeps = {}): Promise<Runner> {
  const config: Config = { ...loadConfig(process.env), ...overrides };
  checkConfig(config);
  const provider = deps.provider ?? (await dockerProviderFor(config));

  const { reaped } = await provider.init();
  // Taken before any session network is joined (init removed those of a previous run).
  const ownAddresses = config.runnerContainer ? currentAddresses() : null;

  let port = config.port;
  let log: Logger = silentLogger;
  // The fastify logger exists only once the app is built; until then nothing is logged.
  const lateLog: Logger = {
    info: (o, m) => log.info(o, m),
    warn: (o, m) => log.warn(o, m),
    error: (o, m) => log.error(o, m),
    debug: (o, m) => log.debug(o, m),
  };
  const sessions = new SessionService({ provider, settings: config, log: lateLog });
  const labs = new LabService({ labsDir: config.labsDir, provider, sessions, log: lateLog, engine: deps.labEngine });
  let app: FastifyInstance;
  try {
    app = await buildHttpApp({ config, sessions, labs, port: () => port });
  } catch (err) {
    await provider.shutdown().catch(() => {});
    throw err;
  }
  log = app.log;
  if (reaped > 0) log.warn({ reaped, runnerId: config.runnerId }, 'reaped objects left by a previous run');

  // A lab named at session creation is set up once the sandbox is ready.
  sessions.on('ready', (s) => {
    if (s.lab) labs.startInBackground(s, s.lab);
  });

  const terminals = attachTerminalServer({ server: app.server, config, sessions, provider, log, port: () => port, tuning: deps.terminalTuning });

  try {
    // In a container the runner joins session networks; sandboxes must not reach its API there.
    if (ownAddresses) acceptOnlyOn(app.server, ownAddresses);
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    await terminals.close().catch(() => {});
    await sessions.shutdown().catch(() => {});
    await provider.shutdown().catch(() => {});
    throw err;
  }
  port = (app.server.address() as AddressInfo).port;
  const hostForUrl = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${hostForUrl}:${port}`;

  sessions.start();
  void labs.preload().then((n) => log.info({ labs: n }, 'labs loaded'));

  let closing: Promise<void> | null = null;
  const close = () => {
    if (!closing) {
      closing = (async () => {
        const steps: [string, () => Promise<unknown>][] = [
          ['terminals', () => terminals.close()],
          ['sessions', () => sessions.shutdown()],
          ['provider', () => provider.shutdown()],
          ['http', () => app.close()],
        ];
        for (const [name, step] of steps) {
          try {
            await step();
          } catch (err) {
            log.error({ step: name, err: errMessage(err) }, 'shutdown step failed');
          }
        }
      })();
    }
    return closing;
  };

  return { url, port, config, provider, sessions, labs, app, terminals, reaped, close };
}

/**
 * Runner configuration: every setting comes from the environment, every one has a default.
 * `CONFIG_VARIABLES` lists them (name, default, meaning) so the README table can be checked
 * against the code.
 */
import { isIP } from 'node:net';
import { isAbsolute, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** Repository root (runner/src/config.ts -> ../..). Relative paths in the config resolve against it. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

import { CONFIG_VARIABLES } from './config-variables.ts';
export { CONFIG_VARIABLES, type ConfigVariable } from './config-variables.ts';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/** "7200000", "90s", "30m", "2h" -> ms. */
export function parseDuration(v: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)?\s*$/i.exec(v);
  if (!m) throw new Error(`not a duration: "${v}" (use ms, or a number with s, m, h)`);
  return Math.round(Number(m[1]) * UNITS[(m[2] ?? 'ms').toLowerCase()]!);
}

const BYTE_UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** "2g", "256m", "1048576" -> bytes. */
export function parseBytes(v: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([bkmg])?b?\s*$/i.exec(v);
  if (!m) throw new Error(`not a size: "${v}" (use bytes, or a number with k, m, g)`);
  return Math.round(Number(m[1]) * BYTE_UNITS[(m[2] ?? 'b').toLowerCase()]!);
}

/** A string variable parsed by `parse`, whose error message becomes the zod issue. */
const parsedWith = (parse: (v: string) => number) =>
  z.string().transform((v, ctx) => {
    try {
      return parse(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  });
const duration = parsedWith(parseDuration);
const bytes = parsedWith(parseBytes);
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const path = z.string().min(1).transform((p) => (isAbsolute(p) ? p : resolve(REPO_ROOT, p)));
const origins = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim().replace(/\/+$/, ''))
    .filter(Boolean),
);

const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);
/** "10.0.0.1", "10.0.0.0/8", "::1", "fd00::/8". */
const proxies = list.superRefine((items, ctx) => {
  for (const item of items) {
    const [addr, bits, extra] = item.split('/');
    const family = isIP(addr ?? '');
    const max = family === 6 ? 128 : 32;
    if (!family || extra !== undefined || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= max))) {
      ctx.addIssue({ code: 'custom', message: `"${item}" is not an address or CIDR range` });
    }
  }
});

const envSchema = z.object({
  PORT: int(0, 65535),
  HOST: z.string().min(1),
  RUNNER_ID: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'RUNNER_ID: letters, digits, _ . - (max 63)'),
  SITE_DIR: path,
  DATA_DIR: path,
  LABS_DIR: path,
  SESSION_TTL_MS: duration,
  SESSION_IDLE_MS: duration,
  SESSION_MAX_TTL_MS: duration,
  SESSION_WARN_BEFORE_MS: duration,
  SESSION_STOPPED_KEEP_MS: duration,
  SESSION_START_TIMEOUT_MS: duration,
  SESSION_PROBE_MS: duration,
  WARM_POOL_SIZE: int(0, 100),
  MAX_SESSIONS: int(1, 10_000),
  MAX_SESSIONS_PER_CLIENT: int(1, 10_000),
  MAX_SESSION_CREATES_PER_MINUTE: int(1, 100_000),
  MAX_TERMINALS_PER_SESSION: int(1, 100),
  WORKSTATION_MEMORY: bytes,
  WORKSTATION_CPUS: z.coerce.number().positive().max(256),
  WORKSTATION_PIDS: int(16, 1_000_000),
  REGISTRY_MEMORY: bytes,
  REGISTRY_PIDS: int(16, 1_000_000),
  LOG_MAX_SIZE: z.string().regex(/^\d+[kmg]?$/i, 'LOG_MAX_SIZE: like 1m'),
  ALLOWED_ORIGINS: origins,
  ALLOWED_HOSTS: list.transform((hs) => hs.map((h) => h.toLowerCase())),
  TRUSTED_PROXIES: proxies,
  METRICS_ALLOW: proxies,
  METRICS_TOKEN: z.string().refine((v) => v === '' || v.trim().length >= 16, 'METRICS_TOKEN: at least 16 characters').transform((v) => v.trim()),
  REQUEST_TIMEOUT_MS: duration,
  RUNNER_CONTAINER: z.string().regex(/^([A-Za-z0-9][A-Za-z0-9_.-]*)?$/, 'RUNNER_CONTAINER: a container name'),
  WORKSTATION_IMAGE: z.string().min(1),
  WORKSTATION_RUNTIME: z.string().regex(/^[A-Za-z0-9_.-]*$/, 'WORKSTATION_RUNTIME: a runtime name'),
  WORKSTATION_NET: z.enum(['pasta', 'slirp4netns']),
  START_CONCURRENCY: int(0, 256),
  EGRESS: z.enum(['open', 'allowlist', 'none']),
  EGRESS_ALLOW: origins,
  SESSION_DISK_QUOTA: bytes,
  QUOTA_DIR: path,
  TERMINAL_DIR: z.string().transform((p) => (p === '' || isAbsolute(p) ? p : resolve(REPO_ROOT, p))),
  REGISTRY_IMAGE: z.string().min(1),
  MIRROR_IMAGE: z.string().min(1),
  SANDBOX_BACKEND: z.enum(['docker', 'kubernetes']),
  KUBE_NAMESPACE: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'KUBE_NAMESPACE: a Kubernetes namespace name'),
  KUBECONFIG: z.string(),
  KUBE_SECCOMP_PROFILE: z.string().regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, 'KUBE_SECCOMP_PROFILE: a relative path like registry-lab/rootless-engine.json'),
  BODY_LIMIT: int(1024, 100 * 1024 * 1024),
  TERMINAL_MAX_FRAME: int(1024, 64 * 1024 * 1024),
  INSTRUCTOR_TOKEN: z.string().refine((v) => v === '' || v.trim().length >= 16, 'INSTRUCTOR_TOKEN: at least 16 characters').transform((v) => v.trim()),
  WORKSHOP_WRONG_CODES_PER_MINUTE: int(1, 10_000),
  HELP_CONTACT: z
    .string()
    .trim()
    .max(200)
    .refine((v) => v === '' || /^https?:\/\/[^\s<>"]+$/.test(v) || /^[^\s@<>"]+@[^\s@<>"]+$/.test(v), 'HELP_CONTACT: an e-mail address or an http(s):// link'),
  HELP_HANDS_PER_HOUR: int(1, 1000),
  TAKEOVER_MAX_MS: duration,
  RECORDING_MAX_BYTES: bytes,
  RECORDING_INPUT: z.enum(['true', 'false']).transform((v) => v === 'true'),
  WORKSHOP_DATA_RETENTION_MS: duration,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
});

export interface Config {
  port: number;
  host: string;
  runnerId: string;
  siteDir: string;
  /** Folder of the database (absolute). */
  dataDir: string;
  labsDir: string;
  sessionTtlMs: number;
  sessionIdleMs: number;
  sessionMaxTtlMs: number;
  sessionWarnBeforeMs: number;
  sessionStoppedKeepMs: number;
  sessionStartTimeoutMs: number;
  /** 0: never. */
  sessionProbeMs: number;
  warmPoolSize: number;
  maxSessions: number;
  maxSessionsPerClient: number;
  maxSessionCreatesPerMinute: number;
  maxTerminalsPerSession: number;
  /** Bytes. */
  workstationMemory: number;
  workstationCpus: number;
  workstationPids: number;
  /** Bytes. */
  registryMemory: number;
  registryPids: number;
  logMaxSize: string;
  /** Empty: computed per request (see CONFIG_VARIABLES). */
  allowedOrigins: string[];
  /** Empty: computed (see CONFIG_VARIABLES); ['*']: any host. */
  allowedHosts: string[];
  /** Addresses or CIDR ranges. */
  trustedProxies: string[];
  /** Addresses or CIDR ranges that may read /metrics without a token (loopback always may). */
  metricsAllow: string[];
  /** '' = no token: /metrics only to loopback and metricsAllow. */
  metricsToken: string;
  requestTimeoutMs: number;
  /** Empty when the runner runs on the host. */
  runnerContainer: string;
  workstationImage: string;
  /** '' = the engine's default. */
  workstationRuntime: string;
  /** The inner engine's user-mode network (rootlesskit driver). */
  workstationNet: 'pasta' | 'slirp4netns';
  /** Cold starts at once (0: the host's cores); the rest wait in order (core/start-queue.ts). */
  startConcurrency: number;
  egress: 'open' | 'allowlist' | 'none';
  egressAllow: string[];
  /** Bytes; 0 = none. */
  sessionDiskQuota: number;
  quotaDir: string;
  /** '' = terminals by the engine's exec stream (docker/terminal-socket.ts). */
  terminalDir: string;
  registryImage: string;
  mirrorImage: string;
  sandboxBackend: 'docker' | 'kubernetes';
  kubeNamespace: string;
  /** '' = in-cluster (or ~/.kube/config). */
  kubeconfig: string;
  kubeSeccompProfile: string;
  bodyLimit: number;
  terminalMaxFrame: number;
  /** '' = made at first start and kept in DATA_DIR (workshops/secrets.ts). */
  instructorToken: string;
  workshopWrongCodesPerMinute: number;
  /** '' = no self-study help contact. */
  helpContact: string;
  helpHandsPerHour: number;
  takeoverMaxMs: number;
  recordingMaxBytes: number;
  recordingInput: boolean;
  workshopDataRetentionMs: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

/** Reads the configuration; throws one Error naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const raw: Record<string, string> = {};
  for (const v of CONFIG_VARIABLES) {
    const given = env[v.name];
    raw[v.name] = given === undefined || (given.trim() === '' && v.default !== '') ? v.default : given;
  }
  const r = envSchema.safeParse(raw);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`);
    throw new Error(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = r.data;
  const config: Config = {
    port: e.PORT,
    host: e.HOST,
    runnerId: e.RUNNER_ID,
    siteDir: e.SITE_DIR,
    dataDir: e.DATA_DIR,
    labsDir: e.LABS_DIR,
    sessionTtlMs: e.SESSION_TTL_MS,
    sessionIdleMs: e.SESSION_IDLE_MS,
    sessionMaxTtlMs: e.SESSION_MAX_TTL_MS,
    sessionWarnBeforeMs: e.SESSION_WARN_BEFORE_MS,
    sessionStoppedKeepMs: e.SESSION_STOPPED_KEEP_MS,
    sessionStartTimeoutMs: e.SESSION_START_TIMEOUT_MS,
    sessionProbeMs: e.SESSION_PROBE_MS,
    warmPoolSize: e.WARM_POOL_SIZE,
    maxSessions: e.MAX_SESSIONS,
    maxSessionsPerClient: e.MAX_SESSIONS_PER_CLIENT,
    maxSessionCreatesPerMinute: e.MAX_SESSION_CREATES_PER_MINUTE,
    maxTerminalsPerSession: e.MAX_TERMINALS_PER_SESSION,
    workstationMemory: e.WORKSTATION_MEMORY,
    workstationCpus: e.WORKSTATION_CPUS,
    workstationPids: e.WORKSTATION_PIDS,
    registryMemory: e.REGISTRY_MEMORY,
    registryPids: e.REGISTRY_PIDS,
    logMaxSize: e.LOG_MAX_SIZE,
    allowedOrigins: e.ALLOWED_ORIGINS,
    allowedHosts: e.ALLOWED_HOSTS,
    trustedProxies: e.TRUSTED_PROXIES,
    metricsAllow: e.METRICS_ALLOW,
    metricsToken: e.METRICS_TOKEN,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    runnerContainer: e.RUNNER_CONTAINER,
    workstationImage: e.WORKSTATION_IMAGE,
    workstationRuntime: e.WORKSTATION_RUNTIME,
    workstationNet: e.WORKSTATION_NET,
    startConcurrency: e.START_CONCURRENCY,
    egress: e.EGRESS,
    egressAllow: e.EGRESS_ALLOW,
    sessionDiskQuota: e.SESSION_DISK_QUOTA,
    quotaDir: e.QUOTA_DIR,
    terminalDir: e.TERMINAL_DIR,
    registryImage: e.REGISTRY_IMAGE,
    mirrorImage: e.MIRROR_IMAGE,
    sandboxBackend: e.SANDBOX_BACKEND,
    kubeNamespace: e.KUBE_NAMESPACE,
    kubeconfig: e.KUBECONFIG,
    kubeSeccompProfile: e.KUBE_SECCOMP_PROFILE,
    bodyLimit: e.BODY_LIMIT,
    terminalMaxFrame: e.TERMINAL_MAX_FRAME,
    instructorToken: e.INSTRUCTOR_TOKEN,
    workshopWrongCodesPerMinute: e.WORKSHOP_WRONG_CODES_PER_MINUTE,
    helpContact: e.HELP_CONTACT,
    helpHandsPerHour: e.HELP_HANDS_PER_HOUR,
    takeoverMaxMs: e.TAKEOVER_MAX_MS,
    recordingMaxBytes: e.RECORDING_MAX_BYTES,
    recordingInput: e.RECORDING_INPUT,
    workshopDataRetentionMs: e.WORKSHOP_DATA_RETENTION_MS,
    logLevel: e.LOG_LEVEL,
  };
  checkConfig(config);
  return config;
}

/** Cross-field rules; also applied to overrides given to createRunner. */
export function checkConfig(c: Config): void {
  const problems: string[] = [];
  if (c.sessionMaxTtlMs < c.sessionTtlMs) problems.push('SESSION_MAX_TTL_MS must be >= SESSION_TTL_MS');
  if (c.sessionTtlMs < 1) problems.push('SESSION_TTL_MS must be positive');
  if (c.sessionIdleMs < 1) problems.push('SESSION_IDLE_MS must be positive');
  if (c.requestTimeoutMs < 100) problems.push('REQUEST_TIMEOUT_MS must be at least 100 ms');
  // Node timers hold at most 2^31-1 ms (24.8 days).
  for (const [name, v] of [
    ['SESSION_MAX_TTL_MS', c.sessionMaxTtlMs],
    ['SESSION_IDLE_MS', c.sessionIdleMs],
    ['SESSION_STOPPED_KEEP_MS', c.sessionStoppedKeepMs],
    ['SESSION_START_TIMEOUT_MS', c.sessionStartTimeoutMs],
    ['REQUEST_TIMEOUT_MS', c.requestTimeoutMs],
  ] as const) {
    if (v > 2 ** 31 - 1) problems.push(`${name} must be at most 24 days`);
  }
  if (c.egress === 'allowlist' && c.egressAllow.length === 0) problems.push('EGRESS=allowlist needs EGRESS_ALLOW');
  if (problems.length) throw new Error(`invalid configuration:\n  ${problems.join('\n  ')}`);
}

/** The sandbox limits in the shape of SandboxLimits (runner/src/sandbox/provider.ts). */
export function sandboxLimits(c: Config) {
  return {
    workstationMemoryBytes: c.workstationMemory,
    workstationNanoCpus: Math.round(c.workstationCpus * 1e9),
    workstationPids: c.workstationPids,
    registryMemoryBytes: c.registryMemory,
    registryPids: c.registryPids,
    logMaxSize: c.logMaxSize,
  };
}

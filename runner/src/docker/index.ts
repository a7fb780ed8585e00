/**
 * The Docker backend (SANDBOX_BACKEND=docker, the default): createDockerProvider wires the
 * pieces of this folder into the SandboxProvider of sandbox/provider.ts.
 */
import type Docker from 'dockerode';
import { createDockerClient, ignoreMissing } from './client.ts';
import { removeLabelled } from './reaper.ts';
import { adoptSandbox, listSandboxes } from './adopt.ts';
import { sweepUntilSettled } from './cancel.ts';
import { sandboxErrorOf } from './errors.ts';
import { Mirror } from './mirror.ts';
import { createSandbox, refsFor, type SandboxRefs } from './sandbox.ts';
import { openLoginShell } from './shell.ts';
import { sandboxOps } from './ops.ts';
import type { SandboxLimits, SandboxProvider } from '../sandbox/provider.ts';
import { loadConfig, sandboxLimits } from '../config.ts';
import { CancelledError } from '../sandbox/errors.ts';
import { KnownSandboxes } from '../sandbox/known.ts';
import { hostResolvers, ownAddresses, type EgressSettings } from '../sandbox/egress.ts';
import { DEFAULT_QUOTA_DIR, DiskQuota } from './quota.ts';
import { TerminalSockets } from './terminal-socket.ts';

export type { SandboxProvider, SandboxLimits, SandboxInfo, ShellHandle } from '../sandbox/provider.ts';

export interface DockerConfig {
  runnerId: string;
  images: { workstation: string; registry: string; mirror: string };
  limits: SandboxLimits;
  /**
   * Name of the runner's own container when the runner runs inside Docker (docker-compose):
   * it then joins each session network so it can reach registries and probes.
   */
  selfContainer?: string;
  docker?: Docker;
  /** Default: open (docs/security.md: private, link-local and host addresses are never reachable). */
  egress?: EgressSettings;
  /** OCI runtime of workstations ('' = the engine's default). */
  runtime?: string;
  /** The inner engine's user-mode network (default slirp4netns). */
  network?: 'pasta' | 'slirp4netns';
  /** Per-session disk quota in bytes (0 = none; SESSION_DISK_QUOTA); default 10 GiB where the host allows (quota.ts). */
  diskQuotaBytes?: number;
  /** Where the quota file systems live (default /var/lib/registry-lab/quota). */
  quotaDir?: string;
  /** Where the terminal sockets' directories live (terminal-socket.ts; '' = terminals by exec stream; default TERMINAL_DIR's). */
  terminalDir?: string;
}

/** The configuration's defaults (runner/src/config.ts is the one source). */
const DEFAULTS = loadConfig({});
export const DEFAULT_LIMITS: SandboxLimits = sandboxLimits(DEFAULTS);

export function createDockerProvider(config: DockerConfig): SandboxProvider {
  const docker = config.docker ?? createDockerClient();
  const mirror = new Mirror(docker, config.runnerId, config.images.mirror, config.limits.logMaxSize);
  const quotaBytes = config.diskQuotaBytes ?? 10 * 1024 ** 3;
  let quota: DiskQuota | undefined;
  const reservedUids = new Set<number>();
  const terminalDir = config.terminalDir ?? DEFAULTS.terminalDir;
  let terminals = terminalDir !== '' && TerminalSockets.usable(config) ? new TerminalSockets(config.runnerId, terminalDir) : undefined;
  const security = () => ({
    reservedUids,
    egress: config.egress ?? { policy: 'open' as const, allow: [] },
    // On the host these are the host's addresses; in a container, the runner's own.
    hostAddresses: ownAddresses(),
    resolvers: hostResolvers(),
    runtime: config.runtime ?? '',
    network: config.network ?? 'slirp4netns',
    quota,
    terminals,
  });
  const known = new KnownSandboxes<SandboxRefs>(
    (_id, refs) => sandboxOps({ docker, runnerId: config.runnerId, refs, images: config.images, limits: config.limits, runtime: config.runtime ?? '', reach, leave }),
    sandboxErrorOf,
  );

  const reach = async (network: string) => {
    if (!config.selfContainer) return;
    await docker.getNetwork(network).connect({ Container: config.selfContainer }).catch(() => undefined);
  };
  const leave = async (network: string) => {
    if (!config.selfContainer) return;
    await ignoreMissing(docker.getNetwork(network).disconnect({ Container: config.selfContainer, Force: true })).catch(() => undefined);
  };

  return {
    async init() {
      // Sandboxes survive restarts: the core decides which to adopt and which to remove.
      const present = [...(await listSandboxes(docker, config.runnerId)).keys()];
      if (quotaBytes > 0 && (await DiskQuota.usable())) {
        quota = new DiskQuota(config.runnerId, quotaBytes, config.quotaDir ?? DEFAULT_QUOTA_DIR);
        // Quota files of sandboxes that are gone (a crash between removal and release).
        await quota.releaseExcept(present);
      }
      // Likewise the terminal sockets' directories; a runner that may not make them uses exec streams.
      if (terminals && !(await terminals.writable())) terminals = undefined;
      await terminals?.removeExcept(present);
      await mirror.start();
      return { reaped: 0 };
    },

    async create(id, opts = {}) {
      const { signal } = opts;
      if (signal?.aborted) throw new CancelledError();
      const creating = createSandbox(docker, config.runnerId, id, config.images, config.limits, mirror, security());
      let sweeping: Promise<void> | null = null;
      const onAbort = () => {
        sweeping = sweepUntilSettled(creating, () => removeLabelled(docker, config.runnerId, id));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const refs = await creating;
        if (signal?.aborted) throw new CancelledError();
        if (refs.terminalSocket) await terminals?.listen(id);
        await reach(refs.network);
        known.set(id, refs);
        return { id, workstationIp: refs.workstationIp, createdAt: new Date() };
      } catch (err) {
        if (sweeping) await sweeping;
        await removeLabelled(docker, config.runnerId, id).catch(() => undefined);
        await quota?.release(id).catch(() => undefined);
        await terminals?.remove(id).catch(() => undefined);
        throw signal?.aborted ? new CancelledError() : sandboxErrorOf(err);
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    },

    sandboxes() {
      return listSandboxes(docker, config.runnerId);
    },

    mirrorUp: () => mirror.running(),

    async adopt(id) {
      const refs = await adoptSandbox(docker, id, mirror);
      if (refs.terminalSocket) await terminals?.listen(id);
      await reach(refs.network);
      known.set(id, refs);
      return { id, workstationIp: refs.workstationIp, createdAt: new Date() };
    },

    async release() {
      known.clear();
      await terminals?.closeAll();
    },

    async destroy(id) {
      known.forget(id);
      await leave(refsFor(id).network);
      await mirror.detach(refsFor(id).network).catch(() => undefined);
      await removeLabelled(docker, config.runnerId, id);
      await terminals?.remove(id);
      await quota?.release(id);
    },

    async isRunning(id) {
      const info = await ignoreMissing(docker.getContainer(refsFor(id).workstation).inspect());
      return Boolean(info?.State.Running);
    },

    async openShell(id, size) {
      const refs = known.get(id);
      const container = docker.getContainer(refs.workstation);
      const user = `${refs.uid}:${refs.uid}`;
      // The exec stream stays the way when the socket fails (a workstation made before it, a stray).
      const viaSocket = refs.terminalSocket && terminals ? terminals.open(container, id, size, user, ['bash', '-l']).catch(() => null) : null;
      return (await viaSocket) ?? openLoginShell(container, size, user).catch((err: unknown) => {
        throw sandboxErrorOf(err);
      });
    },

    ops(id) {
      return known.opsOf(id);
    },

    async shutdown() {
      known.clear();
      await terminals?.closeAll();
      await removeLabelled(docker, config.runnerId);
      await terminals?.removeExcept([]);
      // `npm run reset` calls this on a provider that never ran init(): its quota files still go.
      const q = quota ?? (quotaBytes > 0 && (await DiskQuota.usable()) ? new DiskQuota(config.runnerId, quotaBytes, config.quotaDir ?? DEFAULT_QUOTA_DIR) : undefined);
      await q?.releaseAll();
      await mirror.stop();
    },

    async memoryUsage(id) {
      const refs = known.get(id);
      const usage = async (name: string) => {
        const s = (await docker.getContainer(name).stats({ stream: false })) as unknown as {
          memory_stats?: { usage?: number; stats?: { cache?: number; inactive_file?: number } };
        };
        const m = s.memory_stats ?? {};
        return Math.max(0, (m.usage ?? 0) - (m.stats?.inactive_file ?? m.stats?.cache ?? 0));
      };
      return { workstation: await usage(refs.workstation), registry: await usage(refs.registry) };
    },
  };
}

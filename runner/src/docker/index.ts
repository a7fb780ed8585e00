import type Docker from 'dockerode';
import { createDockerClient, ignoreMissing } from './client.ts';
import { removeLabelled } from './reaper.ts';
import { Mirror } from './mirror.ts';
import { createSandbox, refsFor, type SandboxRefs } from './sandbox.ts';
import { openLoginShell } from './shell.ts';
import { sandboxOps } from './ops.ts';
import type { SandboxLimits, SandboxProvider } from './provider.ts';
import type { SandboxOps } from './contract.ts';

export type { SandboxProvider, SandboxLimits, SandboxInfo, ShellHandle } from './provider.ts';

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
}

export const DEFAULT_LIMITS: SandboxLimits = {
  workstationMemoryBytes: 2 * 1024 ** 3,
  workstationNanoCpus: 1e9,
  workstationPids: 2048,
  registryMemoryBytes: 256 * 1024 ** 2,
  registryPids: 256,
  logMaxSize: '1m',
};

export function createDockerProvider(config: DockerConfig): SandboxProvider {
  const docker = config.docker ?? createDockerClient();
  const mirror = new Mirror(docker, config.runnerId, config.images.mirror);
  const sandboxes = new Map<string, SandboxRefs>();
  const opsCache = new Map<string, SandboxOps>();

  const reach = async (network: string) => {
    if (!config.selfContainer) return;
    await docker.getNetwork(network).connect({ Container: config.selfContainer }).catch(() => undefined);
  };
  const leave = async (network: string) => {
    if (!config.selfContainer) return;
    await ignoreMissing(docker.getNetwork(network).disconnect({ Container: config.selfContainer, Force: true })).catch(() => undefined);
  };

  const refsOf = (id: string): SandboxRefs => {
    const refs = sandboxes.get(id);
    if (!refs) throw Object.assign(new Error(`unknown sandbox ${id}`), { code: 'unknown-sandbox' });
    return refs;
  };

  return {
    async init() {
      const reaped = await removeLabelled(docker, config.runnerId);
      await mirror.start();
      return { reaped };
    },

    async create(id) {
      try {
        const refs = await createSandbox(docker, config.runnerId, id, config.images, config.limits, mirror);
        await reach(refs.network);
        sandboxes.set(id, refs);
        return { id, workstationIp: refs.workstationIp, createdAt: new Date() };
      } catch (err) {
        await removeLabelled(docker, config.runnerId, id).catch(() => undefined);
        throw err;
      }
    },

    async destroy(id) {
      sandboxes.delete(id);
      opsCache.delete(id);
      await leave(refsFor(id).network);
      await mirror.detach(refsFor(id).network).catch(() => undefined);
      await removeLabelled(docker, config.runnerId, id);
    },

    async isRunning(id) {
      const info = await ignoreMissing(docker.getContainer(refsFor(id).workstation).inspect());
      return Boolean(info?.State.Running);
    },

    async openShell(id, size) {
      return openLoginShell(docker.getContainer(refsOf(id).workstation), size);
    },

    ops(id) {
      let ops = opsCache.get(id);
      if (!ops) {
        ops = sandboxOps({ docker, runnerId: config.runnerId, refs: refsOf(id), images: config.images, limits: config.limits, reach, leave });
        opsCache.set(id, ops);
      }
      return ops;
    },

    async shutdown() {
      sandboxes.clear();
      opsCache.clear();
      await removeLabelled(docker, config.runnerId);
      await mirror.stop();
    },

    async memoryUsage(id) {
      const refs = refsOf(id);
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

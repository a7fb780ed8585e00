/**
 * The multistage lab's `runs` criterion: a learner's image, run where nothing of the host is
 * reachable. The runner loads it under a tag of its own (image-load.ts), runs it in a closed
 * network namespace (registry-netns.ts: it can answer the runner's poll and start nothing), as a
 * non-root user, under the workstation's OCI runtime, read-only and bounded, and removes it all.
 */
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { probeMessage as msg, type HttpProbeResult } from '../../../checks/sandbox.ts';
import { containerEnded, pollHttp } from '../sandbox/http-poll.ts';
import { ignoreMissing, removeContainer } from './client.ts';
import { ImageLoadError, loadImageFromRegistry } from './image-load.ts';
import { labelsFor, objectName } from './labels.ts';
import { startClosedNetns } from './registry-netns.ts';
import { logConfig, type SandboxRefs } from './sandbox.ts';
import { REGISTRY_PORTS } from '../sandbox/workstation.ts';
import type { SandboxLimits } from '../sandbox/provider.ts';

export interface ProbeDeps {
  docker: Docker;
  runnerId: string;
  refs: SandboxRefs;
  images: { workstation: string };
  limits: SandboxLimits;
  /** OCI runtime of workstations ('' = the engine's default): the probe runs under it too. */
  runtime: string;
  reach(network: string): Promise<void>;
  leave(network: string): Promise<void>;
}

/** `localhost:<port>/<repo>(:<tag>|@<digest>)` of a session registry, or null. */
export function parseSessionRef(ref: string): { port: number; repo: string; reference: string } | null {
  const m = /^localhost:(\d{4})\/([a-z0-9]+(?:[._/-][a-z0-9]+)*)(?::([\w][\w.-]{0,127})|@(sha256:[a-f0-9]{64}))?$/.exec(ref);
  if (!m || !REGISTRY_PORTS.includes(Number(m[1]))) return null;
  return { port: Number(m[1]), repo: m[2]!, reference: m[4] ?? m[3] ?? 'latest' };
}

/** The image's own user when it names a non-root uid, otherwise nobody. */
export function probeUser(configured: string): string {
  return /^[1-9]\d*(:\d+)?$/.test(configured.trim()) ? configured.trim() : '65534:65534';
}

export async function probeImage(deps: ProbeDeps, ref: string, opts: { port: number; path: string; timeoutMs: number }): Promise<HttpProbeResult> {
  const { docker, runnerId, refs } = deps;
  const src = parseSessionRef(ref);
  if (!src) return { ok: false, error: msg('probe.not-session-image', { ref }) };
  const tag = `rl-probe/${runnerId.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${randomBytes(6).toString('hex')}:probe`;
  const network = objectName(refs.id, `probe-${randomBytes(4).toString('hex')}`);
  const holder = `${network}-ns`;
  const name = `${network}-c`;
  try {
    try {
      await loadImageFromRegistry(docker, { baseUrl: `http://${refs.registryIp}:${src.port}`, repo: src.repo, reference: src.reference, timeoutMs: 300_000 }, tag);
    } catch (err) {
      if (err instanceof ImageLoadError) return { ok: false, error: msg('probe.pull-failed', { ref, why: err.learnerMessage }) };
      throw err;
    }
    const image = await docker.getImage(tag).inspect();
    const user = image.Config?.User ?? '';
    await docker.createNetwork({ Name: network, Driver: 'bridge', Internal: true, Labels: labelsFor(runnerId, 'network', refs.id) });
    await deps.reach(network);
    const ip = await startClosedNetns(docker, {
      name: holder,
      network,
      role: 'probe-ns',
      sessionId: refs.id,
      runnerId,
      image: deps.images.workstation,
      logMaxSize: deps.limits.logMaxSize,
    });
    const c = await docker.createContainer({
      name,
      Image: tag,
      User: probeUser(user),
      Labels: labelsFor(runnerId, 'probe', refs.id),
      HostConfig: {
        NetworkMode: `container:${holder}`,
        ...(deps.runtime ? { Runtime: deps.runtime } : {}),
        Memory: 256 * 1024 * 1024,
        MemorySwap: 256 * 1024 * 1024,
        PidsLimit: 256,
        NanoCpus: 5e8,
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        ReadonlyRootfs: true,
        Tmpfs: { '/tmp': 'rw,noexec,nosuid,size=16m', '/run': 'rw,noexec,nosuid,size=1m' },
        LogConfig: logConfig(deps.limits),
      },
    });
    try {
      await c.start();
    } catch {
      return { ok: false, user, error: msg('probe.not-started') };
    }
    return await pollHttp(`http://${ip}:${opts.port}${opts.path}`, opts, {
      user,
      everyMs: 200,
      ended: async () => {
        const state = await c.inspect();
        if (state.State.Running) return undefined;
        const logs = (await c.logs({ stdout: true, stderr: true, tail: 10 })).toString('utf8');
        return containerEnded(state.State.ExitCode, logs, user);
      },
    });
  } finally {
    await removeContainer(docker, name);
    await removeContainer(docker, holder);
    await deps.leave(network);
    await ignoreMissing(docker.getNetwork(network).remove());
    await ignoreMissing(docker.getImage(tag).remove({ force: true }));
  }
}

import type Docker from 'dockerode';
import type { SandboxLimits } from './provider.ts';
import { execCapture } from './exec.ts';
import { labelsFor, objectName } from './labels.ts';
import type { Mirror } from './mirror.ts';

export interface SandboxImages {
  workstation: string;
  registry: string;
}

export interface SandboxRefs {
  id: string;
  network: string;
  workstation: string;
  registry: string;
  workstationIp: string;
}

const READY_TIMEOUT_MS = 60_000;

export function refsFor(id: string): Omit<SandboxRefs, 'workstationIp'> {
  return { id, network: objectName(id, 'net'), workstation: objectName(id, 'ws'), registry: objectName(id, 'registry') };
}

/**
 * Network, workstation (Docker-in-Docker without --privileged) and the session's registry,
 * which lives in the workstation's network namespace so it is `localhost:5000` there.
 */
export async function createSandbox(
  docker: Docker,
  runnerId: string,
  id: string,
  images: SandboxImages,
  limits: SandboxLimits,
  mirror: Mirror,
): Promise<SandboxRefs> {
  const refs = refsFor(id);
  const log = { Type: 'json-file', Config: { 'max-size': limits.logMaxSize, 'max-file': '1' } };
  await docker.createNetwork({ Name: refs.network, Driver: 'bridge', Labels: labelsFor(runnerId, 'network', id) });
  await mirror.attach(refs.network);
  for (const part of ['docker', 'registry']) {
    await docker.createVolume({ Name: objectName(id, part), Labels: labelsFor(runnerId, 'volume', id) });
  }
  const ws = await docker.createContainer({
    name: refs.workstation,
    Image: images.workstation,
    Hostname: 'lab',
    Env: ['MIRROR_URL=http://mirror:5000'],
    Labels: labelsFor(runnerId, 'workstation', id),
    HostConfig: {
      NetworkMode: refs.network,
      Init: true,
      // Docker-in-Docker without --privileged: this machine lacks CAP_SYS_RESOURCE.
      CapAdd: ['ALL'],
      CapDrop: ['SYS_RESOURCE'],
      SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
      MaskedPaths: [],
      ReadonlyPaths: [],
      Memory: limits.workstationMemoryBytes,
      MemorySwap: limits.workstationMemoryBytes,
      NanoCpus: limits.workstationNanoCpus,
      PidsLimit: limits.workstationPids,
      LogConfig: log,
      Mounts: [{ Type: 'volume', Source: objectName(id, 'docker'), Target: '/var/lib/docker' }],
      // Not in @types/dockerode yet; a private cgroup namespace lets the inner dockerd manage its cgroups.
      ...({ CgroupnsMode: 'private' } as object),
    },
  });
  await ws.start();
  const reg = await docker.createContainer({
    name: refs.registry,
    Image: images.registry,
    // Upstream registry:2 keeps delete off; the chapter teaches deleting and garbage collection.
    Env: ['REGISTRY_STORAGE_DELETE_ENABLED=true'],
    Labels: labelsFor(runnerId, 'registry', id),
    HostConfig: {
      NetworkMode: `container:${refs.workstation}`,
      Memory: limits.registryMemoryBytes,
      MemorySwap: limits.registryMemoryBytes,
      PidsLimit: limits.registryPids,
      LogConfig: log,
      Mounts: [{ Type: 'volume', Source: objectName(id, 'registry'), Target: '/var/lib/registry' }],
    },
  });
  await reg.start();
  await waitReady(ws);
  const info = await ws.inspect();
  const workstationIp = info.NetworkSettings.Networks[refs.network]?.IPAddress;
  if (!workstationIp) throw new Error(`sandbox ${id}: workstation has no address on ${refs.network}`);
  return { ...refs, workstationIp };
}

async function waitReady(ws: Docker.Container): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = '';
  while (Date.now() < deadline) {
    const r = await execCapture(ws, ['sh', '-c', 'test -e /run/sandbox-ready && curl -fsS -o /dev/null http://localhost:5000/v2/'], { timeoutMs: 5_000 });
    if (r.exitCode === 0) return;
    last = r.stderr.trim();
    const state = await ws.inspect();
    if (!state.State.Running) {
      const logs = await ws.logs({ stdout: true, stderr: true, tail: 30 });
      throw new Error(`workstation exited (${state.State.ExitCode}): ${logs.toString('utf8').slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`workstation not ready after ${READY_TIMEOUT_MS} ms${last ? `: ${last}` : ''}`);
}

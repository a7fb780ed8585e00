import { readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import type { SandboxLimits } from './provider.ts';
import { execCapture } from './exec.ts';
import { labelsFor, objectName } from './labels.ts';
import type { Mirror } from './mirror.ts';
import { applyEgress, resolveAllowlist, type EgressSettings } from './egress.ts';
import type { DiskQuota } from './quota.ts';

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

export interface SandboxSecurity {
  egress: EgressSettings;
  /** The host's own addresses, never reachable from a sandbox. */
  hostAddresses: string[];
  /** OCI runtime of the workstation ('' = the engine's default, runc). */
  runtime: string;
  /** Absent: no disk quota on this host (see quota.ts). */
  quota?: DiskQuota;
}

// Generous: a rootless engine on a busy host can take a minute; SESSION_START_TIMEOUT_MS bounds it all.
const READY_TIMEOUT_MS = 150_000;
const HOME = '/home/learner';
/** Loopback ports of the workstation the inner engine also sees as localhost (the session registries). */
export const FORWARDED_PORTS = [5000, 5001, 5002, 5005];

/**
 * Docker's default seccomp policy as Debian's containers-common ships it for rootless engines
 * (user namespaces, mount inside them), minus syslog, plus sethostname for inner containers.
 */
const SECCOMP = readFileSync(new URL('./seccomp/rootless-engine.json', import.meta.url), 'utf8');

export function refsFor(id: string): Omit<SandboxRefs, 'workstationIp'> {
  return { id, network: objectName(id, 'net'), workstation: objectName(id, 'ws'), registry: objectName(id, 'registry') };
}

export function logConfig(limits: SandboxLimits) {
  return { Type: 'json-file', Config: { 'max-size': limits.logMaxSize, 'max-file': '1' } };
}

/**
 * Network, workstation and the session's registry, which lives in the workstation's network
 * namespace so it is `localhost:5000` there. The workstation runs as the learner with Docker's
 * default capabilities; its engine is rootless (docs/security.md).
 */
export async function createSandbox(
  docker: Docker,
  runnerId: string,
  id: string,
  images: SandboxImages,
  limits: SandboxLimits,
  mirror: Mirror,
  security: SandboxSecurity,
): Promise<SandboxRefs> {
  const refs = refsFor(id);
  const log = logConfig(limits);
  // Not an internal network even for egress none: the inner engine's slirp4netns needs a default
  // route to start; the rules of egress.ts refuse everything that leaves.
  const net = await docker.createNetwork({
    Name: refs.network,
    Driver: 'bridge',
    Labels: labelsFor(runnerId, 'network', id),
  });
  await mirror.attach(refs.network);
  await docker.createVolume({ Name: objectName(id, 'registry'), Labels: labelsFor(runnerId, 'volume', id) });
  let storage: Docker.MountSettings;
  if (security.quota) {
    storage = { Type: 'volume', Source: await security.quota.create(docker, id), Target: HOME };
  } else {
    await docker.createVolume({ Name: objectName(id, 'docker'), Labels: labelsFor(runnerId, 'volume', id) });
    storage = { Type: 'volume', Source: objectName(id, 'docker'), Target: `${HOME}/.local/share/docker` };
  }
  const ws = await docker.createContainer({
    name: refs.workstation,
    Image: images.workstation,
    Hostname: 'lab',
    User: '1000:1000',
    Env: ['MIRROR_URL=http://mirror:5000', `FORWARD_PORTS=${FORWARDED_PORTS.join(' ')}`],
    Labels: labelsFor(runnerId, 'workstation', id),
    HostConfig: {
      NetworkMode: refs.network,
      Init: true,
      ...(security.runtime ? { Runtime: security.runtime } : {}),
      // Docker's default capabilities, held by nobody: the container runs as the learner.
      SecurityOpt: [`seccomp=${SECCOMP}`],
      // `systempaths=unconfined`: the inner engine mounts procfs for its containers, which the kernel
      // allows only where /proc is fully visible. Safe only because nobody is root in here.
      MaskedPaths: [],
      ReadonlyPaths: [],
      Devices: [{ PathOnHost: '/dev/net/tun', PathInContainer: '/dev/net/tun', CgroupPermissions: 'rwm' }],
      Memory: limits.workstationMemoryBytes,
      MemorySwap: limits.workstationMemoryBytes,
      NanoCpus: limits.workstationNanoCpus,
      PidsLimit: limits.workstationPids,
      LogConfig: log,
      Mounts: [storage],
    },
  });
  await ws.start();
  const mirrorIp = await mirror.addressOn(refs.network);
  const subnet = (await docker.getNetwork(net.id).inspect()).IPAM?.Config?.[0]?.Subnet;
  if (!subnet) throw new Error(`sandbox ${id}: network ${refs.network} has no subnet`);
  await applyEgress(docker, runnerId, id, refs.workstation, images.workstation, security.egress.policy, {
    mirrorIp,
    subnet,
    hostAddresses: security.hostAddresses,
    allow: security.egress.policy === 'allowlist' ? await resolveAllowlist(security.egress.allow) : [],
  }, limits.logMaxSize);
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
      SecurityOpt: ['no-new-privileges'],
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
    const r = await execCapture(ws, ['sh', '-c', 'test -e "$XDG_RUNTIME_DIR/sandbox-ready" && curl -fsS -o /dev/null http://localhost:5000/v2/'], { timeoutMs: 5_000 });
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

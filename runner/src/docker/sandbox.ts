/**
 * One session's sandbox on Docker: its network, workstation, registries' namespace, volumes,
 * egress rules and account files, created and described by SandboxRefs.
 */
import { readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import type { SandboxLimits } from '../sandbox/provider.ts';
import { labelsFor, objectName } from './labels.ts';
import { untilLogLine } from './log-lines.ts';
import type { Mirror } from './mirror.ts';
import { egressScript, resolveAllowlistEntries, type EgressSettings } from '../sandbox/egress.ts';
import type { DiskQuota } from './quota.ts';
import { TERMINAL_MOUNT, type TerminalSockets } from './terminal-socket.ts';
import { NO_IPV6, startRegistryNetns } from './registry-netns.ts';
import type { SessionUser } from '../sandbox/session-user.ts';
import { accountMounts, accountsSetup, allocateUser, UID_LABEL } from './session-user.ts';
import { LEARNER_HOME, LEARNER_PORTS, REGISTRY_PORTS } from '../sandbox/workstation.ts';

export interface SandboxImages {
  workstation: string;
  registry: string;
}

export interface SandboxRefs {
  id: string;
  network: string;
  workstation: string;
  registry: string;
  /** The network namespace the session registries and the grader live in (registry-netns.ts). */
  registryNetns: string;
  workstationIp: string;
  /** The registries' own address on the session network: no process of the learner's can take it. */
  registryIp: string;
  /** The learner's kernel uid (session-user.ts). */
  uid: number;
  /** The workstation has the runner's terminal socket mounted (terminal-socket.ts). */
  terminalSocket: boolean;
}

export interface SandboxSecurity {
  egress: EgressSettings;
  /** The host's own addresses, never reachable from a sandbox. */
  hostAddresses: string[];
  /** The host's DNS resolvers, reachable on port 53 under EGRESS=open only. */
  resolvers?: string[];
  /** OCI runtime of the workstation ('' = the engine's default, runc). */
  runtime: string;
  /** The inner engine's user-mode network (the image's entrypoint: ROOTLESS_NET). */
  network: 'pasta' | 'slirp4netns';
  /** Absent: no disk quota on this host (see quota.ts), and then no uid of its own per session either. */
  quota?: DiskQuota;
  /** Session uids being given out by this provider right now (session-user.ts). */
  reservedUids: Set<number>;
  /** Absent: the runner is not on the Docker host, and terminals use the engine's exec stream. */
  terminals?: TerminalSockets;
}

/**
 * CPU weight (cgroup cpu.shares) of a workstation while its engine starts, and once it is ready
 * (the engine's default): a learner waiting for a first shell goes before the builds of those who
 * have one (issue 19). It is weighed against all other containers together: at 4096 a start kept a
 * sixth of their CPU with twenty learners building, at 32768 over half. Nothing of the learner's
 * runs yet (a new home, no shell before ready); the workstation's CPU limit still bounds it.
 */
export const CPU_SHARES = { starting: 32768, ready: 1024 } as const;

// Generous: a rootless engine on a busy host can take a minute; SESSION_START_TIMEOUT_MS bounds it all.
const READY_TIMEOUT_MS = 150_000;
/**
 * Writable places of the workstation besides its home; its root file system is read-only. Memory
 * backed, so they count against the workstation's memory limit and never touch the host's disk.
 */
const tmpfsFor = (uid: number) => ({
  '/tmp': 'rw,nosuid,nodev,size=256m,mode=1777',
  '/var/tmp': 'rw,nosuid,nodev,size=64m,mode=1777',
  // The path keeps the image's name (its DOCKER_HOST points there); the owner is the session's uid.
  '/run/user/1000': `rw,nosuid,nodev,size=64m,uid=${uid},gid=${uid},mode=700`,
});

/**
 * The workstation's first moments, as root: the egress rules of its network namespace
 * (sandbox/egress.ts, handed over as data in $1), then for good the learner's uid under tini and the
 * image's entrypoint, holding no capability. The bounding set stays Docker's default but NET_ADMIN
 * (newuidmap's file capability needs SETUID in it). The rules took a helper container of their own
 * per start (create, start, wait, remove: about 0.5 s of CPU, issue 19), and are now in place
 * before the learner's engine starts; a workstation started again sets them again.
 */
function startCommand(uid: number, rules: string): string[] {
  const script = [
    'XTABLES_LOCKFILE=/tmp/.xtables.lock sh -ec "$1" || { echo "[sandbox] the egress rules could not be set" >&2; exit 1; }',
    'rm -f /tmp/.xtables.lock',
    `exec setpriv --reuid=${uid} --regid=${uid} --clear-groups --inh-caps=-all --bounding-set=-net_admin /usr/bin/tini -- /usr/local/sbin/sandbox-entrypoint`,
  ].join('\n');
  return ['sh', '-c', script, 'workstation-start', rules];
}

/**
 * Docker's default seccomp policy as Debian's containers-common ships it for rootless engines
 * (user namespaces, mount inside them), minus syslog, plus sethostname for inner containers.
 */
const SECCOMP = readFileSync(new URL('./seccomp/rootless-engine.json', import.meta.url), 'utf8');

export function refsFor(id: string): Omit<SandboxRefs, 'workstationIp' | 'registryIp' | 'uid' | 'terminalSocket'> {
  return { id, network: objectName(id, 'net'), workstation: objectName(id, 'ws'), registry: objectName(id, 'registry'), registryNetns: objectName(id, 'registry-ns') };
}

export function logConfig(limits: SandboxLimits) {
  return { Type: 'json-file', Config: { 'max-size': limits.logMaxSize, 'max-file': '1' } };
}

/**
 * Network, workstation and the session's registry, which lives in a network namespace of its
 * own (registry-netns.ts); `localhost:5000` in the workstation is forwarded to it. The
 * workstation runs as the learner with Docker's default capabilities; its engine is rootless
 * (docs/security.md).
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
  const user = await allocateUser(docker, security.reservedUids);
  try {
    return await createWith(docker, runnerId, refs, images, limits, mirror, security, user);
  } finally {
    security.reservedUids.delete(user.uid);
  }
}

async function createWith(
  docker: Docker,
  runnerId: string,
  refs: ReturnType<typeof refsFor>,
  images: SandboxImages,
  limits: SandboxLimits,
  mirror: Mirror,
  security: SandboxSecurity,
  user: SessionUser,
): Promise<SandboxRefs> {
  const { id } = refs;
  const log = logConfig(limits);
  const { uid } = user;
  const allow = security.egress.policy === 'allowlist' ? await resolveAllowlistEntries(security.egress.allow) : undefined;
  // Not an internal network even for egress none: the inner engine's slirp4netns needs a default
  // route to start; the rules of egress.ts refuse everything that leaves.
  const net = await docker.createNetwork({
    Name: refs.network,
    Driver: 'bridge',
    Labels: labelsFor(runnerId, 'network', id),
  });
  // Independent of each other: done at once (a cold start waits for the slowest, not the sum).
  const volume = async (part: 'home' | 'registry') => {
    if (security.quota) return security.quota.create(docker, id, part, `${uid}:${uid}`);
    // No quota on this host (quota.ts): plain volumes, so the read-only root still has a writable home.
    await docker.createVolume({ Name: objectName(id, part), Labels: labelsFor(runnerId, 'volume', id) });
    return objectName(id, part);
  };
  const homeMade = volume('home');
  const accountsVolume = objectName(id, 'accounts');
  // The registry holder writes the account files before it closes its namespace.
  const registryNetns = async () => {
    await docker.createVolume({ Name: accountsVolume, Labels: labelsFor(runnerId, 'volume', id) });
    // A quota file system is made with the learner as its owner; a plain volume is handed over.
    const chownHome = security.quota ? undefined : await homeMade;
    return startRegistryNetns(docker, runnerId, refs, images.workstation, limits, accountsSetup(user, { accounts: accountsVolume, chownHome }));
  };
  const [, registryIp, homeVolume, registryVolume] = await settleAll([
    mirror.attach(refs.network),
    registryNetns(),
    homeMade,
    volume('registry'),
    // The labs' scripts and state (/opt/registry-lab): a small memory-backed volume, so the runner
    // reads and writes it through the archive API while the root file system stays read-only.
    docker.createVolume({
      Name: objectName(id, 'opt'),
      Labels: labelsFor(runnerId, 'volume', id),
      DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: `size=32m,uid=${uid},gid=${uid},mode=755,nosuid,nodev` },
    }),
  ] as const);
  // A uid of its own: the image's /home/learner (uid 1000) is not copied in; the entrypoint makes what it needs.
  const home: Docker.MountSettings = { Type: 'volume', Source: homeVolume, Target: LEARNER_HOME, VolumeOptions: { NoCopy: true } as Docker.MountSettings['VolumeOptions'] };
  const accounts = await accountMounts(docker, accountsVolume);
  const registryData: Docker.MountSettings = { Type: 'volume', Source: registryVolume, Target: '/var/lib/registry' };
  const [mirrorIp, subnet] = await Promise.all([mirror.addressOn(refs.network), networkSubnet(docker, net.id, refs.network)]);
  const rules = egressScript(security.egress.policy, {
    mirrorIp,
    registryIp,
    registryPorts: REGISTRY_PORTS,
    subnet,
    hostAddresses: security.hostAddresses,
    allow: allow?.addresses ?? [],
    resolvers: security.resolvers,
  });
  const terminal: Docker.MountSettings[] = security.terminals ? [{ Type: 'bind', Source: await security.terminals.prepare(id), Target: TERMINAL_MOUNT, ReadOnly: true }] : [];
  const ws = await docker.createContainer({
    name: refs.workstation,
    Image: images.workstation,
    Hostname: 'lab',
    // Root only for the rules (startCommand); every exec names its user (the learner's uid).
    User: '0:0',
    Entrypoint: startCommand(uid, rules),
    Env: [
      `HOME=${LEARNER_HOME}`,
      'MIRROR_URL=http://mirror:5000',
      `REGISTRY_ADDR=${registryIp}`,
      `REGISTRY_PORTS=${REGISTRY_PORTS.join(' ')}`,
      `FORWARD_PORTS=${LEARNER_PORTS.join(' ')}`,
      `ROOTLESS_NET=${security.network}`,
    ],
    Labels: { ...labelsFor(runnerId, 'workstation', id), [UID_LABEL]: String(uid) },
    HostConfig: {
      NetworkMode: refs.network,
      ...(allow ? { ExtraHosts: allow.hosts } : {}),
      ...(security.runtime ? { Runtime: security.runtime } : {}),
      // Docker's default capabilities and NET_ADMIN for the rules, held by nobody once the learner's uid runs.
      CapAdd: ['NET_ADMIN'],
      SecurityOpt: [`seccomp=${SECCOMP}`],
      // `systempaths=unconfined`: the inner engine mounts procfs for its containers, which the kernel
      // allows only where /proc is fully visible. Safe only because nobody is root in here once the
      // rules are set (startCommand): no learner's process exists before.
      MaskedPaths: [],
      ReadonlyPaths: [],
      // Every byte the learner writes lands in the home quota or a bounded tmpfs (docs/security.md).
      ReadonlyRootfs: true,
      Tmpfs: tmpfsFor(uid),
      Sysctls: NO_IPV6,
      Devices: [{ PathOnHost: '/dev/net/tun', PathInContainer: '/dev/net/tun', CgroupPermissions: 'rwm' }],
      Memory: limits.workstationMemoryBytes,
      MemorySwap: limits.workstationMemoryBytes,
      NanoCpus: limits.workstationNanoCpus,
      CpuShares: CPU_SHARES.starting,
      PidsLimit: limits.workstationPids,
      LogConfig: log,
      Mounts: [home, { Type: 'volume', Source: objectName(id, 'opt'), Target: '/opt/registry-lab' }, ...accounts, ...terminal],
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
      NetworkMode: `container:${refs.registryNetns}`,
      Memory: limits.registryMemoryBytes,
      MemorySwap: limits.registryMemoryBytes,
      PidsLimit: limits.registryPids,
      SecurityOpt: ['no-new-privileges'],
      // A registry killed by a flood comes back; its port is in a namespace no learner can bind in.
      RestartPolicy: { Name: 'unless-stopped' },
      LogConfig: log,
      Mounts: [registryData],
    },
  });
  await reg.start();
  await waitReady(ws);
  await ws.update({ CpuShares: CPU_SHARES.ready });
  const info = await ws.inspect();
  const workstationIp = info.NetworkSettings.Networks[refs.network]?.IPAddress;
  if (!workstationIp) throw new Error(`sandbox ${id}: workstation has no address on ${refs.network}`);
  return { ...refs, workstationIp, registryIp, uid, terminalSocket: terminal.length > 0 };
}

async function networkSubnet(docker: Docker, id: string, name: string): Promise<string> {
  const subnet = (await docker.getNetwork(id).inspect()).IPAM?.Config?.[0]?.Subnet;
  if (!subnet) throw new Error(`network ${name} has no subnet`);
  return subnet;
}

/** Like Promise.all, but rejects only once every promise has settled (nothing is still being made when the caller cleans up). */
async function settleAll<T extends readonly unknown[]>(ps: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const results = await Promise.allSettled(ps as readonly Promise<unknown>[]);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/** The line the entrypoint writes once its engine answers and localhost:5000 is forwarded. */
const READY_LINE = '[sandbox] ready';

/**
 * Waits for the entrypoint's ready line on the container's log: the entrypoint writes it once its
 * engine answers and the session registry answers on localhost:5000 (READY_CHECK holds then).
 * An exec per try, every 100 ms, cost a runc exec each: most of a cold start's CPU outside the
 * containers (issue 19).
 */
async function waitReady(ws: Docker.Container): Promise<void> {
  if (await untilLogLine(ws, READY_LINE, Date.now() + READY_TIMEOUT_MS)) return;
  const state = await ws.inspect();
  if (state.State.Running) throw new Error(`workstation not ready after ${READY_TIMEOUT_MS} ms`);
  const logs = await ws.logs({ stdout: true, stderr: true, tail: 30 });
  throw new Error(`workstation exited (${state.State.ExitCode}): ${logs.toString('utf8').slice(-2000)}`);
}

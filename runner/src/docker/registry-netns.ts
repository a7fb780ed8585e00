/**
 * Network namespaces a learner cannot speak from or squat in. A tiny holder container closes its
 * own OUTPUT (loopback and answers to connections made to it pass, nothing else leaves), drops
 * every capability, and sleeps; others join it with `NetworkMode: container:<holder>`.
 *
 * - The session registries and the grader live in one (`rl-<id>-registry-ns`): the runner talks to
 *   them at an address no process of the learner's can bind, and `localhost:5000..5001` in the
 *   workstation is only a forwarder to it (images/workstation/entrypoint.sh).
 * - A probe of a learner's image runs in one (ops.ts): it can answer the runner's poll and
 *   reach nothing, not the host, the mirror or another session.
 */
import type Docker from 'dockerode';
import { removeContainer } from './client.ts';
import { untilLogLine } from './log-lines.ts';
import { labelsFor, type Role } from './labels.ts';
import type { SandboxLimits } from '../sandbox/provider.ts';

/** IPv6 off in a namespace the sandbox owns: Docker refuses to start the container if it cannot set it. */
export const NO_IPV6 = { 'net.ipv6.conf.all.disable_ipv6': '1', 'net.ipv6.conf.default.disable_ipv6': '1' };

/** The holder's line once its rules are in place, just before it drops every capability and sleeps. */
const CLOSED_LINE = '[holder] closed';
/** How long a holder may take to close its namespace. */
const CLOSE_TIMEOUT_MS = 20_000;

/** The holder's script: `setup` first (as root), then the rules. */
const holderScript = (setup?: string) =>
  [
    'set -e',
    ...(setup ? [setup] : []),
    'iptables -A OUTPUT -o lo -j ACCEPT',
    'iptables -A OUTPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT',
    'iptables -P OUTPUT DROP',
    'iptables -P FORWARD DROP',
    `echo '${CLOSED_LINE}'`,
    // From here on nobody in this namespace holds a capability, the holder included.
    'exec setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all sleep infinity',
  ].join('\n');

/**
 * Work done as root before the holder closes its namespace, so that it needs no container of its
 * own (a helper's create, start, wait and removal per start: issue 19). Its script gets `env`,
 * its `mounts` and the capabilities in `capAdd` besides the holder's; all are dropped before the sleep.
 * It runs again whenever the engine restarts the holder, so it must leave what it made alone then.
 */
export interface HolderSetup {
  script: string;
  env: string[];
  mounts: Docker.MountSettings[];
  capAdd: string[];
}

export interface HolderSpec {
  name: string;
  network: string;
  role: Role;
  sessionId: string;
  runnerId: string;
  /** An image with iptables and setpriv (the workstation's). */
  image: string;
  logMaxSize: string;
  /** Restarted by the engine if it ever stops (the registries' namespace outlives a runner). */
  restart?: boolean;
  setup?: HolderSetup;
}

/** Starts the holder and waits until its rules are in place; returns its address on `network`. */
export async function startClosedNetns(docker: Docker, spec: HolderSpec): Promise<string> {
  await removeContainer(docker, spec.name);
  const c = await docker.createContainer({
    name: spec.name,
    Image: spec.image,
    User: '0:0',
    Entrypoint: ['sh', '-c', holderScript(spec.setup?.script)],
    Env: spec.setup?.env ?? [],
    Labels: labelsFor(spec.runnerId, spec.role, spec.sessionId),
    HostConfig: {
      NetworkMode: spec.network,
      // No init: it would stay root with these capabilities; `sleep` is pid 1 and holds none.
      CapDrop: ['ALL'],
      CapAdd: ['NET_ADMIN', 'NET_RAW', 'SETUID', 'SETGID', 'SETPCAP', ...(spec.setup?.capAdd ?? [])],
      ReadonlyRootfs: true,
      Tmpfs: { '/run': 'rw,nosuid,nodev,noexec,size=1m' }, // iptables' lock file
      ...(spec.setup ? { Mounts: spec.setup.mounts } : {}),
      Sysctls: NO_IPV6,
      Memory: 32 * 1024 * 1024,
      PidsLimit: 16,
      ...(spec.restart ? { RestartPolicy: { Name: 'unless-stopped' } } : {}),
      LogConfig: { Type: 'json-file', Config: { 'max-size': spec.logMaxSize, 'max-file': '1' } },
    },
  });
  // A fresh container's output is all of this start: its line says the rules are in place. Asking
  // the engine (inspect and top, every 50 ms) cost a `ps` on the host each time: under a room's
  // load that was a second of polling per start (issue 19).
  await c.start();
  const closed = await untilLogLine(c, CLOSED_LINE, Date.now() + CLOSE_TIMEOUT_MS);
  const info = await c.inspect();
  const ip = info.NetworkSettings.Networks[spec.network]?.IPAddress;
  if (closed && info.State.Running && ip) return ip;
  throw info.State.Running ? notClosed(spec.name) : await holderEnded(c, spec.name, info.State.ExitCode);
}

const notClosed = (name: string) => new Error(`${name} did not close its network namespace within ${CLOSE_TIMEOUT_MS / 1000} s`);

/** A holder that ended before closing its namespace, with the end of its log. */
async function holderEnded(c: Docker.Container, name: string, exitCode: number): Promise<Error> {
  const logs = (await c.logs({ stdout: true, stderr: true, tail: 20 })).toString('utf8');
  return new Error(`${name} could not close its network namespace (exit ${exitCode}): ${logs.slice(-500)}`);
}

/**
 * A holder restarted by the engine or by adoptSandbox: its address once `sleep` runs as nobody
 * (the rules are in place then); throws with its log if it ended. (Its log holds earlier starts'
 * lines, so it is asked rather than followed.)
 */
export async function holderReady(c: Docker.Container, spec: Pick<HolderSpec, 'name' | 'network'>): Promise<string> {
  const deadline = Date.now() + CLOSE_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const info = await c.inspect();
    if (!info.State.Running) throw await holderEnded(c, spec.name, info.State.ExitCode);
    const top = (await c.top({ ps_args: '-o pid,user,comm' }).catch(() => null)) as { Processes?: string[][] } | null;
    const sleeping = top?.Processes?.some((p) => p[2] === 'sleep' && p[1] !== 'root' && p[1] !== '0');
    const ip = info.NetworkSettings.Networks[spec.network]?.IPAddress;
    if (sleeping && ip) return ip;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw notClosed(spec.name);
}

/** The registries' namespace of a session (restarted by the engine if it stops). */
export function startRegistryNetns(
  docker: Docker,
  runnerId: string,
  refs: { id: string; network: string; registryNetns: string },
  image: string,
  limits: SandboxLimits,
  setup?: HolderSetup,
): Promise<string> {
  return startClosedNetns(docker, {
    setup,
    name: refs.registryNetns,
    network: refs.network,
    role: 'registry-ns',
    sessionId: refs.id,
    runnerId,
    image,
    logMaxSize: limits.logMaxSize,
    restart: true,
  });
}

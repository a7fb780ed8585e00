/**
 * The root-equivalent workstation of `npm run bench` (issue 19, for the comparison only, never
 * for learners): the same workstation image, but its Docker engine runs as root inside the
 * container, as the Docker-in-Docker design before the rootless one (904fc13^) did. `--privileged`
 * fails on this host (its bounding set lacks CAP_SYS_RESOURCE, so runc cannot apply all caps), so
 * it gets every capability but that one, seccomp and AppArmor unconfined, no masked paths, a
 * private cgroup namespace with the cgroup v1 hierarchies remounted read-write, and a volume for
 * /var/lib/docker (native overlay2, no user namespace, no user-mode network).
 *
 * What is kept equal to a learner's sandbox, so the ratio measures the boundary and nothing else:
 * the image and its engine version, the network (it joins the rootless sandbox's own network,
 * where the runner's mirror answers as `mirror:5000`, and MIRROR_URL is the same), the memory,
 * CPU and pids limits (copied from that sandbox's workstation), nice 10 for the engine, a 256 MiB
 * tmpfs /tmp, and a registry:2 of the same image, reachable as localhost:5000 (it shares the
 * workstation's network namespace, as in the DinD design; the rootless sandbox reaches its own
 * through forwarders). Objects are named rl-bench-root-* and carry no runner label: no runner
 * reaps or adopts them, and `stop()` removes them all.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}
export type Exec = (script: string, opts: { timeoutMs: number }) => Promise<ExecResult>;

export interface RootWorkstation {
  name: string;
  /** Container start -> engine answering and localhost:5000 answering (ms). */
  startMs: number;
  exec: Exec;
  /** The inner engine's storage driver (for the report). */
  storageDriver: string;
  stop(): Promise<void>;
}

/** The engine as root, as the DinD entrypoint did; waits for nothing (the bench polls). */
const ENTRYPOINT = String.raw`
set -u
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  mount -o remount,rw /sys/fs/cgroup 2>/dev/null || true
  mkdir -p /sys/fs/cgroup/init
  xargs -rn1 < /sys/fs/cgroup/cgroup.procs > /sys/fs/cgroup/init/cgroup.procs 2>/dev/null || true
  sed -e 's/ / +/g' -e 's/^/+/' < /sys/fs/cgroup/cgroup.controllers > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
else
  mount -o remount,rw /sys/fs/cgroup 2>/dev/null || true
  while read -r _ mnt fstype opts _; do
    [ "$fstype" = cgroup ] || continue
    case ",$opts," in *,ro,*) ;; *) continue ;; esac
    sub=$(tr ',' '\n' <<<"$opts" | grep -vxE 'ro|rw|nosuid|nodev|noexec|relatime' | paste -sd, -)
    umount "$mnt" && mount -t cgroup -o "rw,nosuid,nodev,noexec,relatime,$sub" cgroup "$mnt" || echo "could not remount $mnt" >&2
  done < <(cat /proc/self/mounts)
fi
mkdir -p /etc/docker
host=$(printf %s "$MIRROR_URL" | sed -e 's|^[a-z]*://||' -e 's|/.*||')
cat > /etc/docker/daemon.json <<JSON
{ "registry-mirrors": ["$MIRROR_URL"], "insecure-registries": ["$host"], "features": { "buildkit": true },
  "log-driver": "json-file", "log-opts": { "max-size": "5m", "max-file": "2" } }
JSON
unset XDG_RUNTIME_DIR
exec nice -n 10 dockerd -H unix:///run/user/1000/docker.sock >/var/log/dockerd.log 2>&1
`;

function dockerCli(args: string[], timeoutMs: number): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile('docker', args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 124) : 0;
      resolve({ exitCode: code, stdout: String(stdout), stderr: String(stderr) + (err && code === 124 ? `\n${err.message}` : '') });
    });
  });
}

/**
 * Starts the root-equivalent workstation beside the rootless sandbox whose workstation container
 * is `beside` (its network, mirror address and limits are copied). Throws if it does not answer
 * within `timeoutMs`, after removing what it made.
 */
export async function startRootWorkstation(docker: Docker, beside: string, images: { registry: string }, timeoutMs = 180_000): Promise<RootWorkstation> {
  const peer = await docker.getContainer(beside).inspect();
  const network = Object.keys(peer.NetworkSettings.Networks)[0];
  if (!network) throw new Error(`root workstation: ${beside} has no network`);
  const mirrorUrl = (peer.Config.Env ?? []).find((e) => e.startsWith('MIRROR_URL='))?.slice('MIRROR_URL='.length) ?? 'http://mirror:5000';
  const hc = peer.HostConfig;
  // The sandbox's registry (same session label), for its memory limit.
  const session = peer.Config.Labels?.['registry-lab.session'];
  const [peerRegistry] = session ? await docker.listContainers({ filters: { label: [`registry-lab.session=${session}`, 'registry-lab.role=registry'] } }) : [];
  const registryMemory = peerRegistry ? (await docker.getContainer(peerRegistry.Id).inspect()).HostConfig.Memory : undefined;
  const name = `rl-bench-root-${randomBytes(4).toString('hex')}`;
  const made = { containers: [] as string[], volumes: [] as string[] };
  const stop = async () => {
    for (const c of made.containers.reverse()) await docker.getContainer(c).remove({ force: true, v: true }).catch(() => {});
    for (const v of made.volumes) await docker.getVolume(v).remove().catch(() => {});
  };
  try {
    for (const part of ['docker', 'registry']) {
      await docker.createVolume({ Name: `${name}-${part}` });
      made.volumes.push(`${name}-${part}`);
    }
    const t0 = performance.now();
    const ws = await docker.createContainer({
      name,
      Image: peer.Config.Image,
      Hostname: 'lab',
      User: '0:0',
      Entrypoint: ['/bin/bash', '-c', ENTRYPOINT],
      Cmd: [],
      Env: [`MIRROR_URL=${mirrorUrl}`],
      HostConfig: {
        NetworkMode: network,
        Init: true,
        CapAdd: ['ALL'],
        CapDrop: ['SYS_RESOURCE'],
        SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
        MaskedPaths: [],
        ReadonlyPaths: [],
        Tmpfs: { '/tmp': 'rw,nosuid,nodev,size=256m,mode=1777' },
        Memory: hc.Memory,
        MemorySwap: hc.MemorySwap,
        NanoCpus: hc.NanoCpus,
        PidsLimit: hc.PidsLimit,
        Mounts: [{ Type: 'volume', Source: `${name}-docker`, Target: '/var/lib/docker' }],
        ...({ CgroupnsMode: 'private' } as object),
      },
    });
    made.containers.push(name);
    await ws.start();
    const reg = await docker.createContainer({
      name: `${name}-registry`,
      Image: images.registry,
      Env: ['REGISTRY_STORAGE_DELETE_ENABLED=true'],
      HostConfig: {
        NetworkMode: `container:${name}`,
        Memory: registryMemory || 256 * 1024 * 1024,
        SecurityOpt: ['no-new-privileges'],
        Mounts: [{ Type: 'volume', Source: `${name}-registry`, Target: '/var/lib/registry' }],
      },
    });
    made.containers.push(`${name}-registry`);
    await reg.start();
    const exec: Exec = (script, opts) => dockerCli(['exec', '-u', '0', name, 'bash', '-c', script], opts.timeoutMs);
    const deadline = Date.now() + timeoutMs;
    let last: ExecResult | undefined;
    for (;;) {
      // `docker info` exits 0 with empty server fields while the engine is not up yet: the driver must be there.
      last = await exec('d=$(docker info --format "{{.Driver}}" 2>/dev/null) && [ -n "$d" ] && curl -fsS -o /dev/null http://localhost:5000/v2/ && echo "$d"', { timeoutMs: 10_000 });
      if (last.exitCode === 0) break;
      const state = await ws.inspect();
      if (!state.State.Running || Date.now() > deadline) {
        const log = await exec('tail -20 /var/log/dockerd.log', { timeoutMs: 10_000 }).catch(() => undefined);
        throw new Error(`root workstation did not start: ${(last.stderr + (log?.stdout ?? '')).slice(-1500)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    return { name, startMs: Math.round(performance.now() - t0), exec, storageDriver: last.stdout.trim(), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

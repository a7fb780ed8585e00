import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import type { ExecOptions, ExecResult, FileToCopy, HttpProbeResult, SandboxOps } from './contract.ts';
import { containerEnded, pollHttp } from '../core/http-poll.ts';
import { firstFileOf, tarOf, withFirstFile } from './archive.ts';
import { ignoreMissing, isNotFound, removeContainer } from './client.ts';
import { execCapture, shellCommand } from './exec.ts';
import { labelsFor, objectName } from './labels.ts';
import { logConfig, type SandboxRefs } from './sandbox.ts';
import type { SandboxLimits } from './provider.ts';

const HOME = '/home/learner';
const LEARNER_UID = 1000;
const LEARNER = '1000:1000';

export interface OpsDeps {
  docker: Docker;
  runnerId: string;
  refs: SandboxRefs;
  images: { workstation: string; registry: string };
  limits: SandboxLimits;
  /** Makes a network reachable from the runner (a no-op unless the runner itself runs in a container). */
  reach(network: string): Promise<void>;
  /** Undoes reach (a network with the runner still attached cannot be removed). */
  leave(network: string): Promise<void>;
}

/** SandboxOps (./contract.ts) for one sandbox. */
export function sandboxOps(deps: OpsDeps): SandboxOps {
  const { docker, runnerId, refs } = deps;
  const ws = docker.getContainer(refs.workstation);
  const graderName = objectName(refs.id, 'grader');
  let graderReady: Promise<Docker.Container> | undefined;

  const grader = (): Promise<Docker.Container> => {
    if (graderReady) return graderReady;
    graderReady = (async () => {
      const existing = docker.getContainer(graderName);
      const info = await ignoreMissing(existing.inspect());
      if (info?.State.Running) return existing;
      if (info) await removeContainer(docker, graderName);
      // The grader's tools come from the image, out of the learner's reach; it shares the
      // workstation's network namespace so `localhost:5000` is the session's registry.
      const c = await docker.createContainer({
        name: graderName,
        Image: deps.images.workstation,
        Entrypoint: ['sleep', 'infinity'],
        User: 'root',
        WorkingDir: '/root',
        // Not the learner's runtime directory (the image's default), which root without capabilities cannot read.
        Env: ['XDG_RUNTIME_DIR=/tmp', 'HOME=/root'],
        Labels: labelsFor(runnerId, 'grader', refs.id),
        HostConfig: {
          NetworkMode: `container:${refs.workstation}`,
          Init: true,
          Memory: 512 * 1024 * 1024,
          PidsLimit: 512,
          CapDrop: ['ALL'],
          SecurityOpt: ['no-new-privileges'],
          Tmpfs: { '/var/lib/docker': 'size=16m' },
          LogConfig: logConfig(deps.limits),
        },
      });
      await c.start();
      return c;
    })().catch((err) => {
      graderReady = undefined;
      throw err;
    });
    return graderReady;
  };

  // There is no root in the workstation (docs/security.md): a command asked for as root runs as
  // the learner, whose rootless engine is the only Docker there. A root exec would be root in the
  // host's user namespace next to the learner's files.
  const exec = (cmd: string | string[], opts: ExecOptions = {}): Promise<ExecResult> =>
    execCapture(ws, shellCommand(cmd), {
      user: LEARNER,
      cwd: opts.cwd ?? HOME,
      env: { HOME, USER: 'learner', ...opts.env },
      stdin: opts.stdin,
      timeoutMs: opts.timeoutMs,
    });

  const putFiles = async (container: Docker.Container, destDir: string, files: FileToCopy[], uid: number) => {
    await container.putArchive(tarOf(files, uid, uid), { path: destDir });
  };

  return {
    sessionId: refs.id,
    home: HOME,
    exec,

    async graderExec(cmd, opts = {}) {
      const g = await grader();
      let cwd = '/root';
      if (opts.files?.length) {
        cwd = `/work/${randomBytes(6).toString('hex')}`;
        await execCapture(g, ['mkdir', '-p', cwd], { timeoutMs: 5_000 });
        await putFiles(g, cwd, opts.files, 0);
      }
      try {
        return await execCapture(g, shellCommand(cmd), { user: 'root', cwd, env: opts.env, stdin: opts.stdin, timeoutMs: opts.timeoutMs });
      } finally {
        if (cwd !== '/root') await execCapture(g, ['rm', '-rf', cwd], { timeoutMs: 5_000 }).catch(() => undefined);
      }
    },

    async readFile(path, maxBytes = 64 * 1024 * 1024) {
      try {
        const tar = await ws.getArchive({ path });
        return await firstFileOf(tar, maxBytes);
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },

    async copyIn(destDir, files) {
      // As the learner, and only where the path is what it says (no symlink of the learner's
      // redirects the runner's write elsewhere in the workstation).
      const r = await execCapture(ws, ['sh', '-c', 'install -d -- "$1" && test "$(realpath -e -- "$1")" = "$1"', 'copy-in', destDir], { user: LEARNER, timeoutMs: 10_000 });
      if (r.exitCode !== 0) throw new Error(`cannot create ${destDir}: ${r.stderr.trim() || 'it leads elsewhere (symlink)'}`);
      await putFiles(ws, destDir, files, LEARNER_UID);
    },

    registryUrl(port = 5000) {
      return `http://${refs.workstationIp}:${port}`;
    },

    async startRegistry({ port, htpasswd }) {
      const name = objectName(refs.id, `registry-${port}`);
      const volume = objectName(refs.id, `registry-${port}`);
      await removeContainer(docker, name);
      await ignoreMissing(docker.getVolume(volume).remove({ force: true }));
      await docker.createVolume({ Name: volume, Labels: labelsFor(runnerId, 'volume', refs.id) });
      const env = [`REGISTRY_HTTP_ADDR=:${port}`, 'REGISTRY_STORAGE_DELETE_ENABLED=true'];
      if (htpasswd) {
        env.push('REGISTRY_AUTH=htpasswd', 'REGISTRY_AUTH_HTPASSWD_REALM=Registry Lab', 'REGISTRY_AUTH_HTPASSWD_PATH=/auth/htpasswd');
      }
      const c = await docker.createContainer({
        name,
        Image: deps.images.registry,
        Env: env,
        Labels: labelsFor(runnerId, 'extra-registry', refs.id),
        HostConfig: {
          NetworkMode: `container:${refs.workstation}`,
          Memory: deps.limits.registryMemoryBytes,
          MemorySwap: deps.limits.registryMemoryBytes,
          PidsLimit: deps.limits.registryPids,
          Mounts: [{ Type: 'volume', Source: volume, Target: '/var/lib/registry' }],
          LogConfig: logConfig(deps.limits),
        },
      });
      if (htpasswd) await c.putArchive(tarOf([{ path: 'auth/htpasswd', content: `${htpasswd.trim()}\n` }], 0, 0), { path: '/' });
      await c.start();
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const r = await execCapture(ws, ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', `http://localhost:${port}/v2/`], { timeoutMs: 3_000 });
        if (r.stdout === '200' || r.stdout === '401') return;
        await new Promise((res) => setTimeout(res, 100));
      }
      throw new Error(`registry on localhost:${port} did not start`);
    },

    probeImage(ref, opts) {
      return probeImage({ ...deps, grader }, ref, opts);
    },
  };
}

interface ProbeDeps extends OpsDeps {
  grader(): Promise<Docker.Container>;
}

/**
 * Copies an image out of the session's registry (skopeo in the grader), loads it into the
 * runner's engine, runs it on a network of its own and probes it over HTTP. Removes all of it.
 */
async function probeImage(deps: ProbeDeps, ref: string, opts: { port: number; path: string; timeoutMs: number }): Promise<HttpProbeResult> {
  const { docker, runnerId, refs } = deps;
  const tag = `rl-probe/${runnerId.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${randomBytes(6).toString('hex')}:probe`;
  const network = objectName(refs.id, `probe-${randomBytes(4).toString('hex')}`);
  const name = `${network}-c`;
  const g = await deps.grader();
  try {
    const copy = await execCapture(
      g,
      ['skopeo', 'copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `docker-archive:/tmp/probe.tar:${tag}`],
      { timeoutMs: 120_000 },
    );
    if (copy.exitCode !== 0) return { ok: false, error: `образ ${ref} не удалось получить из реестра: ${lastLine(copy.stderr)}` };
    const archive = await g.getArchive({ path: '/tmp/probe.tar' });
    await loadFromOuterTar(docker, archive);
    const image = await docker.getImage(tag).inspect();
    const user = image.Config?.User ?? '';
    await docker.createNetwork({ Name: network, Driver: 'bridge', Internal: true, Labels: labelsFor(runnerId, 'network', refs.id) });
    await deps.reach(network);
    const c = await docker.createContainer({
      name,
      Image: tag,
      Labels: labelsFor(runnerId, 'probe', refs.id),
      HostConfig: {
        NetworkMode: network,
        // A learner's image: nothing it could use against the host engine.
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
    } catch (err) {
      return { ok: false, user, error: `контейнер не запустился: ${(err as Error).message}` };
    }
    const info = await c.inspect();
    const ip = info.NetworkSettings.Networks[network]?.IPAddress;
    const url = `http://${ip}:${opts.port}${opts.path}`;
    return await pollHttp(url, opts, {
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
    await deps.leave(network);
    await ignoreMissing(docker.getNetwork(network).remove());
    await ignoreMissing(docker.getImage(tag).remove({ force: true }));
    await execCapture(g, ['rm', '-f', '/tmp/probe.tar'], { timeoutMs: 5_000 }).catch(() => undefined);
  }
}

/** getArchive wraps the file in a tar of its own: unwrap it and stream the inner archive to `docker load`. */
async function loadFromOuterTar(docker: Docker, outer: NodeJS.ReadableStream): Promise<void> {
  const loaded = await withFirstFile(
    outer,
    (archive) =>
      new Promise<true>((resolve, reject) => {
        docker.loadImage(archive, { quiet: true }, (err: Error | null, res?: NodeJS.ReadableStream) => {
          if (err || !res) return reject(err ?? new Error('docker load gave no answer'));
          res.resume();
          res.on('end', () => resolve(true));
          res.on('error', reject);
        });
      }),
  );
  if (!loaded) throw new Error('empty image archive');
}

function lastLine(s: string): string {
  return s.trim().split('\n').pop()?.slice(0, 300) ?? '';
}

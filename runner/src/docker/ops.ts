/**
 * SandboxOps on Docker: the learner's commands, the grader container, files in and out, extra
 * registries and image probes of one session.
 */
import type Docker from 'dockerode';
import type { ExecOptions, ExecResult, SandboxOps } from '../../../checks/sandbox.ts';
import { firstFileOf, tarOf } from '../sandbox/tar.ts';
import { copyInto, inWorkFolder, type RunIn } from '../sandbox/copy.ts';
import { probeImage } from './probe.ts';
import { untilRegistryAnswers } from '../sandbox/http-poll.ts';
import { ignoreMissing, isNotFound, removeContainer } from './client.ts';
import { execCapture } from './exec.ts';
import { shellCommand } from '../sandbox/shell.ts';
import { LEARNER_ENV, LEARNER_HOME } from '../sandbox/workstation.ts';
import { labelsFor, objectName } from './labels.ts';
import { logConfig, type SandboxRefs } from './sandbox.ts';
import type { SandboxLimits } from '../sandbox/provider.ts';

/** The grader runs as nobody: root in there would be root next to data a learner wrote. */
const GRADER_UID = 65534;
const GRADER = `${GRADER_UID}:${GRADER_UID}`;

export interface OpsDeps {
  docker: Docker;
  runnerId: string;
  refs: SandboxRefs;
  images: { workstation: string; registry: string };
  limits: SandboxLimits;
  /** OCI runtime of workstations ('' = the engine's default): probes of learners' images use it too. */
  runtime: string;
  /** Makes a network reachable from the runner (a no-op unless the runner itself runs in a container). */
  reach(network: string): Promise<void>;
  /** Undoes reach (a network with the runner still attached cannot be removed). */
  leave(network: string): Promise<void>;
}

/** SandboxOps (checks/sandbox.ts) for one sandbox. */
export function sandboxOps(deps: OpsDeps): SandboxOps {
  const { docker, runnerId, refs } = deps;
  const ws = docker.getContainer(refs.workstation);
  // The session's own uid (session-user.ts), as `uid:gid`.
  const LEARNER = `${refs.uid}:${refs.uid}`;
  const graderName = objectName(refs.id, 'grader');
  let graderReady: Promise<Docker.Container> | undefined;

  const grader = (): Promise<Docker.Container> => {
    if (graderReady) return graderReady;
    graderReady = (async () => {
      const existing = docker.getContainer(graderName);
      const info = await ignoreMissing(existing.inspect());
      if (info?.State.Running) return existing;
      if (info) await removeContainer(docker, graderName);
      // The grader's tools come from the image, out of the learner's reach. It lives in the
      // registries' namespace (registry-netns.ts), so `localhost:5000` there is the session's real
      // registry whatever the learner runs in the workstation; nobody, read-only, no capability.
      const c = await docker.createContainer({
        name: graderName,
        Image: deps.images.workstation,
        Entrypoint: ['sleep', 'infinity'],
        User: GRADER,
        WorkingDir: '/tmp',
        Env: ['XDG_RUNTIME_DIR=/tmp', 'HOME=/tmp'],
        Labels: labelsFor(runnerId, 'grader', refs.id),
        HostConfig: {
          NetworkMode: `container:${refs.registryNetns}`,
          Init: true,
          Memory: 512 * 1024 * 1024,
          PidsLimit: 512,
          CapDrop: ['ALL'],
          SecurityOpt: ['no-new-privileges'],
          ReadonlyRootfs: true,
          Tmpfs: { '/tmp': 'rw,nosuid,nodev,size=64m,mode=1777' },
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
      cwd: opts.cwd ?? LEARNER_HOME,
      env: { ...LEARNER_ENV, ...opts.env },
      stdin: opts.stdin,
      timeoutMs: opts.timeoutMs,
    });

  // A command in a container as the given user (sandbox/copy.ts builds copyIn and graderExec on it).
  const runIn =
    (container: Docker.Container, user: string): RunIn =>
    (cmd, opts = {}) =>
      execCapture(container, cmd, { user, ...opts });

  return {
    sessionId: refs.id,
    home: LEARNER_HOME,
    exec,

    async graderExec(cmd, opts = {}) {
      return inWorkFolder(runIn(await grader(), GRADER), cmd, opts, GRADER_UID);
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

    copyIn(destDir, files) {
      return copyInto(runIn(ws, LEARNER), destDir, files, refs.uid);
    },

    registryUrl(port = 5000) {
      return `http://${refs.registryIp}:${port}`;
    },

    async startRegistry({ port, htpasswd }) {
      const name = objectName(refs.id, `registry-${port}`);
      await removeContainer(docker, name);
      // On the registries' own data volume (inside the quota), in a folder emptied at every start.
      const dir = `/var/lib/registry/extra/${port}`;
      const env = [`REGISTRY_HTTP_ADDR=:${port}`, 'REGISTRY_STORAGE_DELETE_ENABLED=true', `REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY=${dir}`];
      if (htpasswd) {
        env.push('REGISTRY_AUTH=htpasswd', 'REGISTRY_AUTH_HTPASSWD_REALM=Registry Lab', 'REGISTRY_AUTH_HTPASSWD_PATH=/auth/htpasswd');
      }
      const c = await docker.createContainer({
        name,
        Image: deps.images.registry,
        Env: env,
        Entrypoint: ['sh', '-c', 'rm -rf -- "$REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY" && exec /entrypoint.sh /etc/docker/registry/config.yml'],
        Labels: labelsFor(runnerId, 'extra-registry', refs.id),
        HostConfig: {
          NetworkMode: `container:${refs.registryNetns}`,
          Memory: deps.limits.registryMemoryBytes,
          MemorySwap: deps.limits.registryMemoryBytes,
          PidsLimit: deps.limits.registryPids,
          SecurityOpt: ['no-new-privileges'],
          // Restarted after a flood kills it: the learner loses a moment, never the port.
          RestartPolicy: { Name: 'unless-stopped' },
          // The session registry's data volume (sandbox.ts names it so, with a quota or without).
          Mounts: [{ Type: 'volume', Source: objectName(refs.id, 'registry'), Target: '/var/lib/registry' }],
          LogConfig: logConfig(deps.limits),
        },
      });
      if (htpasswd) await c.putArchive(tarOf([{ path: 'auth/htpasswd', content: `${htpasswd.trim()}\n` }], 0, 0), { path: '/' });
      await c.start();
      // Asked by the runner at the registry's own address: a learner's server cannot answer for it.
      if (!(await untilRegistryAnswers(`http://${refs.registryIp}:${port}/v2/`, 10_000, 100))) throw new Error(`registry on localhost:${port} did not start`);
    },

    probeImage(ref, opts) {
      return probeImage(deps, ref, opts);
    },
  };
}


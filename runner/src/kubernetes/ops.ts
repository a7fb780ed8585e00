/**
 * SandboxOps on Kubernetes: the learner's commands in the workstation Pod, the grader and extra
 * registries in the registry Pod, files in and out, image probes.
 */
import { copyInto, inWorkFolder, type RunIn } from '../sandbox/copy.ts';
import type { ExecOptions, ExecResult, SandboxOps } from '../../../checks/sandbox.ts';
import { shellCommand } from '../sandbox/shell.ts';
import { LEARNER_ENV, LEARNER_HOME } from '../sandbox/workstation.ts';
import type { KubeClients } from './client.ts';
import { execCapture, execRaw } from './exec.ts';
import { REGISTRY_PORTS } from '../sandbox/workstation.ts';
import { CONTAINER, EXTRA_REGISTRY_DIR } from './pod.ts';
import { probeImage, type ProbeSettings } from './probe.ts';
import { untilRegistryAnswers } from '../sandbox/http-poll.ts';

export interface KubeOpsDeps {
  kube: KubeClients;
  id: string;
  /** The workstation Pod. */
  pod: string;
  /** The registry Pod (registries and grader) and its address. */
  registryPod: string;
  registryIp: string;
  probe: ProbeSettings;
}

/**
 * Starts (or restarts, empty) an extra registry inside the session's registry container: a
 * running Pod cannot get another container on Kubernetes 1.20. Its port, data and password file
 * live under EXTRA_REGISTRY_DIR/<port>, where SUPERVISE_SCRIPT (pod.ts, in $RL_SUPERVISE) keeps it
 * running and the container's command starts it again after a restart.
 */
export function extraRegistryScript(port: number, htpasswd?: string): string {
  // The only value in this text: an integer port (the password file comes on stdin).
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`port ${port} is not a TCP port`);
  const dir = `${EXTRA_REGISTRY_DIR}/${port}`;
  return [
    `if [ -f ${dir}/pid ]; then kill -- "-$(cat ${dir}/pid)" 2>/dev/null; sleep 0.3; fi`,
    `rm -rf ${dir} && mkdir -p ${dir}/data`,
    htpasswd ? `cat > ${dir}/htpasswd` : ': ',
    `echo ${port} > ${dir}/port`,
    `setsid sh -c "$RL_SUPERVISE" supervise ${dir} </dev/null >/dev/null 2>&1 &`,
    `echo $! > ${dir}/pid`,
  ].join('\n');
}

/** SandboxOps (checks/sandbox.ts) for one session's Pods. */
export function kubeOps(deps: KubeOpsDeps): SandboxOps {
  const { kube, pod, registryPod } = deps;
  const registryUrl = (port = 5000) => `http://${deps.registryIp}:${port}`;
  // Kubernetes exec runs as the container's user: in the workstation that is the learner, so a
  // command asked for as root runs as the learner, as on Docker (there is no root in there).
  const exec = (cmd: string | string[], opts: ExecOptions = {}): Promise<ExecResult> =>
    execCapture(kube, pod, CONTAINER.workstation, shellCommand(cmd), {
      cwd: opts.cwd ?? LEARNER_HOME,
      env: { ...LEARNER_ENV, ...opts.env },
      stdin: opts.stdin,
      timeoutMs: opts.timeoutMs,
    });

  // A command in one container of a Pod, as that container's user (sandbox/copy.ts builds copyIn and graderExec on it).
  const runIn =
    (target: string, container: string): RunIn =>
    (cmd, opts = {}) =>
      execCapture(kube, target, container, cmd, opts);

  return {
    sessionId: deps.id,
    home: LEARNER_HOME,
    exec,

    graderExec(cmd, opts = {}) {
      return inWorkFolder(runIn(registryPod, CONTAINER.grader), cmd, opts, 0);
    },

    async readFile(path, maxBytes = 64 * 1024 * 1024) {
      // Only a regular file, read by the system's own head (not the learner's PATH).
      const r = await execRaw(kube, pod, CONTAINER.workstation, ['sh', '-c', 'test -f "$1" && test ! -L "$1" || exit 3; exec /usr/bin/head -c "$2" -- "$1"', 'read', path, String(maxBytes)], {
        timeoutMs: 30_000,
        maxOutputBytes: maxBytes,
      });
      if (r.exitCode === 3 || (r.exitCode !== 0 && /No such file|Permission denied/.test(r.stderr.toString()))) return null;
      if (r.exitCode !== 0) throw new Error(`cannot read ${path}: ${r.stderr.toString('utf8').trim()}`);
      return r.stdout;
    },

    copyIn(destDir, files) {
      // As the learner (the workstation's user), uid 1000 in the Pod's user namespace.
      return copyInto(runIn(pod, CONTAINER.workstation), destDir, files, 1000);
    },

    registryUrl,

    async startRegistry({ port, htpasswd }) {
      if (!REGISTRY_PORTS.includes(port) || port === 5000) throw new Error(`port ${port} is not an extra registry port`);
      const r = await execCapture(kube, registryPod, CONTAINER.registry, ['sh', '-c', extraRegistryScript(port, htpasswd)], {
        stdin: htpasswd ? `${htpasswd.trim()}\n` : undefined,
        timeoutMs: 15_000,
      });
      if (r.exitCode !== 0) throw new Error(`registry on localhost:${port} did not start: ${r.stderr.trim()}`);
      // Asked at the registry Pod's own address: a learner's server cannot answer for it.
      if (!(await untilRegistryAnswers(`${registryUrl(port)}/v2/`, 15_000, 200))) throw new Error(`registry on localhost:${port} did not start`);
    },

    probeImage(ref, opts) {
      return probeImage(deps, ref, opts);
    },
  };
}

/**
 * The Kubernetes backend (SANDBOX_BACKEND=kubernetes): two Pods per session in KUBE_NAMESPACE
 * (the workstation and the registries with the grader: pod.ts),
 * the mirror as a Deployment and a Service. The SandboxProvider of sandbox/provider.ts, as on Docker.
 */
import type { SandboxLimits, SandboxProvider } from '../sandbox/provider.ts';
import { resolveAllowlist, type EgressSettings } from '../sandbox/egress.ts';
import { CancelledError } from '../sandbox/errors.ts';
import { KnownSandboxes } from '../sandbox/known.ts';
import { ignoreMissing, kubeClients, sandboxErrorOf, type KubeClients } from './client.ts';
import { KubeMirror } from './mirror.ts';
import { checkRunnerIdForLabels, podName, registryPodName } from './names.ts';
import { kubeOps } from './ops.ts';
import { CONTAINER, registryPod, sandboxPod, type PodSettings } from './pod.ts';
import { claimPod, listSandboxes, registryAlive, removeSession, waitAddress, waitReady, workstationRunning } from './sandbox.ts';
import { allocateKubeUser, type SessionUser } from './session-user.ts';
import { openKubeShell } from './shell.ts';
import { execCapture } from './exec.ts';
import { reapProbePolicies } from './probe.ts';

export interface KubernetesConfig {
  runnerId: string;
  namespace: string;
  /** Path of a kubeconfig; empty: in-cluster service account (or ~/.kube/config). */
  kubeconfig?: string;
  images: { workstation: string; registry: string; mirror: string };
  limits: SandboxLimits;
  seccompProfile: string;
  egress?: EgressSettings;
  /** Per-session disk quota in bytes (SESSION_DISK_QUOTA): the emptyDir size limit of a session's engine storage (0: none). */
  diskQuotaBytes: number;
  /** RuntimeClass of workstation and probe Pods (WORKSTATION_RUNTIME); empty: the node's default. */
  runtimeClass?: string;
  kube?: KubeClients;
}

interface KubeRefs {
  pod: string;
  podIp: string;
  registryPod: string;
  registryIp: string;
}

/** Memory in use by the container whose cgroup the command reads (cgroup v2 or v1), minus inactive file cache. */
const MEMORY_SCRIPT = `if [ -f /sys/fs/cgroup/memory.current ]; then u=$(cat /sys/fs/cgroup/memory.current); f=$(awk '$1=="inactive_file"{print $2}' /sys/fs/cgroup/memory.stat)
else u=$(cat /sys/fs/cgroup/memory/memory.usage_in_bytes); f=$(awk '$1=="total_inactive_file"{print $2}' /sys/fs/cgroup/memory/memory.stat); fi
echo $((u - \${f:-0}))`;

/** A RuntimeClass name is a DNS subdomain (lowercase); refused at start rather than by every Pod creation. */
export function checkRuntimeClass(name: string | undefined): void {
  if (name && !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(name)) {
    throw new Error(`WORKSTATION_RUNTIME=${JSON.stringify(name)}: on Kubernetes this names a RuntimeClass (lowercase letters, digits, '-' and '.')`);
  }
}

export function createKubernetesProvider(config: KubernetesConfig): SandboxProvider {
  checkRunnerIdForLabels(config.runnerId);
  checkRuntimeClass(config.runtimeClass);
  const kube = config.kube ?? kubeClients(config.namespace, config.kubeconfig);
  const { core, namespace } = kube;
  const mirror = new KubeMirror(kube, config.runnerId, config.images.mirror);
  const egress = config.egress ?? { policy: 'open' as const, allow: [] };
  /** Session uids being given out by this provider right now (session-user.ts). */
  const reserving = new Set<number>();
  const probe = { runnerId: config.runnerId, image: config.images.workstation, seccompProfile: config.seccompProfile, runtimeClass: config.runtimeClass };
  const known = new KnownSandboxes<KubeRefs>(
    (id, k) => kubeOps({ kube, id, pod: k.pod, registryPod: k.registryPod, registryIp: k.registryIp, probe }),
    sandboxErrorOf,
  );

  const settings = async (): Promise<PodSettings> => ({
    runnerId: config.runnerId,
    images: config.images,
    limits: config.limits,
    seccompProfile: config.seccompProfile,
    diskBytes: config.diskQuotaBytes,
    runtimeClass: config.runtimeClass,
    egress,
    allow: egress.policy === 'allowlist' ? await resolveAllowlist(egress.allow) : [],
  });

  const provider: SandboxProvider = {
    async init() {
      await mirror.start();
      await reapProbePolicies(kube, config.runnerId);
      return { reaped: 0 };
    },

    async create(id, opts = {}) {
      const { signal } = opts;
      if (signal?.aborted) throw new CancelledError();
      const name = podName(id);
      const registryName = registryPodName(id);
      let user: SessionUser | undefined;
      try {
        user = await allocateKubeUser(kube, reserving);
        const s = await settings();
        // The registries first: the workstation's forwarders and egress rules name their address.
        await core.createNamespacedPod({ namespace, body: registryPod(s, id) });
        const registryIp = await waitAddress(kube, registryName, signal);
        if (signal?.aborted) throw new CancelledError();
        await core.createNamespacedPod({ namespace, body: sandboxPod(s, id, { mirrorIp: await mirror.currentAddress(), registryIp, user, pool: opts.pool }) });
        const pod = await waitReady(kube, name, signal);
        if (signal?.aborted) throw new CancelledError();
        known.set(id, { pod: name, podIp: pod.status!.podIP!, registryPod: registryName, registryIp });
        return { id, workstationIp: pod.status!.podIP!, createdAt: new Date() };
      } catch (err) {
        await removeSession(kube, config.runnerId, id).catch(() => undefined);
        throw signal?.aborted ? new CancelledError() : sandboxErrorOf(err);
      } finally {
        if (user) reserving.delete(user.uid);
      }
    },

    sandboxes() {
      return listSandboxes(kube, config.runnerId);
    },

    async adopt(id) {
      const name = podName(id);
      const pod = await ignoreMissing(core.readNamespacedPod({ name, namespace }));
      if (!pod) throw new Error(`sandbox ${id}: its Pod is gone`);
      if (!workstationRunning(pod)) throw new Error(`sandbox ${id}: its workstation is not running`);
      if (!pod.status?.podIP) throw new Error(`sandbox ${id}: its Pod has no address`);
      const registryName = registryPodName(id);
      const registry = await ignoreMissing(core.readNamespacedPod({ name: registryName, namespace }));
      if (!registry || !registryAlive(registry) || !registry.status?.podIP) throw new Error(`sandbox ${id}: its registry Pod is gone`);
      known.set(id, { pod: name, podIp: pod.status.podIP, registryPod: registryName, registryIp: registry.status.podIP });
      return { id, workstationIp: pod.status.podIP, createdAt: new Date() };
    },

    async claim(id) {
      return claimPod(kube, id);
    },

    async release() {
      known.clear();
    },

    async destroy(id) {
      known.forget(id);
      await removeSession(kube, config.runnerId, id);
    },

    async isRunning(id) {
      const pod = await ignoreMissing(core.readNamespacedPod({ name: podName(id), namespace }));
      return pod ? workstationRunning(pod) : false;
    },

    async openShell(id, size) {
      return openKubeShell(kube, known.get(id).pod, size).catch((err: unknown) => {
        throw sandboxErrorOf(err);
      });
    },

    ops(id) {
      return known.opsOf(id);
    },

    async shutdown() {
      known.clear();
      await removeSession(kube, config.runnerId);
      await mirror.stop();
    },

    async memoryUsage(id) {
      // metrics.k8s.io may not be installed: the containers' own cgroups say the same.
      const k = known.get(id);
      const read = async (target: string, container: string) => {
        const r = await execCapture(kube, target, container, ['sh', '-c', MEMORY_SCRIPT], { timeoutMs: 10_000 });
        return r.exitCode === 0 ? Math.max(0, Number(r.stdout.trim()) || 0) : 0;
      };
      return { workstation: await read(k.pod, CONTAINER.workstation), registry: await read(k.registryPod, CONTAINER.registry) };
    },
  };
  return provider;
}

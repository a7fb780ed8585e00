/** Creating, finding, waiting for and removing session Pods. */
import * as k8s from '@kubernetes/client-node';
import type { FoundSandbox } from '../sandbox/provider.ts';
import { apiMessage, ignoreMissing, isConflict, type KubeClients, sleep, until } from './client.ts';
import { idFromKey, LABEL, podName, selector, sessionKey } from './names.ts';
import { CONTAINER } from './pod.ts';

const READY_TIMEOUT_MS = 170_000;

const isReady = (pod: k8s.V1Pod) => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** The registry Pod is there for good (its containers restart; an evicted or deleted Pod does not come back). */
export function registryAlive(pod: k8s.V1Pod): boolean {
  return pod.status?.phase !== 'Failed' && pod.status?.phase !== 'Succeeded' && !pod.metadata?.deletionTimestamp;
}

export function workstationRunning(pod: k8s.V1Pod): boolean {
  return Boolean(pod.status?.containerStatuses?.find((c) => c.name === CONTAINER.workstation)?.state?.running) && !pod.metadata?.deletionTimestamp;
}

/** Why a Pod will never become ready (a container that ended, an image that is missing), or null. */
function failure(pod: k8s.V1Pod): string | null {
  if (pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded') return `the Pod ended (${pod.status.phase}: ${pod.status.reason ?? ''} ${pod.status.message ?? ''})`.trim();
  for (const c of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const t = c.state?.terminated;
    if (t && t.exitCode !== 0) return `container ${c.name} exited with code ${t.exitCode}${t.message ? `: ${t.message}` : ''}`;
    const w = c.state?.waiting;
    if (w && /ErrImage|ImagePull|InvalidImageName|CreateContainerError|CreateContainerConfigError/.test(w.reason ?? '')) return `container ${c.name}: ${w.reason}: ${w.message ?? ''}`;
  }
  const unschedulable = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable');
  if (unschedulable) return `no node can take the sandbox: ${unschedulable.message}`;
  return null;
}

/** Waits until the workstation's readiness probe (engine up, registry answering) passes. */
export async function waitReady(kube: KubeClients, name: string, signal?: AbortSignal): Promise<k8s.V1Pod> {
  const { core, namespace } = kube;
  let last: k8s.V1Pod | undefined;
  try {
    return await until(
      `sandbox ${name} to be ready`,
      async () => {
        last = await core.readNamespacedPod({ name, namespace });
        const bad = failure(last);
        if (bad) {
          const logs = await core.readNamespacedPodLog({ name, namespace, container: CONTAINER.workstation, tailLines: 20 }).catch(() => '');
          throw new Error(`sandbox ${name}: ${bad}${logs ? `\n${String(logs).slice(-1500)}` : ''}`);
        }
        return isReady(last) && last.status?.podIP ? last : undefined;
      },
      READY_TIMEOUT_MS,
      400,
      signal,
    );
  } catch (err) {
    throw new Error(apiMessage(err));
  }
}

/** Waits until a Pod has its address (its init containers may still run), failing fast on a Pod that cannot start. */
export async function waitAddress(kube: KubeClients, name: string, signal?: AbortSignal): Promise<string> {
  const { core, namespace } = kube;
  try {
    return await until(
      `Pod ${name} to get an address`,
      async () => {
        const pod = await core.readNamespacedPod({ name, namespace });
        const bad = failure(pod);
        if (bad) throw new Error(`Pod ${name}: ${bad}`);
        return pod.status?.podIP || undefined;
      },
      READY_TIMEOUT_MS,
      200,
      signal,
    );
  } catch (err) {
    throw new Error(apiMessage(err));
  }
}

/**
 * Every session (and probe) of a runner, by session id: one list call. A session runs while its
 * workstation runs and its registry Pod is there.
 */
export async function listSandboxes(kube: KubeClients, runnerId: string): Promise<Map<string, FoundSandbox>> {
  const pods = await kube.core.listNamespacedPod({ namespace: kube.namespace, labelSelector: selector({ [LABEL.runner]: runnerId }) });
  const found = new Map<string, FoundSandbox>();
  const registries = new Set<string>();
  for (const p of pods.items) {
    const key = p.metadata?.labels?.[LABEL.session];
    if (!key) continue;
    const id = idFromKey(key);
    const f = found.get(id) ?? { workstation: false, running: false };
    const role = p.metadata?.labels?.[LABEL.role];
    if (role === 'sandbox') {
      f.workstation = true;
      f.running ||= workstationRunning(p);
    }
    if (role === 'registry' && registryAlive(p)) {
      registries.add(id);
      const c = p.status?.containerStatuses?.find((s) => s.name === CONTAINER.registry);
      f.registry = { up: Boolean(c?.ready), restarts: c?.restartCount ?? 0 };
    }
    found.set(id, f);
  }
  for (const [id, f] of found) f.running &&= registries.has(id);
  return found;
}

/** Deletes every Pod of the session (sandbox and probes) and waits until they are gone. Idempotent. */
export async function removeSession(kube: KubeClients, runnerId: string, id?: string): Promise<void> {
  const { core, namespace } = kube;
  // Every Pod of the runner but the mirror's (its Deployment would only start another).
  const labelSelector = id ? selector({ [LABEL.runner]: runnerId, [LABEL.session]: sessionKey(id) }) : `${selector({ [LABEL.runner]: runnerId })},${LABEL.role}!=mirror`;
  await core.deleteCollectionNamespacedPod({ namespace, labelSelector, gracePeriodSeconds: 1 });
  // The probes' NetworkPolicies (probe.ts deletes each with its Pod; these are the ones a stopped probe left).
  const probes = selector({ [LABEL.runner]: runnerId, [LABEL.role]: 'probe', ...(id ? { [LABEL.session]: sessionKey(id) } : {}) });
  await kube.net.deleteCollectionNamespacedNetworkPolicy({ namespace, labelSelector: probes });
  await until(
    `the Pods of ${id ?? runnerId} to go`,
    async () => {
      const left = await core.listNamespacedPod({ namespace, labelSelector });
      return left.items.length === 0 ? true : undefined;
    },
    180_000,
    500,
  );
}

/**
 * Takes a warm-pool Pod for a session: relabels it `claimed` with its resourceVersion as a
 * precondition, so a second runner or request holding the same version gets 409 and takes
 * another. False when someone else claimed it (or it is gone).
 */
export async function claimPod(kube: KubeClients, id: string): Promise<boolean> {
  const { core, namespace } = kube;
  const name = podName(id);
  for (let attempt = 0; attempt < 5; attempt++) {
    const pod = await ignoreMissing(core.readNamespacedPod({ name, namespace }));
    if (!pod || pod.metadata?.labels?.[LABEL.state] !== 'pool' || !workstationRunning(pod)) return false;
    try {
      await core.patchNamespacedPod(
        { name, namespace, body: { metadata: { resourceVersion: pod.metadata.resourceVersion, labels: { [LABEL.state]: 'claimed' } } } },
        // A merge patch: the resourceVersion in the body is the precondition.
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      return true;
    } catch (err) {
      // The kubelet also bumps the version (status): read again and see whether it is still in the pool.
      if (!isConflict(err)) throw err;
      await sleep(50 * (attempt + 1));
    }
  }
  return false;
}

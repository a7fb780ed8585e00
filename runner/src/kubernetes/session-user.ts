/**
 * A kernel uid of its own for every session on Kubernetes, as on Docker (../docker/session-user.ts):
 * the workstation Pod runs as uid U with its own subordinate range, so no per-uid account of a
 * node's kernel (keys, processes, inotify, user namespaces, message queues) is shared between
 * sessions. The slot is recorded as a label of the Pod; the account files are written by the
 * Pod's init container (pod.ts: ACCOUNTS_SCRIPT) from the image's own, with the numbers as data.
 */
import { pickFreeUser, type SessionUser } from '../sandbox/session-user.ts';
import type { KubeClients } from './client.ts';
import { LABEL } from './names.ts';

export type { SessionUser };

/** A free uid: no Pod of the namespace (any runner) carries it, nor one being made by this runner. */
export async function allocateKubeUser(kube: KubeClients, reserved: Set<number>): Promise<SessionUser> {
  const pods = await kube.core.listNamespacedPod({ namespace: kube.namespace, labelSelector: LABEL.uid });
  return pickFreeUser(pods.items.map((p) => Number(p.metadata?.labels?.[LABEL.uid])), reserved);
}

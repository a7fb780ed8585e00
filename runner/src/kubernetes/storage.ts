/**
 * Local ephemeral storage of the Pods the backend makes. Every container has an
 * `ephemeral-storage` request and limit and every emptyDir a sizeLimit, so the kubelet evicts
 * the one Pod that fills its disk (a learner's /tmp, a huge image in a probe) before the node
 * runs short and evicts its neighbours.
 *
 * How the kubelet counts (1.20 and later, LocalStorageCapacityIsolation): a container's limit
 * covers its writable layer and logs; an emptyDir's sizeLimit covers that volume; the Pod's
 * limit is the sum of its containers' limits (or the largest init container's, if larger) and
 * covers layers, logs and every emptyDir together. So each container's limit below is its own
 * layer allowance plus the sizeLimits of the emptyDirs it mounts: the sum then always covers
 * the volumes, and a volume filled to its sizeLimit never evicts the Pod through the Pod total.
 *
 * Requests only place Pods (the scheduler sums them against the node's allocatable
 * ephemeral-storage): they stay small, what a session typically writes, not what it may.
 */
import type * as k8s from '@kubernetes/client-node';

export const MI = 1024 ** 2;
export const GI = 1024 ** 3;

/** A byte count as a Kubernetes quantity in whole MiB (at least 1Mi). */
export const mib = (bytes: number) => `${Math.max(1, Math.floor(bytes / MI))}Mi`;

/**
 * The engine's storage when SESSION_DISK_QUOTA is 0 ("none"): an emptyDir without a sizeLimit
 * could fill the node's disk, so "none" on Kubernetes is this generous ceiling.
 */
export const ENGINE_DISK_CEILING_BYTES = 20 * GI;

/**
 * The probe's work volume: the image copied out of the session registry (compressed layers)
 * and unpacked next to it, a layer deleted once unpacked. A 300 MB image (the multistage lab's
 * largest) peaks well under 1 GiB; 3 GiB leaves room for a learner's larger one.
 */
export const PROBE_WORK_BYTES = 3 * GI;

/** Bytes an emptyDir volume's sizeLimit allows (0 for a volume without one: only Memory ones here). */
export function sizeLimitBytes(v: k8s.V1Volume): number {
  const q = v.emptyDir?.sizeLimit;
  if (!q) return 0;
  const m = /^(\d+)(Ki|Mi|Gi|Ti)?$/.exec(String(q));
  if (!m) throw new Error(`sizeLimit ${q} of ${v.name}: not a binary quantity`);
  const unit = { '': 1, Ki: 1024, Mi: MI, Gi: GI, Ti: 1024 * GI }[m[2] ?? '']!;
  return Number(m[1]) * unit;
}

/**
 * `ephemeral-storage` for a container: request as given, limit = its own writable layer and
 * logs (`layerBytes`) plus the sizeLimits of the emptyDirs it mounts.
 */
export function withEphemeral(
  resources: k8s.V1ResourceRequirements,
  volumes: k8s.V1Volume[],
  mounts: k8s.V1VolumeMount[] | undefined,
  requestBytes: number,
  layerBytes: number,
): k8s.V1ResourceRequirements {
  const mounted = new Set((mounts ?? []).map((m) => m.name));
  const volumeBytes = volumes.filter((v) => mounted.has(v.name)).reduce((sum, v) => sum + sizeLimitBytes(v), 0);
  return {
    requests: { ...resources.requests, 'ephemeral-storage': mib(requestBytes) },
    limits: { ...resources.limits, 'ephemeral-storage': mib(layerBytes + volumeBytes) },
  };
}

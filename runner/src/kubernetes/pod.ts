/**
 * The session Pod (pure: unit-tested offline). One Pod per session: the learner's workstation,
 * the session's `registry:2` (same network namespace, so `localhost:5000`), and a grader the
 * learner cannot touch; an init container sets the egress rules first. Never privileged.
 */
import type * as k8s from '@kubernetes/client-node';
import { egressScript, type EgressSettings } from '../docker/egress.ts';
import { FORWARDED_PORTS } from '../docker/sandbox.ts';
import type { SandboxLimits } from '../docker/provider.ts';
import { LABEL, labelsFor, podName, SESSION_ID_ANNOTATION } from './names.ts';
import { ENGINE_DISK_CEILING_BYTES, GI, MI, mib, withEphemeral } from './storage.ts';

export interface PodSettings {
  runnerId: string;
  images: { workstation: string; registry: string };
  limits: SandboxLimits;
  /** Localhost seccomp profile of the workstation, relative to the kubelet's seccomp folder. */
  seccompProfile: string;
  /** emptyDir size limit of the inner engine's storage (0: ENGINE_DISK_CEILING_BYTES, see storage.ts). */
  diskBytes: number;
  egress: EgressSettings;
  /** Resolved allowlist (EGRESS=allowlist). */
  allow: string[];
}

export const CONTAINER = { workstation: 'workstation', registry: 'registry', grader: 'grader', egress: 'egress' } as const;
export const HOME = '/home/learner';
/** Where the extra registries of startRegistry keep their data (an emptyDir of the registry container). */
export const EXTRA_REGISTRY_DIR = '/var/lib/registry-extra';
/** Marker checked by the readiness probe (the workstation's entrypoint writes it). */
export const READY_COMMAND = 'test -e "$XDG_RUNTIME_DIR/sandbox-ready" && curl -fsS -o /dev/null http://localhost:5000/v2/';

const mi = mib;
const cpu = (nanoCpus: number) => `${Math.max(1, Math.round(nanoCpus / 1e6))}m`;

/**
 * What the init container runs: the Docker backend's egress rules (runner/src/docker/egress.ts)
 * in the Pod's network namespace, with the mirror Pod's address, and the storage handed to the
 * learner. The node's address comes from the downward API ($HOST_IP).
 */
export function initScript(s: PodSettings, mirrorIp: string): string {
  const rules = egressScript(s.egress.policy, { mirrorIp, subnet: '$POD_IP/32', hostAddresses: ['$HOST_IP'], allow: s.allow, ip6tables: true });
  return `chown 1000:1000 /storage\n${rules}`;
}

export function sandboxPod(s: PodSettings, id: string, mirrorIp: string, opts: { pool?: boolean } = {}): k8s.V1Pod {
  const labels = { ...labelsFor(s.runnerId, 'sandbox', id), ...(opts.pool ? { [LABEL.state]: 'pool' } : { [LABEL.state]: 'claimed' }) };
  const { limits } = s;
  const small = { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '200m', memory: '128Mi' } };
  const volumes: k8s.V1Volume[] = [
    { name: 'engine', emptyDir: { sizeLimit: mi(s.diskBytes > 0 ? s.diskBytes : ENGINE_DISK_CEILING_BYTES) } },
    { name: 'registry', emptyDir: { sizeLimit: '4Gi' } },
    { name: 'registry-extra', emptyDir: { sizeLimit: '2Gi' } },
    { name: 'grader-tmp', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
  ];
  // ephemeral-storage (storage.ts): each container's own writable layer and logs plus the
  // emptyDirs it mounts. The workstation's layer holds the learner's home and /tmp (4 GiB: a
  // few saved image tarballs); the engine's images and build caches are on the `engine` volume.
  const disk = (c: k8s.V1Container, requestBytes: number, layerBytes: number): k8s.V1Container => ({
    ...c,
    resources: withEphemeral(c.resources ?? {}, volumes, c.volumeMounts, requestBytes, layerBytes),
  });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: podName(id), labels, annotations: { [SESSION_ID_ANNOTATION]: id } },
    spec: {
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 2,
      hostname: 'lab',
      // No cluster DNS is needed for the mirror: its Pod address under the name the workstation's engine uses.
      hostAliases: [{ ip: mirrorIp, hostnames: ['mirror'] }],
      volumes,
      initContainers: [
        disk({
          name: CONTAINER.egress,
          image: s.images.workstation,
          imagePullPolicy: 'IfNotPresent',
          command: ['sh', '-c', initScript(s, mirrorIp)],
          env: [
            { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
            { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          ],
          // Root with the three capabilities the rules and the chown need, only while it runs.
          securityContext: {
            runAsUser: 0,
            runAsNonRoot: false,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'], add: ['NET_ADMIN', 'NET_RAW', 'CHOWN'] },
            seccompProfile: { type: 'RuntimeDefault' },
          },
          resources: small,
          volumeMounts: [{ name: 'engine', mountPath: '/storage' }],
        }, 16 * MI, 128 * MI),
      ],
      containers: [
        disk({
          name: CONTAINER.workstation,
          image: s.images.workstation,
          imagePullPolicy: 'IfNotPresent',
          env: [
            { name: 'MIRROR_URL', value: 'http://mirror:5000' },
            { name: 'FORWARD_PORTS', value: FORWARDED_PORTS.join(' ') },
          ],
          // The learner with the runtime's default capabilities (held by nobody: uid 1000), the
          // rootless engine's seccomp profile and an unmasked /proc (docs/security.md); no_new_privs
          // stays off because newuidmap/newgidmap carry file capabilities.
          securityContext: {
            runAsUser: 1000,
            runAsGroup: 1000,
            runAsNonRoot: true,
            privileged: false,
            allowPrivilegeEscalation: true,
            procMount: 'Unmasked',
            seccompProfile: { type: 'Localhost', localhostProfile: s.seccompProfile },
          },
          resources: {
            requests: { cpu: '100m', memory: '256Mi' },
            limits: { cpu: cpu(limits.workstationNanoCpus), memory: mi(limits.workstationMemoryBytes) },
          },
          volumeMounts: [{ name: 'engine', mountPath: `${HOME}/.local/share/docker` }],
          readinessProbe: { exec: { command: ['sh', '-c', READY_COMMAND] }, periodSeconds: 1, timeoutSeconds: 5, failureThreshold: 3 },
        }, 512 * MI, 4 * GI),
        disk({
          name: CONTAINER.registry,
          image: s.images.registry,
          imagePullPolicy: 'IfNotPresent',
          // Upstream registry:2 keeps delete off; the chapter teaches deleting and garbage collection.
          env: [{ name: 'REGISTRY_STORAGE_DELETE_ENABLED', value: 'true' }],
          securityContext: {
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
            seccompProfile: { type: 'RuntimeDefault' },
          },
          resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '500m', memory: mi(limits.registryMemoryBytes) } },
          volumeMounts: [
            { name: 'registry', mountPath: '/var/lib/registry' },
            { name: 'registry-extra', mountPath: EXTRA_REGISTRY_DIR },
          ],
        }, 64 * MI, 512 * MI),
        disk({
          // The grader: the workstation's tools (cosign, skopeo, oras...) out of the learner's reach,
          // root without a single capability, in the session's network namespace.
          name: CONTAINER.grader,
          image: s.images.workstation,
          imagePullPolicy: 'IfNotPresent',
          command: ['sleep', 'infinity'],
          workingDir: '/root',
          env: [
            { name: 'XDG_RUNTIME_DIR', value: '/tmp' },
            { name: 'HOME', value: '/root' },
          ],
          securityContext: {
            runAsUser: 0,
            runAsNonRoot: false,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
            seccompProfile: { type: 'RuntimeDefault' },
          },
          resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
          volumeMounts: [{ name: 'grader-tmp', mountPath: '/var/lib/docker' }],
          // Its /tmp (files of a check, tools' caches) is its writable layer: 2 GiB.
        }, 64 * MI, 2 * GI),
      ],
    },
  };
}

/**
 * The Pods of a session (pure: unit-tested offline). Two Pods, as the Docker backend's two
 * network namespaces:
 * - the workstation Pod: the learner's workstation (its own kernel uid, read-only root), an init
 *   container that sets the egress rules and the learner's account files first;
 * - the registry Pod: the session's `registry:2` (5000), its extra registries (5001) and the
 *   grader, in a network namespace that sends nothing but replies (SEAL_SCRIPT). The workstation's
 *   `localhost:5000/5001` forward there (the image's entrypoint: REGISTRY_ADDR), and the runner
 *   reads the registries at that address, which no learner can take.
 * Never privileged.
 */
import type * as k8s from '@kubernetes/client-node';
import { egressScript, type EgressSettings } from '../sandbox/egress.ts';
import { LEARNER_HOME, LEARNER_PORTS, READY_CHECK, REGISTRY_PORTS } from '../sandbox/workstation.ts';
import type { SandboxLimits } from '../sandbox/provider.ts';
import { ACCOUNT_FILES, ACCOUNTS_SCRIPT, accountEnv, type SessionUser } from '../sandbox/session-user.ts';
import { LABEL, labelsFor, podName, registryPodName, SESSION_ID_ANNOTATION } from './names.ts';
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
  /** RuntimeClass of the learner's Pods (WORKSTATION_RUNTIME, e.g. gVisor or Kata); empty: the node's default. */
  runtimeClass?: string;
}

/** Where a workstation Pod's neighbours are, and whose it is. */
export interface Placement {
  mirrorIp: string;
  /** The session's registry Pod. */
  registryIp: string;
  user: SessionUser;
  pool?: boolean;
}

export const CONTAINER = { workstation: 'workstation', registry: 'registry', grader: 'grader', egress: 'egress', seal: 'seal' } as const;
/** Where the extra registries of startRegistry keep their data (an emptyDir of the registry container). */
export const EXTRA_REGISTRY_DIR = '/var/lib/registry-extra';
/** Marker checked by the readiness probe (the workstation's entrypoint writes it). */

/**
 * Outgoing traffic of a network namespace: loopback and replies only (registry Pod, probe Pod).
 * IPv6 (a Pod has a link-local address, and the node answers there): nothing at all, and a
 * failure to say so stops the Pod, unless the kernel has no IPv6.
 */
export const SEAL_SCRIPT = `set -e
iptables -P OUTPUT DROP
iptables -A OUTPUT -o lo -j ACCEPT
iptables -A OUTPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
if [ -e /proc/net/if_inet6 ]; then ip6tables -P OUTPUT DROP; fi`;

/**
 * One extra registry, kept running: `$1` is its folder (port, data, optional htpasswd). The
 * registry container's command starts one per folder again when the container restarts (an
 * OOM kill), ops.ts starts one for startRegistry. Data in files, never in this text.
 */
export const SUPERVISE_SCRIPT = `d=$1
while [ -f "$d/port" ]; do
  if [ -f "$d/htpasswd" ]; then set -- REGISTRY_AUTH=htpasswd "REGISTRY_AUTH_HTPASSWD_REALM=Registry Lab" "REGISTRY_AUTH_HTPASSWD_PATH=$d/htpasswd"; else set --; fi
  env "REGISTRY_HTTP_ADDR=:$(cat "$d/port")" "REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY=$d/data" REGISTRY_STORAGE_DELETE_ENABLED=true "$@" \\
    registry serve /etc/docker/registry/config.yml >"$d/log" 2>&1
  sleep 0.5
done`;

/** The registry container's command: the extra registries it had, then the session registry itself. */
const REGISTRY_COMMAND = `for d in ${EXTRA_REGISTRY_DIR}/*/; do
  [ -f "$d/port" ] || continue
  setsid sh -c "$RL_SUPERVISE" supervise "\${d%/}" </dev/null >/dev/null 2>&1 &
  echo $! > "\${d}pid"
done
exec /entrypoint.sh /etc/docker/registry/config.yml`;

/** A Pod env value taken literally: the kubelet expands $(NAME) in values and reads $$ as $. */
export const kubeLiteral = (value: string) => value.replace(/\$/g, () => '$$');

/** After the account files (session-user.ts), the learner's writable places handed to that uid. */
const PLACES_SCRIPT = `mkdir -p /mnt/home/.local/share/docker
chmod 700 /mnt/run-user
chmod 1777 /mnt/tmp /mnt/var-tmp
# Last: root holds CHOWN only (no FOWNER, no DAC_OVERRIDE), so nothing is made or changed after it.
chown -R "$LEARNER_UID:$LEARNER_UID" /mnt/home /mnt/engine /mnt/opt /mnt/run-user`;


const mi = mib;
const cpu = (nanoCpus: number) => `${Math.max(1, Math.round(nanoCpus / 1e6))}m`;
const small = { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '200m', memory: '128Mi' } };
/** Root with only the capabilities an init step needs, only while it runs. */
const initRoot = (caps: string[]): k8s.V1SecurityContext => ({
  runAsUser: 0,
  runAsNonRoot: false,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'], add: caps },
  seccompProfile: { type: 'RuntimeDefault' },
});

/**
 * What the workstation's init container runs: the egress rules both backends use
 * (sandbox/egress.ts) in the Pod's network namespace, with the mirror's and the
 * registry Pod's addresses, then the account files. The node's address comes from the downward
 * API ($HOST_IP).
 */
/** The Pod spec field for a RuntimeClass, or nothing. The registry Pod runs only our own code and keeps the default. */
export function runtimeClassOf(name: string | undefined): { runtimeClassName?: string } {
  return name ? { runtimeClassName: name } : {};
}

export function initScript(s: PodSettings, p: Pick<Placement, 'mirrorIp' | 'registryIp'>): string {
  const rules = egressScript(s.egress.policy, {
    mirrorIp: p.mirrorIp,
    registryIp: p.registryIp,
    registryPorts: REGISTRY_PORTS,
    subnet: '$POD_IP/32',
    hostAddresses: ['$HOST_IP'],
    allow: s.allow,
    ip6tables: true,
  });
  return `${rules}\n${ACCOUNTS_SCRIPT}\n${PLACES_SCRIPT}`;
}

/** ephemeral-storage for each container (storage.ts): its own layer and logs plus the emptyDirs it mounts. */
const withDisk = (volumes: k8s.V1Volume[]) => (c: k8s.V1Container, requestBytes: number, layerBytes: number): k8s.V1Container => ({
  ...c,
  resources: withEphemeral(c.resources ?? {}, volumes, c.volumeMounts, requestBytes, layerBytes),
});

function podMeta(name: string, id: string, labels: Record<string, string>): k8s.V1ObjectMeta {
  return { name, labels, annotations: { [SESSION_ID_ANNOTATION]: id } };
}

const podBasics = { automountServiceAccountToken: false, enableServiceLinks: false, terminationGracePeriodSeconds: 2, hostname: 'lab' } as const;

export function sandboxPod(s: PodSettings, id: string, p: Placement): k8s.V1Pod {
  const labels = { ...labelsFor(s.runnerId, 'sandbox', id), [LABEL.state]: p.pool ? 'pool' : 'claimed', [LABEL.uid]: String(p.user.uid) };
  const { limits } = s;
  // The root file system is read-only: every place the learner writes is one of these, each bounded.
  const volumes: k8s.V1Volume[] = [
    { name: 'engine', emptyDir: { sizeLimit: mi(s.diskBytes > 0 ? s.diskBytes : ENGINE_DISK_CEILING_BYTES) } },
    { name: 'home', emptyDir: { sizeLimit: '2Gi' } },
    { name: 'tmp', emptyDir: { sizeLimit: '1Gi' } },
    { name: 'var-tmp', emptyDir: { sizeLimit: '256Mi' } },
    { name: 'run-user', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
    { name: 'opt', emptyDir: { medium: 'Memory', sizeLimit: '32Mi' } },
    { name: 'accounts', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
  ];
  const disk = withDisk(volumes);
  const uid = p.user.uid;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: podMeta(podName(id), id, labels),
    spec: {
      ...podBasics,
      ...runtimeClassOf(s.runtimeClass),
      restartPolicy: 'Never',
      // No cluster DNS is needed for the mirror: its Pod address under the name the workstation's engine uses.
      hostAliases: [{ ip: p.mirrorIp, hostnames: ['mirror'] }],
      volumes,
      initContainers: [
        disk({
          name: CONTAINER.egress,
          image: s.images.workstation,
          imagePullPolicy: 'IfNotPresent',
          command: ['sh', '-c', initScript(s, p)],
          env: [
            { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
            { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
            ...Object.entries(accountEnv(p.user)).map(([name, value]) => ({ name, value })),
          ],
          securityContext: initRoot(['NET_ADMIN', 'NET_RAW', 'CHOWN']),
          resources: small,
          volumeMounts: [
            { name: 'engine', mountPath: '/mnt/engine' },
            { name: 'home', mountPath: '/mnt/home' },
            { name: 'tmp', mountPath: '/mnt/tmp' },
            { name: 'var-tmp', mountPath: '/mnt/var-tmp' },
            { name: 'run-user', mountPath: '/mnt/run-user' },
            { name: 'opt', mountPath: '/mnt/opt' },
            { name: 'accounts', mountPath: '/accounts' },
          ],
        }, 16 * MI, 64 * MI),
      ],
      containers: [
        disk({
          name: CONTAINER.workstation,
          image: s.images.workstation,
          imagePullPolicy: 'IfNotPresent',
          env: [
            { name: 'HOME', value: LEARNER_HOME },
            { name: 'USER', value: 'learner' },
            { name: 'MIRROR_URL', value: 'http://mirror:5000' },
            { name: 'REGISTRY_ADDR', value: p.registryIp },
            { name: 'REGISTRY_PORTS', value: REGISTRY_PORTS.join(' ') },
            { name: 'FORWARD_PORTS', value: LEARNER_PORTS.join(' ') },
          ],
          // The learner, as the session's own uid, with the runtime's default capabilities (held by
          // nobody), the rootless engine's seccomp profile and an unmasked /proc
          // (docs/security.md); no_new_privs stays off because newuidmap/newgidmap carry file capabilities.
          securityContext: {
            runAsUser: uid,
            runAsGroup: uid,
            runAsNonRoot: true,
            privileged: false,
            allowPrivilegeEscalation: true,
            readOnlyRootFilesystem: true,
            procMount: 'Unmasked',
            seccompProfile: { type: 'Localhost', localhostProfile: s.seccompProfile },
          },
          resources: {
            requests: { cpu: '100m', memory: '256Mi' },
            limits: { cpu: cpu(limits.workstationNanoCpus), memory: mi(limits.workstationMemoryBytes) },
          },
          volumeMounts: [
            { name: 'home', mountPath: LEARNER_HOME },
            { name: 'engine', mountPath: `${LEARNER_HOME}/.local/share/docker` },
            { name: 'tmp', mountPath: '/tmp' },
            { name: 'var-tmp', mountPath: '/var/tmp' },
            { name: 'run-user', mountPath: '/run/user/1000' },
            { name: 'opt', mountPath: '/opt/registry-lab' },
            ...ACCOUNT_FILES.map((f) => ({ name: 'accounts', mountPath: `/etc/${f}`, subPath: f, readOnly: true })),
          ],
          readinessProbe: { exec: { command: ['sh', '-c', READY_CHECK] }, periodSeconds: 1, timeoutSeconds: 5, failureThreshold: 3 },
        }, 512 * MI, 64 * MI),
      ],
    },
  };
}

export function registryPod(s: PodSettings, id: string): k8s.V1Pod {
  const { limits } = s;
  const volumes: k8s.V1Volume[] = [
    { name: 'registry', emptyDir: { sizeLimit: '4Gi' } },
    { name: 'registry-extra', emptyDir: { sizeLimit: '2Gi' } },
    { name: 'grader-tmp', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
  ];
  const disk = withDisk(volumes);
  const nothing: k8s.V1SecurityContext = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: podMeta(registryPodName(id), id, labelsFor(s.runnerId, 'registry', id)),
    spec: {
      ...podBasics,
      // A registry a flood got killed comes back (the same address: the Pod stays).
      restartPolicy: 'Always',
      volumes,
      initContainers: [
        disk({
          name: CONTAINER.seal,
          image: s.images.workstation,
          imagePullPolicy: 'IfNotPresent',
          command: ['sh', '-c', SEAL_SCRIPT],
          securityContext: initRoot(['NET_ADMIN', 'NET_RAW']),
          resources: small,
        }, 16 * MI, 64 * MI),
      ],
      containers: [
        disk({
          name: CONTAINER.registry,
          image: s.images.registry,
          imagePullPolicy: 'IfNotPresent',
          command: ['sh', '-c', REGISTRY_COMMAND],
          // Upstream registry:2 keeps delete off; the chapter teaches deleting and garbage collection.
          env: [
            { name: 'REGISTRY_STORAGE_DELETE_ENABLED', value: 'true' },
            { name: 'RL_SUPERVISE', value: kubeLiteral(SUPERVISE_SCRIPT) },
          ],
          securityContext: nothing,
          resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '500m', memory: mi(limits.registryMemoryBytes) } },
          volumeMounts: [
            { name: 'registry', mountPath: '/var/lib/registry' },
            { name: 'registry-extra', mountPath: EXTRA_REGISTRY_DIR },
          ],
        }, 64 * MI, 256 * MI),
        disk({
          // The grader: the workstation's tools (cosign, skopeo, oras...) out of the learner's reach,
          // root without a single capability, beside the registries and sending nothing but replies.
          name: CONTAINER.grader,
          image: s.images.workstation,
          imagePullPolicy: 'IfNotPresent',
          command: ['sleep', 'infinity'],
          workingDir: '/root',
          env: [
            { name: 'XDG_RUNTIME_DIR', value: '/tmp' },
            { name: 'HOME', value: '/root' },
          ],
          securityContext: { ...nothing, runAsUser: 0, runAsNonRoot: false },
          resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
          volumeMounts: [{ name: 'grader-tmp', mountPath: '/var/lib/docker' }],
          // Its /tmp (files of a check, tools' caches) is its writable layer: 2 GiB.
        }, 64 * MI, 2 * GI),
      ],
    },
  };
}

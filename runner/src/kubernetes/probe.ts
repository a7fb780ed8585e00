/**
 * The probe of a learner's image on Kubernetes. The node cannot pull from a session's registry
 * (plain HTTP on a Pod address), so a short-lived Pod fetches the image itself and runs its root
 * file system. Three init containers: `fence` closes the Pod's egress to all but loopback, replies
 * and the session's registry Pod (iptables, whatever the network plugin); `fetch` copies the image
 * out of that registry (skopeo, as nobody, no capability) and unpacks it; `seal` takes the
 * registry away again (loopback and replies only). The learner's program then runs as nobody,
 * every capability dropped, in a user namespace chrooted into the unpacked image, with memory,
 * CPU and time limits. The runner probes it over HTTP at the Pod's address and deletes the Pod
 * afterwards.
 *
 * Nothing the learner controls becomes shell text: the runner reads the image's config itself
 * (imageConfig), pins the reference to the manifest it read (so the Pod fetches exactly that
 * image), and hands the config's Env to the program as data (probeEnv, imageEnvVars); a
 * NetworkPolicy per probe (probePolicy) lets the Pod reach only its session's registry Pod and be
 * reached only by the runner, where the cluster's network plugin enforces NetworkPolicy.
 */
import { createHash, randomBytes } from 'node:crypto';
import type * as k8s from '@kubernetes/client-node';
import { probeMessage as msg, type HttpProbeResult } from '../../../checks/sandbox.ts';
import { containerEnded, pollHttp } from '../sandbox/http-poll.ts';
import { readBounded } from '../sandbox/bounded-body.ts';
import { ignoreMissing, type KubeClients, sleep } from './client.ts';
import { LABEL, labelsFor, podName, RUNNER_POD_LABELS, selector } from './names.ts';
import { MI, mib, PROBE_WORK_BYTES, withEphemeral } from './storage.ts';
import { kubeLiteral, runtimeClassOf, SEAL_SCRIPT } from './pod.ts';
import { REGISTRY_PORTS } from '../sandbox/workstation.ts';

export { kubeLiteral };

export interface ProbeSettings {
  runnerId: string;
  /** The workstation image: it has skopeo, jq, tar, iptables and unshare. */
  image: string;
  seccompProfile: string;
  /** RuntimeClass the learner's image runs under (WORKSTATION_RUNTIME); empty: the node's default. */
  runtimeClass?: string;
}

interface ProbeDeps {
  kube: KubeClients;
  id: string;
  /** The session's registry Pod (pod.ts). */
  registryIp: string;
  probe: ProbeSettings;
}

/** Copying and unpacking the image: a 300 MB single-stage Go image took up to 3 min on a loaded 2-core node. */
const FETCH_BOUND_MS = 300_000;

// tar -v names what each layer holds, so its whiteouts (.wh.NAME hides NAME of the layers below)
// are applied before the next layer without walking the whole tree; a blob is deleted once unpacked.
// Digests come from the registry's answers: only sha256:<64 hex> becomes a path (no globbing, set -f).
const FETCH = `set -euf
cd /work
skopeo copy --quiet --src-tls-verify=false "docker://$REF" oci:/work/oci:probe
digest() { case "$1" in sha256:*[!0-9a-f]*) return 1 ;; sha256:*) [ \${#1} -eq 71 ] ;; *) return 1 ;; esac; }
blob() { digest "$1" || { echo "not a sha256 digest: $1" >&2; exit 1; }; echo "oci/blobs/sha256/\${1#sha256:}"; }
d=$(jq -r '.manifests[0].digest' oci/index.json); m=$(blob "$d")
d=$(jq -r '.config.digest' "$m"); c=$(blob "$d")
jq '.config // {}' "$c" > config.json
mkdir -p rootfs
for l in $(jq -r '.layers[].digest' "$m"); do
  digest "$l" || { echo "not a sha256 digest: $l" >&2; exit 1; }
  tar -xvf "$(blob "$l")" -C rootfs --no-same-owner --exclude='dev/*' 2>/dev/null >files || echo "layer $l: some entries skipped" >&2
  grep -E '(^|/)\\.wh\\.[^/]+$' files | while read -r w; do
    case "/$w/" in */../*) continue ;; esac
    b=\${w##*/}
    rm -f "rootfs/$w"
    [ "$b" = .wh..wh..opq ] || rm -rf "rootfs/$(dirname "$w")/\${b#.wh.}"
  done
  rm -f "$(blob "$l")"
done
mkdir -p rootfs/dev rootfs/tmp rootfs/proc && chmod 1777 rootfs/tmp
rm -rf oci files`;

// The image's Env arrives checked, as RL_ENV_0..RL_ENV_<RL_ENV_COUNT-1> = "NAME=value" (imageEnvVars):
// never as the container's own environment (BASH_ENV, PATH... would steer this very script), never
// in this text. Entrypoint and Cmd are NUL-separated (an argument may hold a newline).
const RUN = `cfg=/work/config.json
wd=$(jq -r '.WorkingDir // "" | if . == "" then "/" else . end' $cfg)
envs=()
for ((i = 0; i < RL_ENV_COUNT; i++)); do v=RL_ENV_$i; envs+=("\${!v}"); done
mapfile -d '' -t cmd < <(jq -j '((.Entrypoint // []) + (.Cmd // [])) | .[] | (tostring, "\\u0000")' $cfg)
[ \${#cmd[@]} -gt 0 ] || { echo "the image names no command (Entrypoint/Cmd)" >&2; exit 127; }
# One process: unshare makes the user namespace, chroots and execs (an exec in between would
# drop every capability: the bounding set is empty). No /dev or /proc inside: empty folders.
exec env -i -- "\${envs[@]}" /usr/bin/unshare --user --map-root-user --root=/work/rootfs --wd="$wd" -- "\${cmd[@]}"`;

/** What of an image's Env reaches the learner's program (probeEnv). */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const MAX_ENV_ENTRIES = 128;
export const MAX_ENV_ENTRY_BYTES = 8 * 1024;
export const MAX_ENV_TOTAL_BYTES = 64 * 1024;
/**
 * Names dropped: they steer the dynamic loader and glibc of /usr/bin/unshare, which `env -i`
 * starts from the workstation image before the chroot (LD_PRELOAD=/work/rootfs/x.so would load
 * the learner's code outside their image; GLIBC_TUNABLES is CVE-2023-4911; GCONV_PATH, LOCPATH
 * and NLSPATH load modules or data by path). The program loses them too: a probe runs the
 * image's server, which does not need them (its libraries are in the image's usual folders).
 */
export const DENIED_ENV = /^(LD_.*|GLIBC_TUNABLES|GCONV_PATH|LOCPATH|NLSPATH)$/;

/**
 * The image config's Env as `NAME=value` strings fit to pass on: a string, a valid name not
 * denied, no NUL, each at most MAX_ENV_ENTRY_BYTES, at most MAX_ENV_ENTRIES and
 * MAX_ENV_TOTAL_BYTES in all (the rest dropped); a repeated name keeps its last value, as Docker.
 */
export function probeEnv(env: unknown): string[] {
  if (!Array.isArray(env)) return [];
  const kept = new Map<string, string>();
  for (const e of env) {
    if (typeof e !== 'string' || e.includes('\0') || Buffer.byteLength(e) > MAX_ENV_ENTRY_BYTES) continue;
    const eq = e.indexOf('=');
    const name = eq > 0 ? e.slice(0, eq) : '';
    if (!ENV_NAME.test(name) || DENIED_ENV.test(name)) continue;
    kept.delete(name);
    kept.set(name, e);
  }
  const out: string[] = [];
  let total = 0;
  for (const e of kept.values()) {
    total += Buffer.byteLength(e);
    if (out.length >= MAX_ENV_ENTRIES || total > MAX_ENV_TOTAL_BYTES) break;
    out.push(e);
  }
  return out;
}


// The fence's one opening: the session's registry Pod ($REGISTRY_IP, from the Pod's env), on the
// registry ports only. `seal` deletes that very rule before the learner's program starts.
const REGISTRY_RULE = `OUTPUT -d "$REGISTRY_IP" -p tcp -m multiport --dports ${REGISTRY_PORTS.join(',')} -j ACCEPT`;
const FENCE_SCRIPT = `${SEAL_SCRIPT}
[ -z "$REGISTRY_IP" ] || iptables -A ${REGISTRY_RULE}`;
const CLOSE_SCRIPT = `set -e
[ -z "$REGISTRY_IP" ] || iptables -D ${REGISTRY_RULE}
iptables -P OUTPUT DROP`;

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** The probe's Env (probeEnv's strings) as the app container's RL_ENV_* variables, read by RUN. */
export function imageEnvVars(env: string[]): k8s.V1EnvVar[] {
  return [{ name: 'RL_ENV_COUNT', value: String(env.length) }, ...env.map((e, i) => ({ name: `RL_ENV_${i}`, value: kubeLiteral(e) }))];
}

/** The reference as the probe Pod sees it: the session's localhost is its registry Pod's address. */
export function refFromProbe(ref: string, registryIp: string): string {
  return ref.replace(/^(localhost|127\.0\.0\.1)(?=:\d+\/)/, registryIp);
}

/**
 * The probe's NetworkPolicy (one per probe Pod, same name, deleted with it): egress only to the
 * session's registry Pod (the fetch step's only peer, by address, no DNS), ingress
 * only from the runner's Pods (it polls the program over HTTP). Kubernetes 1.20 has every field.
 */
export function probePolicy(runnerId: string, sessionId: string, name: string): k8s.V1NetworkPolicy {
  const labels = labelsFor(runnerId, 'probe', sessionId);
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, labels },
    spec: {
      podSelector: { matchLabels: labels },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ _from: [{ podSelector: { matchLabels: RUNNER_POD_LABELS } }] }],
      egress: [{ to: [{ podSelector: { matchLabels: labelsFor(runnerId, 'registry', sessionId) } }] }],
    },
  };
}

/**
 * The probe Pod. `registryIp`: the session's registry Pod, the only address the fetch step may
 * reach (none when absent: the fetch then fails).
 */
export function probePod(s: ProbeSettings, sessionId: string, name: string, ref: string, timeoutMs: number, env: string[] = [], registryIp = ''): k8s.V1Pod {
  if (registryIp && !IPV4.test(registryIp)) throw new Error(`probe: the registry Pod's address "${registryIp}" is not an IPv4 address`);
  const nobody = {
    runAsUser: 65534,
    runAsGroup: 65534,
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    readOnlyRootFilesystem: true,
  };
  const res = { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '500m', memory: '256Mi' } };
  const netAdmin = { runAsUser: 0, runAsNonRoot: false, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_ADMIN', 'NET_RAW'] }, seccompProfile: { type: 'RuntimeDefault' as const } };
  const volumes: k8s.V1Volume[] = [{ name: 'work', emptyDir: { sizeLimit: mib(PROBE_WORK_BYTES) } }];
  // ephemeral-storage (storage.ts): read-only root file systems, so logs plus the work volume;
  // the app's limit covers the work volume too (the Pod's total counts it while the app runs).
  const disk = (c: k8s.V1Container, requestBytes: number): k8s.V1Container => ({
    ...c,
    resources: withEphemeral(c.resources ?? {}, volumes, c.volumeMounts, requestBytes, 256 * MI),
  });
  // The Pod's own network rules, before the fetch (fence) and after it (seal): NET_ADMIN, nothing else.
  const netStep = (stepName: string, script: string) =>
    disk({
      name: stepName,
      image: s.image,
      imagePullPolicy: 'IfNotPresent',
      command: ['sh', '-c', script],
      env: [{ name: 'REGISTRY_IP', value: registryIp }],
      securityContext: netAdmin,
      resources: res,
    }, 16 * MI);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: labelsFor(s.runnerId, 'probe', sessionId) },
    spec: {
      ...runtimeClassOf(s.runtimeClass),
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 1,
      activeDeadlineSeconds: Math.ceil((timeoutMs + FETCH_BOUND_MS) / 1000) + 60,
      volumes,
      initContainers: [
        netStep('fence', FENCE_SCRIPT),
        disk({
          name: 'fetch',
          image: s.image,
          imagePullPolicy: 'IfNotPresent',
          command: ['bash', '-c', FETCH],
          env: [{ name: 'REF', value: kubeLiteral(ref) }, { name: 'HOME', value: '/work' }, { name: 'TMPDIR', value: '/work' }, { name: 'XDG_RUNTIME_DIR', value: '/work' }],
          securityContext: { ...nobody, seccompProfile: { type: 'RuntimeDefault' } },
          // Our own tools on the learner's bytes, bounded by the Pod's deadline: as fast as the node allows.
          resources: { requests: res.requests, limits: { cpu: '2', memory: '512Mi' } },
          volumeMounts: [{ name: 'work', mountPath: '/work' }],
        }, 512 * MI),
        netStep('seal', CLOSE_SCRIPT),
      ],
      containers: [
        disk({
          name: 'app',
          image: s.image,
          imagePullPolicy: 'IfNotPresent',
          command: ['bash', '-c', RUN],
          env: imageEnvVars(env),
          // The user namespace and chroot need the rootless engine's seccomp profile; nothing else.
          securityContext: { ...nobody, seccompProfile: { type: 'Localhost', localhostProfile: s.seccompProfile } },
          resources: res,
          volumeMounts: [{ name: 'work', mountPath: '/work', readOnly: true }],
        }, 16 * MI),
      ],
    },
  };
}

function terminated(pod: k8s.V1Pod, container: string, init = false) {
  const list = init ? pod.status?.initContainerStatuses : pod.status?.containerStatuses;
  return list?.find((c) => c.name === container)?.state?.terminated;
}

export async function probeImage(deps: ProbeDeps, ref: string, opts: { port: number; path: string; timeoutMs: number }): Promise<HttpProbeResult> {
  const { core, net, namespace } = deps.kube;
  const name = `${podName(deps.id).slice(0, 40)}-probe-${randomBytes(4).toString('hex')}`;
  const logs = async (container: string) =>
    String((await core.readNamespacedPodLog({ name, namespace, container, tailLines: 10 }).catch(() => '')) ?? '')
      .replace(/[^\x09\x0a\x20-\x7e\u0400-\u04ff]/g, '')
      .trim()
      .slice(-300);
  const seen = refFromProbe(ref, deps.registryIp);
  // Read by the runner first: the Pod then fetches that very manifest (pinned by digest) and
  // gets its checked Env. Unreadable (gone, refused): the Pod fetches the reference as given,
  // without Env, and its fetch step says why it fails.
  const config = await imageConfig(seen);
  const fetchRef = config ? pinRef(seen, config.digest) : seen;
  const user = config?.user ?? '';
  await net.createNamespacedNetworkPolicy({ namespace, body: probePolicy(deps.probe.runnerId, deps.id, name) });
  try {
    await core.createNamespacedPod({ namespace, body: probePod(deps.probe, deps.id, name, fetchRef, opts.timeoutMs, config?.env ?? [], deps.registryIp) });
    // Fetching and unpacking the image is not the program's time: it has its own bound.
    const startBy = Date.now() + FETCH_BOUND_MS;
    let pod: k8s.V1Pod | undefined;
    for (;;) {
      pod = await core.readNamespacedPod({ name, namespace });
      const fetch = terminated(pod, 'fetch', true);
      if (fetch && fetch.exitCode !== 0) return { ok: false, error: msg('probe.pull-failed', { ref, why: await logs('fetch') }) };
      if (pod.status?.containerStatuses?.[0]?.state?.running || terminated(pod, 'app')) break;
      if (Date.now() > startBy) return { ok: false, error: msg('probe.not-started-in', { minutes: 5 }) };
      await sleep(300);
    }
    return await pollHttp(`http://${pod.status?.podIP}:${opts.port}${opts.path}`, opts, {
      user,
      everyMs: 300,
      ended: async () => {
        const ended = terminated(await core.readNamespacedPod({ name, namespace }), 'app');
        return ended ? containerEnded(ended.exitCode, await logs('app'), user) : undefined;
      },
    });
  } finally {
    await ignoreMissing(core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 }));
    for (let i = 0; i < 200 && (await ignoreMissing(core.readNamespacedPod({ name, namespace }))); i++) await sleep(300);
    await ignoreMissing(net.deleteNamespacedNetworkPolicy({ name, namespace }));
  }
}

/**
 * Deletes the probe NetworkPolicies of a runner whose Pod is gone (a runner stopped between
 * the two deletions) once they are older than any probe can be. The runner's start calls it.
 */
export async function reapProbePolicies(kube: KubeClients, runnerId: string, olderThanMs = 15 * 60_000): Promise<number> {
  const { core, net, namespace } = kube;
  const list = await net.listNamespacedNetworkPolicy({ namespace, labelSelector: selector({ [LABEL.runner]: runnerId, [LABEL.role]: 'probe' }) });
  let reaped = 0;
  for (const p of list.items) {
    const name = p.metadata?.name;
    const born = p.metadata?.creationTimestamp ? new Date(p.metadata.creationTimestamp).getTime() : 0;
    if (!name || Date.now() - born < olderThanMs) continue;
    if (await ignoreMissing(core.readNamespacedPod({ name, namespace }))) continue;
    await ignoreMissing(net.deleteNamespacedNetworkPolicy({ name, namespace }));
    reaped++;
  }
  return reaped;
}

const MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

/** Manifests and image configs are a few KiB: a larger answer is refused, not buffered. */
const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;

const REF = /^([^/]+)\/(.+?)(?::([\w][\w.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/;

/** `host/repo@digest`: the reference pinned to the manifest the runner read. */
export function pinRef(ref: string, digest: string): string {
  const m = REF.exec(ref);
  return m ? `${m[1]}/${m[2]}@${digest}` : ref;
}

export interface ImageConfig {
  /** sha256 of the manifest (or index) the reference named when the runner read it. */
  digest: string;
  /** `User` of the image config ('' if none). */
  user: string;
  /** The config's Env, checked (probeEnv). */
  env: string[];
}

/**
 * The image's manifest digest, `User` and checked `Env`, read from the session registry by the
 * runner (undefined if it cannot tell: the reference is not host/repo[:tag][@digest], the image
 * is missing, an answer is not what a registry sends). An index: its amd64 image's config.
 */
export async function imageConfig(ref: string): Promise<ImageConfig | undefined> {
  const m = REF.exec(ref);
  if (!m) return undefined;
  const [, host, repo, tag, digest] = m;
  const base = `http://${host}/v2/${repo}`;
  const get = async (path: string) => {
    const controller = AbortSignal.timeout(10_000);
    const res = await fetch(`${base}/${path}`, { headers: { accept: MANIFEST_TYPES }, signal: controller, redirect: 'error' });
    if (!res.ok) throw new Error(String(res.status));
    const bytes = await readBounded(res, MAX_DOCUMENT_BYTES);
    if (!bytes) throw new Error('too large');
    return { bytes, doc: JSON.parse(bytes.toString('utf8')) as { manifests?: { digest?: unknown; platform?: { architecture?: string } }[]; config?: { digest?: unknown } } & Record<string, unknown> };
  };
  const digestOk = (d: unknown): d is string => typeof d === 'string' && /^sha256:[a-f0-9]{64}$/.test(d);
  try {
    const top = await get(`manifests/${digest ?? tag ?? 'latest'}`);
    const pinned = `sha256:${createHash('sha256').update(top.bytes).digest('hex')}`;
    let manifest = top.doc;
    if (Array.isArray(manifest.manifests)) {
      const pick = manifest.manifests.find((x) => x?.platform?.architecture === 'amd64') ?? manifest.manifests[0];
      if (!digestOk(pick?.digest)) return undefined;
      manifest = (await get(`manifests/${pick.digest}`)).doc;
    }
    if (!digestOk(manifest.config?.digest)) return undefined;
    const config = (await get(`blobs/${manifest.config.digest}`)).doc as { config?: { User?: unknown; Env?: unknown } };
    const user = typeof config.config?.User === 'string' ? config.config.User : '';
    return { digest: pinned, user, env: probeEnv(config.config?.Env) };
  } catch {
    return undefined;
  }
}

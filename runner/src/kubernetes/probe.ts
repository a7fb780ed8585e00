/**
 * The probe of a learner's image on Kubernetes. The node cannot pull from a session's registry
 * (plain HTTP on a Pod address), so a short-lived Pod fetches the image itself and runs its root
 * file system: an init container copies it out of the session registry (skopeo, as nobody, no
 * capability) and unpacks it; a second one closes the Pod's egress (iptables: loopback and
 * replies only); the learner's program then runs as nobody, every capability dropped, in a user
 * namespace chrooted into the unpacked image, with memory, CPU and time limits. The runner
 * probes it over HTTP at the Pod's address and deletes the Pod afterwards.
 */
import { randomBytes } from 'node:crypto';
import type * as k8s from '@kubernetes/client-node';
import type { HttpProbeResult } from '../docker/contract.ts';
import { containerEnded, pollHttp } from '../core/http-poll.ts';
import { ignoreMissing, type KubeClients, sleep } from './client.ts';
import { labelsFor, podName } from './names.ts';

export interface ProbeSettings {
  runnerId: string;
  /** The workstation image: it has skopeo, jq, tar, iptables and unshare. */
  image: string;
  seccompProfile: string;
}

interface ProbeDeps {
  kube: KubeClients;
  id: string;
  podIp: string;
  probe: ProbeSettings;
}

/** Copying and unpacking the image: a 300 MB single-stage Go image took up to 3 min on a loaded 2-core node. */
const FETCH_BOUND_MS = 300_000;

// tar -v names what each layer holds, so its whiteouts (.wh.NAME hides NAME of the layers below)
// are applied before the next layer without walking the whole tree; a blob is deleted once unpacked.
const FETCH = `set -eu
cd /work
skopeo copy --quiet --src-tls-verify=false "docker://$REF" oci:/work/oci:probe
blob() { echo "oci/blobs/sha256/\${1#sha256:}"; }
m=$(blob "$(jq -r '.manifests[0].digest' oci/index.json)")
jq '.config // {}' "$(blob "$(jq -r '.config.digest' "$m")")" > config.json
mkdir -p rootfs
for l in $(jq -r '.layers[].digest' "$m"); do
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

const SEAL = `set -e
iptables -P OUTPUT DROP
iptables -A OUTPUT -o lo -j ACCEPT
iptables -A OUTPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
ip6tables -P OUTPUT DROP 2>/dev/null || true`;

const RUN = `cfg=/work/config.json
wd=$(jq -r '.WorkingDir // "" | if . == "" then "/" else . end' $cfg)
mapfile -t envs < <(jq -r '.Env // [] | .[]' $cfg)
mapfile -t cmd < <(jq -r '((.Entrypoint // []) + (.Cmd // [])) | .[]' $cfg)
[ \${#cmd[@]} -gt 0 ] || { echo "the image names no command (Entrypoint/Cmd)" >&2; exit 127; }
# One process: unshare makes the user namespace, chroots and execs (an exec in between would
# drop every capability: the bounding set is empty). No /dev or /proc inside: empty folders.
exec env -i "\${envs[@]}" /usr/bin/unshare --user --map-root-user --root=/work/rootfs --wd="$wd" -- "\${cmd[@]}"`;

/** The reference as the probe Pod sees it: the session's localhost is the session Pod's address. */
export function refFromProbe(ref: string, podIp: string): string {
  return ref.replace(/^(localhost|127\.0\.0\.1)(?=:\d+\/)/, podIp);
}

export function probePod(s: ProbeSettings, sessionId: string, name: string, ref: string, timeoutMs: number): k8s.V1Pod {
  const nobody = {
    runAsUser: 65534,
    runAsGroup: 65534,
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    readOnlyRootFilesystem: true,
  };
  const res = { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '500m', memory: '256Mi' } };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: labelsFor(s.runnerId, 'probe', sessionId) },
    spec: {
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 1,
      activeDeadlineSeconds: Math.ceil((timeoutMs + FETCH_BOUND_MS) / 1000) + 60,
      volumes: [{ name: 'work', emptyDir: { sizeLimit: '2Gi' } }],
      initContainers: [
        {
          name: 'fetch',
          image: s.image,
          imagePullPolicy: 'IfNotPresent',
          command: ['bash', '-c', FETCH],
          env: [{ name: 'REF', value: ref }, { name: 'HOME', value: '/work' }, { name: 'TMPDIR', value: '/work' }, { name: 'XDG_RUNTIME_DIR', value: '/work' }],
          securityContext: { ...nobody, seccompProfile: { type: 'RuntimeDefault' } },
          // Our own tools on the learner's bytes, bounded by the Pod's deadline: as fast as the node allows.
          resources: { requests: res.requests, limits: { cpu: '2', memory: '512Mi' } },
          volumeMounts: [{ name: 'work', mountPath: '/work' }],
        },
        {
          name: 'seal',
          image: s.image,
          imagePullPolicy: 'IfNotPresent',
          command: ['sh', '-c', SEAL],
          securityContext: { runAsUser: 0, runAsNonRoot: false, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_ADMIN', 'NET_RAW'] }, seccompProfile: { type: 'RuntimeDefault' } },
          resources: res,
        },
      ],
      containers: [
        {
          name: 'app',
          image: s.image,
          imagePullPolicy: 'IfNotPresent',
          command: ['bash', '-c', RUN],
          // The user namespace and chroot need the rootless engine's seccomp profile; nothing else.
          securityContext: { ...nobody, seccompProfile: { type: 'Localhost', localhostProfile: s.seccompProfile } },
          resources: res,
          volumeMounts: [{ name: 'work', mountPath: '/work', readOnly: true }],
        },
      ],
    },
  };
}

function terminated(pod: k8s.V1Pod, container: string, init = false) {
  const list = init ? pod.status?.initContainerStatuses : pod.status?.containerStatuses;
  return list?.find((c) => c.name === container)?.state?.terminated;
}

export async function probeImage(deps: ProbeDeps, ref: string, opts: { port: number; path: string; timeoutMs: number }): Promise<HttpProbeResult> {
  const { core, namespace } = deps.kube;
  const name = `${podName(deps.id).slice(0, 40)}-probe-${randomBytes(4).toString('hex')}`;
  const logs = async (container: string) =>
    String((await core.readNamespacedPodLog({ name, namespace, container, tailLines: 10 }).catch(() => '')) ?? '')
      .replace(/[^\x09\x0a\x20-\x7e\u0400-\u04ff]/g, '')
      .trim()
      .slice(-300);
  const seen = refFromProbe(ref, deps.podIp);
  await core.createNamespacedPod({ namespace, body: probePod(deps.probe, deps.id, name, seen, opts.timeoutMs) });
  const user = await imageUser(seen);
  try {
    // Fetching and unpacking the image is not the program's time: it has its own bound.
    const startBy = Date.now() + FETCH_BOUND_MS;
    let pod: k8s.V1Pod | undefined;
    for (;;) {
      pod = await core.readNamespacedPod({ name, namespace });
      const fetch = terminated(pod, 'fetch', true);
      if (fetch && fetch.exitCode !== 0) return { ok: false, error: `образ ${ref} не удалось получить из реестра: ${await logs('fetch')}` };
      if (pod.status?.containerStatuses?.[0]?.state?.running || terminated(pod, 'app')) break;
      if (Date.now() > startBy) return { ok: false, error: 'контейнер не запустился за 5 минут' };
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
  }
}

const MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

/** `User` of the image config, read from the session registry by the runner ('' if it cannot tell). */
export async function imageUser(ref: string): Promise<string> {
  const m = /^([^/]+)\/(.+?)(?::([\w][\w.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/.exec(ref);
  if (!m) return '';
  const [, host, repo, tag, digest] = m;
  const base = `http://${host}/v2/${repo}`;
  const get = async (path: string) => {
    const res = await fetch(`${base}/${path}`, { headers: { accept: MANIFEST_TYPES }, signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(String(res.status));
    return (await res.json()) as { manifests?: { digest: string; platform?: { architecture?: string } }[]; config?: { digest: string }; config_?: unknown; User?: string } & Record<string, unknown>;
  };
  try {
    let manifest = await get(`manifests/${digest ?? tag ?? 'latest'}`);
    if (manifest.manifests) {
      const pick = manifest.manifests.find((x) => x.platform?.architecture === 'amd64') ?? manifest.manifests[0];
      if (!pick) return '';
      manifest = await get(`manifests/${pick.digest}`);
    }
    if (!manifest.config) return '';
    const config = (await get(`blobs/${manifest.config.digest}`)) as { config?: { User?: string } };
    return config.config?.User ?? '';
  } catch {
    return '';
  }
}

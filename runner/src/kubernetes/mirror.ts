/**
 * The runner's read-only mirror (a Deployment and a Service) and the NetworkPolicies of its
 * sandboxes. Sandboxes reach the mirror at its Pod's address (hostAliases `mirror`), so a
 * cluster without kube-proxy or DNS works too; the Service is there for clusters that have them.
 */
import type * as k8s from '@kubernetes/client-node';
import { REGISTRY_PORTS } from '../sandbox/workstation.ts';
import { ignoreMissing, isConflict, type KubeClients, until } from './client.ts';
import { LABEL, labelsFor, RUNNER_POD_LABELS, runnerSlug, selector } from './names.ts';

const PRIVATE = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16'];

export function mirrorName(runnerId: string): string {
  return `rl-mirror-${runnerSlug(runnerId)}`;
}

export function mirrorObjects(runnerId: string, image: string): { deployment: k8s.V1Deployment; service: k8s.V1Service } {
  const name = mirrorName(runnerId);
  const labels = labelsFor(runnerId, 'mirror');
  return {
    deployment: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            terminationGracePeriodSeconds: 2,
            containers: [
              {
                name: 'mirror',
                image,
                imagePullPolicy: 'IfNotPresent',
                ports: [{ containerPort: 5000, name: 'registry' }],
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } },
                // Read-only root file system and no volume: only its logs are on the node's disk.
                resources: { requests: { cpu: '10m', memory: '32Mi', 'ephemeral-storage': '64Mi' }, limits: { cpu: '500m', memory: '256Mi', 'ephemeral-storage': '512Mi' } },
                readinessProbe: { httpGet: { path: '/v2/', port: 5000 }, periodSeconds: 1 },
              },
            ],
          },
        },
      },
    },
    service: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, labels },
      spec: { selector: labels, ports: [{ name: 'registry', port: 5000, targetPort: 5000 }] },
    },
  };
}

/**
 * For clusters that enforce NetworkPolicy (the iptables rules of the init container hold
 * without it): sandboxes talk to the mirror, DNS and the internet outside private ranges, and
 * are reached only by the runner and by the probes of their runner; the mirror only by sandboxes.
 */
export function networkPolicies(runnerId: string): k8s.V1NetworkPolicy[] {
  const name = mirrorName(runnerId).replace('rl-mirror-', 'rl-');
  const sandboxes = { matchLabels: { [LABEL.runner]: runnerId, [LABEL.role]: 'sandbox' } };
  const registries = { matchLabels: { [LABEL.runner]: runnerId, [LABEL.role]: 'registry' } };
  const registryPorts = REGISTRY_PORTS.map((port) => ({ protocol: 'TCP', port }));
  return [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: `${name}-sandboxes`, labels: labelsFor(runnerId, 'mirror') },
      spec: {
        podSelector: sandboxes,
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          {
            _from: [
              { podSelector: { matchLabels: { ...RUNNER_POD_LABELS } } },
              { podSelector: { matchLabels: { [LABEL.runner]: runnerId, [LABEL.role]: 'probe' } } },
            ],
          },
        ],
        egress: [
          { to: [{ podSelector: { matchLabels: labelsFor(runnerId, 'mirror') } }], ports: [{ protocol: 'TCP', port: 5000 }] },
          // Its own registry Pod (which one: the workstation's iptables rules, pod.ts initScript).
          { to: [{ podSelector: registries }], ports: registryPorts },
          { ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] },
          { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: PRIVATE } }] },
        ],
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: `${name}-mirror`, labels: labelsFor(runnerId, 'mirror') },
      spec: {
        podSelector: { matchLabels: labelsFor(runnerId, 'mirror') },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ _from: [{ podSelector: sandboxes }], ports: [{ protocol: 'TCP', port: 5000 }] }],
        egress: [],
      },
    },
    {
      // The registry Pods answer workstations, probes and the runner, and send nothing (their own
      // iptables rules say the same where no network plugin enforces this: pod.ts SEAL_SCRIPT).
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: `${name}-registries`, labels: labelsFor(runnerId, 'mirror') },
      spec: {
        podSelector: registries,
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          {
            _from: [
              { podSelector: sandboxes },
              { podSelector: { matchLabels: { ...RUNNER_POD_LABELS } } },
              { podSelector: { matchLabels: { [LABEL.runner]: runnerId, [LABEL.role]: 'probe' } } },
            ],
            ports: registryPorts,
          },
        ],
        egress: [],
      },
    },
  ];
}

async function apply<T>(create: () => Promise<T>, remove: () => Promise<unknown>): Promise<T> {
  try {
    return await create();
  } catch (err) {
    if (!isConflict(err)) throw err;
    await ignoreMissing(remove());
    return until('the old object to go', async () => create().catch((e: unknown) => (isConflict(e) ? undefined : Promise.reject(e))), 60_000, 500);
  }
}

export class KubeMirror {
  private ip = '';
  private readonly kube: KubeClients;
  private readonly runnerId: string;
  private readonly image: string;
  constructor(kube: KubeClients, runnerId: string, image: string) {
    this.kube = kube;
    this.runnerId = runnerId;
    this.image = image;
  }

  /** Creates (or replaces) the mirror and the policies; resolves once the mirror answers. */
  async start(): Promise<void> {
    const { core, apps, net, namespace } = this.kube;
    const { deployment, service } = mirrorObjects(this.runnerId, this.image);
    const name = mirrorName(this.runnerId);
    const existing = await ignoreMissing(apps.readNamespacedDeployment({ name, namespace }));
    if (!existing || existing.spec?.template.spec?.containers[0]?.image !== this.image) {
      await apply(() => apps.createNamespacedDeployment({ namespace, body: deployment }), () => apps.deleteNamespacedDeployment({ name, namespace }));
    }
    if (!(await ignoreMissing(core.readNamespacedService({ name, namespace })))) {
      await core.createNamespacedService({ namespace, body: service });
    }
    for (const policy of networkPolicies(this.runnerId)) {
      const pname = policy.metadata!.name!;
      await apply(() => net.createNamespacedNetworkPolicy({ namespace, body: policy }), () => net.deleteNamespacedNetworkPolicy({ name: pname, namespace }));
    }
    await this.address();
  }

  /** The ready mirror Pod's address (waits for one). */
  async address(): Promise<string> {
    const { core, namespace } = this.kube;
    this.ip = await until(
      'the mirror Pod to be ready',
      async () => {
        const pods = await core.listNamespacedPod({ namespace, labelSelector: selector(labelsFor(this.runnerId, 'mirror')) });
        const ready = pods.items.find((p) => !p.metadata?.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
        return ready?.status?.podIP || undefined;
      },
      120_000,
      500,
    );
    return this.ip;
  }

  /** The address known from start(), or looked up again (after a restart of the mirror Pod). */
  async currentAddress(): Promise<string> {
    return this.ip || this.address();
  }

  async stop(): Promise<void> {
    const { core, apps, net, namespace } = this.kube;
    const name = mirrorName(this.runnerId);
    await ignoreMissing(apps.deleteNamespacedDeployment({ name, namespace, propagationPolicy: 'Foreground', gracePeriodSeconds: 0 }));
    await ignoreMissing(core.deleteNamespacedService({ name, namespace }));
    for (const p of networkPolicies(this.runnerId)) await ignoreMissing(net.deleteNamespacedNetworkPolicy({ name: p.metadata!.name!, namespace }));
    // The Deployment's ReplicaSet and Pod go with it (foreground): wait so nothing is left behind.
    await until(
      'the mirror to go',
      async () => {
        const pods = await core.listNamespacedPod({ namespace, labelSelector: selector(labelsFor(this.runnerId, 'mirror')) });
        const d = await ignoreMissing(apps.readNamespacedDeployment({ name, namespace }));
        return pods.items.length === 0 && !d ? true : undefined;
      },
      120_000,
      500,
    );
  }
}

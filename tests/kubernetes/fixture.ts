/**
 * Runners and providers on the test cluster (SANDBOX_BACKEND=kubernetes), each in a namespace
 * of its own (testNamespace from ./cluster.ts) that is deleted afterwards with all it holds.
 */
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { createRunner, type Runner } from '../../runner/src/app.ts';
import { providerFor } from '../../runner/src/backends.ts';
import { loadConfig, type Config } from '../../runner/src/config.ts';
import type { SandboxProvider } from '../../runner/src/sandbox/provider.ts';
import { POD_SECURITY_LABELS } from '../../runner/src/kubernetes/names.ts';
import { kubeconfig, SECCOMP_PROFILE, testNamespace } from './cluster.ts';

export interface TestNamespace {
  name: string;
  kubeconfig: string;
  core: k8s.CoreV1Api;
  apps: k8s.AppsV1Api;
  net: k8s.NetworkingV1Api;
  /** Everything left in the namespace that the backend makes (Pods, Services, Deployments, policies). */
  leftovers(): Promise<string[]>;
  remove(): Promise<void>;
}

export async function createTestNamespace(tag: string): Promise<TestNamespace> {
  const path = await kubeconfig();
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(path);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const net = kc.makeApiClient(k8s.NetworkingV1Api);
  const name = testNamespace(tag);
  // The runner's namespace labels (ignored by the 1.20 test cluster; Pod Security admission is 1.23+).
  await core.createNamespace({ body: { metadata: { name, labels: { ...POD_SECURITY_LABELS } } } });
  // The controller-manager makes the default service account; Pods are refused until it exists.
  for (let i = 0; i < 120 && !(await core.readNamespacedServiceAccount({ name: 'default', namespace: name }).catch(() => null)); i++) {
    await new Promise((r) => setTimeout(r, 500));
  }
  return {
    name,
    kubeconfig: path,
    core,
    apps,
    net,
    async leftovers() {
      const [pods, services, deployments, policies] = await Promise.all([
        core.listNamespacedPod({ namespace: name }),
        core.listNamespacedService({ namespace: name }),
        apps.listNamespacedDeployment({ namespace: name }),
        net.listNamespacedNetworkPolicy({ namespace: name }),
      ]);
      return [
        ...pods.items.map((p) => `pod ${p.metadata?.name}`),
        ...services.items.map((p) => `service ${p.metadata?.name}`),
        ...deployments.items.map((p) => `deployment ${p.metadata?.name}`),
        ...policies.items.map((p) => `networkpolicy ${p.metadata?.name}`),
      ];
    },
    async remove() {
      await core.deleteNamespace({ name }).catch(() => undefined);
      for (let i = 0; i < 240 && (await core.readNamespace({ name }).catch(() => null)); i++) await new Promise((r) => setTimeout(r, 500));
    },
  };
}

export function kubeOverrides(ns: TestNamespace, over: Partial<Config> = {}): Partial<Config> {
  return {
    sandboxBackend: 'kubernetes',
    kubeNamespace: ns.name,
    kubeconfig: ns.kubeconfig,
    kubeSeccompProfile: SECCOMP_PROFILE,
    runnerId: `k8s-${randomBytes(4).toString('hex')}`,
    ...over,
  };
}

export async function startKubeRunner(ns: TestNamespace, over: Partial<Config> = {}): Promise<Runner> {
  return createRunner({ port: 0, warmPoolSize: 0, logLevel: 'error', siteDir: '/nonexistent-site', ...kubeOverrides(ns, over) });
}

export async function kubeProvider(ns: TestNamespace, runnerId = `k8s-${randomBytes(4).toString('hex')}`, env: Record<string, string> = {}): Promise<SandboxProvider> {
  return providerFor({ ...loadConfig({ ...process.env, WARM_POOL_SIZE: '0', ...env }), ...kubeOverrides(ns, { runnerId }) });
}

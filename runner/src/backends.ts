/**
 * The sandbox backend SANDBOX_BACKEND names, made from the runner config: Docker (docker/, the
 * default) or Kubernetes (kubernetes/). Each is loaded only when chosen, so a runner on one never
 * loads the other's client.
 */
import { sandboxLimits, type Config } from './config.ts';
import type { SandboxProvider } from './sandbox/provider.ts';

/** The real Docker provider (runner/src/docker/index.ts), configured from the runner config. */
export async function dockerProviderFor(config: Config): Promise<SandboxProvider> {
  const mod = await import('./docker/index.ts');
  return mod.createDockerProvider({
    runnerId: config.runnerId,
    images: { workstation: config.workstationImage, registry: config.registryImage, mirror: config.mirrorImage },
    limits: sandboxLimits(config),
    selfContainer: config.runnerContainer || undefined,
    egress: { policy: config.egress, allow: config.egressAllow },
    runtime: config.workstationRuntime,
    network: config.workstationNet,
    diskQuotaBytes: config.sessionDiskQuota,
    quotaDir: config.quotaDir,
    terminalDir: config.terminalDir,
  });
}

/** The provider SANDBOX_BACKEND names: Docker (default) or Kubernetes (runner/src/kubernetes). */
export async function providerFor(config: Config): Promise<SandboxProvider> {
  if (config.sandboxBackend !== 'kubernetes') return dockerProviderFor(config);
  const mod = await import('./kubernetes/index.ts');
  return mod.createKubernetesProvider({
    runnerId: config.runnerId,
    namespace: config.kubeNamespace,
    kubeconfig: config.kubeconfig || undefined,
    images: { workstation: config.workstationImage, registry: config.registryImage, mirror: config.mirrorImage },
    limits: sandboxLimits(config),
    seccompProfile: config.kubeSeccompProfile,
    egress: { policy: config.egress, allow: config.egressAllow },
    diskQuotaBytes: config.sessionDiskQuota,
    runtimeClass: config.workstationRuntime || undefined,
  });
}

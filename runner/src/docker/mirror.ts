/**
 * The runner's registry mirror container on Docker: started once, attached to every session network.
 */
import type Docker from 'dockerode';
import { ignoreMissing, removeContainer } from './client.ts';
import { labelsFor } from './labels.ts';

/**
 * The runner's read-only registry mirror. Its content is baked into MIRROR_IMAGE; it joins
 * every session network under the alias `mirror`. Forwarding is off in its network namespace
 * so that, being on every session network, it can never route between sessions.
 */
export class Mirror {
  readonly docker: Docker;
  readonly runnerId: string;
  readonly image: string;
  readonly containerName: string;
  readonly networkName: string;
  readonly logMaxSize: string;

  constructor(docker: Docker, runnerId: string, image: string, logMaxSize: string) {
    this.docker = docker;
    this.logMaxSize = logMaxSize;
    this.runnerId = runnerId;
    this.image = image;
    this.containerName = `rl-mirror-${runnerId}`;
    this.networkName = `rl-mirror-${runnerId}`;
  }

  async start(): Promise<void> {
    const labels = labelsFor(this.runnerId, 'mirror');
    await removeContainer(this.docker, this.containerName);
    await ignoreMissing(this.docker.getNetwork(this.networkName).remove());
    await this.docker.createNetwork({ Name: this.networkName, Driver: 'bridge', Internal: true, Labels: labelsFor(this.runnerId, 'network') });
    const container = await this.docker.createContainer({
      name: this.containerName,
      Image: this.image,
      Labels: labels,
      HostConfig: {
        NetworkMode: this.networkName,
        // Shared by every session: no capability, no way up, read-only; each sandbox's connections
        // to it are capped in its own namespace (sandbox/egress.ts), so one learner's flood leaves room.
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        ReadonlyRootfs: true,
        Memory: 256 * 1024 * 1024,
        PidsLimit: 256,
        RestartPolicy: { Name: 'unless-stopped' },
        Sysctls: { 'net.ipv4.ip_forward': '0', 'net.ipv4.conf.all.forwarding': '0' },
        LogConfig: { Type: 'json-file', Config: { 'max-size': this.logMaxSize, 'max-file': '1' } },
      },
    });
    await container.start();
  }

  async attach(networkName: string): Promise<void> {
    await this.docker.getNetwork(networkName).connect({ Container: this.containerName, EndpointConfig: { Aliases: ['mirror'] } });
  }

  /** The mirror's address on a session network (the one neighbour a sandbox may reach there). */
  async addressOn(networkName: string): Promise<string> {
    const info = await this.docker.getContainer(this.containerName).inspect();
    const ip = info.NetworkSettings.Networks[networkName]?.IPAddress;
    if (!ip) throw new Error(`mirror has no address on ${networkName}`);
    return ip;
  }

  async detach(networkName: string): Promise<void> {
    await ignoreMissing(this.docker.getNetwork(networkName).disconnect({ Container: this.containerName, Force: true }));
  }

  /** True while the mirror container runs (the readiness probe). */
  async running(): Promise<boolean> {
    const info = await this.docker.getContainer(this.containerName).inspect();
    return info.State.Running === true;
  }

  async stop(): Promise<void> {
    await removeContainer(this.docker, this.containerName);
    await ignoreMissing(this.docker.getNetwork(this.networkName).remove());
  }
}

/**
 * Removing a runner's (or one session's) containers, networks and volumes by their labels, in an order Docker accepts.
 */
import type Docker from 'dockerode';
import { ignoreMissing, removeContainer } from './client.ts';
import { LABEL, labelFilter, objectName } from './labels.ts';

/**
 * Removes every container, network and volume of a runner (or of one session of it).
 * Containers that share another's network namespace go first, then the rest.
 */
export async function removeLabelled(docker: Docker, runnerId: string, sessionId?: string): Promise<number> {
  const filters = labelFilter(runnerId, sessionId);
  let removed = 0;
  const containers = await docker.listContainers({ all: true, filters });
  const order = (role: string | undefined) => (role === 'workstation' ? 1 : role === 'mirror' ? 2 : 0);
  containers.sort((a, b) => order(a.Labels[LABEL.role]) - order(b.Labels[LABEL.role]));
  for (const c of containers) {
    await removeContainer(docker, c.Id);
    removed++;
  }
  const networks = await docker.listNetworks({ filters });
  for (const n of networks) {
    const net = docker.getNetwork(n.Id);
    const info = await ignoreMissing(net.inspect());
    for (const id of Object.keys(info?.Containers ?? {})) {
      await ignoreMissing(net.disconnect({ Container: id, Force: true }).catch(() => undefined));
    }
    await ignoreMissing(net.remove());
    removed++;
  }
  const { Volumes } = await docker.listVolumes({ filters });
  for (const v of Volumes ?? []) {
    await ignoreMissing(docker.getVolume(v.Name).remove({ force: true }));
    removed++;
  }
  // A creation cancelled while it ran may still create a container that names a volume just
  // removed: the engine then makes it again, without labels. Such volumes go by their name.
  if (sessionId) {
    for (const part of SESSION_VOLUMES) {
      const v = docker.getVolume(objectName(sessionId, part));
      const info = await ignoreMissing(v.inspect()).catch(() => null);
      if (info && !info.Labels) removed += (await ignoreMissing(v.remove({ force: true }).then(() => 1))) ?? 0;
    }
  }
  return removed;
}

/** The volumes a session's containers name (sandbox.ts, quota.ts, session-user.ts). */
export const SESSION_VOLUMES = ['home', 'registry', 'opt', 'accounts'] as const;

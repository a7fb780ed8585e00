/**
 * The dockerode client and Docker's answers the backend asks about (not found, conflict), with idempotent removal.
 */
import Docker from 'dockerode';
import { ignoringMissing } from '../sandbox/ignore-missing.ts';

/** One dockerode client; DOCKER_HOST / the default socket decide where it points. */
export function createDockerClient(): Docker {
  return new Docker();
}

export function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { statusCode?: number }).statusCode === 404;
}

export function isConflict(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { statusCode?: number }).statusCode === 409;
}

/** Ignores "no such object" errors (HTTP 404), so removals are idempotent. */
export const ignoreMissing = ignoringMissing(isNotFound);

/** Removes a container (name or id) with its anonymous volumes; absent is fine. */
export async function removeContainer(docker: Docker, nameOrId: string): Promise<void> {
  await ignoreMissing(docker.getContainer(nameOrId).remove({ force: true, v: true }));
}

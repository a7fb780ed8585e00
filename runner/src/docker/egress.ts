/**
 * The Docker side of a sandbox's egress rules: a short-lived helper container with NET_ADMIN in
 * the workstation's network namespace runs the rules of sandbox/egress.ts.
 */
import type Docker from 'dockerode';
import { egressScript, type EgressPolicy, type EgressTargets } from '../sandbox/egress.ts';
import { removeContainer } from './client.ts';
import { labelsFor, objectName } from './labels.ts';

/** Applies the rules with a short-lived helper that holds NET_ADMIN in that namespace only. */
export async function applyEgress(
  docker: Docker,
  runnerId: string,
  id: string,
  workstation: string,
  image: string,
  policy: EgressPolicy,
  targets: EgressTargets,
  logMaxSize: string,
): Promise<void> {
  const name = objectName(id, 'egress');
  await removeContainer(docker, name);
  const c = await docker.createContainer({
    name,
    Image: image,
    User: '0:0',
    Entrypoint: ['sh', '-c', egressScript(policy, targets)],
    Labels: labelsFor(runnerId, 'egress', id),
    HostConfig: {
      NetworkMode: `container:${workstation}`,
      CapDrop: ['ALL'],
      CapAdd: ['NET_ADMIN', 'NET_RAW'],
      Memory: 64 * 1024 * 1024,
      PidsLimit: 64,
      LogConfig: { Type: 'json-file', Config: { 'max-size': logMaxSize, 'max-file': '1' } },
    },
  });
  try {
    await c.start();
    const { StatusCode } = (await c.wait()) as { StatusCode: number };
    if (StatusCode !== 0) {
      const logs = (await c.logs({ stdout: true, stderr: true, tail: 20 })).toString('utf8');
      throw new Error(`egress rules for ${id} failed (${StatusCode}): ${logs.slice(-1000)}`);
    }
  } finally {
    await removeContainer(docker, name);
  }
}

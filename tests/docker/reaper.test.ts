/** removeLabelled (runner/src/docker/reaper.ts) against the real engine: what a cancelled creation can leave. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { removeLabelled } from '../../runner/src/docker/reaper.ts';
import { labelsFor, objectName } from '../../runner/src/docker/labels.ts';

it('a session\'s volumes go, also those the engine made again without labels for a container created after a cancel', async () => {
  const docker = new Docker();
  const runnerId = `t-reaper-${randomBytes(3).toString('hex')}`;
  const id = randomBytes(16).toString('base64url');
  const other = randomBytes(16).toString('base64url');
  await docker.createVolume({ Name: objectName(id, 'registry'), Labels: labelsFor(runnerId, 'volume', id) });
  // What `docker create --mount type=volume,source=rl-<id>-home` does when the volume is gone: an unlabelled one.
  await docker.createVolume({ Name: objectName(id, 'home') });
  await docker.createVolume({ Name: objectName(id, 'opt') });
  await docker.createVolume({ Name: objectName(other, 'home') });
  try {
    await removeLabelled(docker, runnerId, id);
    const names = ((await docker.listVolumes()).Volumes ?? []).map((v) => v.Name);
    for (const part of ['registry', 'home', 'opt']) assert.ok(!names.includes(objectName(id, part)), `${part} removed`);
    assert.ok(names.includes(objectName(other, 'home')), 'another session\'s volume stays');
  } finally {
    for (const part of ['registry', 'home', 'opt']) await docker.getVolume(objectName(id, part)).remove().catch(() => undefined);
    await docker.getVolume(objectName(other, 'home')).remove().catch(() => undefined);
  }
});

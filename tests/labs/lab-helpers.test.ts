/** The named reset helper against a real registry:2: this lab's tags go, a manifest another lab's tag names stays. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MEDIA_TYPES, RegistryClient } from '../../checks/registry-client.ts';
import { dropLabTags } from '../../checks/lab-helpers.ts';
import { pushManifest, pushTestImage, startTestRegistry, type TestRegistry } from './registry-fixture.ts';

describe('dropLabTags (real registry:2)', () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await startTestRegistry({ label: `lab-helpers-${process.pid}` });
  });
  after(() => reg?.stop());

  it("deletes the manifests only this lab's tags name and keeps one shared with another lab's tag", async () => {
    const client = new RegistryClient(reg.url);
    const release = await pushTestImage(reg.url, 'shop/api', '1.4.2', { marker: 'release' });
    await pushManifest(reg.url, 'shop/api', '1.4', release.manifest, MEDIA_TYPES.dockerManifest);
    const shared = await pushTestImage(reg.url, 'shop/api', '1', { marker: 'shared' });
    await pushManifest(reg.url, 'shop/api', 'slim', shared.manifest, MEDIA_TYPES.dockerManifest); // another lab's tag
    const other = await pushTestImage(reg.url, 'shop/api', 'dev', { marker: 'other' });

    const isLabTag = (t: string) => ['1.4.2', '1.4', '1'].includes(t);
    const deleted = await dropLabTags(client, 'shop/api', isLabTag);
    assert.deepEqual(deleted, [release.digest]);
    assert.deepEqual((await client.listTags('shop/api')).sort(), ['1', 'dev', 'slim']);
    assert.equal(await client.headManifest('shop/api', 'slim'), shared.digest);
    assert.equal(await client.headManifest('shop/api', 'dev'), other.digest);
    assert.deepEqual(await dropLabTags(client, 'shop/api', isLabTag), [], 'nothing more to delete: idempotent');
  });
});

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import bcrypt from 'bcryptjs';
import { RegistryClient, RegistryError, cosignSignatureTag, MEDIA_TYPES, sha256Digest } from '../../checks/registry-client.ts';
import { startTestRegistry, pushTestImage, pushManifest, pushBlob, type TestRegistry } from './registry-fixture.ts';

const label = `registry-client-${process.pid}`;

describe('RegistryClient (real registry:2)', () => {
  let reg: TestRegistry;
  let client: RegistryClient;
  before(async () => {
    reg = await startTestRegistry({ label });
    client = new RegistryClient(reg.url);
  });
  after(() => reg?.stop());

  it('pings, lists catalog and tags, reads manifests and configs', async () => {
    assert.equal(await client.ping(), true);
    const a = await pushTestImage(reg.url, 'shop/api', '1.0', { marker: 'a' });
    await pushManifest(reg.url, 'shop/api', '1', a.manifest, MEDIA_TYPES.dockerManifest);
    const b = await pushTestImage(reg.url, 'shop/api', '2.0', { marker: 'b', oci: true });
    assert.deepEqual((await client.catalog()).sort(), ['shop/api']);
    assert.deepEqual((await client.listTags('shop/api')).sort(), ['1', '1.0', '2.0']);
    assert.deepEqual(await client.listTags('no/such'), []);
    assert.equal(await client.getManifest('shop/api', 'nope'), null);
    assert.equal(await client.getManifest('no/such', 'latest'), null);

    const m = await client.getManifest('shop/api', '1.0');
    assert.ok(m);
    assert.equal(m.digest, a.digest);
    assert.equal(m.digest, sha256Digest(m.raw));
    assert.equal(m.mediaType, MEDIA_TYPES.dockerManifest);
    assert.equal(client.layersSize(m), a.size);
    assert.equal((await client.getManifest('shop/api', a.digest))?.digest, a.digest);
    const mb = await client.getManifest('shop/api', '2.0');
    assert.equal(mb?.mediaType, MEDIA_TYPES.ociManifest);

    const cfg = await client.getConfig('shop/api', '1');
    assert.equal(cfg?.digest, a.configDigest);
    assert.equal(cfg?.config.config.Labels.marker, 'a');
    assert.equal(await client.getConfig('shop/api', 'missing'), null);
    assert.equal(sha256Digest(await client.getBlob('shop/api', b.configDigest)), b.configDigest);
    await assert.rejects(client.getBlob('shop/api', sha256Digest('absent')), (e: RegistryError) => e.status === 404 && /404/.test(e.message));
  });

  it('resolves an index to the platform manifest', async () => {
    const amd = await pushTestImage(reg.url, 'multi/app', 'amd', { marker: 'amd64', oci: true });
    const arm = await pushTestImage(reg.url, 'multi/app', 'arm', { marker: 'arm64', oci: true });
    const index = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociIndex,
      manifests: [
        { mediaType: MEDIA_TYPES.ociManifest, digest: arm.digest, size: 1, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
        { mediaType: MEDIA_TYPES.ociManifest, digest: amd.digest, size: 1, platform: { os: 'linux', architecture: 'amd64' } },
      ],
    };
    const idx = await pushManifest(reg.url, 'multi/app', 'latest', index, MEDIA_TYPES.ociIndex);
    const raw = await client.getManifest('multi/app', 'latest');
    assert.equal(raw?.digest, idx);
    assert.equal(raw?.mediaType, MEDIA_TYPES.ociIndex);
    assert.equal((await client.resolveImageManifest('multi/app', 'latest'))?.digest, amd.digest);
    assert.equal((await client.resolveImageManifest('multi/app', 'latest', { os: 'linux', architecture: 'arm64' }))?.digest, arm.digest);
    assert.equal((await client.getConfig('multi/app', 'latest'))?.digest, amd.configDigest);
    await assert.rejects(client.resolveImageManifest('multi/app', 'latest', { os: 'windows', architecture: 'amd64' }), /without windows\/amd64/);
  });

  it('deletes manifests and whole repositories, ignoring what is gone', async () => {
    const x = await pushTestImage(reg.url, 'del/me', 'v1');
    await pushManifest(reg.url, 'del/me', 'v1-alias', x.manifest, MEDIA_TYPES.dockerManifest);
    const y = await pushTestImage(reg.url, 'del/me', 'v2');
    const sigTag = cosignSignatureTag(y.digest);
    await pushManifest(reg.url, 'del/me', sigTag, x.manifest, MEDIA_TYPES.dockerManifest);
    assert.equal((await client.listTags('del/me')).length, 4);
    const deleted = await client.deleteRepository('del/me');
    assert.deepEqual(deleted.sort(), [x.digest, y.digest].sort());
    assert.deepEqual(await client.listTags('del/me'), []);
    assert.equal(await client.getManifest('del/me', 'v1'), null);
    assert.deepEqual(await client.deleteRepository('del/me'), []);
    assert.deepEqual(await client.deleteRepository('never/existed'), []);
    assert.equal(await client.deleteManifest('del/me', x.digest), false);
    // pushing the same content again after a delete works
    await pushManifest(reg.url, 'del/me', 'v1', x.manifest, MEDIA_TYPES.dockerManifest);
    assert.equal((await client.getManifest('del/me', 'v1'))?.digest, x.digest);
  });

  it('names the cosign signature tag and rejects bad input clearly', async () => {
    assert.equal(cosignSignatureTag('sha256:abc123'), 'sha256-abc123.sig');
    assert.equal(client.cosignSignatureTag('sha256:ff'), 'sha256-ff.sig');
    assert.throws(() => cosignSignatureTag('latest'), /not a digest/);
    await assert.rejects(client.getManifest('Bad Name', 'x'), /not a valid repository/);
    await assert.rejects(client.deleteManifest('a/b', 'v1'), /not a digest/);
  });

  it('reports an unreachable registry with the address and the cause', async () => {
    const dead = new RegistryClient('http://127.0.0.1:59999', undefined, { timeoutMs: 1000 });
    assert.equal(await dead.ping(), false);
    await assert.rejects(dead.listTags('x'), (e: Error) => e instanceof RegistryError && /127\.0\.0\.1:59999 unreachable/.test(e.message) && /ECONNREFUSED/.test(e.message));
  });
});

describe('RegistryClient with htpasswd (Basic auth)', () => {
  let reg: TestRegistry;
  const password = 'pw-' + Math.random().toString(36).slice(2);
  before(async () => {
    const hash = bcrypt.hashSync(password, 10).replace(/^\$2b\$/, '$2y$');
    reg = await startTestRegistry({ label, htpasswd: `student:${hash}` });
  });
  after(() => reg?.stop());

  it('works with the right credentials and says clearly when they are missing or wrong', async () => {
    const auth = { username: 'student', password };
    await pushTestImage(reg.url, 'team/api', '1.0', { auth });
    const good = new RegistryClient(reg.url, auth);
    assert.equal(await good.ping(), true);
    assert.deepEqual(await good.listTags('team/api'), ['1.0']);
    assert.ok(await good.getConfig('team/api', '1.0'));
    const anon = new RegistryClient(reg.url);
    assert.equal(await anon.ping(), false);
    await assert.rejects(anon.listTags('team/api'), /requires a login/);
    const wrong = new RegistryClient(reg.url, { username: 'student', password: 'nope' });
    assert.equal(await wrong.ping(), false);
    await assert.rejects(wrong.listTags('team/api'), /401/);
    void pushBlob;
  });
});

describe('RegistryClient Bearer token flow (fake token server)', () => {
  it('fetches a token with Basic credentials for the scope and retries', async () => {
    const { createServer } = await import('node:http');
    const seen: string[] = [];
    const server = createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      if (url.pathname === '/token') {
        seen.push(`${url.searchParams.get('service')} ${url.searchParams.get('scope')} ${req.headers.authorization}`);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ token: 'T-' + url.searchParams.get('scope') }));
        return;
      }
      const want = url.pathname.startsWith('/v2/team/api/') ? 'T-repository:team/api:pull' : 'T-';
      if (req.headers.authorization !== `Bearer ${want}`) {
        res.statusCode = 401;
        res.setHeader('www-authenticate', `Bearer realm="http://127.0.0.1:${(server.address() as any).port}/token",service="fake",scope="x"`);
        res.end('{"errors":[{"code":"UNAUTHORIZED","message":"auth"}]}');
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(url.pathname === '/v2/' ? '{}' : JSON.stringify({ name: 'team/api', tags: ['1.0'] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const c = new RegistryClient(`http://127.0.0.1:${(server.address() as any).port}`, { username: 'u', password: 'p' });
      assert.deepEqual(await c.listTags('team/api'), ['1.0']);
      assert.deepEqual(await c.listTags('team/api'), ['1.0']);
      assert.equal(seen.length, 1, 'token cached per scope');
      assert.equal(seen[0], `fake repository:team/api:pull Basic ${Buffer.from('u:p').toString('base64')}`);
    } finally {
      server.close();
    }
  });
});

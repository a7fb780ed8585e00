import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import bcrypt from 'bcryptjs';
import { RegistryClient, RegistryError, cosignSignatureTag, isDigest, MEDIA_TYPES, sha256Digest } from '../../checks/registry-client.ts';
import { scanLayers } from '../../checks/layers.ts';
import { checkerProblemMessage } from '../../checks/lab-helpers.ts';
import { ENGINE_MESSAGES, renderAll } from '../../checks/messages.ts';
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
      const origin = `http://127.0.0.1:${(server.address() as any).port}`;
      const c = new RegistryClient(origin, { username: 'u', password: 'p' }, { tokenServices: [origin] });
      assert.deepEqual(await c.listTags('team/api'), ['1.0']);
      assert.deepEqual(await c.listTags('team/api'), ['1.0']);
      assert.equal(seen.length, 1, 'token cached per scope');
      assert.equal(seen[0], `fake repository:team/api:pull Basic ${Buffer.from('u:p').toString('base64')}`);
    } finally {
      server.close();
    }
  });
});

/*
 * A registry is learner-controlled: a learner can answer in its place with their own server.
 * These loopback servers play that hostile registry (no Docker needed).
 */
type Handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void;
interface Loopback {
  origin: string;
  hits: string[];
  close(): Promise<void>;
}

async function loopback(handler: Handler): Promise<Loopback> {
  const { createServer } = await import('node:http');
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${(server.address() as any).port}`,
    hits,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const SECRET = 'HOST-SECRET-7f3a9c';
const EVIL_DIGEST = "sha256:0'; id > /tmp/pwned; echo '";

function noSecret(e: unknown): boolean {
  assert.ok(e instanceof RegistryError, `expected a RegistryError, got ${String(e)}`);
  assert.ok(!e.message.includes(SECRET), `secret in message: ${e.message}`);
  assert.ok(!JSON.stringify(renderAll(checkerProblemMessage(e), [ENGINE_MESSAGES])).includes(SECRET), 'secret in the learner message');
  assert.ok(!JSON.stringify(e).includes(SECRET), 'secret travels with the serialised error');
  return true;
}

describe('RegistryClient against a hostile registry (loopback)', () => {
  it('does not follow a Bearer realm it was not told to trust', async () => {
    const other = await loopback((_req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.end(`${SECRET} from the runner's host`);
    });
    const reg = await loopback((_req, res) => {
      res.statusCode = 401;
      res.setHeader('www-authenticate', `Bearer realm="${other.origin}/token",service="x",scope="y"`);
      res.end('{"errors":[{"code":"UNAUTHORIZED","message":"auth"}]}');
    });
    try {
      const c = new RegistryClient(reg.origin, { username: 'u', password: 'p' });
      await assert.rejects(c.listTags('team/api'), (e: RegistryError) => noSecret(e) && e.status === 401 && /token from a service the check does not use/.test(e.message));
      await assert.rejects(c.getManifest('team/api', 'latest'), noSecret);
      assert.equal(await c.ping(), false);
      // Trusting another origin does not open this one either.
      const c2 = new RegistryClient(reg.origin, undefined, { tokenServices: ['http://127.0.0.1:1'] });
      await assert.rejects(c2.listTags('team/api'), noSecret);
      assert.deepEqual(other.hits, [], 'the realm was fetched');
    } finally {
      await reg.close();
      await other.close();
    }
  });

  it('does not follow redirects, neither from the registry nor from a trusted token service', async () => {
    const other = await loopback((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ name: 'team/api', tags: [SECRET], token: SECRET }));
    });
    const reg = await loopback((req, res) => {
      if (req.url?.startsWith('/token')) {
        res.statusCode = 307;
        res.setHeader('location', `${other.origin}/token`);
        res.end();
        return;
      }
      if (req.url?.startsWith('/v2/auth/')) {
        res.statusCode = 401;
        res.setHeader('www-authenticate', `Bearer realm="http://${req.headers.host}/token"`);
        res.end();
        return;
      }
      res.statusCode = 302;
      res.setHeader('location', `${other.origin}${req.url}`);
      res.end(SECRET);
    });
    try {
      const c = new RegistryClient(reg.origin, undefined, { tokenServices: [reg.origin] });
      await assert.rejects(c.listTags('team/api'), (e: RegistryError) => noSecret(e) && e.status === 302 && /redirect \(HTTP 302\), which the check does not follow/.test(e.message));
      await assert.rejects(c.getManifest('team/api', 'latest'), (e: RegistryError) => noSecret(e) && /redirect/.test(e.message));
      await assert.rejects(c.headManifest('team/api', 'latest'), (e: RegistryError) => noSecret(e) && /redirect/.test(e.message));
      await assert.rejects(c.getBlob('team/api', sha256Digest('x')), (e: RegistryError) => noSecret(e) && /redirect/.test(e.message));
      await assert.rejects(c.listTags('auth/api'), (e: RegistryError) => noSecret(e) && /token service .* redirect \(HTTP 307\)/.test(e.message));
      assert.deepEqual(other.hits, [], 'a redirect was followed');
    } finally {
      await reg.close();
      await other.close();
    }
  });

  it('keeps error bodies and non-JSON bodies out of messages (detail is for logs)', async () => {
    const reg = await loopback((req, res) => {
      const url = req.url ?? '';
      if (url.startsWith('/v2/odd/')) {
        res.statusCode = 500;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ errors: [{ code: `${SECRET}-CODE`, message: `${SECRET} message` }] }));
      } else if (url.startsWith('/v2/known/')) {
        res.statusCode = 403;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ errors: [{ code: 'DENIED', message: `${SECRET} message` }] }));
      } else if (url.startsWith('/v2/plain/')) {
        res.statusCode = 502;
        res.end(`<html>${SECRET}</html>`);
      } else {
        res.setHeader('content-type', 'application/json');
        res.end(`${SECRET} is not JSON`);
      }
    });
    try {
      const c = new RegistryClient(reg.origin);
      await assert.rejects(c.listTags('odd/api'), (e: RegistryError) => noSecret(e) && e.status === 500 && e.code === undefined && /HTTP 500/.test(e.message) && !!e.detail?.includes(SECRET));
      await assert.rejects(c.listTags('known/api'), (e: RegistryError) => noSecret(e) && e.code === 'DENIED' && /HTTP 403 — DENIED$/.test(e.message));
      await assert.rejects(c.getBlob('plain/api', sha256Digest('x')), (e: RegistryError) => noSecret(e) && e.status === 502 && !!e.detail?.includes(SECRET) && e.detail.length <= 200);
      await assert.rejects(c.listTags('json/api'), (e: RegistryError) => noSecret(e) && /not JSON/.test(e.message) && !!e.detail?.includes(SECRET));
      await assert.rejects(c.catalog(), noSecret);
      await assert.rejects(c.getManifest('json/api', 'latest'), (e: RegistryError) => noSecret(e) && /not JSON/.test(e.message));
    } finally {
      await reg.close();
    }
  });

  it('never returns a Docker-Content-Digest it did not compute, and refuses malformed digests in manifests', async () => {
    const config = Buffer.from('{"config":{}}');
    const goodLayer = sha256Digest('layer');
    const manifests: Record<string, Buffer> = {
      evil: Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: { digest: sha256Digest(config), size: config.length }, layers: [{ digest: EVIL_DIGEST, size: 1 }, { digest: goodLayer, size: 1 }] })),
      badconfig: Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: { digest: EVIL_DIGEST, size: 1 }, layers: [] })),
      index: Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [{ digest: EVIL_DIGEST, platform: { os: 'linux', architecture: 'amd64' } }] })),
    };
    const reg = await loopback((req, res) => {
      const m = /^\/v2\/shop\/api\/manifests\/(.+)$/.exec(req.url ?? '');
      const body = m ? manifests[m[1]] : undefined;
      if (!body) {
        res.statusCode = 404;
        res.end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"x"}]}');
        return;
      }
      res.setHeader('content-type', JSON.parse(body.toString()).mediaType);
      res.setHeader('docker-content-digest', m![1] === 'index' ? sha256Digest('something else') : EVIL_DIGEST);
      res.end(req.method === 'HEAD' ? undefined : body);
    });
    try {
      const c = new RegistryClient(reg.origin);
      assert.equal(await c.headManifest('shop/api', 'evil'), sha256Digest(manifests.evil));
      const m = await c.getManifest('shop/api', 'evil');
      assert.equal(m?.digest, sha256Digest(manifests.evil));
      // A well-formed header that is not the body's digest: the body wins.
      assert.equal((await c.getManifest('shop/api', 'index'))?.digest, sha256Digest(manifests.index));
      assert.equal(await c.headManifest('shop/api', 'missing'), null);

      const before = reg.hits.length;
      await assert.rejects(scanLayers(c, 'shop/api', m!.json, () => true), (e: RegistryError) => e instanceof RegistryError && /malformed/.test(e.message) && !e.message.includes(EVIL_DIGEST));
      await assert.rejects(c.getConfig('shop/api', 'badconfig'), (e: RegistryError) => e instanceof RegistryError && /config digest is malformed/.test(e.message) && !e.message.includes(EVIL_DIGEST));
      await assert.rejects(c.resolveImageManifest('shop/api', 'index'), (e: RegistryError) => e instanceof RegistryError && /without linux\/amd64/.test(e.message));
      assert.ok(reg.hits.slice(before).every((h) => !h.includes('/blobs/') && !h.includes('pwned')), `requests made with a malformed digest: ${reg.hits.slice(before).join(', ')}`);

      await assert.rejects(c.getBlob('shop/api', EVIL_DIGEST), (e: Error) => /not a digest/.test(e.message) && !e.message.includes(EVIL_DIGEST));
      await assert.rejects(c.getManifest('shop/api', EVIL_DIGEST), (e: Error) => !e.message.includes(EVIL_DIGEST));
    } finally {
      await reg.close();
    }
  });

  it('accepts only sha256 digests with 64 hex digits', () => {
    assert.equal(isDigest(sha256Digest('x')), true);
    assert.equal(isDigest(EVIL_DIGEST), false);
    assert.equal(isDigest('sha256:abc'), false);
    assert.equal(isDigest(sha256Digest('x').toUpperCase()), false);
    assert.equal(isDigest('sha512:' + 'a'.repeat(128)), false);
    assert.equal(isDigest(sha256Digest('x') + '\n'), false);
  });

  it('refuses oversized bodies, with or without Content-Length', async () => {
    const reg = await loopback((req, res) => {
      const url = req.url ?? '';
      res.setHeader('content-type', 'application/json');
      if (url.includes('/manifests/')) {
        const big = Buffer.alloc(5 * 1024 * 1024, 0x20);
        res.setHeader('content-length', String(big.length));
        res.end(big);
      } else if (url.includes('/tags/list')) {
        // chunked: no Content-Length, 2 MiB in pieces
        res.write('{"name":"a/b","tags":["');
        for (let i = 0; i < 32; i++) res.write('x'.repeat(64 * 1024));
        res.end('"]}');
      } else if (url.includes('/blobs/')) {
        res.end(Buffer.alloc(4096, 1));
      } else {
        res.end('{}');
      }
    });
    try {
      const c = new RegistryClient(reg.origin, undefined, { maxBlobBytes: 1024 });
      await assert.rejects(c.getManifest('a/b', 'latest'), (e: RegistryError) => e instanceof RegistryError && /larger than 4 MiB/.test(e.message));
      await assert.rejects(c.listTags('a/b'), (e: RegistryError) => e instanceof RegistryError && /larger than 1 MiB/.test(e.message));
      await assert.rejects(c.getBlob('a/b', sha256Digest('x')), (e: RegistryError) => e instanceof RegistryError && /larger than 1024 bytes/.test(e.message));
    } finally {
      await reg.close();
    }
  });

  it('cuts a body that trickles past the timeout', async () => {
    const timers = new Set<NodeJS.Timeout>();
    const reg = await loopback((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.write('{"name":"a/b","tags":[');
      const t = setInterval(() => res.write(' '), 100);
      timers.add(t);
      res.on('close', () => clearInterval(t));
    });
    try {
      const c = new RegistryClient(reg.origin, undefined, { timeoutMs: 700, blobTimeoutMs: 700 });
      const t0 = Date.now();
      await assert.rejects(c.listTags('a/b'), (e: RegistryError) => e instanceof RegistryError && /not received in full: no answer within 0\.7 s/.test(e.message));
      await assert.rejects(c.getManifest('a/b', 'latest'), (e: RegistryError) => e instanceof RegistryError && /no answer within/.test(e.message));
      await assert.rejects(c.getBlob('a/b', sha256Digest('x')), (e: RegistryError) => e instanceof RegistryError && /no answer within/.test(e.message));
      assert.ok(Date.now() - t0 < 5_000, `took ${Date.now() - t0} ms`);
    } finally {
      for (const t of timers) clearInterval(t);
      await reg.close();
    }
  });

  it('keeps Link pagination on the same registry and the /v2/ API', async () => {
    const other = await loopback((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ repositories: ['stolen/x'], tags: ['stolen'] }));
    });
    const reg = await loopback((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url?.startsWith('/v2/_catalog')) {
        res.setHeader('link', `<${other.origin}/v2/_catalog?n=1000&last=a>; rel="next"`);
        res.end(JSON.stringify({ repositories: ['a/b', 'Bad Name', 42, `x$(id)`] }));
      } else if (req.url?.startsWith('/elsewhere')) {
        res.end(JSON.stringify({ tags: ['stolen'] }));
      } else {
        res.setHeader('link', '</elsewhere?n=1>; rel="next"');
        res.end(JSON.stringify({ tags: ['1.0', "v1'; id", null] }));
      }
    });
    try {
      const c = new RegistryClient(reg.origin);
      assert.deepEqual(await c.catalog(), ['a/b']);
      assert.deepEqual(await c.listTags('a/b'), ['1.0']);
      assert.deepEqual(other.hits, []);
      assert.ok(!reg.hits.some((h) => h.includes('/elsewhere')), reg.hits.join(', '));
    } finally {
      await reg.close();
      await other.close();
    }
  });
});

/**
 * Issue 14, a runner under hostile and unlucky clients (real runner, real engine, raw sockets):
 * orphan sandboxes from broken requests (1), DNS rebinding (4), errors in the wrong shape (5),
 * clients behind a reverse proxy (8).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Runner } from '../../runner/src/app.ts';
import { api, rawUpgrade, sleep } from './helpers.ts';
import { portOf, rawRequest, type RawAnswer } from './raw-http.ts';
import { removeRunnerObjects, startRealRunner } from './real.ts';

/** Containers, networks and volumes of this runner's sessions (not its mirror). */
function sessionObjects(runnerId: string): string[] {
  const f = ['--filter', `label=registry-lab.runner=${runnerId}`, '--filter', 'label=registry-lab.session'];
  const run = (args: string[]) => execFileSync('docker', args, { encoding: 'utf8' }).split('\n').filter(Boolean);
  return [
    ...run(['ps', '-aq', ...f]).map((x) => `container ${x}`),
    ...run(['network', 'ls', '-q', ...f]).map((x) => `network ${x}`),
    ...run(['volume', 'ls', '-q', ...f]).map((x) => `volume ${x}`),
  ];
}

async function waitFor(what: string, test: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  while (!(await test())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
  return Date.now() - t0;
}

function assertErrorShape(a: RawAnswer, status: number, code: string | RegExp, what: string) {
  assert.equal(a.status, status, `${what}: ${JSON.stringify(a).slice(0, 300)}`);
  assert.match(a.headers['content-type'] ?? '', /application\/json/, what);
  assert.equal(Object.keys(a.json ?? {}).join(), 'error', `${what}: ${a.body.slice(0, 200)}`);
  if (typeof code === 'string') assert.equal(a.json.error.code, code, what);
  else assert.match(a.json.error.code, code, what);
  assert.equal(typeof a.json.error.message, 'string', what);
}

describe('hostile clients (real runner)', () => {
  let runner: Runner;
  let port: number;
  let site: string;

  before(async () => {
    site = mkdtempSync(join(tmpdir(), 'rl-hostile-site-'));
    writeFileSync(join(site, 'index.html'), '<!doctype html><title>site</title>index');
    writeFileSync(join(site, '404.html'), '<!doctype html><title>404</title>missing');
    runner = await startRealRunner({ siteDir: site, maxSessions: 4, maxSessionsPerClient: 4, requestTimeoutMs: 1500 });
    port = portOf(runner.url);
  });
  after(async () => {
    await runner.close();
    removeRunnerObjects(runner.config.runnerId);
    rmSync(site, { recursive: true, force: true });
  });

  test('item 5: parser errors, large headers, missing Host, slow clients and odd paths answer in the API error shape', async () => {
    const cases: [string, string | Buffer, number, string | RegExp][] = [
      ['bad Content-Length', 'POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}', 400, 'bad_content_length'],
      ['header without colon', 'GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nNoColonHere\r\n\r\n', 400, 'bad_header'],
      ['raw non-ASCII in the path', Buffer.concat([Buffer.from('GET /api/sessions/'), Buffer.from([0xff, 0xfe, 0xd0, 0xb9]), Buffer.from(' HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')]), 400, 'bad_url'],
      ['headers too large', `GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'headers_too_large'],
      ['no Host', 'GET /api/health HTTP/1.1\r\n\r\n', 400, 'missing_host'],
      ['path traversal as written', 'GET /../../etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 404, 'not_found'],
      ['encoded path traversal', 'GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 404, 'not_found'],
      ['API path of 5000 chars', `GET /api/sessions/${'a'.repeat(5000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, 404, 'not_found'],
      ['API path of 5000 chars, deeper', `POST /api/sessions/${'a'.repeat(5000)}/labs/x/check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n`, 404, 'not_found'],
      ['unknown API path', 'GET /api/nope/nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 404, 'not_found'],
    ];
    for (const [what, bytes, status, code] of cases) {
      const a = await rawRequest(port, bytes);
      assertErrorShape(a, status, code, what);
      assert.doesNotMatch(a.body, /root:/, what);
    }
    // The site is still served, and its own 404 page for unknown pages.
    const index = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    assert.equal(index.status, 200);
    const missing = await rawRequest(port, 'GET /no-such-page HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    assert.equal(missing.status, 404);
    assert.match(missing.body, /missing/);
  });

  test('item 5: a client too slow to send its request gets 408 in the error shape', async () => {
    // Headers never finished (slowloris) and a body that never comes.
    const slowHeaders = await rawRequest(port, 'GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1\r\n', { timeoutMs: 15_000 });
    assertErrorShape(slowHeaders, 408, 'request_timeout', 'slow headers');
    const slowBody = await rawRequest(port, 'POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"na', {
      timeoutMs: 15_000,
    });
    assertErrorShape(slowBody, 408, 'request_timeout', 'slow body');
    assert.equal(runner.sessions.list().length, 0, 'a request not fully read makes no session');
  });

  test('item 4: a rebinding page (foreign Host) can neither create a session nor open a terminal', async () => {
    const evil = `Host: evil.example:${port}\r\nOrigin: http://evil.example:${port}\r\n`;
    const create = await rawRequest(port, `POST /api/sessions HTTP/1.1\r\n${evil}Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`);
    assertErrorShape(create, 403, 'host_not_allowed', 'POST with a foreign Host');
    const read = await rawRequest(port, `GET /api/health HTTP/1.1\r\nHost: evil.example\r\n\r\n`);
    assertErrorShape(read, 403, 'host_not_allowed', 'GET with a foreign Host');
    assert.equal(runner.sessions.list().length, 0);
    // The upgrade is refused before the session is even looked up.
    const up = await rawUpgrade(runner.url, '/api/sessions/unknownunknownunknown/terminal?token=x', { host: `evil.example:${port}`, origin: `http://evil.example:${port}` });
    assert.equal(up.status, 403);
    assert.equal(up.body.error.code, 'host_not_allowed');
    // Loopback names are fine, with or without the port.
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'localhost']) {
      const ok = await rawRequest(port, `GET /api/health HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
      assert.equal(ok.status, 200, host);
    }
  });

  test('item 1: a request that fails after its headers, or a creator that resets at once, leaves no session and no sandbox', async () => {
    const before = runner.sessions.stats().sessions;
    // The reproduction of the issue: a complete but bodiless POST, then garbage on the same connection.
    for (let i = 0; i < 3; i++) {
      const a = await rawRequest(port, 'POST /api/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\r\nGARBAGE');
      assert.ok(a.status === 0 || a.status === 400, `GARBAGE answered ${a.status}`);
      if (a.status === 400) assert.equal(typeof a.json?.error?.code, 'string', a.raw.slice(0, 200));
    }
    // A complete POST followed at once by a reset.
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve) => {
        const s = connect(port, '127.0.0.1', () => {
          s.write('POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}', () => {
            s.resetAndDestroy();
            resolve();
          });
        });
        s.on('error', () => {});
      });
    }
    const gone = await waitFor('no live session', () => runner.sessions.stats().sessions === before, 10_000);
    const t0 = Date.now();
    await waitFor('the engine to hold no sandbox of this runner', () => sessionObjects(runner.config.runnerId).length === 0, 180_000);
    console.log(`# unclaimed sessions gone after ${gone} ms, their sandboxes after ${gone + Date.now() - t0} ms`);
    // Capacity is intact: MAX_SESSIONS=4 and a normal creation works.
    const ok = await api(runner.url, 'POST', '/api/sessions', { body: {} });
    assert.equal(ok.status, 201, ok.text);
    assert.equal((await api(runner.url, 'DELETE', `/api/sessions/${ok.json.id}`, { token: ok.json.token })).status, 204);
  });
});

describe('behind a reverse proxy (TRUSTED_PROXIES, real runner)', () => {
  let trusting: Runner;
  let plain: Runner;
  before(async () => {
    [trusting, plain] = await Promise.all([
      startRealRunner({ trustedProxies: ['127.0.0.0/8'], maxSessionsPerClient: 1 }),
      startRealRunner({ maxSessionsPerClient: 1 }),
    ]);
  });
  after(async () => {
    await Promise.all([trusting.close(), plain.close()]);
    removeRunnerObjects(trusting.config.runnerId);
    removeRunnerObjects(plain.config.runnerId);
  });

  test('item 8: learners behind one proxy count one by one; X-Forwarded-For from anyone else counts for nothing', async () => {
    const post = (r: Runner, xff?: string) => api(r.url, 'POST', '/api/sessions', { body: {}, headers: xff ? { 'x-forwarded-for': xff } : {} });
    const made: { r: Runner; id: string; token: string }[] = [];
    try {
      const a = await post(trusting, '203.0.113.7');
      const b = await post(trusting, '198.51.100.1, 203.0.113.8');
      assert.equal(a.status, 201, a.text);
      assert.equal(b.status, 201, b.text);
      made.push({ r: trusting, ...a.json }, { r: trusting, ...b.json });
      assert.deepEqual(trusting.sessions.list().map((s) => s.clientAddress).sort(), ['203.0.113.7', '203.0.113.8']);
      // The same learner again is over the per-client limit (1); a spoofed first hop does not help.
      const again = await post(trusting, '10.9.9.9, 203.0.113.7');
      assert.equal(again.status, 429, again.text);
      assert.equal(again.json.error.code, 'too_many_sessions');

      // A runner with no trusted proxy ignores the header: the connection is the client.
      const c = await post(plain, '203.0.113.7');
      assert.equal(c.status, 201, c.text);
      made.push({ r: plain, ...c.json });
      assert.equal(plain.sessions.list()[0]?.clientAddress, '127.0.0.1');
      const d = await post(plain, '203.0.113.99');
      assert.equal(d.status, 429, d.text);
    } finally {
      for (const m of made) await api(m.r.url, 'DELETE', `/api/sessions/${m.id}`, { token: m.token });
    }
  });
});

/** HTTP API and terminal bridge with a fake provider (no Docker): errors, fuzzing, flow control. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { WebSocket } from 'ws';
import { createRunner, type Runner } from '../../runner/src/app.ts';
import { createFakeProvider, type FakeProvider } from './fake-provider.ts';
import { api, openTerminal, rawUpgrade, sleep, uniqueRunnerId, wsUrl } from '../runner/helpers.ts';
import type { LabEngine } from '../../runner/src/labs/service.ts';

const fakeEngine: LabEngine = {
  async loadLabs() {
    return [
      {
        definition: {
          id: 'demo',
          title: 'Demo lab',
          order: 1,
          section: 'private-registry',
          summary: 'A demo',
          criteria: [{ id: 'pushed', title: 'Image pushed', required: true }],
          hints: [],
          checkTimeoutMs: 1000,
        },
      },
      {
        definition: {
          id: 'broken',
          title: 'Broken lab',
          order: 2,
          section: 'x',
          summary: 'Setup fails',
          criteria: [{ id: 'c', title: 'Crit', required: true }],
          hints: [],
          checkTimeoutMs: 1000,
        },
      },
    ];
  },
  async startLab(lab, ctx) {
    if (lab.definition.id === 'broken') throw new Error('setup.sh exited with 1');
    ctx.state.set('started', (ctx.state.get<number>('started') ?? 0) + 1);
  },
  async checkLab(_lab, ctx) {
    const started = ctx.state.get('started') === 1;
    return {
      passed: started,
      criteria: [{ id: 'pushed', title: 'Image pushed', passed: started, message: started ? 'Образ найден.' : 'Сначала запустите лабораторную.', required: true }],
      durationMs: 1,
    };
  },
  createLabState() {
    const m = new Map<string, unknown>();
    return { get: <T>(k: string) => m.get(k) as T | undefined, set: (k, v) => void m.set(k, v), clear: () => m.clear() };
  },
};

describe('runner HTTP + terminal (fake provider)', () => {
  let runner: Runner;
  let provider: FakeProvider;
  let base: string;

  before(async () => {
    provider = createFakeProvider();
    runner = await createRunner(
      {
        port: 0,
        runnerId: uniqueRunnerId('unit'),
        warmPoolSize: 0,
        maxSessions: 6,
        maxSessionsPerClient: 6,
        logLevel: 'silent',
        siteDir: '/nonexistent-site',
        terminalMaxFrame: 1024 * 1024,
      },
      { provider, labEngine: async () => fakeEngine },
    );
    base = runner.url;
  });
  after(async () => {
    await runner.close();
    assert.equal(provider.live.size, 0);
  });

  test('session lifecycle over HTTP', async () => {
    const c = await api(base, 'POST', '/api/sessions', { body: { name: 'Ann' } });
    assert.equal(c.status, 201);
    assert.ok(c.json.id && c.json.token && c.json.expiresAt);
    assert.equal(c.json.lab, null);
    const g = await api(base, 'GET', `/api/sessions/${c.json.id}`, { token: c.json.token });
    assert.equal(g.status, 200);
    assert.ok(['starting', 'ready'].includes(g.json.state));
    const e = await api(base, 'POST', `/api/sessions/${c.json.id}/extend`, { token: c.json.token });
    assert.equal(e.status, 200);
    assert.ok(Date.parse(e.json.expiresAt) >= Date.parse(c.json.expiresAt));
    const d = await api(base, 'DELETE', `/api/sessions/${c.json.id}`, { token: c.json.token });
    assert.equal(d.status, 204);
    assert.ok(!provider.live.has(c.json.id));
    const g2 = await api(base, 'GET', `/api/sessions/${c.json.id}`, { token: c.json.token });
    assert.equal(g2.json.state, 'stopped');
  });

  test('errors: 404, 401, 400 naming the field, 413, malformed JSON; never 500', async () => {
    const c = await api(base, 'POST', '/api/sessions', {});
    assert.equal(c.status, 201);
    const { id, token } = c.json;
    const cases: [string, string, Parameters<typeof api>[3], number][] = [
      ['GET', '/api/sessions/unknownunknownunknown', { token }, 404],
      ['GET', `/api/sessions/${id}`, {}, 401],
      ['GET', `/api/sessions/${id}`, { token: 'x'.repeat(43) }, 401],
      ['GET', `/api/sessions/${id}`, { headers: { authorization: 'Basic abc' } }, 401],
      ['POST', '/api/sessions', { rawBody: '{"lab":', headers: { 'content-type': 'application/json' } }, 400],
      ['POST', '/api/sessions', { rawBody: 'null', headers: { 'content-type': 'application/json' } }, 400],
      ['POST', '/api/sessions', { rawBody: '[1,2]', headers: { 'content-type': 'application/json' } }, 400],
      ['POST', '/api/sessions', { rawBody: '"str"', headers: { 'content-type': 'application/json' } }, 400],
      ['POST', '/api/sessions', { body: { lab: 42 } }, 400],
      ['POST', '/api/sessions', { body: { lab: '../../etc' } }, 400],
      ['POST', '/api/sessions', { body: { lab: 'nope' } }, 400],
      ['POST', '/api/sessions', { body: { name: 'x'.repeat(500) } }, 400],
      ['POST', '/api/sessions', { body: { __proto__: { polluted: 1 }, constructor: 1 } as any }, 201],
      ['POST', '/api/sessions', { rawBody: JSON.stringify({ name: 'x'.repeat(70_000) }), headers: { 'content-type': 'application/json' } }, 413],
      ['POST', '/api/sessions', { rawBody: 'lab=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415],
      ['POST', '/api/sessions', { rawBody: '\u0000\u0001\u0002', headers: { 'content-type': 'application/json' } }, 400],
      ['POST', `/api/sessions/${id}/labs/nope/check`, { token }, 404],
      ['POST', `/api/sessions/${id}/labs/..%2F..%2Fetc/start`, { token }, 404],
      ['GET', '/api/sessions/%E0%A4%A/x', {}, 400],
      ['GET', '/api/nothing-here', {}, 404],
      ['PUT', `/api/sessions/${id}`, { token }, 404],
      ['GET', `/api/sessions/${id}/terminal`, { token }, 426],
      ['POST', '/api/sessions', { body: {}, headers: { origin: 'http://evil.example' } }, 403],
      ['DELETE', `/api/sessions/${id}`, { token, headers: { origin: 'null' } }, 403],
      ['POST', '/api/sessions', { body: {}, headers: { origin: base } }, 201],
    ];
    for (const [method, path, opts, status] of cases) {
      const r = await api(base, method, path, opts);
      assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(opts).slice(0, 80)} -> ${r.status} ${r.text.slice(0, 200)}`);
      if (status >= 400) {
        assert.equal(typeof r.json?.error?.code, 'string', `${method} ${path}: ${r.text.slice(0, 200)}`);
        assert.equal(typeof r.json?.error?.message, 'string');
      }
      if (r.status === 201) await api(base, 'DELETE', `/api/sessions/${r.json.id}`, { token: r.json.token });
    }
    const named = await api(base, 'POST', '/api/sessions', { body: { lab: 42 } });
    assert.match(named.json.error.message, /body\.lab/);
    // Random garbage bodies never produce a 500.
    for (let i = 0; i < 40; i++) {
      const bytes = Buffer.from(Array.from({ length: 1 + ((i * 37) % 200) }, (_, j) => (i * 31 + j * 17) % 256));
      const r = await api(base, 'POST', i % 2 ? '/api/sessions' : `/api/sessions/${id}/extend`, {
        rawBody: bytes,
        token: i % 3 ? token : undefined,
        headers: { 'content-type': 'application/json' },
      });
      assert.ok(r.status < 500, `fuzz ${i}: ${r.status} ${r.text}`);
      if (r.status === 201) await api(base, 'DELETE', `/api/sessions/${r.json.id}`, { token: r.json.token });
    }
    // A raw malformed HTTP request does not take the runner down.
    await new Promise<void>((resolve) => {
      const s = connect(runner.port, '127.0.0.1', () => s.end('GARBAGE / HTTP/9.9\r\n\r\n'));
      s.on('close', () => resolve());
      s.on('error', () => resolve());
      s.resume();
    });
    const h = await api(base, 'GET', '/api/health');
    assert.equal(h.status, 200);
    assert.equal(h.json.ok, true);
    await api(base, 'DELETE', `/api/sessions/${id}`, { token });
  });

  test('site placeholder when not built', async () => {
    const r = await api(base, 'GET', '/');
    assert.equal(r.status, 200);
    assert.match(r.text, /npm run build:site/);
  });

  test('labs: list, start, check, lab at creation, setup errors reported as labError', async () => {
    const l = await api(base, 'GET', '/api/labs');
    assert.equal(l.status, 200);
    assert.deepEqual(l.json[0].criteria, [{ id: 'pushed', title: 'Image pushed' }]);
    assert.equal(l.json[0].section, 'private-registry');
    const c = await api(base, 'POST', '/api/sessions', { body: { lab: 'demo' } });
    const { id, token } = c.json;
    assert.equal(c.json.lab, 'demo');
    const s = await api(base, 'POST', `/api/sessions/${id}/labs/demo/start`, { token });
    assert.equal(s.status, 200);
    assert.deepEqual(s.json, { lab: 'demo', ready: true });
    const chk = await api(base, 'POST', `/api/sessions/${id}/labs/demo/check`, { token });
    assert.equal(chk.status, 200);
    assert.equal(chk.json.passed, true, JSON.stringify(chk.json));
    assert.equal(chk.json.criteria[0].message, 'Образ найден.');
    const b = await api(base, 'POST', '/api/sessions', { body: { lab: 'broken' } });
    await sleep(200);
    const g = await api(base, 'GET', `/api/sessions/${b.json.id}`, { token: b.json.token });
    // The lab's own error text goes to the runner's log; the learner gets a sentence.
    assert.match(g.json.labError, /could not be prepared in your sandbox/);
    assert.doesNotMatch(g.json.labError, /setup\.sh exited/);
    const bs = await api(base, 'POST', `/api/sessions/${b.json.id}/labs/broken/start`, { token: b.json.token });
    assert.equal(bs.status, 500);
    assert.equal(bs.json.error.code, 'lab_start_failed');
    await api(base, 'DELETE', `/api/sessions/${id}`, { token });
    await api(base, 'DELETE', `/api/sessions/${b.json.id}`, { token: b.json.token });
  });

  test('terminal: refusals before upgrade (404, 401, 403) with JSON bodies', async () => {
    const c = await api(base, 'POST', '/api/sessions', {});
    const { id, token } = c.json;
    let r = await rawUpgrade(base, `/api/sessions/unknownunknownunknown/terminal?token=${token}`);
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, 'unknown_session');
    r = await rawUpgrade(base, `/api/sessions/${id}/terminal?token=wrong`);
    assert.equal(r.status, 401);
    r = await rawUpgrade(base, `/api/sessions/${id}/terminal`);
    assert.equal(r.status, 401);
    r = await rawUpgrade(base, `/api/sessions/${id}/terminal?token=${token}`, { origin: 'http://evil.example' });
    assert.equal(r.status, 403);
    r = await rawUpgrade(base, `/api/sessions/${id}/terminal?token=${token}`, { origin: `http://localhost:${runner.port}` });
    assert.equal(r.status, 101);
    r = await rawUpgrade(base, `/elsewhere`);
    assert.equal(r.status, 404);
    await sleep(50);
    await api(base, 'DELETE', `/api/sessions/${id}`, { token });
  });

  test('terminal: echo, resize clamping, junk control, exit event', async () => {
    const c = await api(base, 'POST', '/api/sessions', {});
    const { id, token } = c.json;
    const t = await openTerminal(base, id, token, { origin: base });
    await t.waitEvent('ready');
    await t.waitFor('$ ');
    t.send('echo hello\r');
    await t.waitFor(/hello\r\n/);
    provider.resizes.length = 0;
    for (const m of ['not json', '{}', '[]', 'null', '{"type":"resize","cols":0,"rows":0}', '{"type":"resize","cols":"a","rows":{}}', '{"type":"what"}', '{"type":"ack","bytes":-5}']) {
      t.control(m);
    }
    t.control({ type: 'resize', cols: 99999, rows: 99999 });
    t.control({ type: 'resize', cols: 500, rows: 200 }); // unchanged after clamping: no resize
    t.control({ type: 'resize', cols: 120, rows: 40 });
    t.send('echo still-alive\r');
    await t.waitFor('still-alive\r\n');
    assert.deepEqual(provider.resizes, [
      { cols: 500, rows: 200 },
      { cols: 120, rows: 40 },
    ]);
    t.send('exit 3\r');
    const ev = await t.waitEvent('exit');
    assert.equal(ev.code, 3);
    const closed = await t.closed;
    assert.equal(closed.code, 1000);
    await api(base, 'DELETE', `/api/sessions/${id}`, { token });
  });

  test('terminal: oversized frame closes with 1009; a 1 MB paste in frames arrives whole', async () => {
    const c = await api(base, 'POST', '/api/sessions', {});
    const { id, token } = c.json;
    const big = await openTerminal(base, id, token);
    await big.waitEvent('ready');
    big.send(Buffer.alloc(1024 * 1024 + 10, 97));
    assert.equal((await big.closed).code, 1009);
    const t = await openTerminal(base, id, token);
    await t.waitFor('$ ');
    t.send('count\r');
    await sleep(20);
    const chunk = Buffer.alloc(64 * 1024, 98);
    for (let i = 0; i < 16; i++) t.send(chunk);
    t.send(Buffer.from([4]));
    await t.waitFor(`COUNT=${16 * 64 * 1024}`, 20_000);
    t.close();
    assert.equal((await api(base, 'GET', '/api/health')).status, 200);
    await api(base, 'DELETE', `/api/sessions/${id}`, { token });
  });

  test('terminal: `yes` with a client that does not read keeps memory bounded; acks pause output', async () => {
    const c = await api(base, 'POST', '/api/sessions', {});
    const { id, token } = c.json;
    // A client that stops reading: the TCP socket is paused after the prompt.
    const ws = new WebSocket(wsUrl(base, id, token));
    // Listen before 'open': the first output may come in the same read as the upgrade answer.
    const firstOutput = new Promise<void>((r) => ws.on('message', (_d, bin) => bin && r()));
    await new Promise((r) => ws.once('open', r));
    await firstOutput;
    const rss0 = process.memoryUsage().rss;
    ws.send(Buffer.from('yes\r'));
    await sleep(300);
    (ws as unknown as { _socket: import('node:net').Socket })._socket.pause();
    await sleep(1500);
    const grown = process.memoryUsage().rss - rss0;
    assert.ok(grown < 150 * 1024 * 1024, `rss grew by ${grown}`);
    ws.terminate();

    // Ack-based flow control: without acks beyond the first, output stops near 2 MiB.
    const t = await openTerminal(base, id, token);
    await t.waitFor('$ ');
    t.control({ type: 'ack', bytes: 0 });
    t.send('yes\r');
    await sleep(1000);
    const n1 = t.bytes();
    await sleep(500);
    const n2 = t.bytes();
    assert.ok(n2 < 4 * 1024 * 1024, `received ${n2} bytes without acking`);
    assert.equal(n1, n2, 'output paused');
    t.control({ type: 'ack', bytes: n2 });
    await sleep(300);
    assert.ok(t.bytes() > n2, 'output resumed after ack');
    t.send(Buffer.from([3]));
    t.close();
    await api(base, 'DELETE', `/api/sessions/${id}`, { token });
  });

  test('terminal: session end closes terminals with an ended event', async () => {
    const c = await api(base, 'POST', '/api/sessions', {});
    const { id, token } = c.json;
    const t = await openTerminal(base, id, token);
    await t.waitEvent('ready');
    await api(base, 'DELETE', `/api/sessions/${id}`, { token });
    const ev = await t.waitEvent('ended').catch(() => null);
    assert.equal(ev?.reason, 'deleted');
    assert.equal((await t.closed).code, 1008);
  });
});

describe('runner serves the built site on the same origin', () => {
  test('index, assets, 404 page, and API 404 stays JSON', async () => {
    const { mkdtempSync, writeFileSync, mkdirSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'rl-site-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>home</title>');
    writeFileSync(join(dir, '404.html'), '<!doctype html><title>nope</title>');
    mkdirSync(join(dir, 'labs', 'tagging'), { recursive: true });
    writeFileSync(join(dir, 'labs', 'tagging', 'index.html'), '<!doctype html><title>tagging</title>');
    const provider = createFakeProvider();
    const runner = await createRunner(
      { port: 0, runnerId: uniqueRunnerId('unit'), warmPoolSize: 0, logLevel: 'silent', siteDir: dir },
      { provider, labEngine: async () => fakeEngine },
    );
    try {
      let r = await api(runner.url, 'GET', '/');
      assert.equal(r.status, 200);
      assert.match(r.text, /<title>home/);
      r = await api(runner.url, 'GET', '/labs/tagging/');
      assert.equal(r.status, 200);
      assert.match(r.text, /<title>tagging/);
      r = await api(runner.url, 'GET', '/no/such/page/');
      assert.equal(r.status, 404);
      assert.match(r.text, /<title>nope/);
      r = await api(runner.url, 'GET', '/api/nothing');
      assert.equal(r.status, 404);
      assert.equal(r.json.error.code, 'not_found');
      // fetch would normalise the dots away; send the paths exactly as written.
      for (const path of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fetc%2fpasswd']) {
        const raw = await rawGet(runner.url, path);
        assert.ok(!raw.body.includes('root:x:0:0'), `${path}: served /etc/passwd`);
        assert.ok(raw.status >= 400 && raw.status < 500, `${path}: status ${raw.status}`);
        // Dot segments are refused as an API error; "..%2f" is just an odd file name (the site's 404 page).
        if (!path.includes('%2f')) {
          const err = JSON.parse(raw.body).error;
          assert.ok(typeof err?.code === 'string' && typeof err?.message === 'string', `${path}: not API.md's error shape: ${raw.body.slice(0, 200)}`);
        }
      }
    } finally {
      await runner.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('hostile-client rules (pure functions)', () => {
  test('Host names: port and brackets stripped; defaults are loopback, HOST and the ALLOWED_ORIGINS hosts', async () => {
    const { hostName, hostRule } = await import('../../runner/src/http/hosts.ts');
    assert.equal(hostName('LocalHost:4321'), 'localhost');
    assert.equal(hostName('[::1]:4321'), '::1');
    assert.equal(hostName('::1'), '::1');
    assert.equal(hostName('example.org.'), 'example.org');
    const rule = hostRule({ allowedHosts: [], allowedOrigins: ['https://lab.example.org'], host: '127.0.0.1' });
    for (const ok of ['localhost:4321', '127.0.0.1', '[::1]:1', 'lab.example.org', 'LAB.example.org:443', '192.168.1.10:4321', '[fd00::1]:4321']) assert.ok(rule(ok), ok);
    for (const bad of ['evil.example:4321', '127.0.0.1.evil.example', '', undefined, 'localhost.evil']) assert.ok(!rule(bad), String(bad));
    const listed = hostRule({ allowedHosts: ['course.school.example'], allowedOrigins: [], host: '0.0.0.0' });
    assert.ok(listed('course.school.example:8080'));
    assert.ok(!listed('localhost'), 'an explicit list replaces the defaults');
    assert.ok(!listed('192.168.1.10'), 'addresses too');
    assert.ok(hostRule({ allowedHosts: ['*'], allowedOrigins: [], host: '0.0.0.0' })('anything.example'));
  });

  test('client address: X-Forwarded-For only from a trusted proxy, read right to left', async () => {
    const { clientAddressRule } = await import('../../runner/src/http/client-address.ts');
    const none = clientAddressRule([]);
    assert.equal(none('::ffff:127.0.0.1', '203.0.113.1'), '127.0.0.1');
    const rule = clientAddressRule(['10.0.0.0/8', '::1']);
    assert.equal(rule('10.1.2.3', '203.0.113.1'), '203.0.113.1');
    assert.equal(rule('10.1.2.3', '198.51.100.9, 203.0.113.1'), '203.0.113.1', 'a spoofed first hop is ignored');
    assert.equal(rule('10.1.2.3', '203.0.113.1, 10.0.0.5'), '203.0.113.1', 'a chain of trusted proxies');
    assert.equal(rule('::1', ['203.0.113.1', '10.0.0.9']), '203.0.113.1');
    assert.equal(rule('192.0.2.1', '203.0.113.1'), '192.0.2.1', 'an untrusted peer is the client');
    assert.equal(rule('10.1.2.3', 'garbage'), '10.1.2.3', 'an invalid entry stops at the proxy');
    assert.equal(rule(undefined, undefined), 'unknown');
  });

  test('learner messages name the registry as the learner sees it', async () => {
    const { learnerAddresses, shellFailed } = await import('../../runner/src/core/sandbox-errors.ts');
    const { sandboxErrorOf } = await import('../../runner/src/docker/errors.ts');
    assert.equal(learnerAddresses('registry http://10.213.28.3:5000 unreachable, also 10.213.28.3:5001', 'http://10.213.28.3:5000'), 'registry localhost:5000 unreachable, also localhost:5001');
    assert.equal(learnerAddresses('10.213.28.30:5000 and 110.213.28.3', 'http://10.213.28.3:5000'), '10.213.28.30:5000 and 110.213.28.3', 'other addresses stay');
    const s = shellFailed(sandboxErrorOf(new Error('(HTTP code 409) container stopped/paused - Container 98f9 is not running')));
    assert.equal(s.code, 'sandbox_unavailable');
    assert.doesNotMatch(s.message, /HTTP code|98f9/);
  });
});

describe('unclaimed sessions (fake provider)', () => {
  test('GARBAGE after a bodiless POST, and a POST reset at once, leave no session', async () => {
    const provider = createFakeProvider();
    const runner = await createRunner(
      { port: 0, runnerId: uniqueRunnerId('unit'), warmPoolSize: 0, logLevel: 'silent', siteDir: '/nonexistent-site', maxSessions: 4 },
      { provider, labEngine: async () => fakeEngine },
    );
    const port = Number(new URL(runner.url).port);
    const send = (bytes: string, reset: boolean) =>
      new Promise<void>((resolve) => {
        const s = connect(port, '127.0.0.1', () =>
          s.write(bytes, () => {
            if (reset) {
              s.resetAndDestroy();
              resolve();
            }
          }),
        );
        s.on('error', () => {});
        s.on('close', () => resolve());
        if (!reset) setTimeout(() => s.destroy(), 2000);
      });
    try {
      for (let i = 0; i < 3; i++) await send('POST /api/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\r\nGARBAGE', false);
      for (let i = 0; i < 3; i++) await send('POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}', true);
      const t0 = Date.now();
      while (runner.sessions.stats().sessions > 0 && Date.now() - t0 < 5000) await sleep(50);
      assert.equal(runner.sessions.stats().sessions, 0);
      while (provider.live.size > 0 && Date.now() - t0 < 5000) await sleep(50);
      assert.equal(provider.live.size, 0, 'their sandboxes are removed');
      const ok = await api(runner.url, 'POST', '/api/sessions', { body: {} });
      assert.equal(ok.status, 201, 'capacity is intact');
    } finally {
      await runner.close();
    }
  });
});

describe('REQUEST_TIMEOUT_MS (fake provider)', () => {
  test('bounds how long a request may take to arrive, not how long the answer takes', async () => {
    const provider = createFakeProvider();
    provider.createDelayMs = 2500;
    const runner = await createRunner(
      { port: 0, runnerId: uniqueRunnerId('unit'), warmPoolSize: 0, logLevel: 'silent', siteDir: '/nonexistent-site', requestTimeoutMs: 1000 },
      { provider, labEngine: async () => fakeEngine },
    );
    try {
      const c = await api(runner.url, 'POST', '/api/sessions', { body: {} });
      // Lab start waits for the sandbox (2.5 s), longer than the request timeout.
      const s = await api(runner.url, 'POST', `/api/sessions/${c.json.id}/labs/demo/start`, { token: c.json.token });
      assert.equal(s.status, 200, s.text);
    } finally {
      await runner.close();
    }
  });
});

/** GET with the request line exactly as given (no URL normalisation), over a raw socket. */
async function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  const { port, hostname } = new URL(base);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(port), hostname);
    let data = '';
    sock.setEncoding('latin1');
    sock.on('data', (d) => (data += d));
    sock.on('error', reject);
    sock.on('end', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0);
      resolve({ status, body: data.slice(data.indexOf('\r\n\r\n') + 4) });
    });
    sock.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`);
  });
}

/**
 * The operator's setup for real: Debian's Caddy with deploy/caddy/registry-lab.caddy (its own
 * internal CA standing in for Let's Encrypt, trusted in a fresh NSS database) in front of a real
 * runner with Docker sandboxes, the public name lab.test resolved by Chromium to [::1] (Chromium
 * in a network namespace of its own, see isolated-chromium.ts). One
 * learner, one session, over HTTPS: the lab page (HTTP/2, security headers, no CSP violation),
 * «Начать», the terminal over wss:, «Проверить», a workshop's event stream that delivers at once.
 * The runner counted the learner at the address Caddy saw (::1, not the proxy's 127.0.0.1), and a
 * forged X-Forwarded-For changes nothing: Caddy replaces it, and the runner ignores it from a peer
 * that is not TRUSTED_PROXIES. /metrics is not served publicly; a body over BODY_LIMIT stops at Caddy.
 * Then Debian's nginx with deploy/nginx/registry-lab.conf and the same certificate, driven from
 * Node: HTTP/2 and the headers, the terminal over wss:, the event stream, X-Forwarded-For, limits.
 * Last, readiness on the real engine: 200 with every check, 503 naming the mirror while it is stopped.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect as connectHttp2 } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { WebSocket } from 'ws';
import { createRunner, type Runner } from '../../runner/src/app.ts';
import { uniqueRunnerId } from '../runner/helpers.ts';
import { REPO, snapshotSite } from '../e2e/helpers.ts';
import { launchIsolatedChromium, type IsolatedBrowser } from './isolated-chromium.ts';

const NAME = 'lab.test';
const LAB = 'save-load';
const OPERATOR = `op-${Math.random().toString(36).slice(2)}-https-token`;

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function collect(res: import('node:http').IncomingMessage, resolve: (a: Answer) => void) {
  let body = '';
  res.on('data', (c) => (body += c));
  res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
}

describe('HTTPS behind Caddy (and nginx): a learner end to end', { timeout: 900_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-https-'));
  let site: ReturnType<typeof snapshotSite>;
  let runner: Runner;
  let caddy: ChildProcess | null = null;
  let caddyLog = '';
  let browser: Browser | null = null;
  let isolated: IsolatedBrowser | null = null;
  let page: Page;
  let origin = '';
  let httpsPort = 0;
  let ca = '';
  const sessionsMade: { id: string; token: string }[] = [];
  let nginx: ChildProcess | null = null;
  /** The learner and the workshop of the first test, for the nginx one. */
  let shared: { learner: { id: string; token: string }; workshop: { id: string; instructorKey: string } } | null = null;

  /** A request to Caddy as a client elsewhere would make it (TLS to lab.test, our CA). */
  function viaCaddy(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest({ host: '::1', port: httpsPort, servername: NAME, ca, method, path, headers: { host: `${NAME}:${httpsPort}`, ...headers } }, (res) => collect(res, resolve));
      req.on('error', reject);
      req.end(body);
    });
  }
  /** A request straight to the runner from 127.0.0.2: a loopback peer that is not a trusted proxy. */
  function direct(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: runner.port, localAddress: '127.0.0.2', method, path, headers: { host: NAME, ...headers } }, (res) => collect(res, resolve));
      req.on('error', reject);
      req.end(body);
    });
  }

  before(async () => {
    site = snapshotSite();
    httpsPort = await freePort();
    const httpPort = await freePort();
    origin = `https://${NAME}:${httpsPort}`;
    runner = await createRunner({
      port: 0,
      host: '127.0.0.1',
      runnerId: uniqueRunnerId('https'),
      warmPoolSize: 0,
      logLevel: 'silent',
      siteDir: site.dir,
      instructorToken: OPERATOR,
      allowedHosts: [NAME],
      allowedOrigins: [origin],
      trustedProxies: ['127.0.0.1'],
    });

    // The operator's site block, with the test's global options instead of the ACME ones.
    const storage = join(dir, 'caddy');
    const caddyfile = join(dir, 'Caddyfile');
    writeFileSync(
      caddyfile,
      `{\n\tadmin off\n\tlocal_certs\n\tskip_install_trust\n\tdefault_bind 127.0.0.1 [::1]\n\thttp_port ${httpPort}\n\thttps_port ${httpsPort}\n\tstorage file_system ${storage}\n\tauto_https disable_redirects\n}\n\nimport ${join(REPO, 'deploy/caddy/registry-lab.caddy')}\n`,
    );
    caddy = spawn('caddy', ['run', '--config', caddyfile, '--adapter', 'caddyfile'], {
      env: { ...process.env, HOME: dir, XDG_DATA_HOME: join(dir, 'xdg-data'), XDG_CONFIG_HOME: join(dir, 'xdg-config'), LAB_DOMAIN: NAME, RUNNER_UPSTREAM: `127.0.0.1:${runner.port}`, FRAME_ANCESTORS: "'self' https://lms.example.org" },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    caddy.stdout!.on('data', (c) => (caddyLog = (caddyLog + c).slice(-8000)));
    caddy.stderr!.on('data', (c) => (caddyLog = (caddyLog + c).slice(-8000)));
    const root = join(storage, 'pki/authorities/local/root.crt');
    const leaf = join(storage, 'certificates/local', NAME, `${NAME}.crt`);
    for (let i = 0; i < 150 && !(existsSync(root) && existsSync(leaf)); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(existsSync(leaf), `Caddy made no certificate for ${NAME}:\n${caddyLog}`);
    ca = readFileSync(root, 'utf8');
    for (let i = 0; ; i++) {
      const ok = await viaCaddy('GET', '/api/health').then((a) => a.status === 200, () => false);
      if (ok) break;
      assert.ok(i < 100, `Caddy does not answer:\n${caddyLog}`);
      await new Promise((r) => setTimeout(r, 100));
    }

    // Chromium trusts Caddy's CA the way a machine trusts a public one: in its NSS database.
    const nss = join(dir, '.pki/nssdb');
    mkdirSync(nss, { recursive: true });
    for (const args of [['-N', '--empty-password'], ['-A', '-n', 'Caddy local CA (test)', '-t', 'C,,', '-i', root]]) {
      const r = spawnSync('certutil', ['-d', `sql:${nss}`, ...args], { encoding: 'utf8' });
      assert.equal(r.status, 0, `certutil ${args[0]}: ${r.stderr}`);
    }
    isolated = await launchIsolatedChromium({
      dir,
      port: httpsPort,
      target: { host: '::1', port: httpsPort },
      env: { ...process.env, HOME: dir },
      args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update', '--disable-sync', '--no-first-run', `--host-resolver-rules=MAP ${NAME} [::1]`],
    });
    browser = isolated.browser;
    const context = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(60_000);
    page = await context.newPage();
  });

  after(async () => {
    for (const s of sessionsMade) if (runner) await direct('DELETE', `/api/sessions/${s.id}`, { authorization: `Bearer ${s.token}` }).catch(() => {});
    await isolated?.close();
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((r) => nginx!.once('exit', r));
      nginx.kill('SIGTERM');
      await exited;
    }
    if (caddy && caddy.exitCode === null) {
      const exited = new Promise((r) => caddy!.once('exit', r));
      caddy.kill('SIGTERM');
      await exited;
    }
    await runner?.close();
    site?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test('page, terminal over wss:, check and event stream through Caddy', async () => {
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
    });
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));

    const res = await page.goto(`${origin}/labs/${LAB}/`, { waitUntil: 'load' });
    assert.equal(res?.status(), 200);
    const h = await res!.allHeaders();
    assert.match(h['strict-transport-security'] ?? '', /max-age=\d+/);
    assert.equal(h['x-content-type-options'], 'nosniff');
    assert.equal(h['referrer-policy'], 'strict-origin-when-cross-origin');
    assert.match(h['content-security-policy'] ?? '', /frame-ancestors 'self' https:\/\/lms\.example\.org/);
    assert.equal(await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol), 'h2');

    const panel = page.locator('rl-lab');
    const consoleLines: string[] = [];
    page.on('console', (m) => consoleLines.push(m.text()));
    page.on('requestfailed', (r) => consoleLines.push(`failed: ${r.url()} ${r.failure()?.errorText}`));
    await panel.getByRole('button', { name: 'Начать' }).click();
    await panel.locator('.rl-lab-status[data-kind="ok"], .rl-lab-status[data-kind="bad"]').first().waitFor({ timeout: 300_000 });
    assert.equal(await panel.locator('.rl-lab-status').getAttribute('data-kind'), 'ok', `lab start: ${await panel.locator('.rl-lab-status').textContent()}; page: ${consoleLines.slice(-8).join(' | ')}`);
    const learner = JSON.parse((await page.evaluate(() => localStorage.getItem('registry-lab:session:v1')))!) as { id: string; token: string };
    sessionsMade.push(learner);

    const term = page.locator('rl-terminal').first();
    await term.scrollIntoViewIfNeeded();
    const open = term.locator('.rl-term-open');
    if (await open.isVisible()) await open.click();
    await page.waitForFunction(() => document.querySelector('rl-terminal')?.getAttribute('data-state') === 'ready', null, { timeout: 120_000 });
    await term.locator('.xterm').click();
    await page.keyboard.type('echo "over-$((6*7))-wss"');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => /over-42-wss/.test(document.querySelector('rl-terminal .xterm-rows')?.textContent ?? ''), null, { timeout: 30_000 });
    assert.ok(sockets.some((u) => u.startsWith(`wss://${NAME}:${httpsPort}/api/sessions/`)), `terminal sockets: ${sockets.join(', ')}`);

    await panel.getByRole('button', { name: 'Проверить' }).click();
    await panel.locator('.rl-lab-status[data-kind="bad"]').waitFor({ timeout: 120_000 });

    const { id, token } = learner;
    // The learner reached Caddy over [::1]; Caddy reached the runner from 127.0.0.1 (TRUSTED_PROXIES).
    assert.equal(runner.sessions.get(id)?.clientAddress, '::1', 'the runner counts the learner, not the proxy');
    assert.equal(runner.store.progress(id).labs[LAB]?.passed, false, 'the check was recorded');

    // A workshop's event stream in the page: the first event, then one sent later arrives at once.
    const made2 = await viaCaddy('POST', '/api/workshops', { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' }, JSON.stringify({ title: 'HTTPS', labs: [LAB] }));
    assert.equal(made2.status, 201, made2.body);
    const ws = JSON.parse(made2.body) as { id: string; instructorKey: string };
    await page.evaluate(({ id: wid, key }) => {
      const w = window as unknown as { rlEvents: string[]; rlSource: EventSource; rlOpen: boolean };
      w.rlEvents = [];
      w.rlSource = new EventSource(`/api/workshops/${wid}/events?token=${encodeURIComponent(key)}`);
      w.rlSource.onopen = () => (w.rlOpen = true);
      w.rlSource.addEventListener('workshop', (e) => w.rlEvents.push((e as MessageEvent).data));
    }, { id: ws.id, key: ws.instructorKey });
    await page.waitForFunction(() => (window as unknown as { rlOpen?: boolean }).rlOpen === true, null, { timeout: 15_000 }).catch(async (e: Error) => {
      const probe = await viaCaddy('GET', `/api/workshops/${ws.id}`, { authorization: `Bearer ${ws.instructorKey}` });
      throw new Error(`${e.message}; workshop ${JSON.stringify(ws)}; GET ${probe.status} ${probe.body.slice(0, 200)}; page: ${consoleLines.slice(-5).join(' | ')}`);
    });
    // Each broadcast is one event on the stream; it must arrive while the stream stays open.
    for (const message of ['over https 1', 'over https 2']) {
      await new Promise((r) => setTimeout(r, 1500));
      const sent = Date.now();
      const status = await page.evaluate(async ({ wid, key, message: m }) => (await fetch(`/api/workshops/${wid}/broadcast`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ message: m }) })).status, { wid: ws.id, key: ws.instructorKey, message });
      assert.equal(status, 200);
      await page.waitForFunction((m) => (window as unknown as { rlEvents: string[] }).rlEvents.some((d) => d.includes(m)), message, { timeout: 5_000 });
      assert.ok(Date.now() - sent < 3_000, `"${message}" came through unbuffered`);
    }
    assert.equal(runner.workshops.streams.count(ws.id), 1);
    await page.evaluate(() => (window as unknown as { rlSource: EventSource }).rlSource.close());
    shared = { learner, workshop: ws };
    // The other kinds of page under the same policy: home with the search (Pagefind: WebAssembly),
    // the instructor's page, the join page, a chapter with a quiz.
    for (const path of ['/', '/instructor/', '/join/', '/docker-hub/']) {
      const r = await page.goto(`${origin}${path}`, { waitUntil: 'load' });
      assert.equal(r?.status(), 200, path);
      if (path === '/') {
        await page.click('button[data-open-modal]');
        await page.locator('site-search input, starlight-search input, dialog input').first().fill('реестры');
        await page.locator('.pagefind-ui__result-link').first().waitFor({ timeout: 15_000 });
        await page.keyboard.press('Escape');
      }
    }
    assert.deepEqual(violations, [], 'no Content-Security-Policy violation on the pages');
    // ...and the policy is in force: an image from elsewhere is refused (and would be reported above).
    await page.evaluate(() => {
      const img = document.createElement('img');
      img.src = 'https://elsewhere.test/pixel.png';
      document.body.append(img);
    });
    for (let i = 0; violations.length === 0 && i < 50; i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(violations.join('\n'), /elsewhere\.test/);

    // Forged X-Forwarded-For through Caddy: replaced by the address Caddy saw.
    const forged = await viaCaddy('POST', '/api/sessions', { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.7' }, '{}');
    assert.equal(forged.status, 201, forged.body);
    const f = JSON.parse(forged.body) as { id: string; token: string };
    sessionsMade.push(f);
    assert.equal(runner.store.getSession(f.id)?.clientAddress, '::1');
    // Forged straight to the runner from a peer that is not a trusted proxy: ignored.
    const sneaky = await direct('POST', '/api/sessions', { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.7' }, '{}');
    assert.equal(sneaky.status, 201, sneaky.body);
    const s = JSON.parse(sneaky.body) as { id: string; token: string };
    sessionsMade.push(s);
    assert.equal(runner.store.getSession(s.id)?.clientAddress, '127.0.0.2');
    for (const x of [f, s]) assert.equal((await viaCaddy('DELETE', `/api/sessions/${x.id}`, { authorization: `Bearer ${x.token}` })).status, 204);

    // What the proxy keeps to itself: /metrics, and bodies over the runner's BODY_LIMIT.
    assert.equal((await viaCaddy('GET', '/metrics')).status, 404);
    const big = await viaCaddy('POST', `/api/sessions/${id}/quiz`, { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, JSON.stringify({ question: 'x', answer: 'y'.repeat(65_536) }));
    assert.equal(big.status, 413);
    assert.equal(JSON.parse(big.body).error.code, 'body_too_large');
    // Just under the limit still reaches the runner (which judges the body itself).
    const fits = await viaCaddy('POST', `/api/sessions/${id}/quiz`, { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, JSON.stringify({ question: 'x', answer: 'y' }).padEnd(65_536, ' '));
    assert.equal(JSON.parse(fits.body).error.code, 'unknown_question');
  });

  test('the same through deploy/nginx/registry-lab.conf: h2, headers, wss:, event stream, client address, limits', async () => {
    assert.ok(shared, 'needs the learner of the test before');
    const [tlsPort, plainPort] = [await freePort(), await freePort()];
    const conf = readFileSync(join(REPO, 'deploy/nginx/registry-lab.conf'), 'utf8')
      .replaceAll('lab.example.org', NAME)
      .replace('server 127.0.0.1:4321;', `server 127.0.0.1:${runner.port};`)
      .replace(/ssl_certificate\s+\S+;/, `ssl_certificate ${join(dir, 'caddy/certificates/local', NAME, `${NAME}.crt`)};`)
      .replace(/ssl_certificate_key\s+\S+;/, `ssl_certificate_key ${join(dir, 'caddy/certificates/local', NAME, `${NAME}.key`)};`)
      .replace(/listen (\[::\]:)?(443|80)\b/g, (_m, v6: string | undefined, p: string) => `listen ${v6 ? '[::1]:' : '127.0.0.1:'}${p === '443' ? tlsPort : plainPort}`);
    const root = join(dir, 'nginx');
    mkdirSync(join(root, 'logs'), { recursive: true });
    writeFileSync(join(root, 'site.conf'), conf);
    writeFileSync(
      join(root, 'nginx.conf'),
      `daemon off;\nmaster_process off;\npid ${root}/nginx.pid;\nerror_log stderr;\nevents {}\nhttp {\n  access_log off;\n  client_body_temp_path ${root}/body;\n  proxy_temp_path ${root}/proxy;\n  include ${root}/site.conf;\n}\n`,
    );
    const check = spawnSync('nginx', ['-t', '-p', root, '-c', join(root, 'nginx.conf')], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
    nginx = spawn('nginx', ['-p', root, '-c', join(root, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let nginxLog = '';
    nginx.stderr!.on('data', (c) => (nginxLog = (nginxLog + c).slice(-4000)));
    const via = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
      new Promise<Answer>((resolve, reject) => {
        const req = httpsRequest({ host: '::1', port: tlsPort, servername: NAME, ca, method, path, headers: { host: NAME, ...headers } }, (res) => collect(res, resolve));
        req.on('error', reject);
        req.end(body);
      });
    for (let i = 0; !(await via('GET', '/api/health/live').then((r) => r.status === 200, () => false)); i++) {
      assert.ok(i < 50, `nginx does not answer: ${nginxLog}`);
      await new Promise((r) => setTimeout(r, 100));
    }

    // HTTP/2 with the headers.
    const h2 = connectHttp2(`https://[::1]:${tlsPort}`, { ca, servername: NAME });
    try {
      const page = await new Promise<{ status: number; headers: Record<string, unknown> }>((resolve, reject) => {
        const r = h2.request({ ':path': `/labs/${LAB}/`, ':authority': NAME });
        r.on('response', (headers) => {
          r.resume();
          r.on('end', () => resolve({ status: Number(headers[':status']), headers }));
        });
        r.on('error', reject);
        r.end();
      });
      assert.equal(page.status, 200);
      assert.equal(h2.alpnProtocol, 'h2');
      assert.match(String(page.headers['strict-transport-security']), /max-age=\d+/);
      assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
      assert.equal(page.headers['x-content-type-options'], 'nosniff');
      assert.equal(page.headers['referrer-policy'], 'strict-origin-when-cross-origin');
    } finally {
      h2.close();
    }

    // The learner's terminal over wss: through nginx.
    const { learner, workshop } = shared!;
    // ws passes TLS options through to https.request (servername: the name the certificate is for).
    const tlsOptions = { ca, servername: NAME, headers: { host: NAME } };
    const term = new WebSocket(`wss://[::1]:${tlsPort}/api/sessions/${learner.id}/terminal?token=${learner.token}`, tlsOptions);
    let screen = '';
    term.on('message', (data, binary) => {
      if (binary) screen += data.toString();
    });
    await new Promise((resolve, reject) => term.once('open', resolve).once('error', reject));
    for (let i = 0; !screen.includes('$') && i < 100; i++) await new Promise((r) => setTimeout(r, 100));
    term.send(Buffer.from('echo "via-$((6*7))-nginx"\r'), { binary: true });
    for (let i = 0; !screen.includes('via-42-nginx') && i < 100; i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(screen, /via-42-nginx/);
    term.close();

    // The workshop's event stream: an event arrives at once (no buffering).
    const events: string[] = [];
    const stream = httpsRequest({ host: '::1', port: tlsPort, servername: NAME, ca, path: `/api/workshops/${workshop.id}/events?token=${encodeURIComponent(workshop.instructorKey)}`, headers: { host: NAME, accept: 'text/event-stream' } });
    const opened = new Promise<import('node:http').IncomingMessage>((resolve, reject) => stream.on('response', resolve).on('error', reject));
    stream.end();
    const res = await opened;
    assert.equal(res.statusCode, 200);
    res.on('data', (c: Buffer) => events.push(c.toString()));
    await new Promise((r) => setTimeout(r, 500));
    const sent = Date.now();
    assert.equal((await via('POST', `/api/workshops/${workshop.id}/broadcast`, { authorization: `Bearer ${workshop.instructorKey}`, 'content-type': 'application/json' }, JSON.stringify({ message: 'via nginx' }))).status, 200);
    for (let i = 0; !events.join('').includes('via nginx') && i < 50; i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(events.join('').includes('via nginx') && Date.now() - sent < 3_000, 'the event came through unbuffered');
    res.destroy();

    // X-Forwarded-For: nginx sends the address it saw (::1), not the client's forged one.
    const forged = await via('POST', '/api/sessions', { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.7' }, '{}');
    assert.equal(forged.status, 201, forged.body);
    const f = JSON.parse(forged.body) as { id: string; token: string };
    sessionsMade.push(f);
    assert.equal(runner.store.getSession(f.id)?.clientAddress, '::1');
    assert.equal((await via('DELETE', `/api/sessions/${f.id}`, { authorization: `Bearer ${f.token}` })).status, 204);

    assert.equal((await via('GET', '/metrics')).status, 404);
    assert.equal((await via('POST', `/api/sessions/${learner.id}/quiz`, { authorization: `Bearer ${learner.token}`, 'content-type': 'application/json' }, 'x'.repeat(70_000))).status, 413);
  });

  test('readiness on the real engine: ready, and not ready while the mirror is down', async () => {
    const ready = await viaCaddy('GET', '/api/health/ready');
    assert.equal(ready.status, 200, ready.body);
    assert.deepEqual(JSON.parse(ready.body).checks, { store: true, engine: true, mirror: true, labs: true });
    const mirror = `rl-mirror-${runner.config.runnerId}`;
    assert.equal(spawnSync('docker', ['stop', '-t', '1', mirror]).status, 0);
    try {
      const down = await direct('GET', '/api/health/ready');
      assert.equal(down.status, 503);
      assert.equal(JSON.parse(down.body).checks.mirror, false);
      assert.equal((await direct('GET', '/api/health/live')).status, 200, 'still live: readiness takes it out of rotation, the engine restarts a crashed mirror (unless-stopped)');
    } finally {
      spawnSync('docker', ['start', mirror]);
    }
    assert.equal((await direct('GET', '/api/health/ready')).status, 200);
  });
});

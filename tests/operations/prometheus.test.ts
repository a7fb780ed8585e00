/**
 * Debian's prometheus scrapes a runner (every second) through a session's life and the figures
 * an operator watches are there: sessions by state, sandbox starts and their durations, warm-pool
 * claims, checks per lab and result, terminals and their bytes, event-stream clients, API errors
 * by code, store size, per-client usage, process metrics; the alert rules load and every query of
 * the Grafana dashboard (deploy/grafana) parses and has data. /metrics answers
 * loopback, a token, and refuses a forwarded address (untrusted proxy, or a trusted one's client).
 * Fake sandbox provider: the figures come from the runner, not from Docker.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRunner, type Runner } from '../../runner/src/app.ts';
import { metricsAccess } from '../../runner/src/metrics/access.ts';
import { createFakeProvider } from '../unit/fake-provider.ts';
import { api, openTerminal, uniqueRunnerId, type Term } from '../runner/helpers.ts';
import { REPO } from '../e2e/helpers.ts';
import { demoEngine } from './fake-engine.ts';
import { until } from '../support/wait.ts';

const TOKEN = 'metrics-token-0123456789';
const OPERATOR = 'operator-token-for-metrics-test';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

/** GET with a chosen source address (127.0.0.2 is another loopback peer). */
function get(url: string, headers: Record<string, string>, localAddress?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, localAddress }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('Prometheus scrapes the runner', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-prom-'));
  let runner: Runner;
  let prometheus: ChildProcess | null = null;
  let promUrl = '';
  let promLog = '';
  const runnerId = uniqueRunnerId('prom');
  // Quota files as docker/quota.ts leaves them (sparse, some blocks written): the usage gauge reads these.
  const quotaDir = join(dir, 'quota');

  before(async () => {
    mkdirSync(quotaDir);
    for (const [name, used] of [[`${runnerId}--s1.ext4`, 3], [`${runnerId}--s1--registry.ext4`, 1], [`${runnerId}--s2.ext4`, 2], ['other-runner--s9.ext4', 5]] as const) {
      const fd = openSync(join(quotaDir, name), 'w');
      writeSync(fd, Buffer.alloc(used * 1024 * 1024, 1));
      ftruncateSync(fd, 32 * 1024 * 1024);
      closeSync(fd);
    }
    runner = await createRunner(
      { port: 0, host: '127.0.0.1', runnerId, dataDir: join(dir, 'data'), quotaDir, sessionDiskQuota: 64 * 1024 * 1024, warmPoolSize: 1, maxSessions: 4, logLevel: 'silent', siteDir: '/nonexistent-site', instructorToken: OPERATOR, metricsToken: TOKEN, trustedProxies: ['127.0.0.1'] },
      { provider: createFakeProvider(), labEngine: async () => demoEngine },
    );
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    const config = join(dir, 'prometheus.yml');
    writeFileSync(
      config,
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        `rule_files: [${JSON.stringify(join(REPO, 'deploy/prometheus/alerts.yml'))}]`,
        'scrape_configs:',
        '  - job_name: registry-lab',
        `    static_configs: [{ targets: ["127.0.0.1:${runner.port}"] }]`,
      ].join('\n'),
    );
    prometheus = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    prometheus.stdout!.on('data', (c) => (promLog += c));
    prometheus.stderr!.on('data', (c) => (promLog = (promLog + c).slice(-5000)));
  });
  after(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((r) => prometheus!.once('exit', r));
      prometheus.kill('SIGTERM');
      await exited;
    }
    await runner?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The value of an instant query's single series (NaN when there is none). */
  async function value(q: string): Promise<number> {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`).catch(() => null);
    if (!res?.ok) return NaN;
    const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
    return body.data.result.length === 1 ? Number(body.data.result[0]!.value[1]) : NaN;
  }
  /** Waits (30 s at most) until the query's value passes `ok`; fails with the last value and Prometheus's log. */
  async function metric(q: string, ok: (v: number) => boolean): Promise<void> {
    let v = NaN;
    await until(q, async () => ok((v = await value(q))), { timeoutMs: 30_000, everyMs: 250 }).catch(() =>
      assert.fail(`${q} = ${v} after 30000 ms\nprometheus: ${promLog.slice(-1500)}`),
    );
  }

  test('who may read /metrics', async () => {
    const url = `${runner.url}/metrics`;
    const direct = await get(url, {});
    assert.equal(direct.status, 200);
    assert.match(direct.body, /^# HELP /m);
    // Through the trusted proxy (127.0.0.1) on behalf of an outside client: a token is needed.
    const outside = await get(url, { 'x-forwarded-for': '203.0.113.9' });
    assert.equal(outside.status, 401);
    assert.equal(JSON.parse(outside.body).error.code, 'missing_token');
    assert.equal((await get(url, { 'x-forwarded-for': '203.0.113.9', authorization: `Bearer ${TOKEN}` })).status, 200);
    assert.equal((await get(url, { authorization: 'Bearer wrong-token-wrong-token' })).status, 401);
    // A loopback peer that is not a trusted proxy, forwarding for someone: no address-based access.
    const untrusted = await get(url, { 'x-forwarded-for': '127.0.0.1' }, '127.0.0.2');
    assert.equal(untrusted.status, 401);
    assert.equal((await get(url, {}, '127.0.0.2')).status, 200, 'loopback itself, without forwarding');

    const rule = metricsAccess({ allow: ['10.20.0.0/16'], token: '', trustedProxies: ['10.0.0.5'] });
    const at = (peer: string, client: string, headers = {}) => rule({ peer, client, headers }).ok;
    assert.equal(at('10.20.3.4', '10.20.3.4'), true, 'METRICS_ALLOW');
    assert.equal(at('192.0.2.1', '192.0.2.1'), false, 'anyone else');
    assert.equal(at('10.0.0.5', '10.20.3.4', { 'x-forwarded-for': '10.20.3.4' }), true, 'allowed client through the trusted proxy');
    assert.equal(at('10.0.0.5', '192.0.2.1', { 'x-forwarded-for': '192.0.2.1' }), false, 'outside client through the trusted proxy');
    assert.equal(at('10.20.3.4', '10.20.3.4', { 'x-forwarded-for': '10.20.3.4' }), false, 'forwarded by an untrusted peer');
    assert.equal(rule({ peer: '192.0.2.1', client: '192.0.2.1', headers: {} }).ok ? 0 : (rule({ peer: '192.0.2.1', client: '192.0.2.1', headers: {} }) as { status: number }).status, 403, 'no token configured');
  });

  test('the figures of a session\'s life', async () => {
    const base = runner.url;
    await metric('up{job="registry-lab"}', (v) => v === 1);
    await metric('registrylab_warm_pool_sandboxes{state="ready"}', (v) => v === 1);

    const created = await api(base, 'POST', '/api/sessions', { body: {} });
    assert.equal(created.status, 201);
    const { id, token } = created.json;
    assert.equal(created.json.state, 'ready', 'claimed from the warm pool');
    assert.equal((await api(base, 'POST', `/api/sessions/${id}/labs/demo/start`, { token })).status, 200);
    assert.equal((await api(base, 'POST', `/api/sessions/${id}/labs/demo/check`, { token })).json.passed, true);
    assert.equal((await api(base, 'GET', '/api/sessions/no-such-session', { token })).status, 404);
    const term: Term = await openTerminal(base, id, token);
    await term.waitFor('$ ');
    term.send('echo metrics\r');
    await term.waitFor('metrics');
    const workshop = await api(base, 'POST', '/api/workshops', { token: OPERATOR, body: { title: 'Metrics', labs: ['demo'] } });
    assert.equal(workshop.status, 201, workshop.text);
    const sse = new AbortController();
    const stream = await fetch(`${base}/api/workshops/${workshop.json.id}/events?token=${workshop.json.instructorKey}`, { signal: sse.signal });
    assert.equal(stream.status, 200);

    try {
      await metric('registrylab_sessions{state="ready"}', (v) => v === 1);
      await metric('registrylab_sessions_max', (v) => v === 4);
      await metric('sum(registrylab_sandbox_starts_total{outcome="ok"})', (v) => v >= 2);
      await metric('registrylab_sandbox_start_seconds_count', (v) => v >= 2);
      await metric('registrylab_sandbox_start_wait_seconds_count', (v) => v >= 2);
      await metric('registrylab_warm_pool_claims_total', (v) => v === 1);
      await metric('registrylab_check_seconds_count{lab="demo",result="passed"}', (v) => v === 1);
      await metric('registrylab_terminal_connections', (v) => v === 1);
      await metric('registrylab_terminal_bytes_total{direction="out"}', (v) => v > 0);
      await metric('registrylab_terminal_bytes_total{direction="in"}', (v) => v > 0);
      await metric('registrylab_sse_clients', (v) => v === 1);
      await metric('registrylab_api_errors_total{status="404",code="unknown_session"}', (v) => v >= 1);
      await metric('registrylab_store_bytes', (v) => v > 0);
      await metric('registrylab_client_sessions_max{of="busiest_client"}', (v) => v === 1);
      await metric('registrylab_disk_quota_bytes{of="limit"}', (v) => v === 64 * 1024 * 1024);
      await metric('registrylab_disk_quota_bytes{of="used"}', (v) => v >= 6 * 1024 * 1024 && v < 8 * 1024 * 1024);
      await metric('registrylab_disk_quota_bytes{of="busiest_session"}', (v) => v >= 4 * 1024 * 1024 && v < 5 * 1024 * 1024);
      await metric('process_resident_memory_bytes{job="registry-lab"}', (v) => v > 0);
      await metric('nodejs_eventloop_lag_seconds{job="registry-lab"}', (v) => v >= 0);
      // The p95 the start-time alert uses is computable.
      await metric('histogram_quantile(0.95, sum by (le) (rate(registrylab_sandbox_start_seconds_bucket[1m])))', (v) => Number.isFinite(v) && v >= 0);
    } finally {
      sse.abort();
      term.close();
      await term.closed;
    }

    assert.equal((await api(base, 'DELETE', `/api/sessions/${id}`, { token })).status, 204);
    await metric('registrylab_sessions{state="ready"}', (v) => v === 0);
    await metric('registrylab_sessions_ended_total{reason="deleted"}', (v) => v === 1);
    await metric('registrylab_terminal_connections', (v) => v === 0);
    await metric('registrylab_sse_clients', (v) => v === 0);

    // Every query of the Grafana dashboard parses, and shows data (failed starts: none here).
    const dashboard = JSON.parse(readFileSync(join(REPO, 'deploy/grafana/registry-lab.json'), 'utf8')) as { panels: { title: string; targets?: { expr: string }[] }[] };
    const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr.replaceAll('$instance', '.*').replaceAll('$job', '.*').replaceAll('$__rate_interval', '1m') })));
    assert.ok(queries.length >= 20);
    for (const q of queries) {
      // A counter that appeared in the last scrape needs a second sample before increase() has one.
      for (let i = 0; ; i++) {
        const r = (await (await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q.expr)}`)).json()) as { status: string; error?: string; data?: { result: unknown[] } };
        assert.equal(r.status, 'success', `${q.panel}: ${q.expr}: ${r.error}`);
        if (/outcome="failed"/.test(q.expr) || r.data!.result.length > 0) break;
        assert.ok(i < 20, `${q.panel}: no data for ${q.expr}`);
        await new Promise((res) => setTimeout(res, 500));
      }
    }

    const rules = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string; health: string }[] }[] } };
    const loaded = rules.data.groups.flatMap((g) => g.rules);
    assert.ok(loaded.length >= 6, 'deploy/prometheus/alerts.yml is loaded');
    for (const r of loaded) assert.equal(r.health, 'ok', `rule ${r.name}`);
  });
});

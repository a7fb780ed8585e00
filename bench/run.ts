/**
 * npm run bench: measures the runner against the real Docker engine, loopback only, bounded
 * in count and time, and cleans up. Prints a table and writes bench/results/latest.json.
 *
 *   session ready      POST /api/sessions -> shell prompt seen over the WebSocket (cold, warm pool)
 *   keystroke echo     one byte in, its echo out, through the runner (WebSocket) and directly
 *                      (dockerode exec into the same workstation): p50/p99 and the ratio
 *   output throughput  `head -c N /dev/zero | base64` through the runner and directly (MB/s)
 *   idle memory        provider.memoryUsage of an idle session, and the runner's RSS
 *   terminal           Ctrl+C in a flood, reopen after 1012, hang-up of a closed terminal (bench/terminal.ts)
 *   check durations    p50/p95 per lab, fresh and solved (bench/check-durations.ts; BENCH_CHECKS=0 skips)
 *
 * Options (env): BENCH_N (ready samples each, default 5), BENCH_KEYS (default 200),
 * BENCH_MB (throughput input MiB, default 100), BENCH_TIMEOUT_S (default 600).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { openLoginShell } from '../runner/src/docker/shell.ts';
import { WebSocket } from 'ws';
import { createRunner, type Runner } from '../runner/src/app.ts';
import { registryIo } from './registry-io.ts';
import { terminalFigures } from './terminal.ts';
import { benchDurable } from './durable.ts';
import { checkDurations } from './check-durations.ts';

const N = clampInt(process.env.BENCH_N, 5, 1, 20);
const KEYS = clampInt(process.env.BENCH_KEYS, 200, 10, 2000);
const MB = clampInt(process.env.BENCH_MB, 100, 1, 500);
const TIMEOUT_S = clampInt(process.env.BENCH_TIMEOUT_S, 600, 60, 3600);
const here = dirname(fileURLToPath(import.meta.url));

function clampInt(v: string | undefined, def: number, min: number, max: number): number {
  const n = Number(v);
  return Number.isInteger(n) ? Math.min(max, Math.max(min, n)) : def;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function pct(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}
const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;

/** A raw byte stream with "wait until the bytes seen since X match" (used for both paths). */
class Watch {
  buf = '';
  total = 0;
  private waiters = new Set<() => void>();
  push(chunk: Buffer) {
    this.total += chunk.length;
    // Keep only the tail: enough for prompts and markers, bounded for throughput runs.
    this.buf = (this.buf + chunk.toString('latin1')).slice(-8192);
    for (const w of [...this.waiters]) w();
  }
  until(test: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (test()) return resolve();
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timeout waiting for ${what}; tail: ${JSON.stringify(this.buf.slice(-200))}`));
      }, timeoutMs);
      const check = () => {
        if (test()) {
          clearTimeout(timer);
          this.waiters.delete(check);
          resolve();
        }
      };
      this.waiters.add(check);
    });
  }
}

interface Pipe {
  send(b: Buffer | string): void;
  watch: Watch;
  close(): void;
}

async function api(base: string, method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

function terminal(runner: Runner, id: string, token: string): Promise<Pipe> {
  const ws = new WebSocket(`${runner.url.replace(/^http/, 'ws')}/api/sessions/${id}/terminal?token=${token}`);
  const watch = new Watch();
  ws.on('message', (d, bin) => {
    if (bin) watch.push(d as Buffer);
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ send: (b) => ws.send(typeof b === 'string' ? Buffer.from(b) : b, { binary: true }), watch, close: () => ws.close() }));
    ws.once('error', reject);
  });
}

/**
 * The baseline: the same login shell the runner opens (openLoginShell), by dockerode exec
 * straight into the workstation, without the runner's HTTP and WebSocket layers.
 */
async function directShell(docker: Docker, sessionId: string): Promise<Pipe> {
  const [c] = await docker.listContainers({ filters: { label: [`registry-lab.session=${sessionId}`, 'registry-lab.role=workstation'] } });
  if (!c) throw new Error('workstation container not found');
  const { stream, close } = await openLoginShell(docker.getContainer(c.Id), { cols: 80, rows: 24 });
  const watch = new Watch();
  stream.on('data', (d: Buffer) => watch.push(d));
  return { send: (b) => stream.write(b), watch, close };
}

const PROMPT = /\$ $/;
let markSeq = 0;
async function runCmd(p: Pipe, cmd: string, timeoutMs: number): Promise<void> {
  const tag = `__B${++markSeq}_`;
  p.send(`${cmd}\recho "${tag}$((6*7))__"\r`);
  await p.watch.until(() => p.watch.buf.includes(`${tag}42__`), timeoutMs, cmd);
}

async function sessionReady(runner: Runner): Promise<{ ms: number; id: string; token: string; pipe: Pipe; fromPool: boolean }> {
  const t0 = performance.now();
  const c = await api(runner.url, 'POST', '/api/sessions', undefined, {});
  if (c.status !== 201) throw new Error(`POST /api/sessions: ${c.status} ${JSON.stringify(c.json)}`);
  const pipe = await terminal(runner, c.json.id, c.json.token);
  await pipe.watch.until(() => PROMPT.test(pipe.watch.buf), 180_000, 'prompt');
  return { ms: performance.now() - t0, id: c.json.id, token: c.json.token, pipe, fromPool: c.json.state === 'ready' };
}

async function echoRtt(p: Pipe, keys: number): Promise<number[]> {
  await runCmd(p, 'stty echo', 30_000);
  const times: number[] = [];
  for (let i = 0; i < keys; i++) {
    if (i > 0 && i % 40 === 0) {
      // Clear the line (Ctrl-U) well before it wraps, and let its redraw pass.
      p.send('\x15');
      await sleep(100);
    }
    const ch = String.fromCharCode(97 + (i % 26));
    const before = p.watch.total;
    const t0 = performance.now();
    p.send(ch);
    const fresh = () => p.watch.buf.slice(-Math.min(p.watch.buf.length, p.watch.total - before));
    await p.watch.until(() => p.watch.total > before && fresh().includes(ch), 10_000, `echo of ${ch}`);
    times.push(performance.now() - t0);
  }
  p.send('\x15'); // Ctrl-U: clear the line
  await sleep(50);
  return times;
}

async function throughput(p: Pipe, mb: number): Promise<{ mbPerS: number; bytes: number; seconds: number }> {
  await runCmd(p, 'true', 30_000);
  const before = p.watch.total;
  const t0 = performance.now();
  await runCmd(p, `head -c ${mb}M /dev/zero | base64`, 300_000);
  const seconds = (performance.now() - t0) / 1000;
  const bytes = p.watch.total - before;
  return { mbPerS: bytes / 1e6 / seconds, bytes, seconds };
}

async function main() {
  const runnerId = `bench-${process.pid}-${randomBytes(3).toString('hex')}`;
  const started = Date.now();
  const runner = await createRunner({ port: 0, host: '127.0.0.1', runnerId, warmPoolSize: 0, logLevel: 'warn', maxSessions: 10, maxSessionsPerClient: 10 });
  const docker = new Docker();
  const guard = setTimeout(() => {
    console.error(`bench: over ${TIMEOUT_S} s, cleaning up and exiting`);
    void runner.close().finally(() => process.exit(1));
  }, TIMEOUT_S * 1000);
  guard.unref();
  const results: Record<string, unknown> = {
    when: new Date().toISOString(),
    runnerId,
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version, loadavgAtStart: (await import('node:os')).loadavg().map(r2) },
    params: { N, KEYS, MB },
  };
  try {
    // 1. Cold session ready time.
    const cold: number[] = [];
    for (let i = 0; i < N; i++) {
      const s = await sessionReady(runner);
      cold.push(s.ms);
      s.pipe.close();
      await api(runner.url, 'DELETE', `/api/sessions/${s.id}`, s.token);
      console.log(`cold ready #${i + 1}: ${Math.round(s.ms)} ms`);
    }

    // 2. Warm pool: one pooled sandbox, refilled between samples.
    runner.sessions.settings.warmPoolSize = 1;
    const warm: number[] = [];
    let pooledSamples = 0;
    for (let i = 0; i < N; i++) {
      runner.sessions.pool.fill();
      for (let w = 0; w < 900 && runner.sessions.pool.stats().ready < 1; w++) await sleep(200);
      const s = await sessionReady(runner);
      warm.push(s.ms);
      if (s.fromPool) pooledSamples++;
      s.pipe.close();
      await api(runner.url, 'DELETE', `/api/sessions/${s.id}`, s.token);
      console.log(`warm ready #${i + 1}: ${Math.round(s.ms)} ms${s.fromPool ? '' : ' (not from the pool)'}`);
    }
    runner.sessions.settings.warmPoolSize = 0;
    await runner.sessions.pool.shutdown().catch(() => {});

    // 3-6 on one session.
    const s = await sessionReady(runner);
    const viaRunner = await echoRtt(s.pipe, KEYS);
    const direct = await directShell(docker, s.id);
    await direct.watch.until(() => PROMPT.test(direct.watch.buf), 60_000, 'direct prompt');
    const viaDirect = await echoRtt(direct, KEYS);
    console.log(`echo p50 runner ${r2(pct(viaRunner, 50))} ms, direct ${r2(pct(viaDirect, 50))} ms`);

    const tpRunner = await throughput(s.pipe, MB);
    console.log(`throughput runner ${r1(tpRunner.mbPerS)} MB/s (${(tpRunner.bytes / 1e6).toFixed(0)} MB in ${tpRunner.seconds.toFixed(1)} s)`);
    const tpDirect = await throughput(direct, MB);
    console.log(`throughput direct ${r1(tpDirect.mbPerS)} MB/s`);
    direct.close();
    s.pipe.close();
    const term = await terminalFigures(runner, s.id, s.token, N);
    console.log(`terminal: interrupt p50 ${Math.round(pct(term.interrupt, 50))} ms, reopen after 1012 p50 ${Math.round(pct(term.restart, 50))} ms, hang-up p50 ${Math.round(pct(term.hangup, 50))} ms`);

    await sleep(5000);
    const mem = await runner.provider.memoryUsage(s.id);
    const rss = process.memoryUsage().rss;
    results.registryIoMs = await registryIo(runner.provider, s.id);
    console.log(`registry io: ${JSON.stringify(results.registryIoMs)}`);
    await api(runner.url, 'DELETE', `/api/sessions/${s.id}`, s.token);

    Object.assign(results, {
      sessionReadyMs: {
        cold: { n: cold.length, p50: Math.round(pct(cold, 50)), p95: Math.round(pct(cold, 95)), samples: cold.map(Math.round) },
        warmPool: { n: warm.length, fromPool: pooledSamples, p50: Math.round(pct(warm, 50)), p95: Math.round(pct(warm, 95)), samples: warm.map(Math.round) },
      },
      keystrokeEchoMs: {
        keys: KEYS,
        runner: { p50: r2(pct(viaRunner, 50)), p99: r2(pct(viaRunner, 99)) },
        direct: { p50: r2(pct(viaDirect, 50)), p99: r2(pct(viaDirect, 99)) },
        overheadRatioP50: r2(pct(viaRunner, 50) / pct(viaDirect, 50)),
        overheadRatioP99: r2(pct(viaRunner, 99) / pct(viaDirect, 99)),
      },
      outputThroughput: {
        command: `head -c ${MB}M /dev/zero | base64`,
        runnerMBps: r1(tpRunner.mbPerS),
        directMBps: r1(tpDirect.mbPerS),
        ratio: r2(tpRunner.mbPerS / tpDirect.mbPerS),
        bytes: tpRunner.bytes,
      },
      idleSessionMemoryMiB: {
        workstation: r1(mem.workstation / 1048576),
        registry: r1(mem.registry / 1048576),
        total: r1((mem.workstation + mem.registry) / 1048576),
      },
      terminalMs: Object.fromEntries(
        Object.entries(term).map(([k, xs]) => [k, { n: xs.length, p50: Math.round(pct(xs, 50)), p95: Math.round(pct(xs, 95)) }]),
      ),
      runnerRssMiB: r1(rss / 1048576),
      durationS: Math.round((Date.now() - started) / 1000),
    });
  } finally {
    await runner.close();
    clearTimeout(guard);
  }

  results.durable = await benchDurable();
  if (process.env.BENCH_CHECKS !== '0') {
    const labs = process.env.BENCH_CHECK_LABS?.split(',').map((x) => x.trim()).filter(Boolean);
    results.checkDurationsMs = await checkDurations({ n: clampInt(process.env.BENCH_CHECK_N, 3, 1, 20), labs });
  }

  const out = join(here, 'results', 'latest.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  const sr = results.sessionReadyMs as any;
  const ke = results.keystrokeEchoMs as any;
  const tp = results.outputThroughput as any;
  const mem = results.idleSessionMemoryMiB as any;
  console.log('\nRegistry Lab runner bench');
  console.table({
    'session ready, cold (ms)': { p50: sr.cold.p50, 'p95/p99': sr.cold.p95, direct: '', ratio: '' },
    'session ready, warm pool (ms)': { p50: sr.warmPool.p50, 'p95/p99': sr.warmPool.p95, direct: '', ratio: '' },
    'keystroke echo (ms)': { p50: ke.runner.p50, 'p95/p99': ke.runner.p99, direct: ke.direct.p50, ratio: ke.overheadRatioP50 },
    'output throughput (MB/s)': { p50: tp.runnerMBps, 'p95/p99': '', direct: tp.directMBps, ratio: tp.ratio },
    'idle session memory (MiB)': { p50: mem.total, 'p95/p99': '', direct: '', ratio: '' },
    ...Object.fromEntries(
      Object.entries(results.terminalMs as Record<string, { p50: number; p95: number }>).map(([k, v]) => [`terminal ${k} (ms)`, { p50: v.p50, 'p95/p99': v.p95, direct: '', ratio: '' }]),
    ),
  });
  const checks = (results.checkDurationsMs ?? []) as Array<{ lab: string; p50: number; p95: number; limitMs: number }>;
  if (checks.length) console.table(Object.fromEntries(checks.map((c) => [`check ${c.lab} (ms)`, { p50: c.p50, p95: c.p95, limit: c.limitMs }])));
  console.log(`written to ${out}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

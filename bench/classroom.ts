/**
 * npm run bench:classroom: a classroom on one host, against the real Docker engine, loopback
 * only, bounded in learners and time, cleaning up after itself.
 *
 * Starts a runner (own RUNNER_ID, own operator token), creates a workshop for `push-private`
 * and `tagging`, and lets N learners join within 10 s (bench/classroom-learner.ts: each opens
 * a terminal, types the commands of the labs' solve.sh, asks for a check), while the
 * workshop's event stream (the instructor's dashboard) is read. Reports join-to-ready and check
 * p50/p95, check-to-dashboard delay p95 (check answered -> the `learner` event that shows it),
 * errors, host memory and load; with --find-max, steps N up and reports the largest N with no
 * error and check p95 under 2 s. Ends the workshop (DELETE) and closes the runner.
 *
 *   --learners N (or BENCH_LEARNERS; default 20), --find-max [--max N (default 60)],
 *   --reserve R (the workshop's ready sandboxes, default 0: every join is a cold start),
 *   --key-gap MS (between keystrokes, default 5), BENCH_TIMEOUT_S (per step, default 1200)
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRunner, type Runner } from '../runner/src/app.ts';
import { runLearner, solveCommands, type LearnerResult } from './classroom-learner.ts';

const here = dirname(fileURLToPath(import.meta.url));
const LABS = ['push-private', 'tagging'];
const JOIN_WINDOW_MS = 10_000;
const CHECK_P95_LIMIT_MS = 2000;
const STEPS = [2, 5, 10, 15, 20, 30, 40, 50, 60, 80, 100];

const { values: args } = parseArgs({
  options: {
    learners: { type: 'string' },
    'find-max': { type: 'boolean', default: false },
    max: { type: 'string' },
    reserve: { type: 'string' },
    'key-gap': { type: 'string' },
  },
});
const int = (v: string | undefined, def: number, min: number, max: number) => {
  const n = Number(v);
  return v !== undefined && Number.isInteger(n) ? Math.min(max, Math.max(min, n)) : def;
};
const LEARNERS = int(args.learners ?? process.env.BENCH_LEARNERS, 20, 1, 100);
const MAX = int(args.max, 60, 1, 100);
const RESERVE = int(args.reserve, 0, 0, 100);
const KEY_GAP = int(args['key-gap'], 5, 0, 200);
const STEP_TIMEOUT_MS = int(process.env.BENCH_TIMEOUT_S, 1200, 60, 3600) * 1000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function pct(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}
const ms = (x: number) => (Number.isNaN(x) ? null : Math.round(x));

/** Host memory in use (MemTotal - MemAvailable, MiB) and the 1-minute load, sampled every second. */
function sampleHost() {
  const samples: { memMiB: number; load1: number }[] = [];
  const read = () => {
    const mem = readFileSync('/proc/meminfo', 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(mem)?.[1] ?? 0);
    samples.push({ memMiB: Math.round((kb('MemTotal') - kb('MemAvailable')) / 1024), load1: Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]) });
  };
  read();
  const timer = setInterval(read, 1000);
  return {
    stop() {
      clearInterval(timer);
      read();
      const mem = samples.map((s) => s.memMiB);
      const load = samples.map((s) => s.load1);
      return { memStartMiB: mem[0]!, memMaxMiB: Math.max(...mem), loadMax: Math.max(...load), loadMean: Math.round((load.reduce((a, b) => a + b, 0) / load.length) * 10) / 10 };
    },
  };
}

interface DashboardEvent {
  receivedAt: number;
  row: { session: string; labs?: Record<string, { lastCheckedAt?: string; passed?: boolean }> };
}

/** Reads the workshop's event stream (the instructor's dashboard) until stopped. */
function readDashboard(url: string, workshopId: string, key: string) {
  const events: DashboardEvent[] = [];
  const ctl = new AbortController();
  let failure: string | null = null;
  const done = (async () => {
    const res = await fetch(`${url}/api/workshops/${workshopId}/events`, { headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream' }, signal: ctl.signal });
    if (res.status !== 200 || !res.body) throw new Error(`event stream: ${res.status}`);
    const decoder = new TextDecoder();
    let buf = '';
    const reader = res.body.getReader();
    for (;;) {
      const { value, done: ended } = await reader.read();
      if (ended) break;
      buf += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const type = /^event: ?(.*)$/m.exec(block)?.[1]?.trim() ?? 'message';
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).replace(/^ /, ''))
          .join('\n');
        if (type !== 'learner' || !data) continue;
        try {
          events.push({ receivedAt: Date.now(), row: JSON.parse(data) });
        } catch {
          failure = `unparsable learner event: ${data.slice(0, 100)}`;
        }
      }
    }
  })().catch((err: unknown) => {
    if (!ctl.signal.aborted) failure = `event stream: ${err instanceof Error ? err.message : String(err)}`;
  });
  return {
    events,
    failure: () => failure,
    async stop() {
      ctl.abort();
      await done;
    },
  };
}

/** The first dashboard event that shows this check (its lastCheckedAt is not older than the check's start). */
function dashboardDelay(events: DashboardEvent[], session: string, lab: string, c: { startedAt: number; answeredAt: number }): number | null {
  const e = events.find((e) => e.row.session === session && Date.parse(e.row.labs?.[lab]?.lastCheckedAt ?? '') >= c.startedAt - 5);
  return e ? Math.max(0, e.receivedAt - c.answeredAt) : null;
}

async function api(runner: Runner, method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(runner.url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as any) : null, text };
}

async function classroom(runner: Runner, operatorToken: string, n: number) {
  const created = await api(runner, 'POST', '/api/workshops', operatorToken, { title: `Bench ${n}`, labs: LABS, seats: n, reserve: RESERVE || undefined });
  if (created.status !== 201) throw new Error(`POST /api/workshops: ${created.status} ${created.text.slice(0, 300)}`);
  const ws = created.json as { id: string; code: string; instructorKey: string };
  const dash = readDashboard(runner.url, ws.id, ws.instructorKey);
  const host = sampleHost();
  const commands = new Map(LABS.map((l) => [l, solveCommands(runner.config.labsDir, l)]));
  let results: LearnerResult[] = [];
  const t0 = Date.now();
  try {
    // A reserve is warmed before the room arrives (as an instructor creates the workshop ahead).
    const warmUntil = Date.now() + 600_000;
    while (RESERVE && runner.sessions.stats().pool.ready < RESERVE && Date.now() < warmUntil) await sleep(500);
    const plan = (i: number) => ({ url: runner.url, code: ws.code, name: `Ученик ${i + 1}`, labs: LABS, commands, keyGapMs: KEY_GAP, timeoutMs: STEP_TIMEOUT_MS });
    const all = Array.from({ length: n }, (_, i) => sleep((i * JOIN_WINDOW_MS) / n).then(() => runLearner(plan(i))));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`step over ${STEP_TIMEOUT_MS / 1000} s`)), STEP_TIMEOUT_MS)));
    results = await Promise.race([Promise.all(all), timeout]).finally(() => clearTimeout(timer));
    // Give the last dashboard events a moment.
    const pending = () => results.some((r) => r.checks.some((c) => dashboardDelay(dash.events, r.session!, c.lab, c) === null));
    const until = Date.now() + 10_000;
    while (pending() && Date.now() < until) await sleep(100);
  } finally {
    await dash.stop();
    const del = await api(runner, 'DELETE', `/api/workshops/${ws.id}`, ws.instructorKey).catch((e: unknown) => ({ status: 0, text: String(e) }));
    if (del.status !== 204) console.error(`[classroom] DELETE /api/workshops/${ws.id}: ${del.status} ${del.text}`);
  }
  const hostStats = host.stop();
  const errors: string[] = results.flatMap((r) => r.errors.map((e) => `${r.name}: ${e}`));
  const delays: number[] = [];
  for (const r of results) {
    for (const c of r.checks) {
      const d = dashboardDelay(dash.events, r.session!, c.lab, c);
      if (d === null) errors.push(`${r.name}: no dashboard event for the ${c.lab} check`);
      else delays.push(d);
    }
  }
  if (dash.failure()) errors.push(dash.failure()!);
  const ready = results.flatMap((r) => (r.joinToReadyMs === undefined ? [] : [r.joinToReadyMs]));
  const checks = results.flatMap((r) => r.checks.map((c) => c.ms));
  const row = {
    learners: n,
    reserve: RESERVE,
    seconds: Math.round((Date.now() - t0) / 1000),
    joinToReadyMs: { p50: ms(pct(ready, 50)), p95: ms(pct(ready, 95)), n: ready.length },
    checkMs: { p50: ms(pct(checks, 50)), p95: ms(pct(checks, 95)), n: checks.length },
    checkToDashboardMs: { p50: ms(pct(delays, 50)), p95: ms(pct(delays, 95)), n: delays.length },
    checksPassed: results.reduce((a, r) => a + r.checks.filter((c) => c.passed).length, 0),
    errors: errors.length,
    errorSamples: errors.slice(0, 10),
    host: hostStats,
    perLearner: results.map((r) => ({ name: r.name, joinToReadyMs: r.joinToReadyMs === undefined ? null : ms(r.joinToReadyMs), checksMs: r.checks.map((c) => ms(c.ms)), errors: r.errors.length })),
  };
  const ok = row.errors === 0 && (row.checkMs.p95 ?? Infinity) < CHECK_P95_LIMIT_MS;
  console.log(
    `[classroom] N=${n}: ready p50 ${row.joinToReadyMs.p50} / p95 ${row.joinToReadyMs.p95} ms; check p50 ${row.checkMs.p50} / p95 ${row.checkMs.p95} ms; ` +
      `dashboard p95 ${row.checkToDashboardMs.p95} ms; errors ${row.errors}; host mem ${row.host.memStartMiB}->${row.host.memMaxMiB} MiB, load max ${row.host.loadMax} (${row.seconds} s)${ok ? '' : '  <- over the bar'}`,
  );
  for (const e of row.errorSamples) console.log(`[classroom]   ${e}`);
  return { ...row, ok };
}

async function main() {
  const loadAtStart = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  const operatorToken = randomBytes(24).toString('base64url');
  process.env.INSTRUCTOR_TOKEN = operatorToken;
  const steps = args['find-max'] ? STEPS.filter((s) => s <= MAX) : [LEARNERS];
  const top = Math.max(...steps) + RESERVE + 5;
  const runner = await createRunner({
    port: 0,
    host: '127.0.0.1',
    runnerId: `bench-class-${randomBytes(3).toString('hex')}`,
    warmPoolSize: 0,
    logLevel: 'warn',
    maxSessions: top,
    maxSessionsPerClient: top,
    maxSessionCreatesPerMinute: 10_000,
  });
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    console.error('[classroom] interrupted: cleaning up');
    void runner.close().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const rows: Awaited<ReturnType<typeof classroom>>[] = [];
  try {
    for (const n of steps) {
      const row = await classroom(runner, operatorToken, n);
      rows.push(row);
      if (args['find-max'] && !row.ok) break;
    }
  } finally {
    await runner.close();
  }
  const largestOk = args['find-max'] ? (rows.filter((r) => r.ok).at(-1)?.learners ?? 0) : undefined;
  const result = {
    at: new Date().toISOString(),
    host: { cpus: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30), loadAtStart },
    labs: LABS,
    keyGapMs: KEY_GAP,
    steps: rows,
    ...(largestOk === undefined ? {} : { largestN: largestOk, bar: `no error and check p95 < ${CHECK_P95_LIMIT_MS} ms` }),
  };
  const out = join(here, 'results', 'classroom-latest.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  if (largestOk !== undefined) console.log(`[classroom] largest N with no error and check p95 < ${CHECK_P95_LIMIT_MS} ms: ${largestOk}`);
  console.log(`[classroom] written to ${out}`);
  if (rows.some((r) => r.errors > 0) && !args['find-max']) process.exitCode = 1;
}

await main();

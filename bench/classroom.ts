/**
 * npm run bench:classroom: a classroom on one host, against the real Docker engine, loopback
 * only, bounded in learners and time, cleaning up after itself.
 *
 * Starts a runner (own RUNNER_ID, own operator token) and, for each room of the plan, creates a
 * workshop for `push-private` and `tagging` (with its reserve of ready sandboxes warmed first, if
 * any) and lets N learners join within 10 s (bench/classroom-learner.ts: each opens a terminal,
 * types the commands of the labs' solve.sh, asks for a check), while the workshop's event stream
 * (the instructor's dashboard) is read. Per room it reports:
 *   - join to a shell answering: p50/p95/max and every learner's, sorted;
 *   - check p50/p95, check-to-dashboard delay p50/p95 (check answered -> the `learner` event);
 *   - with reserve 0 (every join a cold start): three cold starts measured alone just before (their median), the
 *     start queue's slots while starts waited (mean; adaptive unless START_CONCURRENCY is set), the
 *     last learner's shell (from the first join) against the bound (N x one cold start / slots) x 1.2, and for each learner who waited in the start
 *     queue the place and estimate the terminal showed first against the wait that followed;
 *   - idle memory: once every learner is done (each has pulled and pushed), after a settle time,
 *     the memory of every container of every session at once (docker stats: usage minus inactive
 *     file cache), per session and by role (workstation, registries, helpers);
 *   - errors, host memory and load; the issue-19 bars each row meets or misses.
 * Then the help phase (bench/classroom-help.ts, issue 23; --skip-help leaves it out): the learners
 * connect again, a baseline of keystroke echo, then a third raise a hand and the instructor takes
 * over five terminals in turn: echo p95 with and without, the dashboard's help event delay p95.
 * Then it ends the workshop (DELETE), waits until its sandboxes are gone, and goes on.
 * Writes bench/results/classroom-latest.json and prints a table.
 *
 *   --learners N (or BENCH_LEARNERS; default 20)      --rooms 10,30,50 (several rooms in turn)
 *   --reserve R|full (default 0: every join cold)      --reserve-modes 0,full (each room with each)
 *   --find-max [--max N (default 60)]: rooms of 2, 5, 10, 15, 20, 30, ... per reserve mode, up to
 *     the first with an error or check p95 over 2 s; reports the largest that passed
 *   --join-window S (the room arrives within it, default 10)   --idle-settle S (default 20)
 *   --key-gap MS (between keystrokes, default 5)
 *   BENCH_TIMEOUT_S (per room, default 1200)
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Docker from 'dockerode';
import { createRunner, type Runner } from '../runner/src/app.ts';
import { median } from '../runner/src/core/start-slots.ts';
import { solveCommands, type LearnerResult } from './classroom-learner.ts';
import { runRoom } from './classroom-room.ts';
import { helpPhase } from './classroom-help.ts';
import { coldStartBound, lastShellFromFirstJoin, queueReport, reserveFor, reserveMode, type ReserveMode } from './classroom-report.ts';
import { pct } from './stats.ts';

const here = dirname(fileURLToPath(import.meta.url));
const LABS = ['push-private', 'tagging'];
const CHECK_P95_LIMIT_MS = 2000;
/** Issue 19's bars. */
const BARS = { joinP95Ms: 2000, joinMaxMs: 5000, checkP95Ms: 2000, dashboardP95Ms: 250, coldBoundFactor: 1.2, idleMiBPerSession: 100 };
const STEPS = [2, 5, 10, 15, 20, 30, 40, 50, 60, 80, 100];

const { values: args } = parseArgs({
  options: {
    learners: { type: 'string' },
    rooms: { type: 'string' },
    'find-max': { type: 'boolean', default: false },
    max: { type: 'string' },
    reserve: { type: 'string' },
    'reserve-modes': { type: 'string' },
    'idle-settle': { type: 'string' },
    'join-window': { type: 'string' },
    'key-gap': { type: 'string' },
    'skip-help': { type: 'boolean', default: false },
  },
});
const int = (v: string | undefined, def: number, min: number, max: number) => {
  const n = Number(v);
  return v !== undefined && Number.isInteger(n) ? Math.min(max, Math.max(min, n)) : def;
};
function intList(v: string, what: string): number[] {
  return v.split(',').map((x) => {
    const n = Number(x.trim());
    if (!Number.isInteger(n) || n < 1 || n > 100) throw new Error(`${what} "${x}": a number 1..100`);
    return n;
  });
}
const LEARNERS = int(args.learners ?? process.env.BENCH_LEARNERS, 20, 1, 100);
const MAX = int(args.max, 60, 1, 100);
const RESERVE_MODES: ReserveMode[] = args['reserve-modes'] ? args['reserve-modes'].split(',').map(reserveMode) : [reserveMode(args.reserve ?? '0')];
const ROOMS = args.rooms ? intList(args.rooms, '--rooms') : [LEARNERS];
const KEY_GAP = int(args['key-gap'], 5, 0, 200);
const IDLE_SETTLE_MS = int(args['idle-settle'], 20, 0, 600) * 1000;
/** The room arrives within this (issue 19: 30 learners in 10 s). */
const JOIN_WINDOW_MS = int(args['join-window'], 10, 0, 600) * 1000;
const STEP_TIMEOUT_MS = int(process.env.BENCH_TIMEOUT_S, 1200, 60, 3600) * 1000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ms = (x: number) => (Number.isNaN(x) ? null : Math.round(x));
const s1 = (x: number | null | undefined) => (x === null || x === undefined || Number.isNaN(x) ? null : Math.round(x / 100) / 10);
const mib = (b: number) => Math.round((b / 1048576) * 10) / 10;
const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

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

async function api(runner: Runner, method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(runner.url + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, json, text };
}

/** The start queue's slots every 250 ms while starts wait: their mean (the bound's "what the host runs at once"), range and last. */
function sampleSlots(runner: Runner) {
  const seen: number[] = [];
  let adaptive = false;
  const timer = setInterval(() => {
    const q = runner.sessions.stats().startQueue;
    if (!q) return;
    adaptive = q.adaptive;
    if (q.waiting > 0) seen.push(q.slots);
  }, 250);
  return {
    stop() {
      clearInterval(timer);
      const last = runner.sessions.stats().startQueue?.slots ?? null;
      if (!seen.length) return { adaptive, meanWhileWaiting: null, min: null, max: null, last };
      return { adaptive, meanWhileWaiting: Math.round((seen.reduce((a, b) => a + b, 0) / seen.length) * 100) / 100, min: Math.min(...seen), max: Math.max(...seen), last };
    },
  };
}

/** Cold starts measured alone for the bound's unit: their median (one start varied by ±12 % run to run here). */
const ALONE_STARTS = 3;

/**
 * Cold starts one at a time on the idle runner, each removed before the next: POST /api/sessions ->
 * state ready (ms); the median of ALONE_STARTS, with up to two tries more for failures.
 */
async function coldStartAlone(runner: Runner): Promise<{ ms: number | null; samplesMs: number[]; failures: string[] }> {
  const samplesMs: number[] = [];
  const failures: string[] = [];
  for (let tries = 0; samplesMs.length < ALONE_STARTS && tries < ALONE_STARTS + 2; tries++) {
    const r = await coldStartOnce(runner);
    failures.push(...r.failures);
    if (r.ms !== null) samplesMs.push(r.ms);
  }
  return { ms: samplesMs.length ? median(samplesMs) : null, samplesMs, failures };
}

/** One cold start alone: POST /api/sessions -> state ready (ms); 3 tries. */
async function coldStartOnce(runner: Runner): Promise<{ ms: number | null; failures: string[] }> {
  const failures: string[] = [];
  for (let attempt = 1; attempt <= 3; attempt++) {
    const t0 = performance.now();
    const c = await api(runner, 'POST', '/api/sessions', undefined, {});
    if (c.status !== 201) {
      failures.push(`POST /api/sessions ${c.status}`);
      continue;
    }
    const { id, token } = c.json as { id: string; token: string };
    try {
      for (const end = Date.now() + 600_000; Date.now() < end; await sleep(100)) {
        const g = await api(runner, 'GET', `/api/sessions/${id}`, token);
        if (g.json?.state === 'ready') return { ms: Math.round(performance.now() - t0), failures };
        if (g.json?.state === 'stopped' || g.status === 404) throw new Error(`stopped while starting: ${g.json?.error ?? g.status}`);
      }
      throw new Error('not ready in 600 s');
    } catch (err) {
      failures.push(errText(err));
    } finally {
      await api(runner, 'DELETE', `/api/sessions/${id}`, token).catch(() => {});
    }
  }
  return { ms: null, failures };
}

/** Memory of every container of these sessions, read at once (docker stats, without inactive file cache). */
async function idleMemory(docker: Docker, runnerId: string, sessions: string[]) {
  const want = new Set(sessions);
  const list = (await docker.listContainers({ filters: { label: [`registry-lab.runner=${runnerId}`, 'registry-lab.session'] } })).filter((c) => want.has(c.Labels['registry-lab.session'] ?? ''));
  const bySession = new Map<string, Record<string, number>>();
  const queue = [...list];
  const worker = async () => {
    for (let c = queue.shift(); c; c = queue.shift()) {
      const st = (await docker.getContainer(c.Id).stats({ stream: false }).catch(() => null)) as {
        memory_stats?: { usage?: number; stats?: { total_inactive_file?: number; inactive_file?: number; cache?: number } };
      } | null;
      const m = st?.memory_stats ?? {};
      const used = Math.max(0, (m.usage ?? 0) - (m.stats?.total_inactive_file ?? m.stats?.inactive_file ?? m.stats?.cache ?? 0));
      const session = c.Labels['registry-lab.session']!;
      const role = c.Labels['registry-lab.role'] ?? 'other';
      const row = bySession.get(session) ?? {};
      row[role] = (row[role] ?? 0) + used;
      bySession.set(session, row);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  const totals = [...bySession.values()].map((r) => Object.values(r).reduce((a, b) => a + b, 0));
  const roles = [...new Set([...bySession.values()].flatMap((r) => Object.keys(r)))];
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  return {
    sessions: bySession.size,
    containers: list.length,
    perSessionMiB: { mean: mib(mean(totals)), p50: mib(pct(totals, 50)), p95: mib(pct(totals, 95)), max: mib(Math.max(...totals)) },
    byRoleMeanMiB: Object.fromEntries(roles.map((r) => [r, mib(mean([...bySession.values()].map((x) => x[r] ?? 0)))])),
    totalMiB: mib(totals.reduce((a, b) => a + b, 0)),
  };
}

async function classroom(runner: Runner, docker: Docker, operatorToken: string, n: number, mode: ReserveMode) {
  const reserve = reserveFor(mode, n);
  // Reserve 0: cold starts alone first (the bound's unit; they also give the queue measured starts).
  const alone = reserve === 0 ? await coldStartAlone(runner) : undefined;
  const created = await api(runner, 'POST', '/api/workshops', operatorToken, { title: `Bench ${n}`, labs: LABS, seats: n, reserve: reserve || undefined });
  if (created.status !== 201) throw new Error(`POST /api/workshops: ${created.status} ${created.text.slice(0, 300)}`);
  const ws = created.json as { id: string; code: string; instructorKey: string };
  const dash = readDashboard(runner.url, ws.id, ws.instructorKey);
  const commands = new Map(LABS.map((l) => [l, solveCommands(runner.config.labsDir, l)]));
  let results: LearnerResult[] = [];
  let memory: Awaited<ReturnType<typeof idleMemory>> | { error: string } | undefined;
  let help: Awaited<ReturnType<typeof helpPhase>> | { error: string } | undefined;
  let host: ReturnType<typeof sampleHost> | undefined;
  let reserveWarmMs: number | null = null;
  let slotsSeen: ReturnType<typeof sampleSlots> | undefined;
  const t0 = Date.now();
  try {
    // A reserve is warmed before the room arrives (as an instructor creates the workshop ahead).
    const warmUntil = Date.now() + 900_000;
    while (reserve && runner.sessions.stats().pool.ready < reserve && Date.now() < warmUntil) await sleep(500);
    if (reserve) reserveWarmMs = Date.now() - t0;
    host = sampleHost();
    slotsSeen = sampleSlots(runner);
    const plan = (i: number) => ({ url: runner.url, code: ws.code, name: `Ученик ${i + 1}`, labs: LABS, commands, keyGapMs: KEY_GAP, timeoutMs: STEP_TIMEOUT_MS });
    results = await runRoom(Array.from({ length: n }, (_, i) => plan(i)), JOIN_WINDOW_MS, STEP_TIMEOUT_MS);
    // Give the last dashboard events a moment.
    const pending = () => results.some((r) => r.checks.some((c) => dashboardDelay(dash.events, r.session!, c.lab, c) === null));
    const until = Date.now() + 10_000;
    while (pending() && Date.now() < until) await sleep(100);
    // The room idles (terminals closed, every learner has pulled and pushed): memory of all at once.
    await sleep(IDLE_SETTLE_MS);
    memory = await idleMemory(docker, runner.config.runnerId, results.flatMap((r) => (r.session ? [r.session] : []))).catch((e: unknown) => ({ error: errText(e) }));
    if (!args['skip-help']) {
      const learners = results.flatMap((r) => (r.session && r.token ? [{ session: r.session, token: r.token }] : []));
      help = await helpPhase({ url: runner.url, workshopId: ws.id, key: ws.instructorKey, learners }).catch((e: unknown) => ({ error: errText(e) }));
    }
  } finally {
    await dash.stop();
    const del = await api(runner, 'DELETE', `/api/workshops/${ws.id}`, ws.instructorKey).catch((e: unknown) => ({ status: 0, text: String(e) }));
    if (del.status !== 204) console.error(`[classroom] DELETE /api/workshops/${ws.id}: ${del.status} ${del.text}`);
  }
  const hostStats = host?.stop();
  const slotStats = slotsSeen?.stop() ?? null;
  // What the host ran at once while learners' starts waited: the queue's slots (adaptive unless START_CONCURRENCY is set).
  const slots = slotStats?.meanWhileWaiting ?? runner.sessions.stats().startQueue?.slots ?? 1;
  // The next room starts on an empty host.
  for (const end = Date.now() + 300_000; runner.sessions.stats().sandboxes > 0 && Date.now() < end; ) await sleep(500);
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
  const lastShellMs = lastShellFromFirstJoin(results, n);
  const boundMs = alone?.ms ? coldStartBound(n, alone.ms, slots, BARS.coldBoundFactor) : null;
  const row = {
    learners: n,
    reserve,
    reserveMode: mode,
    reserveWarmS: s1(reserveWarmMs),
    seconds: Math.round((Date.now() - t0) / 1000),
    joinToReadyMs: { p50: ms(pct(ready, 50)), p95: ms(pct(ready, 95)), max: ms(Math.max(...ready)), n: ready.length, sortedS: [...ready].sort((a, b) => a - b).map((x) => s1(x)) },
    checkMs: { p50: ms(pct(checks, 50)), p95: ms(pct(checks, 95)), n: checks.length },
    checkToDashboardMs: { p50: ms(pct(delays, 50)), p95: ms(pct(delays, 95)), n: delays.length },
    checksPassed: results.reduce((a, r) => a + r.checks.filter((c) => c.passed).length, 0),
    coldStarts:
      reserve === 0
        ? { startConcurrency: slots, startSlots: slotStats, oneColdStartAloneMs: alone?.ms ?? null, aloneSamplesMs: alone?.samplesMs ?? [], aloneFailures: alone?.failures ?? [], lastShellFromFirstJoinMs: lastShellMs, boundMs, withinBound: lastShellMs !== null && boundMs !== null ? lastShellMs <= boundMs : null }
        : undefined,
    queue: queueReport(results),
    idleMemory: memory,
    help,
    errors: errors.length,
    errorSamples: errors.slice(0, 10),
    host: hostStats,
    perLearner: results.map((r) => ({ name: r.name, joinToReadyMs: r.joinToReadyMs === undefined ? null : ms(r.joinToReadyMs), checksMs: r.checks.map((c) => ms(c.ms)), errors: r.errors.length })),
  };
  const idle = memory && 'perSessionMiB' in memory ? memory.perSessionMiB : undefined;
  const bars = {
    noErrors: row.errors === 0,
    checkP95: (row.checkMs.p95 ?? Infinity) <= BARS.checkP95Ms,
    dashboardP95: (row.checkToDashboardMs.p95 ?? Infinity) <= BARS.dashboardP95Ms,
    ...(reserve >= n ? { joinP95: (row.joinToReadyMs.p95 ?? Infinity) <= BARS.joinP95Ms, joinMax: (row.joinToReadyMs.max ?? Infinity) <= BARS.joinMaxMs } : {}),
    ...(row.coldStarts ? { lastShellWithinBound: row.coldStarts.withinBound === true } : {}),
    ...(idle ? { idleMemoryMean: idle.mean <= BARS.idleMiBPerSession, idleMemoryMax: idle.max <= BARS.idleMiBPerSession } : {}),
  };
  const ok = row.errors === 0 && (row.checkMs.p95 ?? Infinity) < CHECK_P95_LIMIT_MS;
  console.log(
    `[classroom] N=${n} reserve ${reserve}: ready p50 ${row.joinToReadyMs.p50} / p95 ${row.joinToReadyMs.p95} / max ${row.joinToReadyMs.max} ms; check p50 ${row.checkMs.p50} / p95 ${row.checkMs.p95} ms; ` +
      `dashboard p95 ${row.checkToDashboardMs.p95} ms; errors ${row.errors}; idle ${idle ? `${idle.mean} MiB/session (max ${idle.max})` : 'n/a'}; ` +
      `host mem ${hostStats?.memStartMiB}->${hostStats?.memMaxMiB} MiB, load max ${hostStats?.loadMax} (${row.seconds} s)` +
      (row.coldStarts ? `; last shell ${s1(row.coldStarts.lastShellFromFirstJoinMs)} s vs bound ${s1(row.coldStarts.boundMs)} s` : '') +
      (ok ? '' : '  <- over the bar'),
  );
  if (help && 'echoMs' in help) {
    console.log(
      `[classroom] N=${n} help: ${help.handsRaised} hands, ${help.takeovers} take-overs; echo p95 ${help.echoMs.baseline.p95} ms without, ${help.echoMs.duringHelp.p95} ms during; ` +
        `dashboard help event p95 ${help.dashboardHelpEventMs.p95} ms; ask->active p95 ${help.askToActiveMs.p95} ms; instructor echo p95 ${help.instructorEchoMs.p95} ms` +
        (help.errors.length ? `; ${help.errors.length} errors: ${help.errors.slice(0, 3).join('; ')}` : ''),
    );
  } else if (help) console.log(`[classroom] N=${n} help phase failed: ${help.error}`);
  for (const e of row.errorSamples) console.log(`[classroom]   ${e}`);
  return { ...row, bars, ok };
}

async function main() {
  const loadAtStart = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  const operatorToken = randomBytes(24).toString('base64url');
  process.env.INSTRUCTOR_TOKEN = operatorToken;
  const rooms = args['find-max'] ? STEPS.filter((s) => s <= MAX) : ROOMS;
  const maxRoom = Math.max(...rooms);
  const maxReserve = Math.max(...RESERVE_MODES.map((m) => reserveFor(m, maxRoom)));
  const top = maxRoom + maxReserve + 5;
  const runnerId = `bench-class-${randomBytes(3).toString('hex')}`;
  const runner = await createRunner({
    port: 0,
    host: '127.0.0.1',
    runnerId,
    warmPoolSize: 0,
    logLevel: (process.env.BENCH_LOG_LEVEL ?? 'warn') as 'warn',
    maxSessions: top,
    maxSessionsPerClient: top,
    maxSessionCreatesPerMinute: 10_000,
  });
  const docker = new Docker();
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    console.error('[classroom] interrupted: cleaning up');
    void runner.close().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  type Row = Awaited<ReturnType<typeof classroom>>;
  const rows: Row[] = [];
  const failures: { learners: number; reserve: ReserveMode; error: string }[] = [];
  const largest: Record<string, number> = {};
  try {
    for (const mode of RESERVE_MODES) {
      for (const n of rooms) {
        try {
          const row = await classroom(runner, docker, operatorToken, n, mode);
          rows.push(row);
          if (row.ok) largest[String(mode)] = n;
          if (args['find-max'] && !row.ok) break;
        } catch (err) {
          // A room that could not run at all is reported; the bench goes on with the next.
          failures.push({ learners: n, reserve: mode, error: errText(err) });
          console.error(`[classroom] N=${n} reserve ${mode}: ${errText(err)}`);
          if (args['find-max']) break;
        }
      }
    }
  } finally {
    await runner.close();
  }
  const result = {
    at: new Date().toISOString(),
    host: { cpus: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30), loadAtStart },
    labs: LABS,
    keyGapMs: KEY_GAP,
    joinWindowS: JOIN_WINDOW_MS / 1000,
    idleSettleS: IDLE_SETTLE_MS / 1000,
    bars: BARS,
    steps: rows,
    failures,
    ...(args['find-max'] ? { largestN: largest, largestBar: `no error and check p95 < ${CHECK_P95_LIMIT_MS} ms` } : {}),
  };
  const out = join(here, 'results', 'classroom-latest.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  console.table(
    rows.map((r) => ({
      learners: r.learners,
      reserve: r.reserve,
      'ready p50/p95/max s': `${s1(r.joinToReadyMs.p50)} / ${s1(r.joinToReadyMs.p95)} / ${s1(r.joinToReadyMs.max)}`,
      'last shell / bound s': r.coldStarts ? `${s1(r.coldStarts.lastShellFromFirstJoinMs)} / ${s1(r.coldStarts.boundMs)}` : '',
      'queue |err| mean/max s': r.queue.waited ? `${r.queue.meanAbsErrorS} / ${r.queue.maxAbsErrorS} (${r.queue.waited})` : '',
      'check p50/p95 ms': `${r.checkMs.p50} / ${r.checkMs.p95}`,
      'dash p95 ms': r.checkToDashboardMs.p95,
      'idle MiB/session mean/max': r.idleMemory && 'perSessionMiB' in r.idleMemory ? `${r.idleMemory.perSessionMiB.mean} / ${r.idleMemory.perSessionMiB.max}` : '',
      errors: r.errors,
      'load max': r.host?.loadMax,
      'bars missed': Object.entries(r.bars).filter(([, v]) => !v).map(([k]) => k).join(' ') || '-',
    })),
  );
  for (const r of rows.filter((r) => r.queue.waited)) {
    console.log(`[classroom] N=${r.learners} reserve ${r.reserve}: what the waiting learners were shown first, and their wait`);
    console.table(r.queue.learners.map(({ name, place, estimateS, actualS, errorS, updates, estimateRose }) => ({ name, place, estimateS, actualS, errorS, updates, estimateRose })));
  }
  if (args['find-max']) console.log(`[classroom] largest room with no error and check p95 < ${CHECK_P95_LIMIT_MS} ms, per reserve mode: ${JSON.stringify(largest)}`);
  console.log(`[classroom] written to ${out}`);
  if ((rows.some((r) => r.errors > 0) || failures.length) && !args['find-max']) process.exitCode = 1;
}

await main();

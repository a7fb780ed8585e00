/**
 * npm run bench: measures the runner against the real Docker engine, loopback only, bounded
 * in count and time, and cleans up. Prints a table and writes bench/results/latest.json.
 * Phases (`--only a,b` runs just those; default all):
 *
 *   ready        POST /api/sessions -> shell prompt seen over the WebSocket (cold, warm pool)
 *   interactive  keystroke echo (one byte in, its echo out) and output throughput
 *                (`head -c N /dev/zero | base64`), through the runner (WebSocket) and directly
 *                (`docker exec` of a login shell into the same workstation), quiet; idle memory
 *   load         the same two figures while L other sandboxes build and push in a loop
 *                (a classroom's load: `--load L`, default 5), runner and direct, with the ratios
 *   terminal     Ctrl+C in a flood, reopen after 1012, hang-up of a closed terminal (bench/terminal.ts)
 *   registry-io  `docker push` 100 MB to localhost:5000 and `docker pull golang:1.24` in a rootless
 *                sandbox and in the root-equivalent workstation, same run, ratios (bench/registry-io.ts)
 *   durable      restart to answering, database size (bench/durable.ts)
 *   checks       check p50/p95 per lab, fresh and solved (bench/check-durations.ts; BENCH_CHECKS=0 skips)
 *
 * A sandbox that fails to start is retried (3 tries) and a phase that fails is reported in
 * `phaseErrors`; the bench always finishes, writes what it measured, and exits 1 if a phase failed.
 *
 * Options: --only PHASES, --load L, --io-rounds R (default 2), --io-nets slirp4netns[,pasta].
 * Env: BENCH_N (ready samples each, default 5), BENCH_KEYS (default 200), BENCH_MB (throughput
 * input MiB, default 100), BENCH_TP_ROUNDS (throughput rounds, default 3), BENCH_TIMEOUT_S (default 1800), BENCH_IO_MB (push size, default 100).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Duplex } from 'node:stream';
import Docker from 'dockerode';
import { WebSocket } from 'ws';
import { createRunner, type Runner } from '../runner/src/app.ts';
import { UID_LABEL } from '../runner/src/docker/session-user.ts';
import { parseNets, pendingCleanups, registryIoComparison } from './registry-io.ts';
import { terminalFigures } from './terminal.ts';
import { benchDurable } from './durable.ts';
import { api } from './api.ts';
import { checkDurations } from './check-durations.ts';
import { pct } from './stats.ts';

const PHASES = ['ready', 'interactive', 'load', 'terminal', 'registry-io', 'durable', 'checks'] as const;
type Phase = (typeof PHASES)[number];

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    load: { type: 'string' },
    'io-rounds': { type: 'string' },
    'io-nets': { type: 'string' },
  },
});
function clampInt(v: string | undefined, def: number, min: number, max: number): number {
  const n = Number(v);
  return v !== undefined && v !== '' && Number.isInteger(n) ? Math.min(max, Math.max(min, n)) : def;
}
const N = clampInt(process.env.BENCH_N, 5, 1, 20);
const KEYS = clampInt(process.env.BENCH_KEYS, 200, 10, 2000);
const MB = clampInt(process.env.BENCH_MB, 100, 1, 500);
const TP_ROUNDS = clampInt(process.env.BENCH_TP_ROUNDS, 3, 1, 9);
const TIMEOUT_S = clampInt(process.env.BENCH_TIMEOUT_S, 1800, 60, 7200);
const LOAD = clampInt(args.load, 5, 1, 40);
const IO_ROUNDS = clampInt(args['io-rounds'], 2, 1, 10);
const IO_MB = clampInt(process.env.BENCH_IO_MB, 100, 1, 200);
const IO_NETS = parseNets(args['io-nets']);
const selected = new Set<Phase>(
  args.only
    ? args.only.split(',').map((p) => {
        const t = p.trim() as Phase;
        if (!PHASES.includes(t)) throw new Error(`--only: unknown phase "${p}" (phases: ${PHASES.join(', ')})`);
        return t;
      })
    : PHASES.filter((p) => p !== 'checks' || process.env.BENCH_CHECKS !== '0'),
);
const here = dirname(fileURLToPath(import.meta.url));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;
const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

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
 * The baseline: a login shell by `docker exec` straight into the workstation, as the learner's uid
 * (what the runner's own shell does), without the runner's HTTP and WebSocket layers.
 */
async function directShell(docker: Docker, sessionId: string): Promise<Pipe> {
  const [c] = await docker.listContainers({ filters: { label: [`registry-lab.session=${sessionId}`, 'registry-lab.role=workstation'] } });
  if (!c) throw new Error('workstation container not found');
  const container = docker.getContainer(c.Id);
  const uid = c.Labels[UID_LABEL] ?? '1000';
  const user = `${uid}:${uid}`;
  const exec = await container.exec({
    Cmd: ['bash', '-l'],
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: true,
    User: user,
    WorkingDir: '/home/learner',
    Env: ['TERM=xterm-256color', 'HOME=/home/learner', 'USER=learner', 'LANG=C.UTF-8'],
  });
  const stream = (await exec.start({ hijack: true, stdin: true, Tty: true })) as Duplex;
  await exec.resize({ w: 80, h: 24 }).catch(() => {});
  const watch = new Watch();
  stream.on('data', (d: Buffer) => watch.push(d));
  return { send: (b) => stream.write(b), watch, close: () => (stream.write('exit\r'), stream.end()) };
}

/** CPU time the whole host has spent busy (user, nice, system, irq, softirq), in core-seconds. */
function hostBusySeconds(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]!) / 100;
}

const PROMPT = /\$ $/;
let markSeq = 0;
async function runCmd(p: Pipe, cmd: string, timeoutMs: number): Promise<void> {
  const tag = `__B${++markSeq}_`;
  p.send(`${cmd}\recho "${tag}$((6*7))__"\r`);
  await p.watch.until(() => p.watch.buf.includes(`${tag}42__`), timeoutMs, cmd);
}

interface Ready {
  ms: number;
  id: string;
  token: string;
  pipe: Pipe;
  fromPool: boolean;
}

/** POST /api/sessions -> prompt; a sandbox that fails to start is deleted and tried again (3 tries). */
async function sessionReady(runner: Runner, failures: string[]): Promise<Ready> {
  for (let attempt = 1; ; attempt++) {
    const t0 = performance.now();
    let id: string | undefined;
    let token: string | undefined;
    try {
      const c = await api(runner.url, 'POST', '/api/sessions', undefined, {});
      if (c.status !== 201) throw new Error(`POST /api/sessions: ${c.status} ${JSON.stringify(c.json)}`);
      ({ id, token } = c.json as { id: string; token: string });
      const pipe = await terminal(runner, id!, token!);
      const stopped = async () => (await api(runner.url, 'GET', `/api/sessions/${id}`, token)).json?.state === 'stopped';
      // The prompt, or the session stopping (its sandbox failed to start), whichever comes first.
      const prompt = pipe.watch.until(() => PROMPT.test(pipe.watch.buf), 300_000, 'prompt');
      let done = false;
      const watchdog = (async () => {
        while (!done) {
          await sleep(2000);
          if (!done && (await stopped().catch(() => false))) throw new Error(`session ${id!.slice(0, 8)} stopped while starting`);
        }
      })();
      try {
        await Promise.race([prompt, watchdog]);
      } finally {
        done = true;
        prompt.catch(() => {});
        watchdog.catch(() => {});
      }
      return { ms: performance.now() - t0, id: id!, token: token!, pipe, fromPool: c.json.state === 'ready' };
    } catch (err) {
      failures.push(errText(err));
      if (id) await api(runner.url, 'DELETE', `/api/sessions/${id}`, token).catch(() => {});
      console.log(`a sandbox failed to start (try ${attempt} of 3): ${errText(err).slice(0, 200)}`);
      if (attempt >= 3) throw err;
    }
  }
}

/**
 * Keystroke echo through both pipes, key by key in turn (the order swapped every key), so both
 * see the same moment of the host: measured one after the other, 200 keys each, the two figures
 * drifted apart with whatever else the host did meanwhile.
 */
async function echoRtt(pipes: Pipe[], keys: number): Promise<number[][]> {
  for (const p of pipes) await runCmd(p, 'stty echo', 30_000);
  const times: number[][] = pipes.map(() => []);
  const one = async (p: Pipe, i: number): Promise<number> => {
    const ch = String.fromCharCode(97 + (i % 26));
    const before = p.watch.total;
    const t0 = performance.now();
    p.send(ch);
    const fresh = () => p.watch.buf.slice(-Math.min(p.watch.buf.length, p.watch.total - before));
    await p.watch.until(() => p.watch.total > before && fresh().includes(ch), 30_000, `echo of ${ch}`);
    return performance.now() - t0;
  };
  for (let i = 0; i < keys; i++) {
    if (i > 0 && i % 40 === 0) {
      // Clear the line (Ctrl-U) well before it wraps, and let its redraw pass.
      for (const p of pipes) p.send('\x15');
      await sleep(100);
    }
    const order = i % 2 ? [...pipes.keys()].reverse() : [...pipes.keys()];
    for (const k of order) times[k]!.push(await one(pipes[k]!, i));
  }
  for (const p of pipes) p.send('\x15'); // Ctrl-U: clear the line
  await sleep(50);
  return times;
}

async function throughput(p: Pipe, mb: number): Promise<{ mbPerS: number; bytes: number; seconds: number }> {
  await runCmd(p, 'true', 30_000);
  const before = p.watch.total;
  const t0 = performance.now();
  await runCmd(p, `head -c ${mb}M /dev/zero | base64`, 600_000);
  const seconds = (performance.now() - t0) / 1000;
  const bytes = p.watch.total - before;
  return { mbPerS: bytes / 1e6 / seconds, bytes, seconds };
}

/** Echo and throughput, runner then direct, on one ready session (runner and direct take turns). */
async function interactiveFigures(docker: Docker, s: Ready, label: string) {
  const direct = await directShell(docker, s.id);
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  try {
    await direct.watch.until(() => PROMPT.test(direct.watch.buf), 60_000, 'direct prompt');
    const [viaRunner, viaDirect] = (await echoRtt([s.pipe, direct], KEYS)) as [number[], number[]];
    console.log(`[${label}] echo p50 runner ${r2(pct(viaRunner, 50))} ms, direct ${r2(pct(viaDirect, 50))} ms`);
    // Rounds in turn, the order swapped every round; the median of each (one round varied by a fifth).
    const rounds: { runner: number[]; direct: number[]; bytes: number } = { runner: [], direct: [], bytes: 0 };
    for (let i = 0; i < TP_ROUNDS; i++) {
      for (const which of i % 2 ? (['direct', 'runner'] as const) : (['runner', 'direct'] as const)) {
        const t = await throughput(which === 'runner' ? s.pipe : direct, MB);
        rounds[which].push(t.mbPerS);
        if (which === 'runner') rounds.bytes = t.bytes;
      }
    }
    const tpRunner = { mbPerS: pct(rounds.runner, 50), bytes: rounds.bytes };
    const tpDirect = { mbPerS: pct(rounds.direct, 50) };
    console.log(`[${label}] throughput runner ${r1(tpRunner.mbPerS)} MB/s, direct ${r1(tpDirect.mbPerS)} MB/s`);
    loopDelay.disable();
    const loopMs = (p: number) => r2(loopDelay.percentile(p) / 1e6);
    console.log(`[${label}] event loop delay p50 ${loopMs(50)} ms, p99 ${loopMs(99)} ms, max ${r2(loopDelay.max / 1e6)} ms`);
    return {
      eventLoopDelayMs: { p50: loopMs(50), p99: loopMs(99), max: r2(loopDelay.max / 1e6) },
      keystrokeEchoMs: {
        keys: KEYS,
        runner: { p50: r2(pct(viaRunner, 50)), p95: r2(pct(viaRunner, 95)), p99: r2(pct(viaRunner, 99)) },
        direct: { p50: r2(pct(viaDirect, 50)), p95: r2(pct(viaDirect, 95)), p99: r2(pct(viaDirect, 99)) },
        overheadRatioP50: r2(pct(viaRunner, 50) / pct(viaDirect, 50)),
        overheadRatioP99: r2(pct(viaRunner, 99) / pct(viaDirect, 99)),
      },
      outputThroughput: {
        command: `head -c ${MB}M /dev/zero | base64`,
        rounds: TP_ROUNDS,
        runnerMBps: r1(tpRunner.mbPerS),
        directMBps: r1(tpDirect.mbPerS),
        runnerRoundsMBps: rounds.runner.map(r1),
        directRoundsMBps: rounds.direct.map(r1),
        ratio: r2(tpRunner.mbPerS / tpDirect.mbPerS),
        bytes: tpRunner.bytes,
      },
    };
  } finally {
    direct.close();
  }
}

/**
 * A learner's build-and-push loop, as the classroom load: a fresh 10 MiB layer hashed in a RUN
 * step (CPU in the inner engine), pushed to the session's registry, removed; until the stop file
 * appears or `maxS` passes. Prints one line per finished round.
 */
const loadLoop = (maxS: number) => `
set -u
d=/tmp/bench-load; mkdir -p "$d" && cd "$d" || exit 1
printf 'FROM busybox\\nRUN dd if=/dev/urandom of=/blob bs=1048576 count=10 2>/dev/null && sha256sum /blob > /sum && gzip -c /blob > /blob.gz\\n' > Dockerfile
i=0; ok=0; end=$((SECONDS + ${maxS}))
while [ ! -e "$d/stop" ] && [ "$SECONDS" -lt "$end" ]; do
  i=$((i + 1))
  if docker build -q --no-cache -t localhost:5000/load/x:1 . >/dev/null 2>"$d/err" && docker push -q localhost:5000/load/x:1 >/dev/null 2>"$d/err"; then
    ok=$((ok + 1)); echo "round=$i"
  else
    echo "failed=$i $(tail -c 300 "$d/err" | tr '\\n' ' ')"; sleep 2
  fi
  echo "$ok $((i - ok))" > "$d/rounds"
  docker image prune -f >/dev/null 2>&1
done
exit 0
`;
/** Rounds a load loop has finished and failed so far. */
async function loadRounds(runner: Runner, id: string): Promise<{ ok: number; failed: number }> {
  const r = await runner.provider.ops(id).exec('cat /tmp/bench-load/rounds 2>/dev/null || echo 0 0', { timeoutMs: 30_000 }).catch(() => null);
  const [ok = 0, failed = 0] = (r?.stdout.trim() ?? '').split(/\s+/).map(Number);
  return { ok: ok || 0, failed: failed || 0 };
}

async function underLoad(runner: Runner, docker: Docker, failures: string[]) {
  // The session measured starts first, on a quiet host; then the room that loads it.
  const s = await sessionReady(runner, failures);
  const load: Ready[] = [];
  const loops: Promise<{ rounds: number; error?: string }>[] = [];
  const loadSamples: number[] = [];
  const sampler = setInterval(() => loadSamples.push(Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0])), 1000);
  try {
    const started = await Promise.allSettled(Array.from({ length: LOAD }, () => sessionReady(runner, failures)));
    for (const r of started) if (r.status === 'fulfilled') load.push(r.value);
    const notStarted = started.length - load.length;
    if (!load.length) throw new Error('no load sandbox started');
    for (const l of load) {
      l.pipe.close();
      loops.push(
        runner.provider
          .ops(l.id)
          .exec(loadLoop(900), { timeoutMs: 960_000 })
          .then((r) => {
            const failed = r.stdout.match(/^failed=.*$/gm) ?? [];
            const error = r.exitCode ? r.stderr.slice(-200) : failed.length ? `${failed.length} round(s) failed, last: ${failed.at(-1)!.slice(0, 300)}` : undefined;
            return { rounds: (r.stdout.match(/^round=\d+$/gm) ?? []).length, ...(error ? { error } : {}) };
          })
          .catch((e: unknown) => ({ rounds: 0, error: errText(e) })),
      );
    }
    // Measure once every loop has finished a first round (its base image pulled, the load steady).
    // A loop that only fails (3 rounds, none done) is not waited for; it shows in loadErrors.
    const warmEnd = Date.now() + 300_000;
    for (;;) {
      const rounds = await Promise.all(load.map((l) => loadRounds(runner, l.id)));
      if (rounds.every((r) => r.ok >= 1 || r.failed >= 3)) break;
      if (Date.now() > warmEnd) {
        console.log('[load] not every load loop finished a round in 300 s; measuring anyway');
        break;
      }
      await sleep(2000);
    }
    const t0 = Date.now();
    const figures = await interactiveFigures(docker, s, `under load of ${load.length}`);
    const seconds = Math.round((Date.now() - t0) / 1000);
    await Promise.all(load.map((l) => runner.provider.ops(l.id).exec('touch /tmp/bench-load/stop', { timeoutMs: 60_000 }).catch(() => {})));
    const done = await Promise.all(loops);
    return {
      loadSandboxes: load.length,
      loadSandboxesNotStarted: notStarted,
      loadRoundsFinished: done.reduce((a, d) => a + d.rounds, 0),
      loadErrors: done.flatMap((d) => (d.error ? [d.error] : [])).slice(0, 5),
      measureSeconds: seconds,
      hostLoad1: { max: r1(Math.max(...loadSamples)), mean: r1(loadSamples.reduce((a, b) => a + b, 0) / Math.max(1, loadSamples.length)) },
      ...figures,
    };
  } finally {
    clearInterval(sampler);
    s.pipe.close();
    await Promise.all([s, ...load].map((x) => api(runner.url, 'DELETE', `/api/sessions/${x.id}`, x.token).catch(() => {})));
  }
}

async function main() {
  const runnerId = `bench-${process.pid}-${randomBytes(3).toString('hex')}`;
  const started = Date.now();
  const docker = new Docker();
  const results: Record<string, any> = {
    when: new Date().toISOString(),
    runnerId,
    machine: { cpus: cpus().length, node: process.version, loadavgAtStart: loadavg().map(r2) },
    params: { N, KEYS, MB, LOAD, IO_ROUNDS, IO_MB, IO_NETS, phases: [...selected] },
    phaseErrors: {} as Record<string, string>,
    sandboxStartFailures: [] as string[],
  };
  const failures: string[] = results.sandboxStartFailures;
  const phase = async (name: Phase, fn: () => Promise<void>) => {
    if (!selected.has(name)) return;
    console.log(`--- ${name}`);
    try {
      await fn();
    } catch (err) {
      results.phaseErrors[name] = errText(err);
      console.error(`phase ${name} failed: ${errText(err)}`);
    }
  };
  const needsRunner = (['ready', 'interactive', 'load', 'terminal'] as Phase[]).some((p) => selected.has(p));
  const runner = needsRunner
    ? await createRunner({ port: 0, host: '127.0.0.1', runnerId, warmPoolSize: 0, logLevel: 'warn', maxSessions: LOAD + 12, maxSessionsPerClient: LOAD + 12, maxSessionCreatesPerMinute: 10_000 })
    : undefined;
  const guard = setTimeout(() => {
    console.error(`bench: over ${TIMEOUT_S} s, cleaning up and exiting`);
    void Promise.allSettled([runner?.close(), ...[...pendingCleanups].map((f) => f())]).finally(() => process.exit(1));
  }, TIMEOUT_S * 1000);
  guard.unref();
  try {
    if (runner) {
      await phase('ready', async () => {
        const cold: number[] = [];
        // The host's CPU from the request to the prompt (every process, the machine otherwise quiet):
        // what a cold start costs, the figure a room arriving at once is bounded by (issue 19).
        const coldCpu: number[] = [];
        for (let i = 0; i < N; i++) {
          await sleep(1000);
          const cpu0 = hostBusySeconds();
          const s = await sessionReady(runner, failures);
          coldCpu.push(hostBusySeconds() - cpu0);
          cold.push(s.ms);
          s.pipe.close();
          await api(runner.url, 'DELETE', `/api/sessions/${s.id}`, s.token);
          console.log(`cold ready #${i + 1}: ${Math.round(s.ms)} ms, host CPU ${coldCpu.at(-1)!.toFixed(2)} core-s`);
        }
        // Warm pool: one pooled sandbox, refilled between samples.
        runner.sessions.settings.warmPoolSize = 1;
        const warm: number[] = [];
        let pooledSamples = 0;
        try {
          for (let i = 0; i < N; i++) {
            runner.sessions.pool.fill();
            for (let w = 0; w < 900 && runner.sessions.pool.stats().ready < 1; w++) await sleep(200);
            const s = await sessionReady(runner, failures);
            warm.push(s.ms);
            if (s.fromPool) pooledSamples++;
            s.pipe.close();
            await api(runner.url, 'DELETE', `/api/sessions/${s.id}`, s.token);
            console.log(`warm ready #${i + 1}: ${Math.round(s.ms)} ms${s.fromPool ? '' : ' (not from the pool)'}`);
          }
        } finally {
          runner.sessions.settings.warmPoolSize = 0;
          await runner.sessions.pool.shutdown().catch(() => {});
        }
        results.sessionReadyMs = {
          cold: {
            n: cold.length,
            p50: Math.round(pct(cold, 50)),
            p95: Math.round(pct(cold, 95)),
            samples: cold.map(Math.round),
            hostCpuCoreS: { p50: r2(pct(coldCpu, 50)), samples: coldCpu.map(r2) },
          },
          warmPool: { n: warm.length, fromPool: pooledSamples, p50: Math.round(pct(warm, 50)), p95: Math.round(pct(warm, 95)), samples: warm.map(Math.round) },
        };
      });

      if (selected.has('interactive') || selected.has('terminal')) {
        let s: Ready | undefined;
        try {
          await phase('interactive', async () => {
            s = await sessionReady(runner, failures);
            Object.assign(results, await interactiveFigures(docker, s, 'quiet'));
            await sleep(5000);
            const mem = await runner.provider.memoryUsage(s.id);
            results.idleSessionMemoryMiB = { workstation: r1(mem.workstation / 1048576), registry: r1(mem.registry / 1048576), total: r1((mem.workstation + mem.registry) / 1048576) };
          });
          await phase('terminal', async () => {
            s ??= await sessionReady(runner, failures);
            s.pipe.close();
            const term = await terminalFigures(runner, s.id, s.token, N);
            console.log(`terminal: interrupt p50 ${Math.round(pct(term.interrupt, 50))} ms, reopen after 1012 p50 ${Math.round(pct(term.restart, 50))} ms, hang-up p50 ${Math.round(pct(term.hangup, 50))} ms`);
            results.terminalMs = Object.fromEntries(Object.entries(term).map(([k, xs]) => [k, { n: xs.length, p50: Math.round(pct(xs, 50)), p95: Math.round(pct(xs, 95)) }]));
          });
        } finally {
          if (s) {
            s.pipe.close();
            await api(runner.url, 'DELETE', `/api/sessions/${s.id}`, s.token).catch(() => {});
          }
        }
      }

      await phase('load', async () => {
        const u = await underLoad(runner, docker, failures);
        results.underLoad = u;
        // Figures "under load" with no load are not figures: the phase fails, its numbers stay for a look.
        if (!u.loadRoundsFinished) throw new Error(`no load round finished: ${u.loadErrors[0] ?? 'unknown'}`);
      });
      results.runnerRssMiB = r1(process.memoryUsage().rss / 1048576);
    }
  } finally {
    await runner?.close();
  }

  await phase('registry-io', async () => {
    const io = await registryIoComparison({ rounds: IO_ROUNDS, nets: IO_NETS, mb: IO_MB });
    results.registryIo = io;
    if (io.errors.length) throw new Error(io.errors.join('; '));
  });
  await phase('durable', async () => {
    results.durable = await benchDurable();
  });
  await phase('checks', async () => {
    const labs = process.env.BENCH_CHECK_LABS?.split(',').map((x) => x.trim()).filter(Boolean);
    results.checkDurationsMs = await checkDurations({ n: clampInt(process.env.BENCH_CHECK_N, 3, 1, 20), labs });
  });
  clearTimeout(guard);
  results.durationS = Math.round((Date.now() - started) / 1000);

  const out = join(here, 'results', 'latest.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  printTable(results);
  console.log(`written to ${out}`);
  const failed = Object.keys(results.phaseErrors);
  if (failures.length) console.log(`sandboxes that failed to start (and were retried): ${failures.length}`);
  if (failed.length) {
    console.log(`finished, but ${failed.length} phase(s) failed: ${failed.map((p) => `${p}: ${results.phaseErrors[p]}`).join('; ')}`);
    process.exitCode = 1;
  }
}

function printTable(results: Record<string, any>) {
  const row = (p50: unknown, tail: unknown = '', base: unknown = '', ratio: unknown = '') => ({ 'p50 / value': p50, 'p95/p99': tail, 'baseline (direct/root)': base, ratio });
  const t: Record<string, ReturnType<typeof row>> = {};
  const sr = results.sessionReadyMs;
  if (sr) {
    t['session ready, cold (ms)'] = row(sr.cold.p50, sr.cold.p95);
    if (sr.cold.hostCpuCoreS) t['cold start, host CPU (core-s)'] = row(sr.cold.hostCpuCoreS.p50);
    t['session ready, warm pool (ms)'] = row(sr.warmPool.p50, sr.warmPool.p95);
  }
  const interactive = (ke: any, tp: any, suffix: string) => {
    if (ke) t[`keystroke echo${suffix} (ms)`] = row(ke.runner.p50, ke.runner.p99, ke.direct.p50, ke.overheadRatioP50);
    if (tp) t[`output throughput${suffix} (MB/s)`] = row(tp.runnerMBps, '', tp.directMBps, tp.ratio);
  };
  interactive(results.keystrokeEchoMs, results.outputThroughput, ', quiet');
  if (results.underLoad) interactive(results.underLoad.keystrokeEchoMs, results.underLoad.outputThroughput, `, ${results.underLoad.loadSandboxes} building`);
  if (results.idleSessionMemoryMiB) t['idle session memory (MiB)'] = row(results.idleSessionMemoryMiB.total);
  for (const [k, v] of Object.entries((results.terminalMs ?? {}) as Record<string, { p50: number; p95: number }>)) t[`terminal ${k} (ms)`] = row(v.p50, v.p95);
  const io = results.registryIo;
  if (io?.sides?.root) {
    for (const [side, v] of Object.entries(io.sides as Record<string, { pushMedianMs: number; pullMedianMs: number }>)) {
      if (side === 'root') continue;
      t[`push ${io.pushMiB} MiB, ${side} (ms)`] = row(v.pushMedianMs, '', io.sides.root.pushMedianMs, io.ratios[side]?.push);
      t[`pull ${io.pullImage}, ${side} (ms)`] = row(v.pullMedianMs, '', io.sides.root.pullMedianMs, io.ratios[side]?.pull);
    }
  }
  if (Object.keys(t).length) {
    console.log('\nRegistry Lab runner bench');
    console.table(t);
  }
  const checks = (results.checkDurationsMs ?? []) as Array<{ lab: string; p50: number; p95: number; limitMs: number }>;
  if (checks.length) console.table(Object.fromEntries(checks.map((c) => [`check ${c.lab} (ms)`, { p50: c.p50, p95: c.p95, limit: c.limitMs }])));
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

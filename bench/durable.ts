/**
 * Durable sessions in `npm run bench`:
 *   restart to answering   N sessions ready, runner.stop() (what SIGTERM does), a new runner on
 *                          the same RUNNER_ID and data directory: time until every session
 *                          answers GET as ready, and until every one has a terminal with a prompt
 *   database size          bytes per session and per 1,000 checks (SQLite file, WAL mode)
 *
 * BENCH_RESTART_SESSIONS (default "1,20"). Standalone: node bench/durable.ts
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { createRunner, type Runner } from '../runner/src/app.ts';
import type { Config } from '../runner/src/config.ts';
import { openSqliteStore } from '../runner/src/store/sqlite.ts';
import { api } from './api.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** POST with an empty JSON body, as a learner's page creates a session. */
const call = (base: string, method: string, path: string, token?: string) => api(base, method, path, token, method === 'POST' ? {} : undefined);

function prompt(base: string, id: string, token: string, timeoutMs = 120_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/api/sessions/${id}/terminal?token=${token}`);
    let out = '';
    const timer = setTimeout(() => (ws.terminate(), reject(new Error('no prompt'))), timeoutMs);
    ws.on('message', (d, bin) => {
      if (!bin) return;
      out += (d as Buffer).toString('utf8');
      if (/\$ $/.test(out)) {
        clearTimeout(timer);
        ws.close();
        resolve();
      }
    });
    ws.once('error', (e) => (clearTimeout(timer), reject(e)));
  });
}

async function restartToAnswering(n: number): Promise<Record<string, number>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rl-bench-'));
  const over: Partial<Config> = {
    port: 0,
    host: '127.0.0.1',
    runnerId: `bench-restart-${process.pid}-${randomBytes(3).toString('hex')}`,
    dataDir,
    warmPoolSize: 0,
    logLevel: 'warn',
    maxSessions: Math.max(20, n),
    maxSessionsPerClient: Math.max(20, n),
    maxSessionCreatesPerMinute: 1000,
    sessionStartTimeoutMs: 900_000,
  };
  let runner: Runner = await createRunner(over);
  try {
    // A sandbox that fails to start on a loaded machine is replaced (3 tries each).
    const ready = async (): Promise<{ id: string; token: string }> => {
      for (let attempt = 1; ; attempt++) {
        const created = await call(runner.url, 'POST', '/api/sessions');
        const s = created.json as { id: string; token: string };
        try {
          if (created.status !== 201) throw new Error(`POST /api/sessions: ${created.status} ${JSON.stringify(created.json).slice(0, 200)}`);
          // A sandbox that died while starting takes its session record with it.
          const rec = runner.sessions.get(s.id);
          if (!rec) throw new Error(`session ${s.id} ended while its sandbox was starting`);
          await runner.sessions.waitReady(rec, 900_000);
          return s;
        } catch (err) {
          console.log(`[durable] a sandbox failed to start (try ${attempt} of 3): ${err instanceof Error ? err.message.slice(0, 200) : String(err)}`);
          if (s?.id) await call(runner.url, 'DELETE', `/api/sessions/${s.id}`, s.token).catch(() => {});
          if (attempt >= 3) throw err;
        }
      }
    };
    const sessions = await Promise.all(Array.from({ length: n }, ready));
    await runner.stop();
    const t0 = performance.now();
    runner = await createRunner(over);
    const listening = performance.now() - t0;
    await Promise.all(
      sessions.map(async (s) => {
        for (;;) {
          const g = await call(runner.url, 'GET', `/api/sessions/${s.id}`, s.token);
          if (g.json?.state === 'ready') return;
          if (g.json?.state === 'stopped' || g.status === 404) throw new Error(`session ${s.id} not taken over: ${JSON.stringify(g.json)}`);
          await sleep(20);
        }
      }),
    );
    const answering = performance.now() - t0;
    await Promise.all(sessions.map((s) => prompt(runner.url, s.id, s.token)));
    const terminals = performance.now() - t0;
    return { sessions: n, listeningMs: Math.round(listening), allAnsweringMs: Math.round(answering), allTerminalsMs: Math.round(terminals), adopted: runner.recovery.adopted };
  } finally {
    await runner.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function databaseSize(): Record<string, number> {
  const dir = mkdtempSync(join(tmpdir(), 'rl-dbsize-'));
  const file = join(dir, 'size.sqlite');
  try {
    const { store } = openSqliteStore(file);
    const size = () => store.stats().bytes;
    const empty = size();
    const now = Date.now();
    for (let i = 0; i < 1000; i++) {
      store.insertSession({
        id: randomBytes(18).toString('base64url'), tokenHash: randomBytes(32), clientAddress: '203.0.113.7', createdAt: now, expiresAt: now + 7_200_000,
        state: 'ready', stopReason: null, error: null, lab: 'push-private', workshop: null, name: 'Learner Name', lang: 'ru', fromPool: true, readyAt: now, stoppedAt: null,
      });
    }
    const sessions = size();
    const one = store.loadSessions(0)[0]!.id;
    const criteria = ['pushed', 'same-image', 'tagged'].map((id, k) => ({ id, passed: k % 2 === 0 }));
    for (let i = 0; i < 1000; i++) store.recordCheck(one, { lab: 'push-private', passed: i % 3 === 0, criteria, at: now + i, durationMs: 850 });
    const checks = size();
    store.close();
    return { bytesPerSession: Math.round((sessions - empty) / 1000), bytesPer1000Checks: checks - sessions, fileBytesAfter: statSync(file).size };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchDurable(): Promise<Record<string, unknown>> {
  const db = databaseSize();
  console.log(`database: ${JSON.stringify(db)}`);
  const counts = (process.env.BENCH_RESTART_SESSIONS ?? '1,20').split(',').map(Number).filter((x) => Number.isInteger(x) && x > 0 && x <= 40);
  const restart: Record<string, number>[] = [];
  for (const n of counts) {
    restart.push(await restartToAnswering(n));
    console.log(`restart with ${n} sessions: ${JSON.stringify(restart.at(-1))}`);
  }
  return { restartToAnswering: restart, database: db };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchDurable().then(
    (r) => (console.log(JSON.stringify(r, null, 2)), process.exit(0)),
    (err) => (console.error(err), process.exit(1)),
  );
}

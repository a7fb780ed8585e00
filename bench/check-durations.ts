/**
 * Check durations per lab, in one real sandbox: for each lab, start → K checks (fresh) →
 * solve.sh → K checks (solved). Reports p50/p95 per lab and the slowest criterion, against
 * lab.json's checkTimeoutMs. (Timings live here, not as assertions in the tests.)
 *
 *   BENCH_CHECK_N (checks per state, default 3), BENCH_CHECK_LABS=a,b (default all)
 *   Run alone: node bench/check-durations.ts
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkLab, createLabState, loadLabs, runSolve, startLab } from '../checks/engine.ts';
import { loadConfig } from '../runner/src/config.ts';
import { dockerProviderFor } from '../runner/src/backends.ts';
import { pct } from './stats.ts';

export interface LabCheckDurations {
  lab: string;
  limitMs: number;
  n: number;
  p50: number;
  p95: number;
  max: number;
  slowestCriterion: { id: string; p50: number };
}

export async function checkDurations(opts: { n?: number; labs?: string[] } = {}): Promise<LabCheckDurations[]> {
  const n = opts.n ?? 3;
  const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
  const labs = (await loadLabs(join(root, 'labs'))).filter((l) => !opts.labs?.length || opts.labs.includes(l.id));
  const provider = await dockerProviderFor(loadConfig({ ...process.env, RUNNER_ID: `bench-checks-${randomBytes(3).toString('hex')}`, WARM_POOL_SIZE: '0' }));
  await provider.init();
  const id = randomBytes(16).toString('base64url');
  const out: LabCheckDurations[] = [];
  try {
    await provider.create(id);
    for (const lab of labs) {
      const ctx = { sandbox: provider.ops(id), state: createLabState(), labDir: lab.dir };
      const total: number[] = [];
      const perCriterion = new Map<string, number[]>();
      const sample = async () => {
        const r = await checkLab(lab, ctx);
        total.push(r.durationMs);
        for (const c of r.criteria) perCriterion.set(c.id, [...(perCriterion.get(c.id) ?? []), c.durationMs]);
      };
      await startLab(lab, ctx);
      for (let i = 0; i < n; i++) await sample();
      await runSolve(lab, ctx);
      for (let i = 0; i < n; i++) await sample();
      const slowest = [...perCriterion].map(([cid, xs]) => ({ id: cid, p50: pct(xs, 50) })).sort((a, b) => b.p50 - a.p50)[0]!;
      const row = { lab: lab.id, limitMs: lab.definition.checkTimeoutMs, n: total.length, p50: pct(total, 50), p95: pct(total, 95), max: Math.max(...total), slowestCriterion: slowest };
      console.log(`[bench] check ${lab.id}: p50 ${row.p50} ms, p95 ${row.p95} ms (limit ${row.limitMs} ms; slowest criterion ${slowest.id} ${slowest.p50} ms)`);
      out.push(row);
    }
  } finally {
    await provider.shutdown();
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const labs = process.env.BENCH_CHECK_LABS?.split(',').map((s) => s.trim()).filter(Boolean);
  const rows = await checkDurations({ n: Number(process.env.BENCH_CHECK_N) || 3, labs });
  console.table(Object.fromEntries(rows.map((r) => [r.lab, { p50: r.p50, p95: r.p95, max: r.max, limit: r.limitMs, slowest: `${r.slowestCriterion.id} ${r.slowestCriterion.p50}` }])));
}

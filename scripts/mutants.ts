/**
 * `npm run test:mutants` (not part of npm test): proves the lab tests can fail. Each mutant
 * (scripts/mutants/list.ts) is applied to a lab's lab.ts in a scratch copy of the repository,
 * then that lab's tests run there (narrowed to the test named by the mutant unless --full);
 * a mutant is caught when the tests fail. Prints the count caught and exits 1 if any survived
 * or no longer applies.
 *
 *   npm run test:mutants [-- --full] [-- --lab=<id>[,<id>]] [-- --only=<part of a mutant name>[,...]]
 *   MUTANTS_CONCURRENCY (default 2)
 * A mutant whose run failed only in a hook (sandbox creation) or by timeout is an "error",
 * not a catch. The mutants assume the unmutated lab tests are green (run them first).
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MUTANTS, type Mutant } from './mutants/list.ts';

const root = join(new URL('.', import.meta.url).pathname, '..');
const full = process.argv.includes('--full');
const onlyLabs = process.argv.find((a) => a.startsWith('--lab='))?.slice('--lab='.length).split(',');
const onlyNames = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const concurrency = Number(process.env.MUTANTS_CONCURRENCY ?? 2);
const PER_MUTANT_TIMEOUT_MS = 30 * 60_000;

type Verdict = { mutant: Mutant; result: 'caught' | 'survived' | 'stale' | 'error'; detail: string; ms: number };

/** A scratch copy of what the lab tests need (node_modules linked, not copied). */
function scratchCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rl-mutant-'));
  for (const part of ['checks', 'labs', 'runner', 'tests', 'package.json', 'tsconfig.json']) cpSync(join(root, part), join(dir, part), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function runLabTests(dir: string, mutant: Mutant): Promise<{ code: number | null; out: string }> {
  const args = ['--test', ...(full ? [] : [`--test-name-pattern=${escapeRe(mutant.caughtBy)}`]), 'tests/labs/labs.test.ts'];
  const env: NodeJS.ProcessEnv = { ...process.env, LAB: mutant.lab };
  delete env.CI;
  delete env.LAB_SKIP_WRONG;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGTERM'), PER_MUTANT_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

async function tryMutant(mutant: Mutant): Promise<Verdict> {
  const t0 = Date.now();
  const dir = scratchCopy();
  try {
    const file = join(dir, 'labs', mutant.lab, 'lab.ts');
    const text = readFileSync(file, 'utf8');
    const count = text.split(mutant.find).length - 1;
    if (count !== 1) return { mutant, result: 'stale', detail: `the text to mutate occurs ${count} times in labs/${mutant.lab}/lab.ts`, ms: 0 };
    writeFileSync(file, text.replace(mutant.find, mutant.replace));
    const { code, out } = await runLabTests(dir, mutant);
    const failed = out.split('\n').filter((l) => /^\s*not ok \d+ - /.test(l)).map((l) => l.trim().replace(/^not ok \d+ - /, ''));
    const ran = (/# pass (\d+)/.exec(out)?.[1] ?? '0') + (/# fail (\d+)/.exec(out)?.[1] ?? '0');
    // A failing hook (sandbox creation) or a timeout proves nothing about the check.
    const gradedFailure = /failureType: 'testCodeFailure'/.test(out);
    if (code !== 0 && !gradedFailure) return { mutant, result: 'error', detail: `no test failed on its own (hook failure or timeout): ${/failureType: 'hookFailed'\s+error: '([^']*)'/.exec(out)?.[1] ?? /error: '([^']*)'/.exec(out)?.[1] ?? `exit ${code}`}`, ms: Date.now() - t0 };
    if (code !== 0) return { mutant, result: 'caught', detail: `failed: ${failed.filter((f) => f !== 'labs' && f !== mutant.lab).join('; ') || `exit ${code}`}`, ms: Date.now() - t0 };
    return { mutant, result: 'survived', detail: `the lab tests passed (${ran === '00' ? 'no test ran' : 'all green'})`, ms: Date.now() - t0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const queue = MUTANTS.filter((m) => (!onlyLabs || onlyLabs.includes(m.lab)) && (!onlyNames || onlyNames.some((n) => m.name.includes(n))));
console.log(`[mutants] ${queue.length} mutants, ${concurrency} at a time, ${full ? 'whole lab test files' : 'narrowed to the test named per mutant'}`);
const verdicts: Verdict[] = [];
let next = 0;
await Promise.all(
  Array.from({ length: Math.max(1, concurrency) }, async () => {
    while (next < queue.length) {
      const mutant = queue[next++];
      const v = await tryMutant(mutant);
      verdicts.push(v);
      console.log(`[mutants] ${v.result.toUpperCase().padEnd(8)} ${mutant.lab}: ${mutant.name} (${Math.round(v.ms / 1000)} s) — ${v.detail.slice(0, 300)}`);
    }
  }),
);
const caught = verdicts.filter((v) => v.result === 'caught').length;
console.log(`\n[mutants] caught ${caught} of ${verdicts.length}`);
for (const v of verdicts.filter((x) => x.result !== 'caught')) console.log(`  ${v.result}: ${v.mutant.lab}: ${v.mutant.name} — ${v.detail}`);
process.exit(caught === verdicts.length ? 0 : 1);

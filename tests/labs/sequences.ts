/**
 * The scenarios the lab suites run in one sandbox per lab, as steps a learner takes: start
 * (= reset, "Начать заново"), a script, check. Shared by the Docker suite (labs.test.ts) and
 * the Kubernetes one (tests/kubernetes/labs.test.ts), so both prove the same things.
 */
import assert from 'node:assert/strict';
import { checkLab, runAlt, runSolve, runWrong, startLab, wrongExpectation, type CheckResult, type LoadedLab } from '../../checks/engine.ts';
import type { LabContext } from '../../checks/context.ts';
import { englishProblem, failing, messageProblem, summarize } from './harness.ts';

export async function check(lab: LoadedLab, ctx: LabContext, scenario: string): Promise<CheckResult> {
  const r = await checkLab(lab, ctx);
  if (process.env.LAB_VERBOSE) console.log(`--- ${lab.id} / ${scenario}: ${summarize(r)}`);
  // The same check in English (rendered from the same run): a sentence of its own, no Russian left.
  for (const c of r.criteria) {
    const problem = englishProblem(c, lab.id);
    assert.equal(problem, null, `${lab.id} / ${scenario}: criterion "${c.id}" in English: ${problem}\n${summarize(r, 'en')}`);
  }
  return r;
}

export function assertSpecificFailures(r: CheckResult, scenario: string) {
  assert.equal(r.passed, false, `${scenario}: the check should fail\n${summarize(r)}`);
  for (const c of r.criteria.filter((c) => !c.passed)) {
    const problem = messageProblem(c);
    assert.equal(problem, null, `${scenario}: criterion "${c.id}": ${problem}\n${summarize(r)}`);
  }
}

export function assertEveryCriterionPasses(r: CheckResult, scenario: string) {
  assert.equal(r.passed, true, `${scenario}: the check should pass\n${summarize(r)}`);
  assert.deepEqual(failing(r), [], `${scenario}: no criterion may fail, optional or not\n${summarize(r)}`);
  for (const c of r.criteria) assert.ok(c.message.trim().length > 0, `${scenario}: ${c.id}: empty message on success`);
}

/** start → solve.sh → every criterion passes. `after` names what ran before, for the message. */
export async function solveAfterReset(lab: LoadedLab, ctx: LabContext, after = 'a fresh start'): Promise<CheckResult> {
  await startLab(lab, ctx);
  await runSolve(lab, ctx);
  const scenario = `solve.sh after ${after} and a reset`;
  const r = await check(lab, ctx, scenario);
  assertEveryCriterionPasses(r, scenario);
  return r;
}

/** start → alt/<name>.sh → every criterion passes. */
export async function altAfterReset(lab: LoadedLab, ctx: LabContext, name: string): Promise<CheckResult> {
  await startLab(lab, ctx);
  await runAlt(lab, ctx, name);
  const r = await check(lab, ctx, `alt/${name}`);
  assertEveryCriterionPasses(r, `alt/${name}.sh (another right answer)`);
  return r;
}

/**
 * start → wrong/<name>.sh → the script ran to its end, exactly the criteria of its
 * `# expect-fail` header fail, each for the reason of its `# expect-message`.
 */
export async function wrongAfterReset(lab: LoadedLab, ctx: LabContext, name: string, scenario = `wrong/${name}.sh`): Promise<CheckResult> {
  const expected = await wrongExpectation(lab, name);
  await startLab(lab, ctx);
  const run = await runWrong(lab, ctx, name);
  assert.equal(run.exitCode, 0, `${scenario} must run to the end (exit 0) to prove its mistake, got ${run.exitCode}:\n${run.stderr.slice(-1500)}`);
  const r = await check(lab, ctx, scenario);
  assertSpecificFailures(r, scenario);
  assert.deepEqual(failing(r), [...expected.fail].sort(), `${scenario}: failing criteria differ from "# expect-fail"\n${summarize(r)}`);
  for (const { criterion, pattern, lang } of expected.messages) {
    const c = r.criteria.find((x) => x.id === criterion)!;
    assert.match(c.messages[lang], pattern, `${scenario}: "${criterion}" failed for another reason than "# expect-message${lang === 'en' ? '-en' : ''}"`);
  }
  return r;
}

/**
 * What a reset must undo, whatever came before it: wrong/<name>.sh once more after a reset
 * fails exactly as it did (`first`), and solve.sh after another reset passes every criterion.
 */
export async function wrongAgainThenSolve(lab: LoadedLab, ctx: LabContext, name: string, first: CheckResult): Promise<void> {
  const again = await wrongAfterReset(lab, ctx, name, `wrong/${name}.sh a second time, after a reset`);
  assert.deepEqual(
    again.criteria.map((c) => [c.id, c.passed]),
    first.criteria.map((c) => [c.id, c.passed]),
    `wrong/${name}.sh graded differently the second time\nfirst: ${summarize(first)}\nagain: ${summarize(again)}`,
  );
  await solveAfterReset(lab, ctx, `wrong/${name}.sh`);
}

// An idle process as the learner in every folder of the home (two levels, no dot folders),
// as a terminal the learner left there; its pid is printed.
const PARK = `find "$1" -mindepth 1 -maxdepth 2 -type d ! -path '*/.*' | while IFS= read -r d; do
  (cd "$d" && { sleep 900 </dev/null >/dev/null 2>&1 & echo $!; })
done`;
// The working directory of each pid that is a deleted folder; then the pids end.
const UNPARK = `for p in "$@"; do
  cwd=$(readlink "/proc/$p/cwd" 2>/dev/null) || continue
  case "$cwd" in *' (deleted)') printf '%s\\n' "$cwd" ;; esac
  kill "$p" 2>/dev/null
done; true`;

/** Terminals left in the lab's folders (before a reset): see stranded(). */
export async function parkShells(ctx: LabContext): Promise<string[]> {
  const r = await ctx.sandbox.exec(['bash', '-c', PARK, 'park', ctx.sandbox.home], { user: 'learner', timeoutMs: 30_000 });
  assert.equal(r.exitCode, 0, r.stderr);
  return r.stdout.split('\n').filter((p) => /^\d+$/.test(p));
}

/**
 * Folders the parked terminals are in that a reset deleted (and made again under the same
 * name): a learner's shell there sees no file any more, and every right command typed in it
 * fails (issue 26: `curl -o manifest.json` in ~/answers after a reset). Ends the parked ones.
 */
export async function stranded(ctx: LabContext, pids: string[]): Promise<string[]> {
  if (!pids.length) return [];
  const r = await ctx.sandbox.exec(['bash', '-c', UNPARK, 'unpark', ...pids], { user: 'learner', timeoutMs: 30_000 });
  assert.equal(r.exitCode, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean);
}

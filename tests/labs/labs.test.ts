/**
 * Every lab in labs/, in a real sandbox (runner/src/docker):
 *   fresh start → check fails, each failing criterion says something specific;
 *   start → solve.sh → every criterion passes (optional ones too);
 *   start again → the same criteria fail as on the fresh start (starting resets the lab);
 *   each wrong/*.sh after a fresh start → the script exits 0, exactly the criteria of its
 *   `# expect-fail:` header fail, and each `# expect-message:` pattern matches.
 * One sandbox per lab, shared by its scenarios (the reset makes them independent).
 *
 *   LAB=tagging node_modules/.bin/node --test tests/labs/labs.test.ts   one lab (or LAB=a,b)
 *   LAB_SKIP_WRONG=1 ...                                                 only fresh/solve/reset
 *   LAB_VERBOSE=1 ...                                                    print every check result
 * LAB and LAB_SKIP_WRONG are refused under CI=true and printed when active.
 * Check durations are measured by `npm run bench` (bench/check-durations.ts), not asserted here.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadLab, loadLabs, startLab, checkLab, runSolve, runWrong, wrongExpectation, type LoadedLab, type CheckResult } from '../../checks/engine.ts';
import type { LabContext } from '../../checks/context.ts';
import type { SandboxProvider } from '../../runner/src/docker/provider.ts';
import { LABS_DIR, REPO_ROOT, contextFor, createTestProvider, failing, labFilters, messageProblem, newSandboxId, selectLabs, summarize } from './harness.ts';

const filters = labFilters();
// LAB=a,b loads only those folders, so one lab can be tested while another is half-written.
const course = filters.labs
  ? await Promise.all(filters.labs.filter((id) => id !== 'hello').map((id) => loadLab(join(LABS_DIR, id))))
  : selectLabs(await loadLabs(LABS_DIR), null);
// The README's example lab (checks/example-lab/hello, not in the course) is proven like the others.
const example = !filters.labs || filters.labs.includes('hello') ? [await loadLab(join(REPO_ROOT, 'checks', 'example-lab', 'hello'))] : [];
const labs = [...course, ...example];

function assertSpecificFailures(r: CheckResult, scenario: string) {
  assert.equal(r.passed, false, `${scenario}: the check should fail\n${summarize(r)}`);
  for (const c of r.criteria.filter((c) => !c.passed)) {
    const problem = messageProblem(c);
    assert.equal(problem, null, `${scenario}: criterion "${c.id}": ${problem}\n${summarize(r)}`);
  }
}

async function check(lab: LoadedLab, ctx: LabContext, scenario: string): Promise<CheckResult> {
  const r = await checkLab(lab, ctx);
  if (process.env.LAB_VERBOSE) console.log(`--- ${lab.id} / ${scenario}: ${summarize(r)}`);
  return r;
}

describe('labs', { timeout: 60 * 60_000 }, () => {
  it('every lab folder is complete: page.mdx, wrong solutions, each with a valid header', async () => {
    assert.ok(labs.length > 0, 'no labs found');
    for (const lab of labs) {
      if (example.includes(lab)) continue;
      assert.ok(existsSync(join(lab.dir, 'page.mdx')), `${lab.id}: page.mdx is missing`);
      assert.ok(readFileSync(join(lab.dir, 'page.mdx'), 'utf8').trim().length > 200, `${lab.id}: page.mdx is too short`);
    }
    for (const lab of labs) {
      const files = existsSync(join(lab.dir, 'wrong')) ? readdirSync(join(lab.dir, 'wrong')) : [];
      assert.ok(lab.wrongSolutions.length > 0, `${lab.id}: no wrong/*.sh (every lab proves it rejects at least one wrong solution)`);
      assert.deepEqual(files.filter((f) => !f.endsWith('.sh')), [], `${lab.id}: wrong/ holds files that are not run (only *.sh are)`);
      for (const name of lab.wrongSolutions) await wrongExpectation(lab, name); // throws on a bad header
    }
  });

  for (const lab of labs) {
    describe(lab.id, { timeout: 30 * 60_000 }, () => {
      let provider: SandboxProvider;
      let ctx: LabContext;
      let fresh: CheckResult | null = null;
      before(async () => {
        provider = await createTestProvider(`labs-${lab.id}`);
        await provider.init();
        const id = newSandboxId();
        await provider.create(id);
        ctx = contextFor(provider, id, lab);
      });
      after(async () => {
        await provider?.shutdown();
      });

      it('fresh start: check fails with specific messages', async () => {
        await startLab(lab, ctx);
        const r = await check(lab, ctx, 'fresh');
        assertSpecificFailures(r, 'fresh start');
        fresh = r;
      });

      it('solve.sh: every criterion passes, optional ones too', async () => {
        await startLab(lab, ctx);
        await runSolve(lab, ctx);
        const r = await check(lab, ctx, 'solved');
        assert.equal(r.passed, true, `after solve.sh the check should pass\n${summarize(r)}`);
        assert.deepEqual(failing(r), [], `after solve.sh no criterion may fail, optional or not\n${summarize(r)}`);
        for (const c of r.criteria) assert.ok(c.message.trim().length > 0, `${c.id}: empty message on success`);
      });

      it('starting again resets the lab to the fresh start', async () => {
        assert.ok(fresh, 'the fresh-start test did not record its result');
        await startLab(lab, ctx);
        const r = await check(lab, ctx, 'after reset');
        assertSpecificFailures(r, 'after solve + start');
        assert.deepEqual(failing(r), failing(fresh), `after a restart the same criteria must fail as on the fresh start\n${summarize(r)}`);
      });

      const wrong = filters.skipWrong ? [] : lab.wrongSolutions;
      for (const name of wrong) {
        it(`wrong/${name}.sh: exactly the criteria of its header fail, for the stated reason`, async () => {
          const expected = await wrongExpectation(lab, name);
          await startLab(lab, ctx);
          const run = await runWrong(lab, ctx, name);
          assert.equal(run.exitCode, 0, `wrong/${name}.sh must run to the end (exit 0) to prove its mistake, got ${run.exitCode}:\n${run.stderr.slice(-1500)}`);
          const r = await check(lab, ctx, `wrong/${name}`);
          assertSpecificFailures(r, `wrong/${name}.sh`);
          assert.deepEqual(failing(r), [...expected.fail].sort(), `wrong/${name}.sh: failing criteria differ from "# expect-fail"\n${summarize(r)}`);
          const unchanged = fresh && r.criteria.every((c, i) => c.passed === fresh!.criteria[i].passed && c.message === fresh!.criteria[i].message);
          assert.ok(!unchanged, `wrong/${name}.sh changed nothing the check sees (same result as a fresh start): it must make its mistake, not nothing`);
          for (const { criterion, pattern } of expected.messages) {
            const c = r.criteria.find((x) => x.id === criterion)!;
            assert.match(c.message, pattern, `wrong/${name}.sh: "${criterion}" failed for another reason than "# expect-message"`);
          }
        });
      }
    });
  }
});

/**
 * Every lab in labs/, in a real sandbox (runner/src/docker):
 *   fresh start → check fails, each failing criterion says something specific;
 *   start → solve.sh → every criterion passes (optional ones too);
 *   start again → the same criteria fail as on the fresh start (starting resets the lab), and
 *   no terminal left in one of the lab's folders finds itself in a deleted folder;
 *   start → each alt/*.sh (another right answer a learner would type) → every criterion passes;
 *   each wrong/*.sh after a reset (the previous scenario's leftovers in place) → the script
 *   exits 0, exactly the criteria of its `# expect-fail:` header fail, and each
 *   `# expect-message:` pattern matches;
 *   then for each wrong/*.sh: reset → the same script → the same criteria fail; reset →
 *   solve.sh → every criterion passes (a reset undoes whatever attempts came before it).
 * One sandbox per lab, shared by its scenarios in this order (the steps are sequences.ts).
 *
 *   LAB=tagging node_modules/.bin/node --test tests/labs/labs.test.ts   one lab (or LAB=a,b)
 *   LAB_SKIP_WRONG=1 ...                                                 only fresh/solve/reset/alt
 *   LAB_VERBOSE=1 ...                                                    print every check result
 * LAB and LAB_SKIP_WRONG are refused under CI=true and printed when active.
 * Check durations are measured by `npm run bench` (bench/check-durations.ts), not asserted here.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadLab, loadLabs, startLab, wrongExpectation, type CheckResult } from '../../checks/engine.ts';
import type { LabContext } from '../../checks/context.ts';
import type { SandboxProvider } from '../../runner/src/sandbox/provider.ts';
import { LABS_DIR, REPO_ROOT, contextFor, createTestProvider, failing, labFilters, newSandboxId, selectLabs, summarize } from './harness.ts';
import { altAfterReset, assertSpecificFailures, check, parkShells, solveAfterReset, stranded, wrongAfterReset, wrongAgainThenSolve } from './sequences.ts';

const filters = labFilters();
// LAB=a,b loads only those folders, so one lab can be tested while another is half-written.
const course = filters.labs
  ? await Promise.all(filters.labs.filter((id) => id !== 'hello').map((id) => loadLab(join(LABS_DIR, id))))
  : selectLabs(await loadLabs(LABS_DIR), null);
// The README's example lab (checks/example-lab/hello, not in the course) is proven like the others.
const example = !filters.labs || filters.labs.includes('hello') ? [await loadLab(join(REPO_ROOT, 'checks', 'example-lab', 'hello'))] : [];
const labs = [...course, ...example];

describe('labs', { timeout: 60 * 60_000 }, () => {
  it('every lab folder is complete: page.mdx, wrong solutions with valid headers, other right ones, only scripts in wrong/ and alt/', async () => {
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
      const alt = existsSync(join(lab.dir, 'alt')) ? readdirSync(join(lab.dir, 'alt')) : [];
      assert.deepEqual(alt.filter((f) => !f.endsWith('.sh')), [], `${lab.id}: alt/ holds files that are not run (only *.sh are)`);
    }
    for (const lab of course) {
      assert.ok(lab.altSolutions.length > 0, `${lab.id}: no alt/*.sh (another right answer a learner would type: another tool, flag order or path; beside solve.sh)`);
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
        await solveAfterReset(lab, ctx);
      });

      it('starting again resets the lab to the fresh start, under the feet of a terminal left in its folders', async () => {
        assert.ok(fresh, 'the fresh-start test did not record its result');
        const parked = await parkShells(ctx);
        await startLab(lab, ctx);
        assert.deepEqual(await stranded(ctx, parked), [], 'the reset deleted folders a terminal was in: empty them in place instead (clear_learner_dir)');
        const r = await check(lab, ctx, 'after reset');
        assertSpecificFailures(r, 'after solve + start');
        assert.deepEqual(failing(r), failing(fresh), `after a restart the same criteria must fail as on the fresh start\n${summarize(r)}`);
      });

      for (const name of lab.altSolutions) {
        it(`alt/${name}.sh: this other right answer passes every criterion`, async () => {
          await altAfterReset(lab, ctx, name);
        });
      }

      const wrong = filters.skipWrong ? [] : lab.wrongSolutions;
      const firstRun = new Map<string, CheckResult>();
      for (const name of wrong) {
        it(`wrong/${name}.sh: exactly the criteria of its header fail, for the stated reason`, async () => {
          const r = await wrongAfterReset(lab, ctx, name);
          const unchanged = fresh && r.criteria.every((c, i) => c.passed === fresh!.criteria[i].passed && c.message === fresh!.criteria[i].message);
          assert.ok(!unchanged, `wrong/${name}.sh changed nothing the check sees (same result as a fresh start): it must make its mistake, not nothing`);
          firstRun.set(name, r);
        });
      }
      for (const name of wrong) {
        it(`wrong/${name}.sh → reset → wrong/${name}.sh fails the same; → reset → solve.sh passes`, async () => {
          const first = firstRun.get(name);
          assert.ok(first, `the first run of wrong/${name}.sh did not pass its own test`);
          await wrongAgainThenSolve(lab, ctx, name, first);
        });
      }
    });
  }
});

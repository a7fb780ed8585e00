/**
 * Every lab in labs/, in a real sandbox (runner/src/docker):
 *   fresh start → check fails, each failing criterion says something specific;
 *   start → solve.sh → check passes;
 *   start again → check fails again (starting resets the lab);
 *   each wrong/*.sh after a fresh start → check fails (and the criteria named in its
 *   `# expect-fail: a, b` header fail).
 * One sandbox per lab, shared by its scenarios (the reset makes them independent).
 *
 *   LAB=tagging node_modules/.bin/node --test tests/labs/          one lab (or LAB=a,b)
 *   LAB_SKIP_WRONG=1 ...                                           only fresh/solve/reset
 *   LAB_VERBOSE=1 ...                                              print every check result
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadLab, loadLabs, startLab, checkLab, runSolve, runWrong, listWrongSolutions, expectedFailures, type LoadedLab, type CheckResult } from '../../checks/engine.ts';
import type { LabContext } from '../../checks/context.ts';
import type { SandboxProvider } from '../../runner/src/docker/provider.ts';
import { LABS_DIR, contextFor, createTestProvider, messageProblem, newSandboxId, selectLabs, summarize } from './harness.ts';

// LAB=a,b loads only those folders, so one lab can be tested while another is half-written.
const labs = process.env.LAB?.trim()
  ? await Promise.all(process.env.LAB.split(',').map((s) => s.trim()).filter(Boolean).map((id) => loadLab(join(LABS_DIR, id))))
  : selectLabs(await loadLabs(LABS_DIR));
const timings: Array<{ lab: string; scenario: string; ms: number }> = [];

function assertFailsSpecifically(r: CheckResult, scenario: string, expectFail: string[] = []) {
  assert.equal(r.passed, false, `${scenario}: the check should fail\n${summarize(r)}`);
  for (const c of r.criteria.filter((c) => !c.passed)) {
    const problem = messageProblem(c);
    assert.equal(problem, null, `${scenario}: criterion "${c.id}": ${problem}\n${summarize(r)}`);
  }
  for (const id of expectFail) {
    const c = r.criteria.find((x) => x.id === id);
    assert.ok(c, `${scenario}: expect-fail names unknown criterion "${id}"`);
    assert.equal(c.passed, false, `${scenario}: criterion "${id}" should fail\n${summarize(r)}`);
  }
}

async function timedCheck(lab: LoadedLab, ctx: LabContext, scenario: string): Promise<CheckResult> {
  const r = await checkLab(lab, ctx);
  timings.push({ lab: lab.id, scenario, ms: r.durationMs });
  if (process.env.LAB_VERBOSE) console.log(`--- ${lab.id} / ${scenario}: ${summarize(r)}`);
  assert.ok(r.durationMs <= lab.definition.checkTimeoutMs, `${scenario}: check took ${r.durationMs} ms (limit ${lab.definition.checkTimeoutMs})`);
  return r;
}

describe('labs', { timeout: 60 * 60_000 }, () => {
  after(() => {
    if (timings.length) {
      console.log('check durations (ms):\n' + timings.map((t) => `  ${t.lab.padEnd(16)} ${t.scenario.padEnd(28)} ${t.ms}`).join('\n'));
    }
  });

  it('loads every lab folder (lab.json valid, lab.ts, solve.sh, page.mdx, hints)', () => {
    assert.ok(labs.length > 0, 'no labs found');
    for (const lab of labs) {
      assert.ok(existsSync(join(lab.dir, 'page.mdx')), `${lab.id}: page.mdx is missing`);
      assert.ok(readFileSync(join(lab.dir, 'page.mdx'), 'utf8').trim().length > 200, `${lab.id}: page.mdx is too short`);
    }
  });

  for (const lab of labs) {
    describe(lab.id, { timeout: 30 * 60_000 }, () => {
      let provider: SandboxProvider;
      let ctx: LabContext;
      let solved = false;
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
        const r = await timedCheck(lab, ctx, 'fresh');
        assertFailsSpecifically(r, 'fresh start');
      });

      it('solve.sh: check passes', async () => {
        await startLab(lab, ctx);
        await runSolve(lab, ctx);
        const r = await timedCheck(lab, ctx, 'solved');
        assert.equal(r.passed, true, `after solve.sh the check should pass\n${summarize(r)}`);
        for (const c of r.criteria) assert.ok(c.message.trim().length > 0, `${c.id}: empty message on success`);
        solved = true;
      });

      it('starting again resets the lab', async (t) => {
        if (!solved) return t.skip('solve.sh did not pass');
        await startLab(lab, ctx);
        const r = await timedCheck(lab, ctx, 'after reset');
        assertFailsSpecifically(r, 'after solve + start');
      });

      const wrong = process.env.LAB_SKIP_WRONG ? [] : lab.wrongSolutions;
      for (const name of wrong) {
        it(`wrong/${name}.sh: check fails`, async () => {
          const expectFail = await expectedFailures(lab, name);
          await startLab(lab, ctx);
          const run = await runWrong(lab, ctx, name);
          const r = await timedCheck(lab, ctx, `wrong/${name}`);
          assertFailsSpecifically(r, `wrong/${name}.sh (exit ${run.exitCode})`, expectFail);
        });
      }

      it('lists its wrong solutions', async () => {
        assert.deepEqual(await listWrongSolutions(lab), lab.wrongSolutions);
      });
    });
  }
});

/**
 * The 3-way lab tests (as tests/labs/labs.test.ts runs them on Docker) on the Kubernetes
 * backend, for push-private (extra registry with htpasswd), tagging and multistage (its `runs`
 * probe starts the learner's image in a probe Pod); plus the warm-pool claim race: two claims of
 * one Pod with the same resourceVersion, exactly one wins.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { checkLab, loadLab, runSolve, runWrong, startLab, wrongExpectation, type CheckResult, type LoadedLab } from '../../checks/engine.ts';
import type { LabContext } from '../../checks/context.ts';
import type { SandboxProvider } from '../../runner/src/docker/provider.ts';
import { contextFor, failing, LABS_DIR, messageProblem, newSandboxId, summarize } from '../labs/harness.ts';
import { createTestNamespace, kubeProvider, type TestNamespace } from './fixture.ts';

const LABS = ['push-private', 'tagging', 'multistage'];

function assertSpecificFailures(r: CheckResult, scenario: string) {
  assert.equal(r.passed, false, `${scenario}: the check should fail\n${summarize(r)}`);
  for (const c of r.criteria.filter((c) => !c.passed)) assert.equal(messageProblem(c), null, `${scenario}: ${c.id}\n${summarize(r)}`);
}

describe('labs on Kubernetes', { timeout: 85 * 60_000 }, () => {
  let ns: TestNamespace;
  let provider: SandboxProvider;
  before(async () => {
    ns = await createTestNamespace('labs');
    // Five Go builds of multistage in a 1-CPU Pod take most of an hour on a loaded CI host; the
    // node's two cores halve that. Grading does not depend on the CPU limit.
    provider = await kubeProvider(ns, undefined, { WORKSTATION_CPUS: '2' });
    await provider.init();
  });
  after(async () => {
    await provider?.shutdown().catch(() => undefined);
    if (ns) assert.deepEqual(await ns.leftovers(), [], 'shutdown left objects in the namespace');
    await ns?.remove();
  });

  it('a pooled Pod is claimed once: a second claim with the same resourceVersion loses', async () => {
    const id = newSandboxId();
    await provider.create(id, { pool: true });
    const other = await kubeProvider(ns, 'unused');
    const results = await Promise.all([provider.claim!(id), other.claim!(id), provider.claim!(id)]);
    assert.deepEqual(results.filter(Boolean).length, 1, `claims: ${results}`);
    assert.equal(await provider.claim!(id), false, 'a claimed Pod is not in the pool any more');
    await provider.destroy(id);
  });

  for (const labId of LABS) {
    describe(labId, { timeout: 70 * 60_000 }, () => {
      let lab: LoadedLab;
      let ctx: LabContext;
      let fresh: CheckResult | null = null;
      before(async () => {
        lab = await loadLab(join(LABS_DIR, labId));
        const id = newSandboxId();
        await provider.create(id);
        ctx = contextFor(provider, id, lab);
      });

      it('fresh start: check fails with specific messages', async () => {
        await startLab(lab, ctx);
        fresh = await checkLab(lab, ctx);
        assertSpecificFailures(fresh, 'fresh start');
      });

      it('solve.sh: every criterion passes', async () => {
        await startLab(lab, ctx);
        await runSolve(lab, ctx);
        const r = await checkLab(lab, ctx);
        assert.deepEqual(failing(r), [], `after solve.sh\n${summarize(r)}`);
      });

      it('each wrong/*.sh: exactly the criteria of its header fail', async () => {
        for (const name of lab.wrongSolutions) {
          const expected = await wrongExpectation(lab, name);
          await startLab(lab, ctx);
          const run = await runWrong(lab, ctx, name);
          assert.equal(run.exitCode, 0, `wrong/${name}.sh exit ${run.exitCode}:\n${run.stderr.slice(-1500)}`);
          const r = await checkLab(lab, ctx);
          assertSpecificFailures(r, `wrong/${name}.sh`);
          assert.deepEqual(failing(r), [...expected.fail].sort(), `wrong/${name}.sh\n${summarize(r)}`);
          for (const { criterion, pattern } of expected.messages) assert.match(r.criteria.find((x) => x.id === criterion)!.message, pattern);
        }
        assert.ok(fresh);
      });
    });
  }
});

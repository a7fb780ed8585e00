/**
 * The lab tests (as tests/labs/labs.test.ts runs them on Docker, same steps: ../labs/sequences.ts)
 * on the Kubernetes backend, for push-private (extra registry with htpasswd), tagging and
 * multistage (its `runs` probe starts the learner's image in a probe Pod): fresh, solve, alt/*.sh,
 * each wrong/*.sh, then each again after a reset and solve.sh after another; plus the warm-pool
 * claim race: two claims of one Pod with the same resourceVersion, exactly one wins.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { checkLab, loadLab, startLab, type CheckResult, type LoadedLab } from '../../checks/engine.ts';
import type { LabContext } from '../../checks/context.ts';
import type { SandboxProvider } from '../../runner/src/sandbox/provider.ts';
import { contextFor, LABS_DIR, newSandboxId } from '../labs/harness.ts';
import { altAfterReset, assertSpecificFailures, solveAfterReset, wrongAfterReset, wrongAgainThenSolve } from '../labs/sequences.ts';
import { createTestNamespace, kubeProvider, type TestNamespace } from './fixture.ts';

const LABS = ['push-private', 'tagging', 'multistage'];

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
        await solveAfterReset(lab, ctx);
      });

      it('each alt/*.sh: every criterion passes', async () => {
        for (const name of lab.altSolutions) await altAfterReset(lab, ctx, name);
      });

      // Each wrong script once, then each again after a reset and solve.sh after another: the
      // Go builds of multistage's repeats hit the inner engine's build cache, so they add little.
      it('each wrong/*.sh: exactly the criteria of its header fail; again after a reset the same; solve.sh after another reset passes', async () => {
        const first = new Map<string, CheckResult>();
        for (const name of lab.wrongSolutions) first.set(name, await wrongAfterReset(lab, ctx, name));
        for (const name of lab.wrongSolutions) await wrongAgainThenSolve(lab, ctx, name, first.get(name)!);
        assert.ok(fresh);
      });
    });
  }
});

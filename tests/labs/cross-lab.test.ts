import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkLab, loadLabs, runSolve, startLab, type LoadedLab } from '../../checks/engine.ts';
import type { SandboxProvider } from '../../runner/src/sandbox/provider.ts';
import { contextFor, createTestProvider, LABS_DIR, newSandboxId } from './harness.ts';

/** Labs share one registry per learner: doing one must never undo another that was passed. */
describe('labs that share shop/api in one sandbox', { timeout: 600_000 }, () => {
  let provider: SandboxProvider;
  let labs: LoadedLab[];
  const id = newSandboxId();
  const lab = (name: string) => labs.find((l) => l.id === name)!;

  before(async () => {
    provider = await createTestProvider('cross');
    await provider.init();
    await provider.create(id);
    labs = await loadLabs(LABS_DIR);
  });
  after(async () => provider?.shutdown());

  it('tagging stays passed after the signing lab is started and solved', async () => {
    const tagging = contextFor(provider, id, lab('tagging'));
    await startLab(lab('tagging'), tagging);
    assert.equal((await runSolve(lab('tagging'), tagging)).exitCode, 0);
    assert.equal((await checkLab(lab('tagging'), tagging)).passed, true);

    const signing = contextFor(provider, id, lab('signing'));
    await startLab(lab('signing'), signing);
    const solved = await runSolve(lab('signing'), signing);
    assert.equal(solved.exitCode, 0, solved.stderr);
    assert.equal((await checkLab(lab('signing'), signing)).passed, true);

    const again = await checkLab(lab('tagging'), tagging);
    assert.equal(again.passed, true, JSON.stringify(again.criteria.filter((c) => !c.passed)));
  });
});

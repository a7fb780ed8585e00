/**
 * The grading engine, one import for the runner and the tests:
 *   load.ts       loadLabs / loadLab (lab.json schema + lab.ts declaration, keys checked)
 *   start.ts      startLab (files/ → state cleared → reset → setup.sh → record)
 *   run-check.ts  checkLab (prepare, then each criterion isolated and timed)
 *   solutions.ts  runSolve / runAlt / runWrong / wrongExpectation (tests)
 */
import type { LabState } from './context.ts';

export { loadLab, loadLabs, listWrongSolutions, LabLoadError, type LoadedLab } from './load.ts';
export { startLab, SANDBOX_ROOT, SANDBOX_LIB_DIR } from './start.ts';
export { checkLab, type CheckResult, type CriterionResult } from './run-check.ts';
export { runSolve, runAlt, runWrong, wrongExpectation } from './solutions.ts';
export type { WrongExpectation } from './wrong-header.ts';

export function createLabState(): LabState {
  const m = new Map<string, unknown>();
  return {
    get<T = unknown>(key: string): T | undefined {
      return m.get(key) as T | undefined;
    },
    set(key: string, value: unknown) {
      m.set(key, value);
    },
    clear() {
      m.clear();
    },
  };
}

/**
 * What a lab's code sees: the sandbox (SandboxOps, declared here in
 * checks/sandbox.ts and implemented by the runner's backends), the per-session memory of what the start recorded, and the
 * outcome a criterion returns. The lab declaration itself is define-lab.ts.
 */
import type { SandboxOps } from './sandbox.ts';
import type { Text } from './messages.ts';

export type { ExecOptions, ExecResult, FileToCopy, HttpProbeResult, SandboxOps } from './sandbox.ts';

/** Per-session, per-lab memory of what setup made (digests, passwords) for the check to compare against. */
export interface LabState {
  get<T = unknown>(key: string): T | undefined;
  set(key: string, value: unknown): void;
  clear(): void;
}

export interface LabContext {
  sandbox: SandboxOps;
  state: LabState;
  /** Absolute path of the lab's folder on the runner's machine (labs/<id>). */
  labDir: string;
}

export interface CriterionOutcome {
  passed: boolean;
  /**
   * For the learner: what was found, what was expected, what to do next. A catalogue key with
   * parameters (pass()/fail() of lab-helpers.ts; text in labs/<id>/messages.{ru,en}.json).
   */
  message: Text;
}

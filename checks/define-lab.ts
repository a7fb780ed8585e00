/**
 * `labs/<id>/lab.ts` is one declaration:
 *
 *   export default defineLab({
 *     reset(ctx)    { ... },   // undo what the learner did outside their home (registry tags…)
 *     record(ctx)   { ... },   // after setup.sh: remember what the check compares against
 *     prepare(ctx)  { ... },   // once per check: what several criteria read (lazy with once())
 *     criteria: { 'pushed': (ctx, p) => outcome, 'same-image': (ctx, p) => outcome },
 *   });
 *
 * The engine owns the order (files/ → state cleared → reset → setup.sh → record) and runs
 * each criterion isolated and timed (checks/run-check.ts). The keys of `criteria` must be
 * exactly lab.json's criterion ids; loadLab refuses a lab where they differ.
 */
import type { CriterionOutcome, LabContext } from './context.ts';

export type Criterion<P> = (ctx: LabContext, prepared: P) => Promise<CriterionOutcome> | CriterionOutcome;

export interface LabSpec<P = void> {
  /**
   * Puts back what a previous attempt changed outside the files the engine copies and
   * setup.sh rebuilds: this lab's tags in the shared registry, an extra registry. Runs after
   * files/ are copied and the state is cleared, before setup.sh. May set state.
   */
  reset?(ctx: LabContext): Promise<void>;
  /** After setup.sh: records in ctx.state what the criteria compare against (image ids, digests). */
  record?(ctx: LabContext): Promise<void>;
  /**
   * Once per check, before the criteria: the reads several criteria share. If it throws,
   * every criterion fails with the "the check itself broke" message.
   */
  prepare?(ctx: LabContext): Promise<P> | P;
  /** One function per criterion id of lab.json. */
  criteria: Record<string, Criterion<P>>;
}

/** A lab as loaded: the spec with its type parameter erased (the engine never looks inside P). */
export type AnyLabSpec = LabSpec<any>;

export function defineLab<P = void>(spec: LabSpec<P>): LabSpec<P> {
  return spec;
}

/**
 * What is wrong with a lab.ts default export for a lab.json with these criterion ids
 * (null when nothing): not a declaration, a hook that is not a function, or criteria keys
 * that differ from lab.json's ids (a typo on either side).
 */
export function specProblem(spec: unknown, criterionIds: readonly string[]): string | null {
  if (!spec || typeof spec !== 'object') return 'lab.ts must default-export defineLab({ criteria: { ... } })';
  const s = spec as Record<string, unknown>;
  for (const hook of ['reset', 'record', 'prepare'] as const) {
    if (s[hook] !== undefined && typeof s[hook] !== 'function') return `lab.ts: "${hook}" must be a function`;
  }
  const criteria = s.criteria as Record<string, unknown> | undefined;
  if (!criteria || typeof criteria !== 'object') return 'lab.ts: defineLab needs "criteria", one function per criterion id of lab.json';
  const keys = Object.keys(criteria);
  const missing = criterionIds.filter((id) => !keys.includes(id));
  const extra = keys.filter((k) => !criterionIds.includes(k));
  const problems: string[] = [];
  if (missing.length) problems.push(`no function for criterion ${missing.map((m) => `"${m}"`).join(', ')} of lab.json`);
  if (extra.length) problems.push(`criteria ${extra.map((m) => `"${m}"`).join(', ')} are not in lab.json`);
  for (const k of keys) if (typeof criteria[k] !== 'function') problems.push(`criterion "${k}" must be a function`);
  return problems.length ? `lab.ts: ${problems.join('; ')}` : null;
}

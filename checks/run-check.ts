/**
 * Grading: spec.prepare once, then every criterion on its own (in parallel), each timed and
 * isolated, all bounded by lab.json's checkTimeoutMs. A criterion that throws fails alone
 * with a message saying the check itself broke; one still running at the deadline fails with
 * the timeout message while the finished ones keep their results.
 */
import type { CriterionOutcome, LabContext } from './context.ts';
import type { LoadedLab } from './load.ts';
import { checkerProblemMessage } from './lab-helpers.ts';

export interface CriterionResult {
  id: string;
  title: string;
  passed: boolean;
  message: string;
  required: boolean;
  /** How long this criterion took (ms), prepare not included. */
  durationMs: number;
}

export interface CheckResult {
  passed: boolean;
  criteria: CriterionResult[];
  durationMs: number;
}

class CheckTimeout extends Error {}

function timeoutMessage(ms: number): string {
  const s = String(Math.round(ms / 100) / 10).replace('.', ',');
  return `Проверка не уложилась в ${s} с, поэтому этот пункт не проверен. Подождите, пока завершатся запущенные команды (например, docker push), и проверьте ещё раз.`;
}

function badOutcome(title: string): string {
  return `Проверяющий код не вернул результат по пункту «${title}» — это ошибка лабы, а не ваша. Попробуйте проверить ещё раз; если повторяется — сообщите преподавателю.`;
}

function toMessage(o: CriterionOutcome, title: string): string {
  if (typeof o.message === 'string' && o.message.trim()) return o.message;
  return o.passed ? 'Выполнено.' : `Пункт «${title}» пока не выполнен.`;
}

export async function checkLab(lab: LoadedLab, ctx: LabContext): Promise<CheckResult> {
  const t0 = performance.now();
  const limit = lab.definition.checkTimeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckTimeout()), limit);
  });
  deadline.catch(() => undefined);
  const bounded = <T>(fn: () => Promise<T> | T): Promise<T> => Promise.race([Promise.resolve().then(fn), deadline]);
  const problemOf = (err: unknown) => (err instanceof CheckTimeout ? timeoutMessage(limit) : checkerProblemMessage(err));

  let prepared: unknown;
  let prepareProblem: string | undefined;
  try {
    prepared = await bounded(() => lab.spec.prepare?.(ctx));
  } catch (err) {
    prepareProblem = problemOf(err);
  }

  try {
    const criteria = await Promise.all(
      lab.definition.criteria.map(async (c): Promise<CriterionResult> => {
        const base = { id: c.id, title: c.title, required: c.required };
        const c0 = performance.now();
        const done = (passed: boolean, message: string) => ({ ...base, passed, message, durationMs: Math.round(performance.now() - c0) });
        if (prepareProblem) return done(false, prepareProblem);
        try {
          const o = await bounded(() => lab.spec.criteria[c.id](ctx, prepared));
          if (!o || typeof o !== 'object' || typeof o.passed !== 'boolean') return done(false, badOutcome(c.title));
          return done(o.passed, toMessage(o, c.title));
        } catch (err) {
          return done(false, problemOf(err));
        }
      }),
    );
    return { passed: criteria.every((c) => c.passed || !c.required), criteria, durationMs: Math.round(performance.now() - t0) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Grading: spec.prepare once, then every criterion on its own (in parallel), each timed and
 * isolated, all bounded by lab.json's checkTimeoutMs. A criterion that throws fails alone
 * with a message saying the check itself broke; one still running at the deadline fails with
 * the timeout message while the finished ones keep their results.
 */
import type { CriterionOutcome, LabContext } from './context.ts';
import type { LoadedLab } from './load.ts';
import { checkerProblemMessage } from './lab-helpers.ts';
import { ENGINE_MESSAGES, LANGS, msg, renderAll, type Lang, type Message, type Text } from './messages.ts';

export interface CriterionResult {
  id: string;
  title: string;
  passed: boolean;
  /** The message in Russian (the default language; what the lab tests' expect-message match). */
  message: string;
  /** The same message in every language, rendered from the catalogues when the check ran. */
  messages: Record<Lang, string>;
  /** The criterion's title in every language (lab.json; lab.en.json for English). */
  titles: Record<Lang, string>;
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

function timeoutMessage(ms: number): Message {
  return msg('check.timeout', { seconds: Math.round(ms / 100) / 10 });
}

function toMessage(o: CriterionOutcome, title: Message): Text {
  if (o.message && typeof o.message === 'object') return o.message;
  if (typeof o.message === 'string' && o.message.trim()) return o.message;
  return o.passed ? msg('check.done') : msg('check.not-done', { title });
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
  let prepareProblem: Text | undefined;
  try {
    prepared = await bounded(() => lab.spec.prepare?.(ctx));
  } catch (err) {
    prepareProblem = problemOf(err);
  }

  try {
    const criteria = await Promise.all(
      lab.definition.criteria.map(async (c): Promise<CriterionResult> => {
        const titles = criterionTitles(lab, c.id, c.title);
        const base = { id: c.id, title: c.title, titles, required: c.required };
        const title = msg('check.title', { ru: titles.ru, en: titles.en });
        const c0 = performance.now();
        const done = (passed: boolean, text: Text) => {
          const messages = renderMessages(lab, text);
          return { ...base, passed, message: messages.ru, messages, durationMs: Math.round(performance.now() - c0) };
        };
        if (prepareProblem) return done(false, prepareProblem);
        try {
          const o = await bounded(() => lab.spec.criteria[c.id](ctx, prepared));
          if (!o || typeof o !== 'object' || typeof o.passed !== 'boolean') return done(false, msg('check.no-result', { title }));
          return done(o.passed, toMessage(o, title));
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

/** A criterion's title per language: lab.json, and lab.en.json's `criteria` for English when it has one. */
function criterionTitles(lab: LoadedLab, id: string, ru: string): Record<Lang, string> {
  return { ru, en: lab.english?.criteria?.[id] ?? ru };
}

/**
 * Every language of a message, from the lab's catalogue then the engine's. A message the
 * catalogues cannot render (unknown key, missing parameter: a bug of the lab) becomes the
 * "the check itself broke" message, so the learner is never left without one.
 */
function renderMessages(lab: LoadedLab, text: Text): Record<Lang, string> {
  const catalogues = [lab.messages ?? { ru: {}, en: {} }, ENGINE_MESSAGES, TITLE_MESSAGES];
  try {
    return renderAll(text, catalogues);
  } catch (err) {
    return renderAll(checkerProblemMessage(err), catalogues);
  }
}

/** `check.title`: the criterion's title in the language being rendered (both are parameters). */
const TITLE_MESSAGES = Object.fromEntries(LANGS.map((l) => [l, { 'check.title': `{${l}}` }])) as unknown as Record<Lang, Record<string, string>>;

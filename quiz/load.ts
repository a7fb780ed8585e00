/**
 * Quizzes in every language of the site. The Russian file, src/data/quizzes/<section>.yaml, holds
 * the structure and the Russian text: ids, type, kind, which options are right, `see`, the accepted
 * answers. A language other than Russian adds a text overlay, src/data/quizzes/<lang>/<section>.yaml,
 * keyed by question id and holding only what a learner reads:
 *
 *   section: docker-hub
 *   questions:
 *     hub-role:
 *       prompt: What role does Docker Hub play …?
 *       options:            # choice questions: one text per option, same count and order as the Russian file
 *         - …
 *       answers: [ … ]      # text/command questions, optional: accepted besides the Russian answers
 *       explanation: …
 *
 * mergeQuiz() lays the overlay over the Russian structure; the result goes through the same schema
 * (quiz/schema.ts). An id missing from the overlay, an id the Russian file does not have, a
 * different option count, options on an open question or answers on a choice question are errors:
 * the content collection (content.config.ts) and the tells check (quiz/tells.ts) both read the
 * quizzes through readQuizzes() below, so the build fails on them.
 *
 * Accepted answers of text/command questions are the union of every language's answers, in every
 * language: progress (and the runner's grading) does not depend on which edition the answer was
 * typed in.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';

/** Languages with a quiz overlay folder; Russian is the root locale and has the structure. */
export const QUIZ_OVERLAY_LANGS = ['en'] as const;
export type QuizLang = 'ru' | (typeof QUIZ_OVERLAY_LANGS)[number];

const text = z.string().min(3);
export const overlayQuestionSchema = z
  .object({
    prompt: text,
    explanation: text,
    options: z.array(z.string().min(1)).optional(),
    answers: z.array(z.string().min(1)).optional(),
  })
  .strict();
export const overlayFileSchema = z
  .object({
    section: z.string().min(1),
    questions: z.record(z.string(), overlayQuestionSchema),
  })
  .strict();
export type QuizOverlay = z.infer<typeof overlayFileSchema>;

/** The Russian file as parsed YAML (validated later, with the merged result). */
type RawQuestion = { id?: unknown; type?: unknown; prompt?: unknown; explanation?: unknown; options?: unknown; answers?: unknown; [k: string]: unknown };
type RawQuiz = { section?: unknown; questions?: unknown };

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const union = (...lists: string[][]) => [...new Set(lists.flat())];

export interface Merged {
  /** The quiz in the overlay's language, shaped like a Russian quiz file (for quizFileSchema). */
  quiz: { section: unknown; questions: RawQuestion[] };
  /** What is wrong with the overlay, each naming the file and the question id; empty when fine. */
  problems: string[];
}

/**
 * The overlay's texts over the Russian structure. `where` names the overlay file in messages.
 * Accepted answers: the Russian ones, then the overlay's.
 */
export function mergeQuiz(ru: RawQuiz, overlay: unknown, where: string): Merged {
  const problems: string[] = [];
  const ruQuestions = Array.isArray(ru.questions) ? (ru.questions as RawQuestion[]) : [];
  const parsed = overlayFileSchema.safeParse(overlay);
  if (!parsed.success) {
    for (const i of parsed.error.issues) problems.push(`${where}: ${i.path.join('.') || '(file)'}: ${i.message}`);
    return { quiz: { section: ru.section, questions: ruQuestions }, problems };
  }
  const o = parsed.data;
  if (o.section !== ru.section) problems.push(`${where}: section is "${o.section}", the Russian file's is "${String(ru.section)}"`);
  const ids = new Set(ruQuestions.map((q) => q.id));
  for (const id of Object.keys(o.questions)) if (!ids.has(id)) problems.push(`${where}: question "${id}" is not in the Russian file (extra id)`);
  const questions = ruQuestions.map((q) => {
    const t = o.questions[String(q.id)];
    if (!t) {
      problems.push(`${where}: question "${String(q.id)}" has no text here (missing id)`);
      return q;
    }
    const choice = q.type === 'single' || q.type === 'multiple';
    const merged: RawQuestion = { ...q, prompt: t.prompt, explanation: t.explanation };
    if (choice) {
      const ruOptions = Array.isArray(q.options) ? (q.options as Array<Record<string, unknown>>) : [];
      if (t.answers) problems.push(`${where}: question "${String(q.id)}" is ${String(q.type)}: "answers" is for text/command questions`);
      if (!t.options) problems.push(`${where}: question "${String(q.id)}" needs "options" (${ruOptions.length}, in the Russian file's order)`);
      else if (t.options.length !== ruOptions.length)
        problems.push(`${where}: question "${String(q.id)}" has ${t.options.length} options, the Russian file ${ruOptions.length} (same count and order)`);
      else merged.options = ruOptions.map((ro, i) => ({ ...ro, text: t.options![i] }));
    } else {
      if (t.options) problems.push(`${where}: question "${String(q.id)}" is ${String(q.type)}: "options" is only for single/multiple questions`);
      merged.answers = union(strings(q.answers), t.answers ?? []);
    }
    return merged;
  });
  return { quiz: { section: ru.section, questions }, problems };
}

export interface QuizSet {
  /** Per language, per section: the quiz as the page shows it (not yet validated by quizFileSchema). */
  quizzes: Record<QuizLang, Array<{ section: string; data: { section: unknown; questions: RawQuestion[] } }>>;
  /** Missing or extra ids, option counts, files that do not parse, overlays without a Russian file. */
  problems: string[];
}

const yamls = (d: string) => (existsSync(d) ? readdirSync(d).filter((n) => /\.ya?ml$/.test(n)).sort() : []);

/**
 * Every quiz of a folder in every language: `<dir>/*.yaml` (Russian, the structure) and the overlays
 * `<dir>/<lang>/*.yaml`. A language folder that is missing leaves that language without quizzes;
 * a folder that exists must cover every section.
 */
export function readQuizzes(dir: string): QuizSet {
  const problems: string[] = [];
  const quizzes: QuizSet['quizzes'] = { ru: [], en: [] };
  const load = (file: string): unknown => {
    try {
      return parse(readFileSync(file, 'utf8'));
    } catch (e) {
      problems.push(`${file}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
      return undefined;
    }
  };
  const ru = new Map<string, RawQuiz>();
  for (const name of yamls(dir)) {
    const raw = load(join(dir, name));
    if (!raw || typeof raw !== 'object') continue;
    const section = name.replace(/\.ya?ml$/, '');
    ru.set(section, raw as RawQuiz);
  }
  // Answers of every language, to grade text/command questions the same everywhere.
  const extraAnswers = new Map<string, string[]>();
  const overlays: Array<{ lang: QuizLang; section: string; merged: Merged }> = [];
  for (const lang of QUIZ_OVERLAY_LANGS) {
    const ldir = join(dir, lang);
    if (!existsSync(ldir)) continue;
    const present = new Set(yamls(ldir).map((n) => n.replace(/\.ya?ml$/, '')));
    for (const section of ru.keys()) if (!present.has(section)) problems.push(`${join(ldir, `${section}.yaml`)}: missing (every section needs its ${lang} quiz text)`);
    for (const name of yamls(ldir)) {
      const section = name.replace(/\.ya?ml$/, '');
      const base = ru.get(section);
      if (!base) {
        problems.push(`${join(ldir, name)}: no Russian quiz ${section}.yaml to lay this text over`);
        continue;
      }
      const raw = load(join(ldir, name));
      if (raw === undefined) continue;
      const merged = mergeQuiz(base, raw, `${lang}/${name}`);
      problems.push(...merged.problems);
      overlays.push({ lang, section, merged });
      for (const q of merged.quiz.questions) if (q.type === 'text' || q.type === 'command') extraAnswers.set(`${section}/${String(q.id)}`, strings(q.answers));
    }
  }
  const withAllAnswers = (section: string, questions: RawQuestion[]) =>
    questions.map((q) => {
      const more = extraAnswers.get(`${section}/${String(q.id)}`);
      return more ? { ...q, answers: union(strings(q.answers), more) } : q;
    });
  for (const [section, raw] of ru) {
    const questions = Array.isArray(raw.questions) ? (raw.questions as RawQuestion[]) : [];
    quizzes.ru.push({ section, data: { section: raw.section, questions: withAllAnswers(section, questions) } });
  }
  for (const { lang, section, merged } of overlays) quizzes[lang].push({ section, data: { section: merged.quiz.section, questions: withAllAnswers(section, merged.quiz.questions) } });
  return { quizzes, problems };
}

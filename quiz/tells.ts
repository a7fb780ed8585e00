/**
 * "Tells" of the chapter's choice questions: what gives the right option away to someone who has not
 * read the page. The rules are about what a learner sees, so options are taken in the order the page
 * shows them (quiz/order.ts, a fixed shuffle by question id) and their length as read
 * (backticks and repeated spaces do not count). They hold per section and over the chapter, and in
 * every language the quizzes have (English options have other lengths, so they are checked on
 * their own):
 *
 *  - single choice: the right option is the strictly shortest in at most 35 % of the chapter's
 *    questions and strictly longest in at most 35 %; in a section, in at most half;
 *  - single choice: no shown position (1st, 2nd, …) holds the right option in more than 40 % of a
 *    section's questions (a position used once is always allowed: with one or two questions a
 *    section cannot do better);
 *  - multiple choice: every question has at least two wrong options (with one, "pick everything
 *    but the odd one out" wins).
 *
 * The build (src/integrations/quiz-tells.ts) fails with the ids that break a rule; the test
 * (tests/quiz/tells.test.ts) prints the numbers per section. Both read the quiz folder with
 * readQuizDir below: Russian from `<quiz dir>/<section>.yaml`, English from the text overlay
 * `<quiz dir>/en/<section>.yaml` laid over the Russian structure (quiz/load.ts), exactly as
 * the English pages show it.
 */
import { readQuizzes } from './load.ts';
import { optionOrder } from './order.ts';

export interface TellOption {
  text: string;
  correct?: boolean | undefined;
}
export interface TellQuestion {
  id: string;
  type: string;
  options?: TellOption[] | undefined;
}
/** One section's questions in one language. */
export interface TellQuiz {
  section: string;
  lang: string;
  questions: TellQuestion[];
}

export const LIMITS = {
  /** Share of the chapter's single-choice questions whose right option is strictly shortest / longest. */
  chapterShortest: 0.35,
  chapterLongest: 0.35,
  /** The same within one section. */
  sectionShortest: 0.5,
  sectionLongest: 0.5,
  /** Share of a section's single-choice questions whose right option is shown in one position. */
  position: 0.4,
  /** Wrong options every multiple-choice question needs. */
  minWrong: 2,
} as const;

/** Length as a reader sees it: markdown backticks and repeated spaces do not count. */
export const shownLength = (text: string) => text.replace(/`/g, '').replace(/\s+/g, ' ').trim().length;

export interface SectionStats {
  section: string;
  lang: string;
  /** Ids of the single-choice questions. */
  single: string[];
  /** Ids whose right option is strictly the longest / the shortest of its options. */
  longest: string[];
  shortest: string[];
  /** byPosition[p]: ids whose right option is shown in position p (0-based). */
  byPosition: string[][];
  /** Ids of the multiple-choice questions. */
  multiple: string[];
  /** Multiple-choice ids with fewer than LIMITS.minWrong wrong options. */
  fewWrong: string[];
}

const isChoice = (q: TellQuestion) => (q.type === 'single' || q.type === 'multiple') && !!q.options && q.options.length > 1;

export function sectionStats(quiz: TellQuiz): SectionStats {
  const s: SectionStats = { section: quiz.section, lang: quiz.lang, single: [], longest: [], shortest: [], byPosition: [], multiple: [], fewWrong: [] };
  for (const q of quiz.questions.filter(isChoice)) {
    const options = q.options!;
    if (q.type === 'multiple') {
      s.multiple.push(q.id);
      if (options.filter((o) => !o.correct).length < LIMITS.minWrong) s.fewWrong.push(q.id);
      continue;
    }
    const right = options.find((o) => o.correct);
    if (!right) continue;
    s.single.push(q.id);
    const len = shownLength(right.text);
    const wrong = options.filter((o) => o !== right).map((o) => shownLength(o.text));
    if (wrong.every((w) => len > w)) s.longest.push(q.id);
    if (wrong.every((w) => len < w)) s.shortest.push(q.id);
    const pos = optionOrder(q.id, options.length)
      .map((i) => options[i]!)
      .indexOf(right);
    for (let p = s.byPosition.length; p <= pos; p++) s.byPosition.push([]);
    s.byPosition[pos]!.push(q.id);
  }
  return s;
}

const pct = (n: number, of: number) => (of ? `${Math.round((100 * n) / of)} %` : '–');

/** Problems under the rules, each naming the section, the language and the question ids; empty when all hold. */
export function tellProblems(quizzes: readonly TellQuiz[]): string[] {
  const problems: string[] = [];
  const stats = quizzes.map(sectionStats);
  for (const s of stats) {
    const where = `quiz ${s.section} (${s.lang})`;
    const n = s.single.length;
    if (s.longest.length > LIMITS.sectionLongest * n)
      problems.push(`${where}: the right option is the strictly longest in ${s.longest.length} of ${n} single-choice questions (at most half): ${s.longest.join(', ')}`);
    if (s.shortest.length > LIMITS.sectionShortest * n)
      problems.push(`${where}: the right option is the strictly shortest in ${s.shortest.length} of ${n} single-choice questions (at most half): ${s.shortest.join(', ')}`);
    s.byPosition.forEach((ids, p) => {
      if (ids.length > 1 && ids.length > LIMITS.position * n)
        problems.push(`${where}: the right option is shown in position ${p + 1} in ${ids.length} of ${n} single-choice questions (at most 40 %): ${ids.join(', ')}`);
    });
    if (s.fewWrong.length)
      problems.push(`${where}: multiple-choice questions with fewer than ${LIMITS.minWrong} wrong options: ${s.fewWrong.join(', ')}`);
  }
  for (const lang of [...new Set(stats.map((s) => s.lang))]) {
    const mine = stats.filter((s) => s.lang === lang);
    const n = mine.reduce((a, s) => a + s.single.length, 0);
    const longest = mine.flatMap((s) => s.longest);
    const shortest = mine.flatMap((s) => s.shortest);
    if (longest.length > LIMITS.chapterLongest * n)
      problems.push(`chapter (${lang}): the right option is the strictly longest in ${longest.length} of ${n} single-choice questions (${pct(longest.length, n)}, at most 35 %): ${longest.join(', ')}`);
    if (shortest.length > LIMITS.chapterShortest * n)
      problems.push(`chapter (${lang}): the right option is the strictly shortest in ${shortest.length} of ${n} single-choice questions (${pct(shortest.length, n)}, at most 35 %): ${shortest.join(', ')}`);
  }
  return problems;
}

/** A table of the numbers per section and language, with the chapter's totals. */
export function tellTable(quizzes: readonly TellQuiz[]): string {
  const stats = quizzes.map(sectionStats);
  const rows = [['lang', 'section', 'single', 'longest', 'shortest', 'positions 1/2/3/4…', 'multiple', '<2 wrong']];
  const row = (lang: string, name: string, ss: SectionStats[]) => {
    const n = ss.reduce((a, s) => a + s.single.length, 0);
    const l = ss.reduce((a, s) => a + s.longest.length, 0);
    const sh = ss.reduce((a, s) => a + s.shortest.length, 0);
    const width = Math.max(0, ...ss.map((s) => s.byPosition.length));
    const pos = Array.from({ length: width }, (_, p) => ss.reduce((a, s) => a + (s.byPosition[p]?.length ?? 0), 0));
    const m = ss.reduce((a, s) => a + s.multiple.length, 0);
    const fw = ss.reduce((a, s) => a + s.fewWrong.length, 0);
    rows.push([lang, name, String(n), `${l} (${pct(l, n)})`, `${sh} (${pct(sh, n)})`, pos.join('/'), String(m), String(fw)]);
  };
  for (const lang of [...new Set(stats.map((s) => s.lang))]) {
    const mine = stats.filter((s) => s.lang === lang);
    for (const s of mine) row(lang, s.section, [s]);
    row(lang, 'CHAPTER', mine);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ')).join('\n');
}

/* ---------- reading the quiz folder, in every language it has ---------- */

type RawOption = { text?: unknown; correct?: unknown };
type RawQuestion = { id?: unknown; type?: unknown; options?: unknown };

function toQuiz(questions: readonly RawQuestion[], lang: string, section: string): TellQuiz {
  const out: TellQuestion[] = [];
  for (const q of questions) {
    if (typeof q.id !== 'string' || typeof q.type !== 'string') continue;
    if (!Array.isArray(q.options)) {
      out.push({ id: q.id, type: q.type });
      continue;
    }
    const options = q.options as RawOption[];
    if (options.some((o) => typeof o?.text !== 'string')) continue; // the schema reports it
    out.push({ id: q.id, type: q.type, options: options.map((o) => ({ text: o.text as string, correct: o.correct === true })) });
  }
  return { section, lang, questions: out };
}

/**
 * Every quiz of a folder, per language, as the pages show it: `<dir>/*.yaml` is Russian (the site's
 * root locale and the structure), English is the overlay `<dir>/en/*.yaml` laid over it by the same
 * function the content collection uses (quiz/load.ts), so which option is right always comes
 * from the Russian file. Problems of the overlays (missing ids, option counts) are the collection's
 * to report; here a section is checked with whatever text it has.
 */
export function readQuizDir(dir: string): TellQuiz[] {
  const { quizzes } = readQuizzes(dir);
  return (Object.keys(quizzes) as Array<keyof typeof quizzes>).flatMap((lang) => quizzes[lang].map((q) => toQuiz(q.data.questions, lang, q.section)));
}

/**
 * The course's quizzes as the runner grades them: the YAML files the site is built from
 * (site/src/data/quizzes and the English overlays in quizzes/en/), read, validated and graded
 * by the quiz module (quiz/: load.ts, schema.ts, grade.ts) that the site uses too, so the
 * runner and the browser always agree. A question is named "<section>/<id>".
 *
 * Grading uses the Russian structure (the right options are the same in every language, and
 * the accepted answers of text questions are every language's); the explanation is in the
 * session's language.
 */
import { quizFileSchema, type Question } from '../../../quiz/schema.ts';
import { readQuizzes } from '../../../quiz/load.ts';
import { gradeAnswer, gradingKey, type QuizAnswerValue } from '../../../quiz/grade.ts';
import { ApiError } from './errors.ts';

export interface QuizVerdict {
  question: string;
  correct: boolean;
  explanation: string;
}

export type QuizLang = 'ru' | 'en';

export class QuizBank {
  /** The Russian structure: what grading uses. */
  private readonly questions: Map<string, Question>;
  /** The English text of each question (explanation, option texts), when there is an overlay. */
  private readonly english: Map<string, Question>;

  private constructor(questions: Map<string, Question>, english: Map<string, Question>) {
    this.questions = questions;
    this.english = english;
  }

  static async load(dir: string): Promise<QuizBank> {
    const set = readQuizzes(dir);
    if (set.problems.length) throw new Error(set.problems.slice(0, 5).join('; '));
    const byLang = (lang: QuizLang) => {
      const out = new Map<string, Question>();
      for (const { section, data } of set.quizzes[lang]) {
        const r = quizFileSchema.safeParse(data);
        if (!r.success) throw new Error(`${lang === 'ru' ? '' : `${lang}/`}${section}.yaml: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
        for (const q of r.data.questions) out.set(`${r.data.section}/${q.id}`, q);
      }
      return out;
    };
    return new QuizBank(byLang('ru'), byLang('en'));
  }

  get size(): number {
    return this.questions.size;
  }

  ids(): string[] {
    return [...this.questions.keys()];
  }

  question(id: string): Question | undefined {
    return this.questions.get(id);
  }

  /**
   * Choice questions take option indexes (as numbers or digit strings) or the options' texts;
   * text and command questions take the typed string.
   */
  grade(id: string, answer: string | string[] | number[], lang: QuizLang = 'ru'): QuizVerdict {
    const q = this.questions.get(id);
    if (!q) throw new ApiError(404, 'unknown_question', `No quiz question "${id.slice(0, 120)}" (questions are named <section>/<id>).`);
    const en = this.english.get(id);
    const shown = lang === 'en' && en ? en : q;
    return { question: id, correct: gradeAnswer(gradingKey(q), normalise(q, answer, en)), explanation: shown.explanation };
  }
}

/** Options may be named by index or by their text in either language (same order in both). */
function normalise(q: Question, answer: string | string[] | number[], en?: Question): QuizAnswerValue {
  if (q.type === 'text' || q.type === 'command') return Array.isArray(answer) ? answer.join(' ') : answer;
  const list = (Array.isArray(answer) ? answer : [answer]) as (string | number)[];
  const options = q.options ?? [];
  const enOptions = en?.options ?? [];
  return list.map((a) => {
    if (typeof a === 'number') return a;
    if (/^\d{1,3}$/.test(a.trim())) return Number(a.trim());
    const byText = options.findIndex((o) => o.text === a);
    if (byText >= 0) return byText;
    const byEnglish = enOptions.findIndex((o) => o.text === a);
    return byEnglish >= 0 ? byEnglish : -1;
  });
}

/**
 * The course's quizzes as the runner grades them: the YAML files the site is built from
 * (site/src/data/quizzes), validated by the site's own schema, graded by the site's own
 * function (site/src/lib/quiz-grade.ts). A question is named "<section>/<id>".
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { quizFileSchema, type Question } from '../../../site/src/lib/quiz-schema.ts';
import { gradeAnswer, gradingKey, type QuizAnswerValue } from '../../../site/src/lib/quiz-grade.ts';
import { ApiError } from './errors.ts';

export interface QuizVerdict {
  question: string;
  correct: boolean;
  explanation: string;
}

export class QuizBank {
  private readonly questions: Map<string, Question>;

  private constructor(questions: Map<string, Question>) {
    this.questions = questions;
  }

  static async load(dir: string): Promise<QuizBank> {
    const questions = new Map<string, Question>();
    for (const name of (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort()) {
      const r = quizFileSchema.safeParse(parse(await readFile(join(dir, name), 'utf8')));
      if (!r.success) throw new Error(`${name}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      for (const q of r.data.questions) questions.set(`${r.data.section}/${q.id}`, q);
    }
    return new QuizBank(questions);
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
  grade(id: string, answer: string | string[] | number[]): QuizVerdict {
    const q = this.questions.get(id);
    if (!q) throw new ApiError(404, 'unknown_question', `No quiz question "${id.slice(0, 120)}" (questions are named <section>/<id>).`);
    return { question: id, correct: gradeAnswer(gradingKey(q), normalise(q, answer)), explanation: q.explanation };
  }
}

function normalise(q: Question, answer: string | string[] | number[]): QuizAnswerValue {
  if (q.type === 'text' || q.type === 'command') return Array.isArray(answer) ? answer.join(' ') : answer;
  const list = (Array.isArray(answer) ? answer : [answer]) as (string | number)[];
  const options = q.options ?? [];
  return list.map((a) => {
    if (typeof a === 'number') return a;
    if (/^\d{1,3}$/.test(a.trim())) return Number(a.trim());
    const byText = options.findIndex((o) => o.text === a);
    return byText >= 0 ? byText : -1;
  });
}

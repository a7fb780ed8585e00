/**
 * Grading of one quiz answer: the one function the site (Quiz.astro, in the browser) and the
 * runner (POST /api/sessions/:id/quiz) both use, so both always agree.
 */
import { commandMatches, textMatches } from './match/command-match.ts';

export type QuizType = 'single' | 'multiple' | 'text' | 'command';

/** What grading needs of a question: its type, the correct option indexes, the accepted answers. */
export interface GradingKey {
  type: QuizType;
  correct: number[];
  answers: string[];
}

/** Option indexes chosen (single, multiple) or the typed text (text, command). */
export type QuizAnswerValue = number[] | string;

export function gradingKey(q: { type: QuizType; options?: { correct?: boolean }[]; answers?: string[] }): GradingKey {
  return {
    type: q.type,
    correct: (q.options ?? []).flatMap((o, i) => (o.correct ? [i] : [])),
    answers: q.answers ?? [],
  };
}

export function gradeAnswer(key: GradingKey, answer: QuizAnswerValue): boolean {
  if (key.type === 'single' || key.type === 'multiple') {
    if (!Array.isArray(answer)) return false;
    const given = [...new Set(answer)].sort((a, b) => a - b);
    const correct = [...key.correct].sort((a, b) => a - b);
    return given.length === correct.length && correct.every((c, i) => c === given[i]);
  }
  if (typeof answer !== 'string') return false;
  return key.type === 'command' ? commandMatches(answer, key.answers) : textMatches(answer, key.answers);
}

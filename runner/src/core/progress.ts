/** Progress on the server (API.md "Progress"): checks and quiz answers of a session, from the store. */
import type { Store } from '../store/types.ts';
import type { ActivityBus } from './activity.ts';
import type { QuizBank, QuizVerdict } from './quiz.ts';
import type { Session } from './session-model.ts';

const iso = (ms: number | null) => (ms == null ? undefined : new Date(ms).toISOString());

export class ProgressService {
  private readonly store: Store;
  private readonly bank: () => Promise<QuizBank>;
  private readonly activity: ActivityBus | undefined;

  constructor(store: Store, bank: () => Promise<QuizBank>, activity?: ActivityBus) {
    this.store = store;
    this.bank = bank;
    this.activity = activity;
  }

  view(session: Session) {
    return this.viewOf(session.id);
  }

  /** The progress of a session by id (also of one that ended: workshop results). */
  viewOf(sessionId: string) {
    const p = this.store.progress(sessionId);
    const labs = Object.fromEntries(
      Object.entries(p.labs).map(([lab, l]) => [
        lab,
        {
          passed: l.passed,
          ...(l.firstPassedAt != null ? { firstPassedAt: iso(l.firstPassedAt) } : {}),
          ...(l.lastCheckedAt != null ? { lastCheckedAt: iso(l.lastCheckedAt) } : {}),
          criteria: l.criteria,
        },
      ]),
    );
    const questions = Object.fromEntries(Object.entries(p.quiz).map(([q, a]) => [q, { correct: a.correct, at: iso(a.at) }]));
    const answered = Object.keys(questions).length;
    const correct = Object.values(p.quiz).filter((a) => a.correct).length;
    return { labs, quiz: { answered, correct, questions } };
  }

  async answer(session: Session, question: string, answer: string | string[]): Promise<QuizVerdict> {
    const verdict = (await this.bank()).grade(question, answer, session.lang);
    this.store.recordQuiz(session.id, { question, answer, correct: verdict.correct, at: Date.now() });
    this.activity?.emit({ kind: 'quiz', session });
    return verdict;
  }
}

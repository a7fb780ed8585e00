/**
 * From a check the runner ran to the LMS: the LMS user's progress record is updated (it
 * outlives sessions) and, for every line item this lab is graded in, a score goes to the
 * outbox when it differs from the last one sent there. scoreGiven = required criteria passed,
 * scoreMaximum = required criteria; a lab that has passed once stays at full marks
 * (FullyGraded, Completed); before that the comment names the failing criteria. Only checks
 * the runner ran reach this (the bus carries no "not started" answer).
 */
import type { CheckAnswer } from '../core/activity.ts';
import type { LtiStore, LtiUser, UserProgress } from '../store/lti.ts';
import { quizKey, quizScore, type QuizSection } from './quiz-sections.ts';
import type { ScoreBody } from './score-body.ts';

export type { ScoreBody };


type Criterion = CheckAnswer['criteria'][number] & { required?: boolean };

export function recordCheck(progress: UserProgress, answer: CheckAnswer, at: number): UserProgress {
  const prev = progress.labs[answer.lab];
  const firstPassedAt = prev?.firstPassedAt ?? (answer.passed ? at : null);
  return {
    ...progress,
    labs: { ...progress.labs, [answer.lab]: { firstPassedAt, last: { at, passed: answer.passed, criteria: answer.criteria.map((c) => [c.id, c.passed]) } } },
  };
}

export function scoreOf(user: LtiUser, answer: CheckAnswer, at: number, lang: 'ru' | 'en'): ScoreBody {
  const required = (answer.criteria as Criterion[]).filter((c) => c.required !== false);
  const max = required.length;
  const passedEver = user.progress.labs[answer.lab]?.firstPassedAt != null || answer.passed;
  const timestamp = new Date(at).toISOString();
  if (passedEver) return { userId: user.sub, scoreGiven: max, scoreMaximum: max, timestamp, activityProgress: 'Completed', gradingProgress: 'FullyGraded' };
  const failing = required.filter((c) => !c.passed).map((c) => c.title.replace(/\s+/g, ' ').slice(0, 200));
  const lead = lang === 'en' ? 'Not done yet: ' : 'Ещё не выполнено: ';
  return {
    userId: user.sub,
    scoreGiven: required.filter((c) => c.passed).length,
    scoreMaximum: max,
    comment: (lead + failing.join('; ')).slice(0, 1000),
    timestamp,
    activityProgress: 'InProgress',
    gradingProgress: 'Pending',
  };
}

/** What must change for a new score to be worth sending (the timestamp alone is not). */
const signature = (b: ScoreBody) => JSON.stringify([b.scoreGiven, b.scoreMaximum, b.comment ?? '', b.activityProgress, b.gradingProgress]);

/** Records the check for the user and queues the scores it changes; returns how many were queued. */
export function onCheck(store: LtiStore, sessionId: string, answer: CheckAnswer, at: number, lang: 'ru' | 'en'): number {
  const owner = store.sessionOwner(sessionId);
  if (!owner) return 0;
  const user = store.userById(owner.userId);
  if (!user) return 0;
  const body = scoreOf(user, answer, at, lang);
  store.saveProgress(user.id, recordCheck(user.progress, answer, at));
  return queue(store, user, answer.lab, body);
}

/** Queues `body` for every line item of this user and lab (or quiz) whose last score differs. */
function queue(store: LtiStore, user: LtiUser, key: string, body: ScoreBody): number {
  let queued = 0;
  const sig = signature(body);
  for (const t of store.targets(user.id, key)) {
    if (t.lastBody === sig) continue;
    const ctx = store.contextById(t.contextId);
    if (!ctx) continue;
    store.enqueue({ registration: ctx.registration, lineitem: t.lineitem, body: JSON.stringify(body), userId: user.id, lab: key, contextId: t.contextId, signature: sig });
    queued++;
  }
  return queued;
}

/**
 * Quiz answers of an LMS user's session join their record (latest answer per question), and
 * each section quiz the user reached through a course link gets its share of right answers.
 * Returns how many scores were queued.
 */
export function onQuiz(store: LtiStore, sessionId: string, quiz: Record<string, { correct: boolean; at: number }>, sections: QuizSection[]): number {
  const owner = store.sessionOwner(sessionId);
  const user = owner && store.userById(owner.userId);
  if (!user) return 0;
  const merged = { ...user.progress.quiz };
  for (const [q, a] of Object.entries(quiz)) if (!merged[q] || merged[q].at <= a.at) merged[q] = a;
  store.saveProgress(user.id, { ...user.progress, quiz: merged });
  let queued = 0;
  for (const s of sections) if (s.questions.some((q) => merged[q])) queued += queue(store, user, quizKey(s.id), quizScore(user.sub, s, merged));
  return queued;
}

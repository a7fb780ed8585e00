/**
 * The runner's durable state, behind an interface: the core never sees SQL. `openSqliteStore`
 * (sqlite.ts) implements it on a file or on `:memory:` (unit tests).
 */
import type { LtiStore } from './lti.ts';
import type { WorkshopStore } from './workshops.ts';
import type { StoredSession } from './session-row.ts';

export type { StoredSession, StoredState } from './session-row.ts';

export type SessionPatch = Partial<Omit<StoredSession, 'id' | 'tokenHash' | 'createdAt'>>;

export interface CriterionResult {
  id: string;
  passed: boolean;
}

export interface CheckRecord {
  lab: string;
  passed: boolean;
  criteria: CriterionResult[];
  at: number;
  durationMs: number;
}

export interface QuizRecord {
  question: string;
  answer: unknown;
  correct: boolean;
  at: number;
}

export interface LabProgress {
  passed: boolean;
  firstPassedAt: number | null;
  lastCheckedAt: number | null;
  criteria: Record<string, boolean>;
}

export interface SessionProgress {
  labs: Record<string, LabProgress>;
  /** Latest answer per question. */
  quiz: Record<string, { correct: boolean; at: number }>;
}

export interface Store {
  /** Where the data lives (a file path, or ":memory:"). */
  readonly location: string;
  /** Workshops and the last check of each lab with its messages (store/workshops.ts). */
  readonly workshops: WorkshopStore;
  /** LTI 1.3 platforms, LMS users, contexts and the score outbox (store/lti.ts). */
  readonly lti: LtiStore;
  insertSession(s: StoredSession): void;
  updateSession(id: string, patch: SessionPatch): void;
  getSession(id: string): StoredSession | undefined;
  /** Sessions not stopped, and stopped ones whose stoppedAt is after `stoppedSince`. */
  loadSessions(stoppedSince: number): StoredSession[];
  /** Per-lab grading memory (checks/context.ts LabState) as JSON-able entries. */
  saveLabState(sessionId: string, lab: string, entries: [string, unknown][]): void;
  labStates(sessionId: string): Map<string, [string, unknown][]>;
  recordCheck(sessionId: string, check: CheckRecord): void;
  recordQuiz(sessionId: string, answer: QuizRecord): void;
  progress(sessionId: string): SessionProgress;
  /** Size figures for the bench. */
  stats(): { sessions: number; checks: number; quizAnswers: number; bytes: number };
  close(): void;
}

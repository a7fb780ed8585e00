/**
 * The runner's durable state, behind an interface: the core never sees SQL. `openSqliteStore`
 * (sqlite.ts) implements it on a file or on `:memory:` (unit tests).
 */
import type { LtiStore } from '../lti/store.ts';
import type { WorkshopStore } from './workshops.ts';

export type StoredState = 'starting' | 'ready' | 'stopped';

export interface StoredSession {
  id: string;
  /** sha256 of the token; the token itself is never stored. */
  tokenHash: Buffer;
  clientAddress: string;
  /** Epoch ms. */
  createdAt: number;
  expiresAt: number;
  state: StoredState;
  stopReason: string | null;
  error: string | null;
  lab: string | null;
  workshop: string | null;
  name: string | null;
  /** The language of check messages and quiz explanations ('ru' | 'en'). */
  lang: 'ru' | 'en';
  fromPool: boolean;
  readyAt: number | null;
  stoppedAt: number | null;
}

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
  /** LTI 1.3 platforms, LMS users, contexts and the score outbox (runner/src/lti/store.ts). */
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

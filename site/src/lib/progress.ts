/**
 * Learner progress in localStorage (quiz answers, passed labs). Survives reloads; `resetProgress()`
 * clears it. Every change fires a `rl-progress` event on window (other tabs get `storage`).
 *
 * With a runner (a session is stored), progress follows the session, not the browser: quiz
 * answers are also sent to the runner, which grades them itself (POST /api/sessions/:id/quiz),
 * and `syncProgress()` (run once per page) merges the runner's progress in. Without a runner
 * (static hosting) everything stays in the browser, as before.
 */
import { storedSession, type SessionRef } from './session.ts';
export const PROGRESS_KEY = 'registry-lab:progress:v1';
export const PROGRESS_EVENT = 'rl-progress';

export interface QuizAnswer {
  correct: boolean;
  /** option indexes (single/multiple) or the typed text */
  answer: number[] | string;
  at: number;
}
export interface Progress {
  quizzes: Record<string, Record<string, QuizAnswer>>;
  labs: Record<string, { passed: boolean; at: number }>;
}

const empty = (): Progress => ({ quizzes: {}, labs: {} });

export function loadProgress(): Progress {
  try {
    const raw = localStorage.getItem(PROGRESS_KEY);
    if (!raw) return empty();
    const p = JSON.parse(raw) as Partial<Progress>;
    return { quizzes: p.quizzes ?? {}, labs: p.labs ?? {} };
  } catch {
    return empty();
  }
}

function save(p: Progress, detail: string) {
  try {
    localStorage.setItem(PROGRESS_KEY, JSON.stringify(p));
  } catch {
    /* private mode or quota: progress is best effort */
  }
  window.dispatchEvent(new CustomEvent(PROGRESS_EVENT, { detail }));
}

export function recordQuiz(section: string, id: string, value: QuizAnswer) {
  const p = loadProgress();
  (p.quizzes[section] ??= {})[id] = value;
  save(p, 'quiz');
  const s = storedSession();
  if (s) void sendQuiz(s, section, id, value);
}

/** The runner's name of a question. */
export const questionKey = (section: string, id: string) => `${section}/${id}`;

async function runnerCall<T>(s: SessionRef, path: string, body?: unknown): Promise<T | null> {
  try {
    const res = await fetch(`/api/sessions/${encodeURIComponent(s.id)}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${s.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok || !(res.headers.get('content-type') ?? '').includes('json')) return null;
    return (await res.json()) as T;
  } catch {
    return null;
  }
}

/** Sends an answer to the runner; its verdict (same grader) wins if they ever differ. */
async function sendQuiz(s: SessionRef, section: string, id: string, value: QuizAnswer): Promise<void> {
  const answer = Array.isArray(value.answer) ? value.answer.map(String) : value.answer;
  const v = await runnerCall<{ correct: boolean }>(s, '/quiz', { question: questionKey(section, id), answer });
  if (!v || typeof v.correct !== 'boolean' || v.correct === value.correct) return;
  const p = loadProgress();
  const saved = p.quizzes[section]?.[id];
  if (saved && saved.at === value.at) {
    saved.correct = v.correct;
    save(p, 'sync');
  }
}

interface ServerProgress {
  labs: Record<string, { passed: boolean; firstPassedAt?: string }>;
  quiz: { questions: Record<string, { correct: boolean; at?: string }> };
}

let syncing: Promise<boolean> | null = null;

/**
 * Merges the runner's progress of the stored session into the browser's (passed labs, graded
 * answers) and sends the runner the answers it does not have yet. False without a runner.
 */
export function syncProgress(): Promise<boolean> {
  syncing ??= (async () => {
    const s = storedSession();
    if (!s) return false;
    const server = await runnerCall<ServerProgress>(s, '/progress');
    if (!server?.labs || !server.quiz?.questions) return false;
    const p = loadProgress();
    for (const [lab, l] of Object.entries(server.labs)) {
      if (l.passed && !p.labs[lab]?.passed) p.labs[lab] = { passed: true, at: Date.parse(l.firstPassedAt ?? '') || Date.now() };
    }
    for (const [key, q] of Object.entries(server.quiz.questions)) {
      const slash = key.indexOf('/');
      const [section, id] = [key.slice(0, slash), key.slice(slash + 1)];
      const local = (p.quizzes[section] ??= {})[id];
      if (local) local.correct = q.correct;
      else p.quizzes[section][id] = { correct: q.correct, answer: [], at: Date.parse(q.at ?? '') || Date.now() };
    }
    save(p, 'sync');
    for (const [section, answers] of Object.entries(p.quizzes)) {
      for (const [id, a] of Object.entries(answers)) {
        if (!server.quiz.questions[questionKey(section, id)] && (Array.isArray(a.answer) ? a.answer.length : a.answer)) void sendQuiz(s, section, id, a);
      }
    }
    return true;
  })().finally(() => {
    syncing = null;
  });
  return syncing;
}

if (typeof window !== 'undefined') setTimeout(() => void syncProgress(), 0);

export function recordLab(id: string, passed: boolean) {
  const p = loadProgress();
  // A lab once passed stays passed; a later failing check does not take it back.
  if (passed || !p.labs[id]?.passed) p.labs[id] = { passed, at: Date.now() };
  save(p, 'lab');
}

export function resetProgress() {
  try {
    localStorage.removeItem(PROGRESS_KEY);
  } catch {
    /* ignore */
  }
  window.dispatchEvent(new CustomEvent(PROGRESS_EVENT, { detail: 'reset' }));
}

export function summary(p: Progress = loadProgress()) {
  let quiz = 0;
  for (const s of Object.values(p.quizzes)) for (const a of Object.values(s)) if (a.correct) quiz++;
  const labs = Object.values(p.labs).filter((l) => l.passed).length;
  return { quiz, labs };
}

export function onProgress(fn: (detail: string) => void) {
  window.addEventListener(PROGRESS_EVENT, (e) => fn((e as CustomEvent<string>).detail));
  window.addEventListener('storage', (e) => {
    if (e.key === PROGRESS_KEY || e.key === null) fn(e.newValue ? 'sync' : 'reset');
  });
}

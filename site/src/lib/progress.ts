/**
 * Learner progress in localStorage (quiz answers, passed labs). Survives reloads; `resetProgress()`
 * clears it. Every change fires a `rl-progress` event on window (other tabs get `storage`).
 */
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
}

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

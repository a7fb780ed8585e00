/**
 * One learner's row of the dashboard (API.md "Workshops" progress, plus the extensions in
 * docs/api-extensions.md: connected, lastCheck, failingSince per lab).
 */
import type { ProgressService } from '../core/progress.ts';
import type { Session } from '../core/session-model.ts';
import type { Store, StoredSession } from '../store/types.ts';
import type { CheckHistoryEntry, CheckSnapshot } from '../store/workshops.ts';

const iso = (ms: number) => new Date(ms).toISOString();

export interface RowContext {
  store: Store;
  progress: ProgressService;
  /** The session in memory (live, or stopped recently), if any. */
  live(id: string): Session | undefined;
  connected(id: string): boolean;
  /** Last terminal connect/disconnect seen by this run. */
  presenceAt(id: string): number | undefined;
}

/** The first failing criterion of the lab's latest check and since when consecutive checks had it failing. */
export function failingSince(history: CheckHistoryEntry[], lab: string): { criterion: string; since: string } | undefined {
  const ofLab = history.filter((h) => h.lab === lab);
  const latest = ofLab[0];
  if (!latest || latest.passed) return undefined;
  const failing = latest.criteria.find(([, ok]) => !ok)?.[0];
  if (!failing) return undefined;
  let since = latest.at;
  for (const h of ofLab) {
    const c = h.criteria.find(([id]) => id === failing);
    if (!c || c[1]) break;
    since = h.at;
  }
  return { criterion: failing, since: iso(since) };
}

export function lastCheckView(c: CheckSnapshot | undefined) {
  return c ? { lab: c.lab, at: iso(c.at), passed: c.passed, criteria: c.criteria } : null;
}

export function learnerRow(ctx: RowContext, stored: StoredSession) {
  const live = ctx.live(stored.id);
  const p = ctx.progress.viewOf(stored.id);
  const history = ctx.store.workshops.checkHistory(stored.id);
  const labs = Object.fromEntries(
    Object.entries(p.labs).map(([lab, l]) => {
      const f = l.passed ? undefined : failingSince(history, lab);
      return [lab, f ? { ...l, failingSince: f } : l];
    }),
  );
  const lastCheck = ctx.store.workshops.lastChecks(stored.id)[0];
  const state = live?.state ?? stored.state;
  const activity = Math.max(stored.createdAt, stored.readyAt ?? 0, history[0]?.at ?? 0, ctx.store.workshops.lastQuizAt(stored.id) ?? 0, ctx.presenceAt(stored.id) ?? 0);
  return {
    session: stored.id,
    name: stored.name ?? '',
    state,
    joinedAt: iso(stored.createdAt),
    lastActivityAt: iso(activity),
    expiresAt: iso(live?.expiresAt ?? stored.expiresAt),
    labs,
    quiz: { answered: p.quiz.answered, correct: p.quiz.correct },
    connected: state !== 'stopped' && ctx.connected(stored.id),
    lastCheck: lastCheckView(lastCheck),
  };
}

export type LearnerRow = ReturnType<typeof learnerRow>;

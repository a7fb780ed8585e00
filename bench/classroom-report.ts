/**
 * The arithmetic of `npm run bench:classroom`'s report (issue 19), apart from the Docker and
 * HTTP work so it can be unit-tested: reserve modes, the cold-start bound, the last shell of a
 * room, and what waiting learners were shown against what followed.
 */
import type { LearnerResult } from './classroom-learner.ts';

/** A reserve: a number of sandboxes, or `full` (one per seat). */
export type ReserveMode = number | 'full';

export function reserveMode(v: string): ReserveMode {
  const t = v.trim();
  if (t === 'full') return 'full';
  const n = Number(t);
  if (t === '' || !Number.isInteger(n) || n < 0 || n > 100) throw new Error(`reserve "${v}": a number 0..100 or "full"`);
  return n;
}

export const reserveFor = (mode: ReserveMode, seats: number): number => (mode === 'full' ? seats : Math.min(mode, seats));

/** (N × one cold start ÷ the starts the host runs at once) × factor, in ms. */
export function coldStartBound(n: number, coldStartMs: number, slots: number, factor: number): number {
  return Math.round(((n * coldStartMs) / Math.max(1, slots)) * factor);
}

/** When the last learner's shell answered, counted from the room's first join (ms); null unless all n got one. */
export function lastShellFromFirstJoin(results: Pick<LearnerResult, 'joinedAt' | 'joinToReadyMs'>[], n: number): number | null {
  const joined = results.flatMap((r) => (r.joinedAt === undefined ? [] : [r.joinedAt]));
  if (!joined.length) return null;
  const first = Math.min(...joined);
  const shells = results.flatMap((r) => (r.joinedAt !== undefined && r.joinToReadyMs !== undefined ? [r.joinedAt + r.joinToReadyMs - first] : []));
  return shells.length === n ? Math.round(Math.max(...shells)) : null;
}

const s1 = (x: number) => Math.round(x / 100) / 10;

/** What each learner who waited for a start slot was shown first, against the wait that followed (seconds). */
export function queueReport(results: Pick<LearnerResult, 'name' | 'queueShown' | 'joinToReadyMs'>[]) {
  const rows = results
    .filter((r) => r.queueShown.length && r.joinToReadyMs !== undefined)
    .map((r) => {
      const first = r.queueShown[0]!;
      const actualMs = r.joinToReadyMs! - first.atMs;
      // Rose: a later update promised more than a second beyond the one before (an estimate should count down).
      let rose = 0;
      for (let i = 1; i < r.queueShown.length; i++) if (r.queueShown[i]!.estimateMs > r.queueShown[i - 1]!.estimateMs + 1000) rose++;
      return {
        name: r.name,
        shownAfterS: s1(first.atMs),
        place: first.position,
        estimateS: s1(first.estimateMs),
        actualS: s1(actualMs),
        errorS: s1(actualMs - first.estimateMs),
        updates: r.queueShown.length,
        estimateRose: rose,
      };
    });
  const abs = rows.map((r) => Math.abs(r.errorS));
  return {
    waited: rows.length,
    meanAbsErrorS: rows.length ? Math.round((abs.reduce((a, b) => a + b, 0) / rows.length) * 10) / 10 : null,
    maxAbsErrorS: rows.length ? Math.max(...abs) : null,
    learnersWhoseEstimateRose: rows.filter((r) => r.estimateRose > 0).length,
    learners: rows,
  };
}

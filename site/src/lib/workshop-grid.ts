/**
 * Pure rules of the instructor's dashboard: a lab cell's state, who is stuck, sorting,
 * filtering, relative times and download names. No DOM here (tests/site/workshop-grid.test.ts).
 */
export interface LabProgress {
  passed: boolean;
  firstPassedAt?: string;
  lastCheckedAt?: string;
  criteria?: Record<string, boolean>;
  /** runner extension: the criterion failing since that time (absent when passed or never checked) */
  failingSince?: { criterion: string; since: string };
}
export interface CheckCriterion {
  id: string;
  title: string;
  passed: boolean;
  message: string;
}
export interface LearnerRow {
  session: string;
  name: string;
  state: string;
  joinedAt?: string;
  lastActivityAt?: string | null;
  expiresAt?: string | null;
  labs: Record<string, LabProgress>;
  quiz: { answered: number; correct: number };
  connected?: boolean;
  lastCheck?: { lab: string; at: string; passed: boolean; criteria: CheckCriterion[] } | null;
}
export interface LabInfo {
  id: string;
  title: string;
  criteria: Array<{ id: string; title: string }>;
}

export type CellKind = 'none' | 'progress' | 'passed';
export interface Cell {
  kind: CellKind;
  /** criteria passing in the latest check, and how many the lab has */
  done: number;
  total: number;
}

export function cellOf(lab: LabProgress | undefined, totalCriteria: number): Cell {
  const crit = lab?.criteria ?? {};
  const total = Math.max(totalCriteria, Object.keys(crit).length);
  const done = Object.values(crit).filter(Boolean).length;
  if (lab?.passed) return { kind: 'passed', done: total, total };
  if (!lab || (!lab.lastCheckedAt && Object.keys(crit).length === 0)) return { kind: 'none', done: 0, total };
  return { kind: 'progress', done, total };
}

export const DEFAULT_STUCK_MINUTES = 10;

/** The lab and criterion a learner has been failing on for longer than `minutes`, if any (the oldest). */
export function stuckOn(row: LearnerRow, minutes: number, now: number): { lab: string; criterion: string; since: string } | null {
  if (!(minutes > 0)) return null;
  let found: { lab: string; criterion: string; since: string } | null = null;
  for (const [lab, p] of Object.entries(row.labs ?? {})) {
    const f = p.failingSince;
    if (!f || p.passed) continue;
    const t = Date.parse(f.since);
    if (!Number.isFinite(t) || now - t < minutes * 60_000) continue;
    if (!found || t < Date.parse(found.since)) found = { lab, criterion: f.criterion, since: f.since };
  }
  return found;
}

export type SortKey = 'name' | 'progress' | 'activity';

/** Labs passed, then criteria passing in labs not yet passed: "who is furthest". */
export function progressScore(row: LearnerRow): number {
  let score = 0;
  for (const p of Object.values(row.labs ?? {})) {
    if (p.passed) score += 1000;
    else score += Object.values(p.criteria ?? {}).filter(Boolean).length;
  }
  return score;
}

const collator = new Intl.Collator(['ru', 'en'], { sensitivity: 'base', numeric: true });

/** name A→Z; progress most first; activity most recent first. Ties by name, then session id. */
export function compareRows(key: SortKey): (a: LearnerRow, b: LearnerRow) => number {
  const byName = (a: LearnerRow, b: LearnerRow) => collator.compare(a.name, b.name) || (a.session < b.session ? -1 : a.session > b.session ? 1 : 0);
  if (key === 'progress') return (a, b) => progressScore(b) - progressScore(a) || byName(a, b);
  if (key === 'activity') return (a, b) => time(b.lastActivityAt) - time(a.lastActivityAt) || byName(a, b);
  return byName;
}

function time(iso: string | null | undefined): number {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isFinite(t) ? t : 0;
}

/** Case-insensitive substring match on the display name; blank filter matches everyone. */
export function matchesFilter(row: LearnerRow, filter: string): boolean {
  const f = filter.trim().toLocaleLowerCase();
  return !f || row.name.toLocaleLowerCase().includes(f);
}

/** "только что", "3 мин назад", "2 ч назад" from a table with `ago.now`, `ago.min`, `ago.h`. */
export function ago(iso: string | null | undefined, now: number, ui: Record<string, string>): string {
  const t = time(iso);
  if (!t) return ui['ago.never'] ?? '—';
  const min = Math.floor((now - t) / 60_000);
  if (min < 1) return ui['ago.now'] ?? 'now';
  if (min < 60) return (ui['ago.min'] ?? '{n} min').replace('{n}', String(min));
  return (ui['ago.h'] ?? '{n} h').replace('{n}', String(Math.floor(min / 60)));
}

/** "1:05" / "12 мин" style remaining time; null when there is no end or it has passed. */
export function timeLeft(iso: string | null | undefined, now: number): { minutes: number } | null {
  const t = time(iso);
  if (!t || t <= now) return t ? { minutes: 0 } : null;
  return { minutes: Math.ceil((t - now) / 60_000) };
}

/** A file name for a results download: "results-<title>-<date>.csv", safe on every OS. */
export function downloadName(title: string, ext: 'csv' | 'json', at: Date = new Date()): string {
  const slug =
    title
      .normalize('NFKC')
      .replace(/[\\/:*?"<>|\u0000-\u001f]+/g, ' ')
      .trim()
      .replace(/\s+/g, '-')
      .replace(/^[.-]+|[.-]+$/g, '')
      .slice(0, 60) || 'workshop';
  const d = at.toISOString().slice(0, 10);
  return `results-${slug}-${d}.${ext}`;
}

/**
 * A header's short title: whole words up to `max` characters, words longer than 10 letters cut
 * to 7 and a period ("Автоматическая" → "Автомат."), then "…" when words were left out (the full
 * title goes in the header's hidden text and tooltip).
 */
export function shortTitle(title: string, max = 18): string {
  const words = title.replace(/\s+/g, ' ').trim().split(' ');
  const short = words.map((w) => (w.length > 10 ? `${w.slice(0, 7)}.` : w));
  let out = '';
  let n = 0;
  for (const w of short) {
    const next = out ? `${out} ${w}` : w;
    if (next.length > max) break;
    out = next;
    n++;
  }
  if (n === words.length) return out;
  // Dangling short words ("в", "и", "с", "a") and punctuation read badly before the ellipsis.
  out = out.replace(/\s+\S{1,2}$/, '').replace(/[\s,:;.\u2013\u2014-]+$/, '');
  return `${out || short[0]!.slice(0, max - 1)}…`;
}

/** How a lab stands in the room: passed, working (started, not passed; `stuck` of them past the threshold), not started. */
export interface LabCount {
  passed: number;
  working: number;
  stuck: number;
  none: number;
}

/** One count per lab (in `labs` order) and one for the quiz (`quizTotal` questions; 0 = unknown, nobody "passed"). */
export function roomSummary(rows: Iterable<LearnerRow>, labs: LabInfo[], stuckMinutes: number, now: number, quizTotal = 0): { labs: Map<string, LabCount>; quiz: LabCount } {
  const out = new Map<string, LabCount>(labs.map((l) => [l.id, { passed: 0, working: 0, stuck: 0, none: 0 }]));
  const quiz: LabCount = { passed: 0, working: 0, stuck: 0, none: 0 };
  for (const row of rows) {
    const stuck = stuckOn(row, stuckMinutes, now);
    for (const lab of labs) {
      const c = out.get(lab.id)!;
      const kind = cellOf(row.labs?.[lab.id], lab.criteria.length).kind;
      if (kind === 'passed') c.passed++;
      else if (kind === 'progress') {
        c.working++;
        if (stuck?.lab === lab.id) c.stuck++;
      } else c.none++;
    }
    const answered = row.quiz?.answered ?? 0;
    if (quizTotal > 0 && answered >= quizTotal) quiz.passed++;
    else if (answered > 0) quiz.working++;
    else quiz.none++;
  }
  return { labs: out, quiz };
}

/** The summary's filter: learners who started `lab` and have not passed it (the stuck ones among them). */
export function workingOn(row: LearnerRow, lab: LabInfo): boolean {
  return cellOf(row.labs?.[lab.id], lab.criteria.length).kind === 'progress';
}

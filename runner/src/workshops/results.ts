/**
 * Results of a workshop as CSV (API.md columns, RFC 4180 quoting, formula prefixes
 * neutralised) and as JSON.
 */
import type { HelpView } from './help.ts';
import type { LearnerRow } from './rows.ts';

export interface LabInfo {
  id: string;
  title: string;
  criteria: { id: string; title: string }[];
}

/** A spreadsheet must not run a display name as a formula: `=`, `+`, `-`, `@`, tab, CR get a `'`. */
export function csvCell(value: string | number | boolean | null | undefined): string {
  let s = value == null ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const CSV_HEADER = ['learner', 'session', 'lab', 'criterion', 'passed', 'first_passed_at', 'last_checked_at'];

/**
 * Help requests follow the learners as rows like the quiz's: `lab` = `help`, `criterion` = the
 * lab the request was about, `passed` = closed by the instructor (helped), `first_passed_at` =
 * raised, `last_checked_at` = closed.
 */
export function resultsCsv(labs: LabInfo[], rows: LearnerRow[], help: HelpView[] = []): string {
  const lines = [CSV_HEADER.join(',')];
  for (const r of rows) {
    for (const lab of labs) {
      const p = r.labs[lab.id] as { passed: boolean; firstPassedAt?: string; lastCheckedAt?: string; criteria: Record<string, boolean> } | undefined;
      for (const c of lab.criteria) {
        const passed = p ? p.criteria[c.id] === true : false;
        lines.push([r.name, r.session, lab.id, c.id, passed, p?.firstPassedAt ?? '', p?.lastCheckedAt ?? ''].map(csvCell).join(','));
      }
    }
    lines.push([r.name, r.session, 'quiz', r.quiz.answered, r.quiz.correct, '', ''].map(csvCell).join(','));
  }
  for (const h of help) lines.push([h.name, h.session, 'help', h.lab ?? '', h.closedBy === 'instructor', h.raisedAt, h.closedAt ?? ''].map(csvCell).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

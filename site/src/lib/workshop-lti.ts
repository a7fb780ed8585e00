/**
 * The LMS side of a course workshop on its dashboard (issue 22): for a workshop made by an LTI
 * launch, who on the course roster has not started yet (NRPS, where the LMS offers it) and
 * which scores are still waiting for the LMS. Reads GET /lti/workshops/:id with the
 * dashboard's key every 30 s; stays hidden for a workshop that is not an LMS course.
 */
import { keyFor } from './workshop-keys.ts';

const TEXT = {
  ru: { title: 'Курс в LMS', notStarted: 'Ещё не начали', everyone: 'все учащиеся курса уже начали', noRoster: 'LMS не даёт список курса', pending: 'Оценок ждут отправки в LMS', failed: 'LMS отклонила', none: 'все оценки отправлены' },
  en: { title: 'LMS course', notStarted: 'Not started yet', everyone: 'every learner of the course has started', noRoster: 'the LMS offers no roster', pending: 'Scores waiting for the LMS', failed: 'refused by the LMS', none: 'every score has been sent' },
};

interface Status {
  context: { title: string } | null;
  roster: { name: string | null; roles: string[]; started: boolean }[] | null;
  scores: { pending: number; failed: number; sent: number; items: { lab: string; state: string; lastError?: string }[] };
}

const isLearner = (roles: string[]) => roles.some((r) => /membership#Learner$/.test(r) || r === 'Learner');

export function mountLtiCourse(root: HTMLElement): void {
  const t = TEXT[/^en\b/i.test(document.documentElement.lang) ? 'en' : 'ru'];
  const id = new URLSearchParams(location.search).get('id') ?? '';
  if (!id) return;
  const render = (s: Status) => {
    if (!s.context) return;
    root.hidden = false;
    root.style.display = 'block';
    root.replaceChildren();
    const h = document.createElement('h3');
    h.textContent = `${t.title}: ${s.context.title}`;
    const roster = document.createElement('p');
    roster.className = 'rl-lti-roster';
    if (!s.roster) roster.textContent = t.noRoster;
    else {
      const waiting = s.roster.filter((m) => isLearner(m.roles) && !m.started).map((m) => m.name ?? '—');
      roster.textContent = waiting.length ? `${t.notStarted} (${waiting.length}): ${waiting.join(', ')}` : t.everyone;
    }
    const scores = document.createElement('p');
    scores.className = 'rl-lti-scores';
    scores.textContent = s.scores.pending || s.scores.failed ? `${t.pending}: ${s.scores.pending}${s.scores.failed ? ` · ${t.failed}: ${s.scores.failed}` : ''}` : t.none;
    const err = s.scores.items.find((i) => i.state !== 'sent' && i.lastError)?.lastError;
    if (err) scores.title = err;
    root.append(h, roster, scores);
  };
  const poll = async () => {
    const key = keyFor(id);
    if (!key) return;
    try {
      const res = await fetch(`/lti/workshops/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${key}`, accept: 'application/json' } });
      if (res.ok) render((await res.json()) as Status);
    } catch {
      /* the dashboard itself says when the runner is away */
    }
  };
  // After the dashboard took its key from the address (#key=…).
  setTimeout(() => void poll(), 500);
  setInterval(() => void poll(), 30_000);
}

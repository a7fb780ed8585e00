/**
 * The dashboard's rows: one <tr> per learner, created once and updated in place (so focus and
 * hover survive updates), the head (short lab titles and the room's summary row), plus the
 * shared criteria tooltip shown on hover and keyboard focus.
 */
import { fmt } from './fmt.ts';
import { ago, cellOf, shortTitle, stuckOn, timeLeft, type LabCount, type LabInfo, type LearnerRow } from './workshop-grid.ts';

export interface RowContext {
  labs: LabInfo[];
  ui: Record<string, string>;
  now: number;
  stuckMinutes: number;
  ended: boolean;
}

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};

/** The grid's head: short lab titles (full title hidden for screen readers and as a tooltip), then the summary row. */
export function headerCells(tr: HTMLTableRowElement, sum: HTMLTableRowElement, ctx: RowContext) {
  const { ui } = ctx;
  const th = (text: string, cls = '') => {
    const c = el('th', cls, text);
    c.scope = 'col';
    return c;
  };
  tr.replaceChildren(
    th(ui['dash.col.name'] ?? '', 'rl-dash-namecol'),
    ...ctx.labs.map((l, i) => {
      const c = th('', 'rl-dash-labcol');
      c.dataset.lab = l.id;
      c.title = `${i + 1}. ${l.title}`;
      const short = el('span', 'rl-dash-short', `${i + 1}. ${shortTitle(l.title)}`);
      short.setAttribute('aria-hidden', 'true');
      c.append(short, el('span', 'sr-only', l.title));
      return c;
    }),
    th(ui['dash.col.quiz'] ?? '', 'rl-dash-quizcol'),
    th(ui['dash.col.activity'] ?? ''),
    th(ui['dash.col.left'] ?? ''),
    th('', 'rl-dash-actcol'),
  );
  tr.lastElementChild!.append(el('span', 'rl-dash-actlabel', ui['dash.col.actions'] ?? ''));
  const head = el('td', 'rl-dash-sumhead', ui['dash.sum.head'] ?? '');
  const cells = ctx.labs.map((l) => {
    const td = el('td', 'rl-dash-sumcell');
    const b = el('button', 'rl-dash-sum');
    b.type = 'button';
    b.dataset.lab = l.id;
    b.setAttribute('aria-pressed', 'false');
    td.append(b);
    return td;
  });
  sum.replaceChildren(head, ...cells, el('td', 'rl-dash-sumquiz'), el('td'), el('td'), el('td'));
}

/** Counts as "✓12 ◐8 —10 ⚠2" (the stuck part only when someone is stuck); a sign never parts from its number. */
export function summaryText(c: LabCount): string {
  const j = (sign: string, n: number) => `${sign}\u2060${n}`;
  return [j('✓', c.passed), j('◐', c.working), j('—', c.none), ...(c.stuck ? [j('⚠', c.stuck)] : [])].join(' ');
}

/** Writes the room's counts into the summary row; `active` is the lab the grid is filtered to. */
export function updateSummary(sum: HTMLTableRowElement, s: { labs: Map<string, LabCount>; quiz: LabCount }, ctx: RowContext, active: string | null) {
  const { ui } = ctx;
  for (const b of sum.querySelectorAll<HTMLButtonElement>('button.rl-dash-sum')) {
    const lab = ctx.labs.find((l) => l.id === b.dataset.lab);
    const c = s.labs.get(b.dataset.lab ?? '');
    if (!lab || !c) continue;
    // The signs for the eye, a sentence for screen readers (no aria-label: the button's name is its text).
    const [shown, spoken] = b.children.length === 2 ? ([...b.children] as HTMLElement[]) : [el('span'), el('span', 'sr-only')];
    if (!shown.parentNode) {
      shown.setAttribute('aria-hidden', 'true');
      b.append(shown, spoken);
    }
    setText(shown, summaryText(c));
    setText(spoken, fmt(ui, 'dash.sum.aria', { lab: lab.title, passed: c.passed, working: c.working, stuck: c.stuck, none: c.none }));
    setAttr(b, 'aria-pressed', String(active === lab.id));
    setAttr(b, 'data-stuck', String(c.stuck > 0));
  }
  const quiz = sum.querySelector<HTMLElement>('.rl-dash-sumquiz');
  if (quiz) {
    if (quiz.children.length !== 2) {
      const shown = el('span');
      shown.setAttribute('aria-hidden', 'true');
      quiz.replaceChildren(shown, el('span', 'sr-only'));
    }
    setText(quiz.children[0]!, summaryText(s.quiz));
    setText(quiz.children[1]!, fmt(ui, 'dash.sum.quiz', { passed: s.quiz.passed, working: s.quiz.working, none: s.quiz.none }));
  }
}

export function createRow(session: string, ctx: RowContext): HTMLTableRowElement {
  const tr = el('tr');
  tr.dataset.session = session;
  const who = el('th', 'rl-dash-who');
  who.scope = 'row';
  const dot = el('span', 'rl-dash-dot');
  dot.setAttribute('aria-hidden', 'true');
  const flag = el('span', 'rl-dash-flag', '⚠');
  flag.setAttribute('aria-hidden', 'true');
  who.append(dot, el('span', 'sr-only rl-dash-conn-text'), el('span', 'rl-dash-name'), flag, el('span', 'sr-only rl-dash-stuck'));
  tr.append(who);
  for (const lab of ctx.labs) {
    const td = el('td', 'rl-dash-labcell');
    td.dataset.lab = lab.id;
    const b = el('button', 'rl-cell');
    b.type = 'button';
    b.dataset.lab = lab.id;
    td.append(b);
    tr.append(td);
  }
  tr.append(el('td', 'rl-dash-quiz'), el('td', 'rl-dash-activity'), el('td', 'rl-dash-left'));
  const actions = el('td', 'rl-dash-actions');
  const box = el('div', 'rl-dash-actbox');
  actions.append(box);
  for (const [action, key] of [
    ['watch', 'dash.watch'],
    ['replay', 'dash.replay'],
    ['check', 'dash.check'],
    ['reset', 'dash.reset'],
  ] as const) {
    const b = el('button', 'rl-btn rl-btn-secondary rl-btn-small', ctx.ui[key] ?? action);
    b.type = 'button';
    b.dataset.action = action;
    box.append(b);
  }
  tr.append(actions);
  return tr;
}

const setText = (e: Element, text: string) => {
  if (e.textContent !== text) e.textContent = text;
};
const setAttr = (e: Element, name: string, value: string) => {
  if (e.getAttribute(name) !== value) e.setAttribute(name, value);
};

/** The parts of a row that updates write, found once per row. */
interface RowParts {
  who: HTMLElement;
  dot: HTMLElement;
  conn: HTMLElement;
  name: HTMLElement;
  stuck: HTMLElement;
  cells: Map<string, HTMLButtonElement>;
  quiz: HTMLElement;
  activity: HTMLElement;
  left: HTMLElement;
  actions: HTMLButtonElement[];
}
const parts = new WeakMap<HTMLTableRowElement, RowParts>();
function partsOf(tr: HTMLTableRowElement): RowParts {
  let p = parts.get(tr);
  if (!p) {
    const q = (s: string) => tr.querySelector<HTMLElement>(s)!;
    p = {
      who: q('.rl-dash-who'),
      dot: q('.rl-dash-dot'),
      conn: q('.rl-dash-conn-text'),
      name: q('.rl-dash-name'),
      stuck: q('.rl-dash-stuck'),
      cells: new Map([...tr.querySelectorAll<HTMLButtonElement>('button.rl-cell')].map((b) => [b.dataset.lab!, b])),
      quiz: q('.rl-dash-quiz'),
      activity: q('.rl-dash-activity'),
      left: q('.rl-dash-left'),
      actions: [...tr.querySelectorAll<HTMLButtonElement>('.rl-dash-actions button')],
    };
    parts.set(tr, p);
  }
  return p;
}

/** Writes one learner's state into their row (only what changed touches the DOM). */
export function updateRow(tr: HTMLTableRowElement, row: LearnerRow, ctx: RowContext) {
  const { ui, now } = ctx;
  const p = partsOf(tr);
  const online = !!row.connected && row.state !== 'stopped';
  setAttr(p.dot, 'data-on', String(online));
  setText(p.conn, `${ui[online ? 'dash.online' : 'dash.offline']} `);
  setText(p.name, row.name);
  const stuck = stuckOn(row, ctx.stuckMinutes, now);
  setAttr(tr, 'data-stuck', String(!!stuck));
  if (stuck) {
    const lab = ctx.labs.find((l) => l.id === stuck.lab);
    const crit = lab?.criteria.find((c) => c.id === stuck.criterion)?.title ?? stuck.criterion;
    const text = fmt(ui, 'dash.stuck', { lab: lab?.title ?? stuck.lab, criterion: crit, time: ago(stuck.since, now, ui) });
    setText(p.stuck, ` ${text}`);
    setAttr(p.who, 'title', text);
  } else {
    setText(p.stuck, '');
    if (p.who.hasAttribute('title')) p.who.removeAttribute('title');
  }

  for (const lab of ctx.labs) {
    const b = p.cells.get(lab.id);
    if (!b) continue;
    const cell = cellOf(row.labs?.[lab.id], lab.criteria.length);
    setAttr(b, 'data-kind', cell.kind);
    setAttr(b, 'data-stuck', String(stuck?.lab === lab.id));
    const mark = cell.kind === 'passed' ? '✓' : cell.kind === 'progress' ? fmt(ui, 'dash.cell.progress', { k: cell.done, n: cell.total }) : '—';
    setText(b, stuck?.lab === lab.id ? `⚠ ${mark}` : mark);
    const state =
      cell.kind === 'passed'
        ? ui['dash.cell.passed']
        : cell.kind === 'progress'
          ? fmt(ui, 'dash.cell.progressLong', { k: cell.done, n: cell.total })
          : ui['dash.cell.none'];
    // The name holds the visible text (k/n), so speech and sight agree (WCAG 2.5.3).
    const said = stuck?.lab === lab.id ? `${ui['dash.cell.stuck'] ?? ''}, ${state ?? ''}` : (state ?? '');
    setAttr(b, 'aria-label', fmt(ui, 'dash.cell.aria', { lab: lab.title, state: said }));
  }
  setText(p.quiz, fmt(ui, 'dash.quiz', { c: row.quiz?.correct ?? 0, a: row.quiz?.answered ?? 0 }));
  setText(p.activity, ago(row.lastActivityAt, now, ui));
  const left = timeLeft(row.expiresAt, now);
  setText(p.left, !left ? '—' : left.minutes === 0 || row.state === 'stopped' ? ui['dash.over'] ?? '' : fmt(ui, 'dash.min', { n: left.minutes }));
  for (const b of p.actions) {
    const action = b.dataset.action!;
    setAttr(b, 'aria-label', fmt(ui, `dash.${action}.aria`, { name: row.name }));
    const disabled = action !== 'check' && (ctx.ended || row.state === 'stopped');
    if (b.disabled !== disabled) b.disabled = disabled;
  }
}

/** The criteria of one learner's lab as a list (tooltip and last-check dialog). */
export function criteriaList(row: LearnerRow | undefined, lab: LabInfo): HTMLUListElement {
  const ul = el('ul', 'rl-crit-list');
  const seen = row?.labs?.[lab.id]?.criteria ?? {};
  for (const c of lab.criteria) {
    const v = seen[c.id];
    const li = el('li');
    li.dataset.state = v === true ? 'pass' : v === false ? 'fail' : 'none';
    li.append(el('span', 'rl-crit-mark', v === true ? '✓ ' : v === false ? '✗ ' : '· '), c.title);
    ul.append(li);
  }
  return ul;
}

/** One tooltip element for every cell: filled and placed on hover or focus, hidden on Escape. */
export function attachTooltip(tbody: HTMLElement, tip: HTMLElement, lookup: (session: string, lab: string) => { row?: LearnerRow; lab?: LabInfo }) {
  let current: HTMLElement | null = null;
  const show = (cell: HTMLElement) => {
    const session = cell.closest('tr')?.dataset.session ?? '';
    const { row, lab } = lookup(session, cell.dataset.lab ?? '');
    if (!lab) return;
    current?.removeAttribute('aria-describedby');
    current = cell;
    const title = el('p', 'rl-tip-title', `${row?.name ?? ''} · ${lab.title}`);
    tip.replaceChildren(title, criteriaList(row, lab));
    tip.hidden = false;
    cell.setAttribute('aria-describedby', tip.id);
    const r = cell.getBoundingClientRect();
    tip.style.left = `${Math.max(8, Math.min(r.left, window.innerWidth - tip.offsetWidth - 8))}px`;
    tip.style.top = `${r.bottom + 4 + tip.offsetHeight > window.innerHeight ? r.top - tip.offsetHeight - 4 : r.bottom + 4}px`;
  };
  const hide = () => {
    tip.hidden = true;
    current?.removeAttribute('aria-describedby');
    current = null;
  };
  const cellOfEvent = (ev: Event) => (ev.target as HTMLElement).closest<HTMLElement>('button.rl-cell');
  tbody.addEventListener('mouseover', (ev) => {
    const c = cellOfEvent(ev);
    if (c && c !== current) show(c);
  });
  tbody.addEventListener('mouseleave', hide);
  tbody.addEventListener('focusin', (ev) => {
    const c = cellOfEvent(ev);
    if (c) show(c);
    else hide();
  });
  tbody.addEventListener('focusout', hide);
  tbody.addEventListener('click', (ev) => {
    const c = cellOfEvent(ev);
    if (c) show(c);
  });
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && !tip.hidden) hide();
  });
  window.addEventListener('scroll', hide, { passive: true });
  return { refresh: () => current && show(current), hide };
}

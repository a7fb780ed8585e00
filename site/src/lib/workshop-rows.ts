/**
 * The dashboard's rows: one <tr> per learner, created once and updated in place (so focus and
 * hover survive updates), plus the shared criteria tooltip shown on hover and keyboard focus.
 */
import { fmt } from './fmt.ts';
import { ago, cellOf, stuckOn, timeLeft, type LabInfo, type LearnerRow } from './workshop-grid.ts';

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

export function headerCells(tr: HTMLTableRowElement, ctx: RowContext) {
  const { ui } = ctx;
  const th = (text: string, cls = '') => {
    const c = el('th', cls, text);
    c.scope = 'col';
    return c;
  };
  tr.replaceChildren(
    th(ui['dash.col.name'] ?? ''),
    ...ctx.labs.map((l) => th(l.title, 'rl-dash-labcol')),
    th(ui['dash.col.quiz'] ?? ''),
    th(ui['dash.col.activity'] ?? ''),
    th(ui['dash.col.left'] ?? ''),
    th(ui['dash.col.actions'] ?? ''),
  );
}

export function createRow(session: string, ctx: RowContext): HTMLTableRowElement {
  const tr = el('tr');
  tr.dataset.session = session;
  const who = el('th', 'rl-dash-who');
  who.scope = 'row';
  const dot = el('span', 'rl-dash-dot');
  dot.setAttribute('aria-hidden', 'true');
  who.append(dot, el('span', 'sr-only rl-dash-conn-text'), el('span', 'rl-dash-name'), el('span', 'rl-dash-stuck'));
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
  for (const [action, key] of [
    ['watch', 'dash.watch'],
    ['check', 'dash.check'],
    ['reset', 'dash.reset'],
  ] as const) {
    const b = el('button', 'rl-btn rl-btn-secondary rl-btn-small', ctx.ui[key] ?? action);
    b.type = 'button';
    b.dataset.action = action;
    actions.append(b);
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
    setText(p.stuck, `⚠ ${fmt(ui, 'dash.stuck', { lab: lab?.title ?? stuck.lab, criterion: crit, time: ago(stuck.since, now, ui) })}`);
  } else setText(p.stuck, '');

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
    setAttr(b, 'aria-label', fmt(ui, 'dash.cell.aria', { lab: lab.title, state: state ?? '' }));
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

/**
 * The instructor's live dashboard. State: one LearnerRow per session (keyed by session id); an
 * update marks that row dirty and one animation frame writes every dirty row and, when needed,
 * the row order. Data: GET /progress, then the event stream (`learner`, `workshop` events);
 * after every (re)connection the page fetches /progress again and applies what arrived meanwhile.
 */
import { ApiError, describeError, isTransient } from './session.ts';
import { attachRowActions } from './workshop-row-actions.ts';
import { openStream, retryDelayMs } from './workshop-stream.ts';
import { fmt } from './fmt.ts';
import { eventsUrl, getLabs, getProgress, getWorkshop, type Workshop } from './workshop-api.ts';
import { formatCode } from './workshop-code.ts';
import { compareRows, DEFAULT_STUCK_MINUTES, matchesFilter, roomSummary, timeLeft, workingOn, type LabInfo, type LearnerRow, type SortKey } from './workshop-grid.ts';
import { keyFor, setSessionKey } from './workshop-keys.ts';
import { attachRoom } from './workshop-room.ts';
import { attachTooltip, createRow, headerCells, updateRow, updateSummary, type RowContext } from './workshop-rows.ts';
import { attachProjector } from './workshop-projector.ts';
import { attachHelpQueue } from './workshop-help-queue.ts';
import { attachReplay } from './workshop-replay.ts';

const STUCK_KEY = 'registry-lab:stuck-minutes:v1';
const SORT_KEY = 'registry-lab:dashboard-sort:v1';

export function mountDashboard(root: HTMLElement, ui: Record<string, string>) {
  const q = <T extends HTMLElement>(s: string) => root.querySelector<T>(s)!;
  const id = new URLSearchParams(location.search).get('id') ?? '';
  if (!id) {
    q('.rl-dash-noid').hidden = false;
    return;
  }
  let key = keyFor(id) ?? '';
  let workshop: Workshop | null = null;
  let labs: LabInfo[] = [];
  const rows = new Map<string, LearnerRow>();
  const trs = new Map<string, HTMLTableRowElement>();
  const dirty = new Set<string>();
  let reorder = true;
  let headCount = 0;
  let frame = 0;
  let stream: { close(): void } | null = null;
  /** The lab the summary row filtered the grid to (learners working on it), or null. */
  let labFilter: string | null = null;
  let summaryDirty = true;
  const quizTotal = Number(root.dataset.quizTotal) || 0;

  const tbody = q<HTMLTableSectionElement>('.rl-dash-grid tbody');
  const sumRow = q<HTMLTableRowElement>('.rl-dash-sumrow');
  const gridwrap = q('.rl-dash-gridwrap');
  const sortSel = q<HTMLSelectElement>('#rl-dash-sort');
  const filterIn = q<HTMLInputElement>('#rl-dash-filter');
  const stuckIn = q<HTMLInputElement>('#rl-dash-stuck');
  const stored = Number(localStorage.getItem(STUCK_KEY));
  stuckIn.value = String(stored > 0 ? stored : DEFAULT_STUCK_MINUTES);
  sortSel.value = localStorage.getItem(SORT_KEY) ?? 'name';

  const ctx = (): RowContext => ({
    labs,
    ui,
    now: Date.now(),
    stuckMinutes: Number(stuckIn.value) > 0 ? Number(stuckIn.value) : DEFAULT_STUCK_MINUTES,
    ended: workshop?.state === 'ended',
  });

  /* ---------- rendering, batched per animation frame ---------- */

  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(flush);
  };
  const markAll = () => {
    for (const s of rows.keys()) dirty.add(s);
    reorder = true;
    schedule();
  };

  function flush() {
    frame = 0;
    const t0 = performance.now();
    const c = ctx();
    for (const s of dirty) {
      const row = rows.get(s);
      if (!row) continue;
      let tr = trs.get(s);
      if (!tr) {
        tr = createRow(s, c);
        trs.set(s, tr);
        reorder = true;
      }
      updateRow(tr, row, c);
    }
    if (dirty.size || summaryDirty) {
      summaryDirty = false;
      const sum = roomSummary(rows.values(), labs, c.stuckMinutes, c.now, quizTotal);
      updateSummary(sumRow, sum, c, labFilter);
      projector.update(sum);
    }
    dirty.clear();
    if (reorder) applyOrder();
    if (rows.size !== headCount) {
      headCount = rows.size;
      renderHead();
    }
    tip.refresh();
    // Visible in the browser's performance timeline (and read by the 100-learner test).
    performance.measure('rl-dash-flush', { start: t0 });
  }

  function applyOrder() {
    reorder = false;
    const filter = filterIn.value;
    const lab = labFilter ? labs.find((l) => l.id === labFilter) : undefined;
    const list = [...rows.values()].sort(compareRows(sortSel.value as SortKey));
    const shown = new Set(list.filter((r) => matchesFilter(r, filter) && (!lab || workingOn(r, lab)) && help.shows(r.session)));
    for (const r of list) {
      const tr = trs.get(r.session)!;
      if (tr.hidden !== !shown.has(r)) tr.hidden = !shown.has(r);
    }
    const want = list.map((r) => trs.get(r.session)!);
    const have = [...tbody.children];
    if (want.length !== have.length || want.some((tr, i) => tr !== have[i])) {
      const focused = document.activeElement as HTMLElement | null;
      const keep = focused && tbody.contains(focused) ? focused : null;
      tbody.replaceChildren(...want);
      keep?.focus({ preventScroll: true });
    }
    q('.rl-dash-empty').hidden = rows.size > 0;
    q('.rl-dash-shown').textContent = rows.size ? fmt(ui, 'dash.shown', { shown: shown.size, total: rows.size }) : '';
    const chip = q<HTMLButtonElement>('.rl-dash-labfilter');
    chip.hidden = !lab;
    if (lab) {
      chip.textContent = fmt(ui, 'dash.labfilter', { lab: `${labs.indexOf(lab) + 1}. ${lab.title}` });
      chip.setAttribute('aria-label', fmt(ui, 'dash.labfilter.aria', { lab: lab.title }));
    }
  }

  const tip = attachTooltip(tbody, q('#rl-dash-tip'), (s, lab) => ({ row: rows.get(s), lab: labs.find((l) => l.id === lab) }));

  function upsert(row: LearnerRow) {
    const old = rows.get(row.session);
    rows.set(row.session, row);
    dirty.add(row.session);
    const sort = sortSel.value as SortKey;
    // A filter by lab hides those who passed it meanwhile: it re-checks on every update.
    if (!old || old.name !== row.name || sort !== 'name' || labFilter) reorder = true;
    schedule();
  }

  function renderHead() {
    if (!workshop) return;
    const w = workshop;
    q('.rl-dash-wtitle').textContent = w.title;
    q('.rl-dash-code').textContent = fmt(ui, 'dash.code', { code: formatCode(w.code) });
    // Every learner has a row; the workshop object's count may be older than the last join.
    q('.rl-dash-seats').textContent = fmt(ui, 'dash.seats', { n: Math.max(w.learners ?? 0, rows.size), seats: w.seats });
    const left = timeLeft(w.endsAt, Date.now());
    q('.rl-dash-ends').textContent = left ? fmt(ui, 'dash.ends', { t: left.minutes ? fmt(ui, 'dash.min', { n: left.minutes }) : ui['dash.over'] ?? '' }) : '';
    q('.rl-dash-reserve').textContent = w.reserve ? fmt(ui, 'dash.reserve', { ready: w.ready ?? 0, reserve: w.reserve }) : '';
    const ended = w.state === 'ended';
    if (root.dataset.ended !== String(ended)) {
      root.dataset.ended = String(ended);
      q('.rl-dash-ended').hidden = !ended;
      for (const b of root.querySelectorAll<HTMLButtonElement>('.rl-dash-live-only')) b.disabled = ended;
      q<HTMLInputElement>('#rl-dash-msg').disabled = ended;
      markAll();
    }
  }

  function setConn(state: 'connecting' | 'live' | 'reconnecting') {
    const p = q('.rl-dash-conn');
    if (p.dataset.state === state) return;
    p.dataset.state = state;
    p.textContent = ui[`dash.${state}`] ?? state;
  }

  /* ---------- data: progress + event stream ---------- */

  async function loadProgress() {
    const p = await getProgress(key, id);
    workshop = { ...workshop, ...p.workshop };
    for (const r of p.learners) upsert(r);
    renderHead();
  }

  function connect() {
    stream?.close();
    stream = openStream({
      url: eventsUrl(id, key),
      events: ['learner', 'workshop', 'help', 'takeover'],
      catchUp: async () => {
        // The queue is not worth holding the grid back: it catches up with the next `help` event.
        await Promise.all([loadProgress(), help.catchUp().catch(() => undefined)]);
      },
      onEvent: apply,
      onState: setConn,
    });
  }

  function apply(ev: MessageEvent) {
    try {
      const data = JSON.parse(ev.data as string);
      if (ev.type === 'learner') upsert(data as LearnerRow);
      else if (ev.type === 'help' || ev.type === 'takeover') help.apply(ev.type, data);
      else if (ev.type === 'workshop') {
        workshop = { ...workshop, ...(data as Workshop) };
        renderHead();
      }
    } catch {
      /* an event this page does not understand */
    }
  }

  let startTimer: ReturnType<typeof setTimeout> | undefined;
  let startTries = 0;
  async function start() {
    clearTimeout(startTimer);
    try {
      workshop = await getWorkshop(key, id);
    } catch (e) {
      if (e instanceof ApiError && [401, 403].includes(e.status)) return askKey(describeError(e, ui));
      if (e instanceof ApiError && e.status === 404) return askKey(ui['err.unknown_workshop_id'] ?? e.message);
      q('.rl-dash-keyform').hidden = true;
      q('.rl-dash-noid').hidden = false;
      // The runner away, busy or the network changed: say so and try again by itself, as the event stream does.
      const again = isTransient(e);
      q('.rl-dash-noid').textContent = again ? (ui['dash.reconnecting'] ?? describeError(e, ui)) : describeError(e, ui);
      if (again) startTimer = setTimeout(() => void start(), retryDelayMs(startTries++));
      return;
    }
    startTries = 0;
    q('.rl-dash-noid').hidden = true;
    const all = await getLabs(root.dataset.lang === 'en' ? 'en' : undefined).catch(() => [] as LabInfo[]);
    const order = workshop.labs?.length ? workshop.labs : all.map((l) => l.id);
    labs = order.map((lid) => all.find((l) => l.id === lid) ?? { id: lid, title: lid, criteria: [] });
    headerCells(q<HTMLTableRowElement>('.rl-dash-headrow'), sumRow, ctx());
    summaryDirty = true;
    q('.rl-dash-keyform').hidden = true;
    q('.rl-dash-main').hidden = false;
    fitGrid();
    renderHead();
    try {
      await loadProgress();
    } catch {
      /* the stream's open fetches it again */
    }
    connect();
  }

  function askKey(message: string) {
    const form = q<HTMLFormElement>('.rl-dash-keyform');
    form.hidden = false;
    q('.rl-dash-keyerror').textContent = key ? message : '';
    q<HTMLInputElement>('#rl-dash-key').focus();
  }
  q<HTMLFormElement>('.rl-dash-keyform').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const input = q<HTMLInputElement>('#rl-dash-key');
    key = input.value.trim();
    if (!key) return;
    setSessionKey(id, key);
    input.value = '';
    void start();
  });
  q('.rl-dash-forget').addEventListener('click', () => {
    setSessionKey(id, null);
    stream?.close();
    location.reload();
  });

  /* ---------- controls ---------- */

  sortSel.addEventListener('change', () => {
    localStorage.setItem(SORT_KEY, sortSel.value);
    reorder = true;
    schedule();
  });
  filterIn.addEventListener('input', () => {
    reorder = true;
    schedule();
  });
  stuckIn.addEventListener('change', () => {
    if (Number(stuckIn.value) > 0) localStorage.setItem(STUCK_KEY, String(Number(stuckIn.value)));
    markAll();
  });
  // The summary row: a lab's counts filter the grid to those working on it; again (or the chip) shows everyone.
  sumRow.addEventListener('click', (ev) => {
    const b = (ev.target as HTMLElement).closest<HTMLButtonElement>('button.rl-dash-sum');
    if (!b) return;
    labFilter = labFilter === b.dataset.lab ? null : (b.dataset.lab ?? null);
    summaryDirty = true;
    reorder = true;
    schedule();
  });
  q('.rl-dash-labfilter').addEventListener('click', () => {
    labFilter = null;
    summaryDirty = true;
    reorder = true;
    schedule();
    sumRow.querySelector<HTMLButtonElement>('button.rl-dash-sum')?.focus();
  });

  /* ---------- layout: the grid scrolls inside the screen, its head and the toolbar stay ---------- */

  // On wide screens the grid fills the window below the toolbar, the legend under it (the grid's head
  // sticks, the page does not scroll); on phones the page scrolls.
  function fitGrid() {
    if (!matchMedia('(min-width: 50rem)').matches) {
      gridwrap.style.maxHeight = '';
      return;
    }
    const top = gridwrap.getBoundingClientRect().top + window.scrollY;
    const below = q('.rl-dash-legend').offsetHeight + 12;
    gridwrap.style.maxHeight = `${Math.max(240, window.innerHeight - top - below)}px`;
  }
  window.addEventListener('resize', fitGrid, { passive: true });
  const above = new ResizeObserver(fitGrid);
  for (const s of ['.rl-dash-head', '.rl-dash-ended', '.rl-dash-bar', '.rl-dash-room-status']) above.observe(q(s));
  gridwrap.addEventListener('scroll', () => tip.hide(), { passive: true });
  // Relative times and the stuck rule move with the clock.
  setInterval(() => {
    summaryDirty = true;
    markAll();
    renderHead();
  }, 30_000);

  const replay = attachReplay({ root, ui, id, key: () => key });
  const actions = attachRowActions({
    root,
    ui,
    id,
    tbody,
    key: () => key,
    labs: () => labs,
    row: (session) => rows.get(session),
    replay: (session, name) => void replay.open(session, name),
  });
  const help = attachHelpQueue({
    root,
    ui,
    id,
    key: () => key,
    labs: () => labs,
    refilter: () => {
      reorder = true;
      schedule();
    },
    watch: (session, name, takeOver) => void actions.watch(session, name, takeOver),
    replay: (session, name) => void replay.open(session, name),
  });

  const projector = attachProjector({
    root,
    ui,
    labs: () => labs,
    workshop: () => workshop,
  });

  attachRoom({
    root,
    ui,
    id,
    key: () => key,
    title: () => workshop?.title ?? id,
    onEnded: () => {
      workshop = { ...workshop!, state: 'ended' };
      renderHead();
    },
  });

  if (!key) askKey('');
  else void start();
}

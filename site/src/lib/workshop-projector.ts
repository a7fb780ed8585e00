/**
 * Projector views of the dashboard, for the room's screen: one shows only the join link, the
 * code and its QR code in large type; the other only the room's summary (per lab: passed,
 * working, not started), kept live while it is open. A modal <dialog> over the whole window;
 * Escape or "Close" returns to the grid.
 */
import { formatCode, joinLink } from './workshop-code.ts';
import type { LabCount, LabInfo } from './workshop-grid.ts';
import type { Workshop } from './workshop-api.ts';
import { qrSvg } from './workshop-qr.ts';

export interface ProjectorHost {
  root: HTMLElement;
  ui: Record<string, string>;
  labs: () => LabInfo[];
  workshop: () => Workshop | null;
}

type Summary = { labs: Map<string, LabCount>; quiz: LabCount };

export function attachProjector(h: ProjectorHost) {
  const q = <T extends HTMLElement>(s: string) => h.root.querySelector<T>(s)!;
  const dlg = q<HTMLDialogElement>('.rl-dash-proj');
  const body = q<HTMLTableSectionElement>('.rl-dash-proj-table tbody');
  let last: Summary | null = null;
  let opener: HTMLElement | null = null;

  function renderSummary() {
    if (!last || dlg.dataset.mode !== 'summary') return;
    const tr = (head: string, c: LabCount, title?: string) => {
      const row = document.createElement('tr');
      const th = document.createElement('th');
      th.scope = 'row';
      th.textContent = head;
      if (title) th.title = title;
      row.append(th);
      for (const [sign, n] of [
        ['✓', c.passed],
        ['◐', c.working],
        ['—', c.none],
      ] as const) {
        const td = document.createElement('td');
        td.textContent = `${sign} ${n}`;
        row.append(td);
      }
      if (c.stuck) row.children[2]!.textContent += ` (⚠ ${c.stuck})`;
      return row;
    };
    const labs = h.labs();
    body.replaceChildren(
      ...labs.map((l, i) => tr(`${i + 1}. ${l.title}`, last!.labs.get(l.id) ?? { passed: 0, working: 0, stuck: 0, none: 0 })),
      tr(h.ui['dash.proj.quiz'] ?? '', last.quiz),
    );
  }

  function open(mode: 'join' | 'summary', from: HTMLElement) {
    const w = h.workshop();
    if (!w) return;
    opener = from;
    dlg.dataset.mode = mode;
    q('.rl-dash-proj-join').hidden = mode !== 'join';
    q('.rl-dash-proj-sum').hidden = mode !== 'summary';
    q('.rl-dash-proj-title').textContent = mode === 'join' ? w.title : `${w.title} · ${h.ui['dash.sum.head'] ?? ''}`;
    if (mode === 'join') {
      const link = joinLink(location.origin, w.code);
      q('.rl-dash-proj-link').textContent = `${location.host}/join/`;
      q('.rl-dash-proj-code').textContent = formatCode(w.code);
      q('.rl-dash-proj-qr').innerHTML = qrSvg(link, 8); // generated SVG markup, no outside text in it
    } else renderSummary();
    dlg.showModal();
  }
  dlg.addEventListener('close', () => {
    delete dlg.dataset.mode;
    opener?.focus();
  });
  // A click on the dim area around the content closes it, like Escape.
  dlg.addEventListener('click', (ev) => {
    if (ev.target === dlg) dlg.close();
  });
  q('.rl-dash-proj-join-open').addEventListener('click', (ev) => open('join', ev.currentTarget as HTMLElement));
  q('.rl-dash-proj-sum-open').addEventListener('click', (ev) => open('summary', ev.currentTarget as HTMLElement));

  return {
    update(s: Summary) {
      last = s;
      if (dlg.open) renderSummary();
    },
  };
}

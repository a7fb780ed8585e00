/**
 * Row actions of the dashboard: the terminal view (read-only; with the learner's consent a
 * take-over, issue 23), replay of the recording, reset one lab (confirmed), last check.
 */
import { describeError } from './session.ts';
import { fmt } from './fmt.ts';
import { resetLearnerLab, shadowUrl } from './workshop-api.ts';
import type { LabInfo, LearnerRow } from './workshop-grid.ts';
import type { ShadowView } from './workshop-shadow.ts';

export interface RowActionsHost {
  root: HTMLElement;
  ui: Record<string, string>;
  id: string;
  tbody: HTMLElement;
  key: () => string;
  labs: () => LabInfo[];
  row: (session: string) => LearnerRow | undefined;
  replay: (session: string, name: string) => void;
}

export function attachRowActions(h: RowActionsHost) {
  const { root, ui, id, tbody } = h;
  const q = <T extends HTMLElement>(s: string) => root.querySelector<T>(s)!;

  const shadowDlg = q<HTMLDialogElement>('.rl-dash-shadow');
  const resetDlg = q<HTMLDialogElement>('.rl-dash-reset');
  const checkDlg = q<HTMLDialogElement>('.rl-dash-check');
  let shadow: ShadowView | null = null;
  const askBtn = q<HTMLButtonElement>('.rl-dash-takeover-ask');
  const endBtn = q<HTMLButtonElement>('.rl-dash-takeover-end');
  const toStatus = q('.rl-dash-takeover-status');
  shadowDlg.addEventListener('close', () => {
    shadow?.close();
    shadow = null;
  });
  askBtn.addEventListener('click', () => {
    shadow?.ask();
    askBtn.disabled = true;
  });
  endBtn.addEventListener('click', () => shadow?.end());

  /** Opens the learner's terminal view; `takeOver`: asks the learner at once. */
  async function watch(session: string, name: string, takeOver: boolean) {
    q('#rl-dash-shadow-h').textContent = fmt(ui, 'dash.shadow.title', { name });
    askBtn.disabled = false;
    askBtn.hidden = false;
    endBtn.hidden = true;
    toStatus.textContent = '';
    if (!shadowDlg.open) shadowDlg.showModal();
    const { openShadow } = await import('./workshop-shadow.ts');
    shadow?.close();
    shadow = openShadow(
      q('.rl-dash-shadow-screen'),
      shadowUrl(id, session, h.key()),
      (state) => {
        q('.rl-dash-shadow-status').textContent = ui[`dash.shadow.${state}`] ?? state;
        if (state === 'live' && takeOver) askBtn.click();
      },
      (e) => {
        const active = e.state === 'active';
        askBtn.hidden = active;
        askBtn.disabled = e.state === 'asked';
        endBtn.hidden = !active;
        toStatus.textContent = e.state === 'ended' ? (ui[`dash.takeover.ended.${e.reason}`] ?? ui['dash.takeover.ended'] ?? '') : (ui[`dash.takeover.${e.state}`] ?? '');
      },
    );
  }

  tbody.addEventListener('click', async (ev) => {
    const b = (ev.target as HTMLElement).closest<HTMLButtonElement>('button[data-action]');
    const row = b && h.row(b.closest('tr')?.dataset.session ?? '');
    if (!b || !row) return;
    if (b.dataset.action === 'watch') {
      await watch(row.session, row.name, false);
    } else if (b.dataset.action === 'replay') {
      h.replay(row.session, row.name);
    } else if (b.dataset.action === 'check') {
      showLastCheck(row);
    } else if (b.dataset.action === 'reset') {
      const sel = q<HTMLSelectElement>('#rl-dash-reset-lab');
      sel.replaceChildren(...h.labs().map((l) => new Option(l.title, l.id)));
      if (row.lastCheck) sel.value = row.lastCheck.lab;
      q('#rl-dash-reset-h').textContent = fmt(ui, 'dash.reset.title', { name: row.name });
      resetDlg.returnValue = '';
      resetDlg.showModal();
      resetDlg.addEventListener(
        'close',
        async () => {
          if (resetDlg.returnValue !== 'reset') return;
          const lab = h.labs().find((l) => l.id === sel.value);
          const status = q('.rl-dash-room-status');
          status.textContent = ui['dash.busy'] ?? '';
          try {
            await resetLearnerLab(h.key(), id, row.session, sel.value);
            status.textContent = fmt(ui, 'dash.reset.done', { lab: lab?.title ?? sel.value, name: row.name });
          } catch (e) {
            status.textContent = describeError(e, ui);
          }
        },
        { once: true },
      );
    }
  });

  function showLastCheck(row: LearnerRow) {
    q('#rl-dash-check-h').textContent = fmt(ui, 'dash.check.title', { name: row.name });
    const body = q('.rl-dash-check-body');
    const c = row.lastCheck;
    if (!c) body.replaceChildren(Object.assign(document.createElement('p'), { textContent: ui['dash.check.none'] ?? '' }));
    else {
      const lab = h.labs().find((l) => l.id === c.lab);
      const head = document.createElement('p');
      head.textContent = fmt(ui, 'dash.check.head', {
        lab: lab?.title ?? c.lab,
        time: new Date(c.at).toLocaleTimeString(document.documentElement.lang || 'ru'),
        verdict: ui[c.passed ? 'dash.check.passed' : 'dash.check.failed'] ?? '',
      });
      const ul = document.createElement('ul');
      ul.className = 'rl-crit-list';
      for (const cr of c.criteria) {
        const li = document.createElement('li');
        li.dataset.state = cr.passed ? 'pass' : 'fail';
        const strong = document.createElement('strong');
        strong.textContent = `${cr.passed ? '✓' : '✗'} ${cr.title}`;
        const msg = document.createElement('p');
        msg.textContent = cr.message;
        li.append(strong, msg);
        ul.append(li);
      }
      body.replaceChildren(head, ul);
    }
    checkDlg.showModal();
  }

  return { watch };
}

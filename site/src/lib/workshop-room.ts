/**
 * Room actions of the dashboard: broadcast (the toolbar's one-line form), and in the toolbar's
 * "more" menu: extend everyone, results downloads, end the workshop. The menu is a disclosure
 * (a button with aria-expanded and a list of ordinary buttons): Tab moves through it, Escape or a
 * click elsewhere closes it, and an action closes it after running.
 */
import { describeError } from './session.ts';
import { fmt } from './fmt.ts';
import { broadcast, downloadResults, endWorkshop, extendAll } from './workshop-api.ts';
import { downloadName } from './workshop-grid.ts';

export interface RoomHost {
  root: HTMLElement;
  ui: Record<string, string>;
  id: string;
  key: () => string;
  title: () => string;
  onEnded: () => void;
}

export function attachRoom(h: RoomHost) {
  const q = <T extends HTMLElement>(s: string) => h.root.querySelector<T>(s)!;
  const status = q('.rl-dash-room-status');
  const say = (msg: string) => (status.textContent = msg);
  const busy = async (button: HTMLButtonElement, work: () => Promise<string | void>) => {
    button.disabled = true;
    say(h.ui['dash.busy'] ?? '');
    try {
      say((await work()) ?? '');
    } catch (e) {
      say(describeError(e, h.ui));
    } finally {
      button.disabled = h.root.dataset.ended === 'true' && button.classList.contains('rl-dash-live-only');
    }
  };

  const moreBtn = q<HTMLButtonElement>('.rl-dash-more-btn');
  const menu = q('.rl-dash-menu');
  const setMenu = (open: boolean, focusButton = false) => {
    menu.hidden = !open;
    moreBtn.setAttribute('aria-expanded', String(open));
    if (open) menu.querySelector<HTMLElement>('button:not(:disabled), input')?.focus();
    else if (focusButton) moreBtn.focus();
  };
  moreBtn.addEventListener('click', () => setMenu(menu.hidden));
  menu.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      ev.preventDefault();
      setMenu(false, true);
    }
  });
  menu.addEventListener('click', (ev) => {
    if ((ev.target as HTMLElement).closest('button')) setMenu(false, true);
  });
  document.addEventListener('click', (ev) => {
    if (!menu.hidden && !(ev.target as HTMLElement).closest('.rl-dash-more')) setMenu(false);
  });
  h.root.addEventListener('focusout', (ev) => {
    const to = ev.relatedTarget as HTMLElement | null;
    if (!menu.hidden && to && !to.closest('.rl-dash-more')) setMenu(false);
  });

  const form = q<HTMLFormElement>('.rl-dash-broadcast');
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const area = q<HTMLInputElement>('#rl-dash-msg');
    const message = area.value.trim();
    if (!message || message.length > 500) {
      say(h.ui['dash.broadcast.bad'] ?? '');
      area.focus();
      return;
    }
    void busy(form.querySelector('button')!, async () => {
      // The raised-hands panel's checkbox: this message answers every hand (issue 23).
      const closeHands = h.root.querySelector<HTMLInputElement>('#rl-dash-closehands');
      await broadcast(h.key(), h.id, message, !!closeHands?.checked && !closeHands.closest('[hidden]'));
      if (closeHands) closeHands.checked = false;
      area.value = '';
      return h.ui['dash.broadcast.sent'];
    });
  });
  q<HTMLButtonElement>('.rl-dash-extend').addEventListener('click', (ev) =>
    busy(ev.currentTarget as HTMLButtonElement, async () => fmt(h.ui, 'dash.extended', { n: (await extendAll(h.key(), h.id)).extended })),
  );
  q<HTMLButtonElement>('.rl-dash-end').addEventListener('click', (ev) => {
    if (!confirm(fmt(h.ui, 'dash.end.confirm', { title: h.title() }))) return;
    void busy(ev.currentTarget as HTMLButtonElement, async () => {
      await endWorkshop(h.key(), h.id);
      h.onEnded();
      return h.ui['dash.ended.done'];
    });
  });
  for (const ext of ['csv', 'json'] as const) {
    q<HTMLButtonElement>(`.rl-dash-${ext}`).addEventListener('click', (ev) =>
      busy(ev.currentTarget as HTMLButtonElement, async () => {
        await downloadResults(h.key(), h.id, ext, downloadName(h.title(), ext));
      }),
    );
  }
}

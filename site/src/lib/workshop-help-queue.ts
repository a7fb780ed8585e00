/**
 * The raised hands on the dashboard (issue 23): the queue by waiting time with each learner's
 * message (as text), lab, failing checks and time waiting, and the actions: open the terminal,
 * take over, reply, helped, replay. Live: /help after each (re)connection, then `help` events of
 * the stream; take-over states from `takeover` events. The count is in the page title; a
 * checkbox filters the grid to hands up (`handsUp`).
 */
import { fmt } from './fmt.ts';
import { describeError } from './session.ts';
import { getHelpQueue, markHelped, replyHelp, type HelpRequestView } from './workshop-api.ts';
import type { LabInfo } from './workshop-grid.ts';

export interface HelpQueueHost {
  root: HTMLElement;
  ui: Record<string, string>;
  id: string;
  key: () => string;
  labs: () => LabInfo[];
  /** The grid re-applies its filter (hands only). */
  refilter: () => void;
  watch: (session: string, name: string, takeOver: boolean) => void;
  replay: (session: string, name: string) => void;
}

const waited = (ms: number, ui: Record<string, string>) => {
  const min = Math.floor(ms / 60_000);
  return min < 1 ? (ui['dash.help.justnow'] ?? '') : fmt(ui, 'dash.min', { n: min });
};

export function attachHelpQueue(h: HelpQueueHost) {
  const { root, ui } = h;
  const q = <T extends HTMLElement>(s: string) => root.querySelector<T>(s)!;
  const section = q('.rl-dash-help');
  const list = q<HTMLOListElement>('.rl-dash-help-list');
  const count = q('.rl-dash-help-count');
  const handsOnly = q<HTMLInputElement>('#rl-dash-hands');
  const replyDlg = q<HTMLDialogElement>('.rl-dash-reply');
  const baseTitle = document.title;
  let queue: HelpRequestView[] = [];
  let receivedAt = Date.now();
  const takeovers = new Map<string, string>();

  function render() {
    const now = Date.now();
    document.title = queue.length ? `(${queue.length}) ✋ ${baseTitle}` : baseTitle;
    count.textContent = String(queue.length);
    section.dataset.count = String(queue.length);
    const was = !section.hidden;
    section.hidden = queue.length === 0;
    // Off with the last hand: the filter would hide every row.
    if (section.hidden && handsOnly.checked) handsOnly.checked = false;
    // The room's status line says when the last hand went down (the section itself is gone).
    if (was && section.hidden) q('.rl-dash-room-status').textContent = ui['dash.help.empty'] ?? '';
    const items = queue.map((r, i) => {
      const li = document.createElement('li');
      li.className = 'rl-dash-help-item';
      li.dataset.session = r.session;
      const head = document.createElement('p');
      head.className = 'rl-dash-help-head';
      const name = document.createElement('strong');
      name.textContent = `${i + 1}. ${r.name}`;
      const lab = r.lab ? h.labs().find((l) => l.id === r.lab) : undefined;
      const meta = document.createElement('span');
      meta.textContent = ` · ${fmt(ui, 'dash.help.waiting', { t: waited(r.waitingMs + (now - receivedAt), ui) })}${r.lab ? ` · ${lab?.title ?? r.lab}` : ''}`;
      head.append(name, meta);
      const state = takeovers.get(r.session);
      if (state && state !== 'ended') {
        const badge = document.createElement('span');
        badge.className = 'rl-dash-help-badge';
        badge.textContent = ui[`dash.takeover.${state}`] ?? state;
        head.append(' ', badge);
      }
      li.append(head);
      if (r.message) {
        const msg = document.createElement('p');
        msg.className = 'rl-dash-help-msg';
        msg.textContent = r.message;
        li.append(msg);
      }
      if (r.failing.length) {
        const f = document.createElement('p');
        f.className = 'rl-dash-help-failing';
        f.textContent = fmt(ui, 'dash.help.failing', { list: r.failing.map((c) => c.title).join('; ') });
        li.append(f);
      }
      if (r.reply) {
        const rp = document.createElement('p');
        rp.className = 'rl-dash-help-replied';
        rp.textContent = fmt(ui, 'dash.help.replied', { msg: r.reply.message });
        li.append(rp);
      }
      const actions = document.createElement('div');
      actions.className = 'rl-dash-help-actions';
      for (const [action, label] of [
        ['watch', 'dash.watch'],
        ['takeover', 'dash.takeover'],
        ['reply', 'dash.help.reply'],
        ['helped', 'dash.help.helped'],
        ['replay', 'dash.replay'],
      ] as const) {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = `rl-btn rl-btn-small ${action === 'helped' ? '' : 'rl-btn-secondary'}`;
        b.dataset.help = action;
        b.textContent = ui[label] ?? action;
        b.setAttribute('aria-label', `${ui[label] ?? action}: ${r.name}`);
        actions.append(b);
      }
      li.append(actions);
      return li;
    });
    const focused = document.activeElement as HTMLElement | null;
    const keep = focused && list.contains(focused) ? { s: focused.closest('li')?.dataset.session, a: focused.dataset.help } : null;
    list.replaceChildren(...items);
    if (keep) list.querySelector<HTMLElement>(`li[data-session="${CSS.escape(keep.s ?? '')}"] [data-help="${keep.a}"]`)?.focus();
    h.refilter();
  }

  list.addEventListener('click', async (ev) => {
    const b = (ev.target as HTMLElement).closest<HTMLButtonElement>('button[data-help]');
    const session = b?.closest('li')?.dataset.session;
    const r = queue.find((x) => x.session === session);
    if (!b || !r) return;
    const status = q('.rl-dash-room-status');
    if (b.dataset.help === 'watch') h.watch(r.session, r.name, false);
    else if (b.dataset.help === 'takeover') h.watch(r.session, r.name, true);
    else if (b.dataset.help === 'replay') h.replay(r.session, r.name);
    else if (b.dataset.help === 'helped') {
      try {
        await markHelped(h.key(), h.id, r.session);
        status.textContent = fmt(ui, 'dash.help.done', { name: r.name });
      } catch (e) {
        status.textContent = describeError(e, ui);
      }
    } else if (b.dataset.help === 'reply') {
      q('#rl-dash-reply-h').textContent = fmt(ui, 'dash.help.replyTo', { name: r.name });
      const input = q<HTMLTextAreaElement>('#rl-dash-reply-text');
      input.value = '';
      q<HTMLInputElement>('#rl-dash-reply-close').checked = false;
      replyDlg.returnValue = '';
      replyDlg.showModal();
      replyDlg.addEventListener(
        'close',
        async () => {
          const text = input.value.trim();
          if (replyDlg.returnValue !== 'send' || !text) return;
          try {
            await replyHelp(h.key(), h.id, r.session, text);
            const close = q<HTMLInputElement>('#rl-dash-reply-close');
            if (close.checked) await markHelped(h.key(), h.id, r.session);
            status.textContent = fmt(ui, close.checked ? 'dash.help.done' : 'dash.help.sent', { name: r.name });
          } catch (e) {
            status.textContent = describeError(e, ui);
          }
        },
        { once: true },
      );
    }
  });
  handsOnly.addEventListener('change', () => h.refilter());
  setInterval(render, 30_000);

  return {
    /** After each (re)connection of the stream. */
    async catchUp() {
      queue = await getHelpQueue(h.key(), h.id);
      receivedAt = Date.now();
      render();
    },
    /** A `help` or `takeover` event of the stream. */
    apply(type: string, data: unknown) {
      if (type === 'help') {
        queue = (data as { queue: HelpRequestView[] }).queue;
        receivedAt = Date.now();
      } else if (type === 'takeover') {
        const t = data as { session: string; state: string };
        takeovers.set(t.session, t.state);
      }
      render();
    },
    /** The grid shows only learners with a raised hand (when the checkbox is on). */
    shows(session: string): boolean {
      return !handsOnly.checked || queue.some((r) => r.session === session);
    },
  };
}

/**
 * The learner's side of help in a workshop (issue 23), inside WorkshopBanner: raise a hand with
 * a short message (the current lab is sent; the runner attaches its failing checks), the place in
 * the queue, lower the hand, the instructor's reply; the take-over prompt and, while the
 * instructor types, the banner with "take control back". Live news arrives through the learner's
 * terminal (`rl-help`, `rl-takeover` from terminal-client.ts); answers go back through it
 * (`rl-takeover-answer`). Messages are shown as text only. Outside workshops, where the operator
 * set HELP_CONTACT (GET /api/help/contact), the same button writes to that contact instead
 * (a mail with the message, the lab and the page, or the operator's link).
 */
import type { HelpEvent, TakeoverEvent } from '../../../protocol/terminal.ts';
import { fmt } from './fmt.ts';
import { ApiError, api, describeError, storedSession } from './session.ts';

export function helpStateText(e: HelpEvent, ui: Record<string, string>): string {
  if (e.state === 'up') return fmt(ui, 'wsb.helpUp', { position: e.position ?? 1 });
  return e.closedBy ? (ui[`wsb.helpDown.${e.closedBy}`] ?? '') : '';
}

/** Where the self-study message goes: a mailto: with subject and body, or the operator's http(s) link as it is. */
export function contactHref(contact: string, message: string, lab: string | null, page: string): string | null {
  if (/^https?:\/\//.test(contact)) return contact;
  if (!/^[^\s@<>"]+@[^\s@<>"]+$/.test(contact)) return null;
  const body = [message, lab ? `lab: ${lab}` : '', `page: ${page}`].filter(Boolean).join('\n\n');
  return `mailto:${contact}?subject=${encodeURIComponent(`Registry Lab: help${lab ? ` (${lab})` : ''}`)}&body=${encodeURIComponent(body)}`;
}

let contactOnce: Promise<string | null> | null = null;
const loadContact = () =>
  (contactOnce ??= api<{ contact: string | null }>('/api/help/contact').then(
    (r) => (typeof r?.contact === 'string' && r.contact ? r.contact : null),
    () => null,
  ));

export function mountHelp(root: HTMLElement, ui: Record<string, string>) {
  const q = <T extends HTMLElement>(s: string) => root.querySelector<T>(s)!;
  const openBtn = q<HTMLButtonElement>('.rl-wsh-open');
  const lowerBtn = q<HTMLButtonElement>('.rl-wsh-lower');
  const form = q<HTMLFormElement>('.rl-wsh-form');
  const message = q<HTMLTextAreaElement>('.rl-wsh-message');
  const state = q('.rl-wsh-state');
  const reply = q('.rl-wsh-reply');
  const error = q('.rl-wsh-error');
  const ask = q('.rl-wsh-ask');
  const on = q('.rl-wsh-on');
  let up = false;
  let contact: string | null = null;

  const session = () => {
    const s = storedSession();
    return s?.workshop ? s : null;
  };
  const showError = (e: unknown) => {
    error.hidden = false;
    error.textContent = e instanceof ApiError && e.status === 429 ? ui['wsb.helpLimit']! : fmt(ui, 'wsb.helpError', { msg: describeError(e, ui) });
  };
  const render = (e: HelpEvent) => {
    up = e.state === 'up';
    root.dataset.hand = up ? 'up' : 'down';
    openBtn.hidden = up;
    lowerBtn.hidden = !up;
    if (up) {
      form.hidden = true;
      openBtn.setAttribute('aria-expanded', 'false');
    }
    const text = helpStateText(e, ui);
    state.hidden = !text;
    state.textContent = text;
    reply.hidden = !e.reply;
    reply.textContent = e.reply ? fmt(ui, 'wsb.helpReply', { msg: e.reply.message }) : '';
  };
  const refresh = async () => {
    const s = session();
    root.hidden = !s;
    root.dataset.mode = s ? 'workshop' : 'self';
    if (!s) {
      contact = await loadContact();
      root.hidden = !contact;
      return;
    }
    try {
      render(await api<HelpEvent>(`/api/sessions/${encodeURIComponent(s.id)}/help`, { token: s.token }));
    } catch {
      /* no runner, or the session is gone: the button still works once it is back */
    }
  };

  openBtn.addEventListener('click', () => {
    form.hidden = !form.hidden;
    openBtn.setAttribute('aria-expanded', String(!form.hidden));
    if (!form.hidden) message.focus();
  });
  q('.rl-wsh-cancel').addEventListener('click', () => {
    form.hidden = true;
    openBtn.setAttribute('aria-expanded', 'false');
    openBtn.focus();
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const s = session();
    error.hidden = true;
    const lab = document.querySelector<HTMLElement>('rl-lab[data-lab]')?.dataset.lab ?? null;
    if (!s) {
      const href = contact ? contactHref(contact, message.value.trim().slice(0, 280), lab, location.href) : null;
      if (!href) return;
      window.open(href, '_blank', 'noopener');
      state.hidden = false;
      state.textContent = fmt(ui, 'wsb.helpContact', { contact: contact! });
      form.hidden = true;
      openBtn.setAttribute('aria-expanded', 'false');
      return;
    }
    try {
      const e = await api<HelpEvent>(`/api/sessions/${encodeURIComponent(s.id)}/help`, {
        method: 'POST',
        token: s.token,
        body: JSON.stringify({ message: message.value.trim().slice(0, 280), lab }),
      });
      message.value = '';
      render(e);
      lowerBtn.focus();
    } catch (e) {
      showError(e);
    }
  });
  lowerBtn.addEventListener('click', async () => {
    const s = session();
    if (!s) return;
    try {
      render(await api<HelpEvent>(`/api/sessions/${encodeURIComponent(s.id)}/help`, { method: 'DELETE', token: s.token }));
      openBtn.focus();
    } catch (e) {
      showError(e);
    }
  });

  const answer = (action: 'allow' | 'deny' | 'end') => window.dispatchEvent(new CustomEvent('rl-takeover-answer', { detail: action }));
  q('.rl-wsh-allow').addEventListener('click', () => answer('allow'));
  q('.rl-wsh-deny').addEventListener('click', () => answer('deny'));
  q('.rl-wsh-back').addEventListener('click', () => answer('end'));

  window.addEventListener('rl-help', (ev) => render((ev as CustomEvent<HelpEvent>).detail));
  window.addEventListener('rl-takeover', (ev) => {
    const e = (ev as CustomEvent<TakeoverEvent>).detail;
    const wasAsking = !ask.hidden;
    ask.hidden = e.state !== 'asked';
    on.hidden = e.state !== 'active';
    root.dataset.takeover = e.state;
    // No focus move: a learner typing Enter in the terminal must not allow by accident.
    if (e.state === 'ended' && !wasAsking) {
      state.hidden = false;
      state.textContent = ui['wsb.takeoverEnded']!;
    }
  });
  window.addEventListener('storage', (ev) => {
    if (ev.key?.startsWith('registry-lab:session')) void refresh();
  });
  // A page without a terminal hears no `help` events: while the hand is up it asks now and then.
  setInterval(() => {
    if (up && !document.querySelector('rl-terminal[data-state="ready"]')) void refresh();
  }, 20_000);
  void refresh();
}

/**
 * The learner's workshop banner. The latest broadcast is kept in localStorage (per session) until
 * dismissed, so it is still there on the next page or another tab; `watched` lasts as long as
 * the instructor's view is open and is not kept.
 */
import { fmt } from './fmt.ts';
import { storedSession } from './session.ts';

const LAST_KEY = 'registry-lab:workshop-broadcast:v1';
interface Kept {
  session: string;
  message: string;
  at: string;
  dismissed: boolean;
}

function readKept(): Kept | null {
  try {
    return JSON.parse(localStorage.getItem(LAST_KEY) ?? 'null') as Kept | null;
  } catch {
    return null;
  }
}
function writeKept(k: Kept) {
  try {
    localStorage.setItem(LAST_KEY, JSON.stringify(k));
  } catch {
    /* the banner still shows it on this page */
  }
}

export function mountBanner(root: HTMLElement, ui: Record<string, string>) {
  const q = <T extends HTMLElement>(s: string) => root.querySelector<T>(s)!;
  const head = q('.rl-wsb-head');
  const box = q('.rl-wsb-message');
  const watched = q('.rl-wsb-watched');

  const renderHead = () => {
    const s = storedSession();
    const w = s?.workshop;
    head.hidden = !w;
    root.dataset.active = w ? 'true' : 'false';
    if (!w) return;
    q('.rl-wsb-title').textContent = fmt(ui, 'wsb.title', { title: w.title || w.code || '' });
    q('.rl-wsb-name').textContent = s?.name ? ` · ${fmt(ui, 'wsb.as', { name: s.name })}` : '';
  };
  const renderMessage = () => {
    const s = storedSession();
    const k = readKept();
    const show = !!k && !!s && k.session === s.id && !k.dismissed;
    box.hidden = !show;
    q('.rl-wsb-text').textContent = show ? fmt(ui, 'wsb.message', { msg: k!.message }) : '';
  };

  window.addEventListener('rl-broadcast', (ev) => {
    const { message, at } = (ev as CustomEvent<{ message: string; at: string }>).detail;
    const s = storedSession();
    if (!s) return;
    writeKept({ session: s.id, message, at, dismissed: false });
    renderHead();
    renderMessage();
  });
  window.addEventListener('rl-watched', (ev) => {
    watched.hidden = !(ev as CustomEvent<{ watching: boolean }>).detail.watching;
  });
  window.addEventListener('storage', (ev) => {
    if (ev.key === LAST_KEY) renderMessage();
    if (ev.key?.startsWith('registry-lab:session')) renderHead();
  });
  q('.rl-wsb-dismiss').addEventListener('click', () => {
    const k = readKept();
    if (k) writeKept({ ...k, dismissed: true });
    renderMessage();
    window.dispatchEvent(new CustomEvent('rl-broadcast-dismiss'));
  });
  renderHead();
  renderMessage();
}

/**
 * A broadcast shown over the terminal area: a toast laid over the screen (never bytes in xterm's
 * buffer), so what the learner is typing stays as it was. The page banner (WorkshopBanner) is
 * the accessible copy with aria-live; this one is visual and goes away by itself or on click.
 */
const SHOW_MS = 20_000;

export function attachBroadcastToast(terminal: HTMLElement) {
  const toast = document.createElement('div');
  toast.className = 'rl-term-toast';
  toast.setAttribute('aria-hidden', 'true');
  toast.hidden = true;
  const text = document.createElement('p');
  toast.append(text);
  terminal.append(toast);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hide = () => {
    toast.hidden = true;
    clearTimeout(timer);
  };
  toast.addEventListener('click', hide);
  window.addEventListener('rl-broadcast-dismiss', hide);
  terminal.addEventListener('rl-broadcast', (ev) => {
    const { message } = (ev as CustomEvent<{ message: string }>).detail;
    text.textContent = message;
    toast.hidden = false;
    clearTimeout(timer);
    timer = setTimeout(hide, SHOW_MS);
  });
}

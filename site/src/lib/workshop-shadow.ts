/**
 * The instructor's read-only view of a learner's terminal: xterm.js with stdin disabled, fed by
 * the shadow WebSocket (binary frames = the learner's output from now on). Nothing is ever sent.
 */
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';

export interface ShadowView {
  term: Terminal;
  close(): void;
}

export function openShadow(screen: HTMLElement, url: string, onStatus: (state: 'connecting' | 'live' | 'closed') => void): ShadowView {
  const term = new Terminal({
    disableStdin: true,
    cursorBlink: false,
    fontFamily: 'ui-monospace, "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace',
    fontSize: 13,
    scrollback: 3000,
    theme: { background: '#0d1117', foreground: '#e6edf3', cursor: '#0d1117' },
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  screen.replaceChildren();
  term.open(screen);
  screen.querySelector('textarea')?.setAttribute('aria-hidden', 'true');
  screen.querySelector('textarea')?.setAttribute('tabindex', '-1');
  try {
    fit.fit();
  } catch {
    /* not laid out yet */
  }
  onStatus('connecting');
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  let closed = false;
  ws.onopen = () => onStatus('live');
  ws.onmessage = (ev) => {
    if (typeof ev.data === 'string') return; // {"type":"shadow",...} and any future events: nothing to show
    term.write(new Uint8Array(ev.data as ArrayBuffer));
  };
  ws.onclose = () => {
    if (!closed) onStatus('closed');
  };
  return {
    term,
    close() {
      closed = true;
      ws.close(1000);
      term.dispose();
      screen.replaceChildren();
    },
  };
}

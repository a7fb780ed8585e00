/**
 * The instructor's view of a learner's terminal: xterm.js fed by the shadow WebSocket (binary
 * frames = the learner's output from now on). Read-only, except during a take-over the learner
 * allowed (issue 23): `ask()` sends {"type":"takeover","action":"ask"}; once the runner says
 * `active`, what the instructor types is sent as input; `end()` gives control back. Closing the
 * view ends a take-over too (the runner sees the socket close).
 */
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';
import { encodeMessage, parseServerEvent, type TakeoverEvent } from '../../../protocol/terminal.ts';

export interface ShadowView {
  term: Terminal;
  /** Asks the learner to allow typing in their terminal. */
  ask(): void;
  /** Ends the take-over (control back to the learner). */
  end(): void;
  close(): void;
}

export function openShadow(
  screen: HTMLElement,
  url: string,
  onStatus: (state: 'connecting' | 'live' | 'closed') => void,
  onTakeover: (e: TakeoverEvent) => void = () => {},
): ShadowView {
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
  const textarea = screen.querySelector('textarea');
  const readOnly = (on: boolean) => {
    term.options.disableStdin = on;
    term.options.cursorBlink = !on;
    if (on) {
      textarea?.setAttribute('aria-hidden', 'true');
      textarea?.setAttribute('tabindex', '-1');
    } else {
      textarea?.removeAttribute('aria-hidden');
      textarea?.removeAttribute('tabindex');
      term.focus();
    }
  };
  readOnly(true);
  // Read-only, Escape is the dialog's (it closes the view), not the terminal's.
  term.attachCustomKeyEventHandler((e) => !(e.key === 'Escape' && term.options.disableStdin));
  try {
    fit.fit();
  } catch {
    /* not laid out yet */
  }
  onStatus('connecting');
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  let closed = false;
  let active = false;
  const encoder = new TextEncoder();
  const send = (frame: string | Uint8Array) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(frame);
  };
  term.onData((d) => {
    if (active) send(encoder.encode(d));
  });
  ws.onopen = () => onStatus('live');
  ws.onmessage = (ev) => {
    if (typeof ev.data === 'string') {
      const e = parseServerEvent(ev.data);
      if (e?.type === 'takeover') {
        active = e.state === 'active';
        readOnly(!active);
        onTakeover(e);
      }
      return;
    }
    term.write(new Uint8Array(ev.data as ArrayBuffer));
  };
  ws.onclose = () => {
    active = false;
    if (!closed) onStatus('closed');
  };
  return {
    term,
    ask: () => send(encodeMessage({ type: 'takeover', action: 'ask' })),
    end: () => send(encodeMessage({ type: 'takeover', action: 'end' })),
    close() {
      closed = true;
      ws.close(1000);
      term.dispose();
      screen.replaceChildren();
    },
  };
}

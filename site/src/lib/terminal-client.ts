/**
 * The heavy half of <Terminal>: xterm.js + the WebSocket bridge to the runner.
 * Loaded with a dynamic import only when the terminal is opened or scrolled into view.
 */
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';
import { fmt } from './fmt.ts';
import {
  ApiError,
  RunnerUnavailableError,
  describeError,
  ensureSession,
  extendSession,
  terminalUrl,
  waitReady,
  type SessionRef,
} from './session.ts';

export type TerminalState =
  | 'idle'
  | 'loading'
  | 'starting'
  | 'connecting'
  | 'ready'
  | 'reconnecting'
  | 'exited'
  | 'unavailable'
  | 'error';

export interface TerminalHost {
  el: HTMLElement;
  ui: Record<string, string>;
  setState(state: TerminalState, message: string): void;
  setExpiring(expiresAt: string | null): void;
  setNote(message: string): void;
}

const ACK_EVERY = 32 * 1024;
const EXPIRY_WARNING_MS = 5 * 60_000;
const ESC_HOLD_MS = 400;

export class TerminalClient {
  host: TerminalHost;
  term: Terminal;
  fit: FitAddon;
  ws: WebSocket | null = null;
  session: SessionRef | null = null;
  expiresAt: string | null = null;
  state: TerminalState = 'idle';
  private disposed = false;
  private lastSize = { cols: 0, rows: 0 };
  private unacked = 0;
  private ackTimer: ReturnType<typeof setTimeout> | null = null;
  private resizeTimer: ReturnType<typeof setTimeout> | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private expiryTimer: ReturnType<typeof setInterval> | null = null;
  private backoff = 1000;
  private exited = false;
  private queue: string[] = [];
  private escArmed = false;
  private escTimer: ReturnType<typeof setTimeout> | null = null;
  private lastInputEvent = 0;
  private resizeObserver: ResizeObserver;
  private encoder = new TextEncoder();
  private onExtended = (e: Event) => this.updateExpiry((e as CustomEvent<string>).detail);

  constructor(host: TerminalHost) {
    this.host = host;
    const screen = host.el.querySelector<HTMLElement>('.rl-term-screen')!;
    screen.hidden = false;
    this.term = new Terminal({
      cursorBlink: true,
      convertEol: false,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace',
      fontSize: 14,
      scrollback: 5000,
      theme: { background: '#0d1117', foreground: '#e6edf3', cursor: '#e6edf3', selectionBackground: '#3b5070' },
    });
    this.fit = new FitAddon();
    this.term.loadAddon(this.fit);
    this.term.open(screen);
    const textarea = screen.querySelector('textarea');
    if (textarea) textarea.setAttribute('aria-label', host.ui['term.screen'] ?? 'Terminal');
    this.term.attachCustomKeyEventHandler((e) => this.onKey(e));
    this.term.onData((d) => this.send(d));
    this.term.onBinary((d) => this.sendBytes(Uint8Array.from(d, (c) => c.charCodeAt(0))));
    this.term.onResize(() => this.sendResize());
    this.resizeObserver = new ResizeObserver(() => {
      if (this.resizeTimer) clearTimeout(this.resizeTimer);
      this.resizeTimer = setTimeout(() => this.doFit(), 80);
    });
    this.resizeObserver.observe(screen);
    this.doFit();
    window.addEventListener('rl-session-extended', this.onExtended);
    void this.connect();
  }

  /* ---------- keyboard: copy/paste, leaving the terminal ---------- */

  private onKey(e: KeyboardEvent): boolean {
    if (e.type !== 'keydown') return true;
    const key = e.key.toLowerCase();
    if (e.ctrlKey && e.shiftKey && key === 'c') {
      const text = this.term.getSelection();
      if (text) void navigator.clipboard?.writeText(text).catch(() => document.execCommand('copy'));
      e.preventDefault();
      return false;
    }
    if (e.ctrlKey && e.shiftKey && key === 'v') {
      // Let the browser fire its paste event; xterm.js handles pastes itself (bracketed paste aware).
      return false;
    }
    if (['Shift', 'Control', 'Alt', 'Meta'].includes(e.key)) return true;
    if (e.key === 'Escape' && !e.ctrlKey && !e.altKey && !e.metaKey && !e.shiftKey) {
      // Hold the Esc byte briefly: "Esc then Tab" leaves the terminal without leaving a dangling
      // Esc in the shell (readline would read it as Meta on the next key).
      this.flushEsc();
      this.escArmed = true;
      this.escTimer = setTimeout(() => this.flushEsc(), ESC_HOLD_MS);
      e.preventDefault();
      return false;
    }
    if (e.key === 'Tab' && this.escArmed) {
      // Esc then Tab (or Shift+Tab): the browser moves focus out of the terminal (no keyboard trap).
      this.escArmed = false;
      if (this.escTimer) clearTimeout(this.escTimer);
      this.escTimer = null;
      return false;
    }
    this.flushEsc();
    this.escArmed = false;
    return true;
  }

  private flushEsc() {
    if (!this.escTimer) return;
    clearTimeout(this.escTimer);
    this.escTimer = null;
    this.send('\x1b');
  }

  /* ---------- sizing ---------- */

  private doFit() {
    if (this.disposed) return;
    const screen = this.term.element?.parentElement;
    if (!screen || screen.clientWidth === 0) return;
    try {
      this.fit.fit();
    } catch {
      /* not visible yet */
    }
    this.sendResize();
  }

  private sendResize() {
    const { cols, rows } = this.term;
    if (!cols || !rows || (cols === this.lastSize.cols && rows === this.lastSize.rows)) return;
    if (this.ws?.readyState !== WebSocket.OPEN) return;
    this.lastSize = { cols, rows };
    this.ws.send(JSON.stringify({ type: 'resize', cols, rows }));
  }

  /* ---------- I/O ---------- */

  send(data: string) {
    this.sendBytes(this.encoder.encode(data));
    const now = Date.now();
    if (now - this.lastInputEvent > 1000) {
      this.lastInputEvent = now;
      this.host.el.dispatchEvent(new CustomEvent('rl-terminal-input', { bubbles: true }));
    }
  }

  private sendBytes(bytes: Uint8Array) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(bytes);
  }

  /** Type text as if the learner did (used by the "run in terminal" buttons). */
  type(text: string) {
    if (this.ws?.readyState === WebSocket.OPEN) this.send(text);
    else this.queue.push(text);
    this.term.focus();
  }

  private ack(n: number) {
    this.unacked += n;
    const flush = () => {
      if (this.ackTimer) clearTimeout(this.ackTimer);
      this.ackTimer = null;
      if (this.unacked > 0 && this.ws?.readyState === WebSocket.OPEN) {
        this.ws.send(JSON.stringify({ type: 'ack', bytes: this.unacked }));
      }
      this.unacked = 0;
    };
    if (this.unacked >= ACK_EVERY) flush();
    else if (!this.ackTimer) this.ackTimer = setTimeout(flush, 20);
  }

  /* ---------- session and socket ---------- */

  async connect(fresh = false) {
    if (this.disposed) return;
    this.exited = false;
    const ui = this.host.ui;
    this.host.el.querySelector<HTMLElement>('.rl-term-screen')!.hidden = false;
    try {
      this.setState('starting', ui['term.starting']!);
      const s = await ensureSession({ fresh });
      this.session = s;
      if (s.renewed) this.host.setNote(ui['term.newSession']!);
      this.updateExpiry(s.expiresAt ?? null);
      if (s.state !== 'ready') await waitReady(s);
      this.openSocket();
    } catch (e) {
      this.fail(e);
    }
  }

  private fail(e: unknown) {
    if (e instanceof RunnerUnavailableError) {
      this.setState('unavailable', this.host.ui['term.unavailable']!);
      this.host.el.querySelector<HTMLElement>('.rl-term-screen')!.hidden = true;
      return;
    }
    if (e instanceof ApiError && e.code === 'stopped') {
      void this.connect(true);
      return;
    }
    this.setState('error', describeError(e, this.host.ui));
  }

  private openSocket() {
    if (this.disposed || !this.session) return;
    this.setState('connecting', this.host.ui['term.connecting']!);
    this.doFit();
    const ws = new WebSocket(terminalUrl(this.session, { cols: this.term.cols, rows: this.term.rows }));
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.lastSize = { cols: 0, rows: 0 };
    ws.onopen = () => {
      this.backoff = 1000;
      this.setState('ready', this.host.ui['term.ready']!);
      this.doFit();
      this.sendResize();
      for (const t of this.queue.splice(0)) this.send(t);
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data === 'string') {
        this.onEvent(ev.data);
        return;
      }
      const bytes = new Uint8Array(ev.data as ArrayBuffer);
      this.term.write(bytes, () => this.ack(bytes.length));
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws || this.disposed) return;
      this.ws = null;
      if (this.exited) return;
      if (ev.code === 1008 || ev.code === 4401 || ev.code === 4404) {
        // Token refused or session gone: start over with a new session.
        void this.connect(true);
        return;
      }
      this.scheduleReconnect();
    };
  }

  private onEvent(raw: string) {
    let msg: any;
    try {
      msg = JSON.parse(raw);
    } catch {
      return;
    }
    if (msg?.type === 'exit') {
      this.exited = true;
      this.setState('exited', fmt(this.host.ui, 'term.exited', { code: msg.code ?? 0 }));
    } else if (msg?.type === 'expiring') {
      this.updateExpiry(msg.expiresAt ?? this.expiresAt, true);
    }
  }

  private scheduleReconnect() {
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, 30_000);
    // One status message per attempt (a per-second countdown would flood screen readers).
    this.setState('reconnecting', fmt(this.host.ui, 'term.disconnected', { s: Math.round(delay / 1000) }));
    this.reconnectTimer = setTimeout(() => void this.reconnect(), delay);
  }

  /** Reconnect now (button or backoff timer): re-check the session first. */
  async reconnect() {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.ws?.close();
    this.ws = null;
    await this.connect(false);
  }

  /* ---------- expiry ---------- */

  private updateExpiry(expiresAt: string | null, warnNow = false) {
    this.expiresAt = expiresAt;
    const check = () => {
      if (!this.expiresAt) return this.host.setExpiring(null);
      const left = Date.parse(this.expiresAt) - Date.now();
      this.host.setExpiring(warnNow || left < EXPIRY_WARNING_MS ? this.expiresAt : null);
    };
    check();
    if (this.expiryTimer) clearInterval(this.expiryTimer);
    this.expiryTimer = setInterval(check, 15_000);
  }

  async extend() {
    if (!this.session) return;
    try {
      const at = await extendSession(this.session);
      this.updateExpiry(at);
      this.host.setNote(fmt(this.host.ui, 'term.extended', { time: new Date(at).toLocaleTimeString() }));
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) this.host.setNote(this.host.ui['term.extendMax']!);
      else this.fail(e);
    }
  }

  private setState(state: TerminalState, message: string) {
    this.state = state;
    this.host.setState(state, message);
  }

  dispose() {
    this.disposed = true;
    this.resizeObserver.disconnect();
    window.removeEventListener('rl-session-extended', this.onExtended);
    for (const t of [this.ackTimer, this.resizeTimer, this.reconnectTimer, this.escTimer]) if (t) clearTimeout(t);
    if (this.expiryTimer) clearInterval(this.expiryTimer);
    this.ws?.close();
    this.term.dispose();
  }
}

export function mount(host: TerminalHost): TerminalClient {
  return new TerminalClient(host);
}

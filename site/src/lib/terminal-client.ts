/**
 * The heavy half of <Terminal>: xterm.js + the WebSocket bridge to the runner.
 * Loaded with a dynamic import only when the terminal is opened or scrolled into view.
 */
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';
import { fmt } from './fmt.ts';
import { CLOSE, FLOW, encodeMessage, parseServerEvent, type EndedEvent, type ErrorEvent, type ServerEvent } from '../../../protocol/terminal.ts';
import { ApiError, RunnerUnavailableError, describeError, ensureSession, extendSession, terminalUrl, type SessionRef } from './session.ts';

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

const ESC_HOLD_MS = 400;
const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;

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
  private backoff = FIRST_BACKOFF_MS;
  private exited = false;
  /** A shell was ready once on this page: a runner that stops answering is restarting, not absent. */
  private connectedOnce = false;
  /** The `ended` or `error` event that explains the close that follows it. */
  private lastError: EndedEvent | ErrorEvent | null = null;
  private queue: string[] = [];
  private escArmed = false;
  private escTimer: ReturnType<typeof setTimeout> | null = null;
  private lastInputEvent = 0;
  private resizeObserver: ResizeObserver;
  private encoder = new TextEncoder();
  /** Another component extended the session: the warning is over (the runner says when it returns). */
  private onExtended = (e: Event) => {
    this.expiresAt = (e as CustomEvent<string>).detail;
    this.host.setExpiring(null);
  };

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
    this.ws.send(encodeMessage({ type: 'resize', cols, rows }));
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
        this.ws.send(encodeMessage({ type: 'ack', bytes: this.unacked }));
      }
      this.unacked = 0;
    };
    if (this.unacked >= FLOW.ackEveryBytes) flush();
    else if (!this.ackTimer) this.ackTimer = setTimeout(flush, FLOW.ackDelayMs);
  }

  /* ---------- session and socket ---------- */

  /**
   * Finds (or makes) the session and opens a shell on it. No readiness polling: the runner
   * holds the socket until the sandbox is ready and says so (`status`, then `ready`).
   */
  async connect(fresh = false) {
    if (this.disposed) return;
    this.exited = false;
    const ui = this.host.ui;
    this.host.el.querySelector<HTMLElement>('.rl-term-screen')!.hidden = false;
    try {
      this.setState('connecting', ui['term.connecting']!);
      const s = await ensureSession({ fresh });
      this.session = s;
      if (s.renewed || fresh) this.host.setNote(ui['term.newSession']!);
      this.expiresAt = s.expiresAt ?? null;
      this.openSocket();
    } catch (e) {
      this.fail(e);
    }
  }

  private fail(e: unknown) {
    const ui = this.host.ui;
    // The runner is restarting (refused connection, 503): keep the session, try again with backoff.
    // Only a site that never reached a runner is a static deployment without one.
    if (e instanceof RunnerUnavailableError && this.connectedOnce) return this.scheduleReconnect('term.restarting');
    if (e instanceof ApiError && e.status === 503) return this.scheduleReconnect('term.restarting', describeError(e, ui));
    if (e instanceof RunnerUnavailableError) {
      this.setState('unavailable', ui['term.unavailable']!);
      this.host.el.querySelector<HTMLElement>('.rl-term-screen')!.hidden = true;
      return;
    }
    this.setState('error', describeError(e, ui));
  }

  private openSocket() {
    if (this.disposed || !this.session) return;
    this.doFit();
    const ws = new WebSocket(terminalUrl(this.session, { cols: this.term.cols, rows: this.term.rows }));
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.lastSize = { cols: 0, rows: 0 };
    this.lastError = null;
    this.unacked = 0;
    ws.onopen = () => {
      this.doFit();
      this.sendResize();
      // Input sent now is held by the runner until the shell exists.
      for (const t of this.queue.splice(0)) this.send(t);
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data === 'string') {
        const e = parseServerEvent(ev.data);
        if (e) this.onEvent(e);
        return;
      }
      const bytes = new Uint8Array(ev.data as ArrayBuffer);
      this.term.write(bytes, () => this.ack(bytes.length));
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws || this.disposed) return;
      this.ws = null;
      this.onClose(ev.code);
    };
  }

  private onEvent(e: ServerEvent) {
    const ui = this.host.ui;
    switch (e.type) {
      case 'status':
        this.setState('starting', ui['term.starting']!);
        return;
      case 'ready':
        this.connectedOnce = true;
        this.backoff = FIRST_BACKOFF_MS;
        this.expiresAt = e.expiresAt;
        this.setState('ready', ui['term.ready']!);
        this.sendResize();
        return;
      case 'exit':
        this.exited = true;
        this.setState('exited', fmt(ui, 'term.exited', { code: e.code }));
        return;
      case 'expiring':
        // The runner decides when the warning starts; the page only shows it.
        this.expiresAt = e.expiresAt;
        this.host.setExpiring(e.expiresAt);
        return;
      case 'extended':
        this.expiresAt = e.expiresAt;
        this.host.setExpiring(null);
        return;
      case 'ended':
      case 'error':
        this.lastError = e;
        return;
      // Workshop events go to the page (WorkshopBanner, the toast over the terminal), never into xterm's buffer.
      case 'broadcast':
        this.host.el.dispatchEvent(new CustomEvent('rl-broadcast', { bubbles: true, detail: { message: e.message, at: e.at } }));
        return;
      case 'watched':
        this.host.el.dispatchEvent(new CustomEvent('rl-watched', { bubbles: true, detail: { watching: e.watching } }));
        return;
      case 'pong':
        return;
    }
  }

  /** What each close code the runner sends means for the learner (protocol/terminal.ts CLOSE). */
  private onClose(code: number) {
    const last = this.lastError;
    if (this.exited) return;
    if (code === CLOSE.restart) return this.scheduleReconnect('term.restarting');
    if (code === CLOSE.sessionEnded) {
      // Still starting after the runner's wait: same session, later. Anything else: the session is gone.
      if (last?.type === 'error' && last.code === 'session_starting') return this.scheduleReconnect('term.disconnected');
      // connect() asks the runner first: a sandbox that died gets a new one in the same session.
      void this.connect();
      return;
    }
    if (code === CLOSE.shellFailed && last?.type === 'error') {
      this.setState('error', describeError(new ApiError(500, last.code, last.message), this.host.ui));
      return;
    }
    // A close after no `exit`, a frame too big, or no close frame at all (network, refused upgrade, runner gone):
    // reconnect; connect() asks the runner about the session first.
    this.scheduleReconnect('term.disconnected');
  }

  private scheduleReconnect(key: 'term.disconnected' | 'term.restarting', message?: string) {
    if (this.disposed) return;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const delay = Math.round(this.backoff * (0.8 + Math.random() * 0.4));
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
    // One status message per attempt (a per-second countdown would flood screen readers).
    this.setState('reconnecting', message ?? fmt(this.host.ui, key, { s: Math.max(1, Math.round(delay / 1000)) }));
    this.reconnectTimer = setTimeout(() => void this.reconnect(), delay);
  }

  /** Reconnect now (button or backoff timer): re-check the session first. */
  async reconnect() {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const ws = this.ws;
    this.ws = null;
    ws?.close();
    await this.connect(false);
  }

  /* ---------- expiry ---------- */

  async extend() {
    if (!this.session) return;
    try {
      const at = await extendSession(this.session);
      this.expiresAt = at;
      this.host.setExpiring(null);
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
    this.ws?.close();
    this.term.dispose();
  }
}

export function mount(host: TerminalHost): TerminalClient {
  return new TerminalClient(host);
}

/**
 * The heavy half of <Terminal>: xterm.js + the WebSocket bridge to the runner.
 * Loaded with a dynamic import only when the terminal is opened or scrolled into view.
 */
import type { Terminal } from '@xterm/xterm';
import { fmt } from './fmt.ts';
import { CLOSE, encodeMessage, parseServerEvent, type EndedEvent, type ErrorEvent, type ServerEvent } from '../../../protocol/terminal.ts';
import { ApiError, RunnerUnavailableError, describeError, dropPendingSession, ensureSession, extendSession, terminalUrl, type SessionRef } from './session.ts';
import { createScreen } from './terminal-screen.ts';
import { TerminalKeys } from './terminal-keys.ts';
import { TerminalSize } from './terminal-size.ts';
import { TerminalAcks } from './terminal-acks.ts';
import { Backoff } from './terminal-backoff.ts';

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

export class TerminalClient {
  host: TerminalHost;
  term: Terminal;
  ws: WebSocket | null = null;
  session: SessionRef | null = null;
  expiresAt: string | null = null;
  state: TerminalState = 'idle';
  private disposed = false;
  private size: TerminalSize;
  private acks: TerminalAcks;
  private keys: TerminalKeys;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private backoff = new Backoff();
  private exited = false;
  /** A shell was ready once on this page: a runner that stops answering is restarting, not absent. */
  private connectedOnce = false;
  /** The `ended` or `error` event that explains the close that follows it. */
  private lastError: EndedEvent | ErrorEvent | null = null;
  private queue: string[] = [];
  private lastInputEvent = 0;
  private encoder = new TextEncoder();
  /** The learner answers a take-over (allow, deny, end) from the page's banner: on this terminal's socket. */
  private onTakeoverAnswer = (e: Event) => {
    const action = (e as CustomEvent<'allow' | 'deny' | 'end'>).detail;
    this.sendIfOpen(encodeMessage({ type: 'takeover', action }));
  };
  /** Another component extended the session: the warning is over (the runner says when it returns). */
  private onExtended = (e: Event) => {
    this.expiresAt = (e as CustomEvent<string>).detail;
    this.host.setExpiring(null);
  };

  constructor(host: TerminalHost) {
    this.host = host;
    const screen = host.el.querySelector<HTMLElement>('.rl-term-screen')!;
    screen.hidden = false;
    const { term, fit } = createScreen(screen, host.ui['term.screen'] ?? 'Terminal');
    this.term = term;
    this.keys = new TerminalKeys(term, (d) => this.send(d));
    this.size = new TerminalSize(term, fit, screen, (size) => this.sendIfOpen(encodeMessage({ type: 'resize', ...size })));
    this.acks = new TerminalAcks((bytes) => this.sendIfOpen(encodeMessage({ type: 'ack', bytes })));
    term.attachCustomKeyEventHandler((e) => this.keys.onKey(e));
    term.onData((d) => this.send(d));
    term.onBinary((d) => this.sendBytes(Uint8Array.from(d, (c) => c.charCodeAt(0))));
    term.onResize(() => this.size.send());
    this.size.fit();
    window.addEventListener('rl-session-extended', this.onExtended);
    window.addEventListener('rl-takeover-answer', this.onTakeoverAnswer);
    void this.connect();
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
    this.sendIfOpen(bytes);
  }

  private sendIfOpen(frame: string | Uint8Array): boolean {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(frame);
    return true;
  }

  /** Type text as if the learner did (used by the "run in terminal" buttons). */
  type(text: string) {
    if (this.ws?.readyState === WebSocket.OPEN) this.send(text);
    else this.queue.push(text);
    this.term.focus();
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
    this.size.fit();
    const ws = new WebSocket(terminalUrl(this.session, { cols: this.term.cols, rows: this.term.rows }));
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.size.forget();
    this.lastError = null;
    this.acks.reset();
    ws.onopen = () => {
      this.size.fit();
      this.size.send();
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
      this.term.write(bytes, () => this.acks.rendered(bytes.length));
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
        // A start waiting for a free slot: the place in line and an estimate (sent as they change).
        this.setState('starting', e.queue ? fmt(ui, 'term.queued', { position: e.queue.position, s: Math.max(1, Math.round(e.queue.estimateMs / 1000)) }) : ui['term.starting']!);
        return;
      case 'ready':
        this.connectedOnce = true;
        this.backoff.reset();
        this.expiresAt = e.expiresAt;
        this.setState('ready', ui['term.ready']!);
        this.size.send();
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
      // Help and take-over (lib/workshop-help.ts shows them; its answers come back as rl-takeover-answer).
      case 'help':
        this.host.el.dispatchEvent(new CustomEvent('rl-help', { bubbles: true, detail: e }));
        return;
      case 'takeover':
        this.host.el.dispatchEvent(new CustomEvent('rl-takeover', { bubbles: true, detail: e }));
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
      // Ask the runner afresh (not the page's shared answer of the last 2 s): a sandbox that died
      // gets a new one in the same session.
      dropPendingSession();
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
    const delay = this.backoff.next();
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
    dropPendingSession();
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
    this.size.dispose();
    this.acks.dispose();
    this.keys.dispose();
    window.removeEventListener('rl-session-extended', this.onExtended);
    window.removeEventListener('rl-takeover-answer', this.onTakeoverAnswer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.ws?.close();
    this.term.dispose();
  }
}

export function mount(host: TerminalHost): TerminalClient {
  return new TerminalClient(host);
}

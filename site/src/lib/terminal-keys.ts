/**
 * Keys the terminal handles before xterm.js: Ctrl+Shift+C/V copy and paste, and "Esc then Tab"
 * to leave the terminal (no keyboard trap). Esc alone is held briefly, then sent.
 */
import type { Terminal } from '@xterm/xterm';

const ESC_HOLD_MS = 400;

export class TerminalKeys {
  private escArmed = false;
  private escTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private term: Terminal,
    private send: (data: string) => void,
  ) {}

  /** xterm.js's custom key handler: false = xterm.js does not handle the key. */
  onKey(e: KeyboardEvent): boolean {
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

  dispose() {
    if (this.escTimer) clearTimeout(this.escTimer);
  }
}

/**
 * Keeps the shell's size in step with the screen: a ResizeObserver fits xterm.js (debounced), and
 * a resize goes to the runner only when the size really changed and the socket is open.
 */
import type { Terminal } from '@xterm/xterm';
import type { FitAddon } from '@xterm/addon-fit';

export type TermSize = { cols: number; rows: number };

export class TerminalSize {
  private last: TermSize = { cols: 0, rows: 0 };
  private timer: ReturnType<typeof setTimeout> | null = null;
  private observer: ResizeObserver;
  private disposed = false;

  /** `trySend` sends a resize and says whether it could (false: the socket is not open). */
  constructor(
    private term: Terminal,
    private fitAddon: FitAddon,
    screen: HTMLElement,
    private trySend: (size: TermSize) => boolean,
  ) {
    this.observer = new ResizeObserver(() => {
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => this.fit(), 80);
    });
    this.observer.observe(screen);
  }

  fit() {
    if (this.disposed) return;
    const screen = this.term.element?.parentElement;
    if (!screen || screen.clientWidth === 0) return;
    try {
      this.fitAddon.fit();
    } catch {
      /* not visible yet */
    }
    this.send();
  }

  send() {
    const { cols, rows } = this.term;
    if (!cols || !rows || (cols === this.last.cols && rows === this.last.rows)) return;
    if (this.trySend({ cols, rows })) this.last = { cols, rows };
  }

  /** A new socket: its shell has not been told any size yet. */
  forget() {
    this.last = { cols: 0, rows: 0 };
  }

  dispose() {
    this.disposed = true;
    this.observer.disconnect();
    if (this.timer) clearTimeout(this.timer);
  }
}

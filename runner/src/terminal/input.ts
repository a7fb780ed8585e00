/**
 * Input from the WebSocket to the shell: held until the shell exists and while a resize is
 * in flight (so keystrokes never overtake a resize), and written with the shell stream's
 * backpressure (the WebSocket is paused until the stream drains), so a large paste in many
 * frames arrives whole.
 */
import type { Duplex } from 'node:stream';

export interface Pausable {
  pause(): void;
  resume(): void;
}

export class ShellInput {
  private stream: Duplex | null = null;
  private readonly pending: Buffer[] = [];
  private holds = 0;
  private blocked = false;
  private closed = false;
  private readonly source: Pausable;

  /** `source` is paused (the WebSocket) until the shell is attached. */
  constructor(source: Pausable) {
    this.source = source;
    source.pause();
  }

  /** True while the WebSocket is not being read (no shell yet, a resize, backpressure): its pongs cannot arrive. */
  get paused(): boolean {
    return !this.stream || this.holds > 0 || this.blocked;
  }

  attach(stream: Duplex): void {
    this.stream = stream;
    this.flush();
  }

  write(buf: Buffer): void {
    if (this.closed) return;
    if (!this.stream || this.holds > 0) {
      this.pending.push(buf);
      return;
    }
    if (this.stream.write(buf) || this.blocked) return;
    this.blocked = true;
    this.source.pause();
    this.stream.once('drain', () => {
      this.blocked = false;
      if (!this.closed) this.source.resume();
    });
  }

  /** Holds input until `work` settles (a resize). */
  hold(work: Promise<unknown>): void {
    this.holds++;
    this.source.pause();
    void work
      .catch(() => {})
      .finally(() => {
        if (--this.holds === 0) this.flush();
      });
  }

  close(): void {
    this.closed = true;
    this.pending.length = 0;
  }

  private flush(): void {
    if (this.closed || !this.stream) return;
    for (const b of this.pending.splice(0)) this.write(b);
    if (!this.blocked && this.holds === 0) this.source.resume();
  }
}

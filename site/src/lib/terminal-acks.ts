/**
 * The client half of flow control: counts the output bytes xterm.js has rendered and acknowledges
 * them in batches (every FLOW.ackEveryBytes, or after FLOW.ackDelayMs), so the runner pauses a
 * flood (`yes`) instead of filling memory.
 */
import { FLOW } from '../../../protocol/terminal.ts';

export class TerminalAcks {
  private unacked = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  /** `sendAck` sends `{type:'ack'}` when the socket is open (bytes on a closed one are dropped). */
  constructor(private sendAck: (bytes: number) => void) {}

  rendered(n: number) {
    this.unacked += n;
    if (this.unacked >= FLOW.ackEveryBytes) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), FLOW.ackDelayMs);
  }

  /** A new socket starts with nothing to acknowledge. */
  reset() {
    this.unacked = 0;
  }

  private flush() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.unacked > 0) this.sendAck(this.unacked);
    this.unacked = 0;
  }

  dispose() {
    if (this.timer) clearTimeout(this.timer);
  }
}

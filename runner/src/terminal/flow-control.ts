/**
 * Output flow control for one terminal, as wetty's FlowControlServer: the bridge tells it
 * what it sent (account) and what the client acknowledged (commit); it says when the shell's
 * output must pause and when it may resume. Two reasons to pause, each with its own resume:
 *   - the client acknowledges (after its first ack) and more than `highBytes` are unacked
 *     (resume below `lowBytes`), so a slow browser (xterm.js rendering) holds the program;
 *   - the socket holds more than `socketHighBytes` unsent (resume on its drain), for clients
 *     that never ack (scripts) or a slow network.
 * Pure bookkeeping, no I/O: unit-tested alone (tests/terminal/flow-control.test.ts).
 */
import { FLOW } from '../../../protocol/terminal.ts';

export interface FlowLimits {
  highBytes: number;
  lowBytes: number;
  socketHighBytes: number;
}

export const DEFAULT_FLOW_LIMITS: FlowLimits = {
  highBytes: FLOW.highBytes,
  lowBytes: FLOW.lowBytes,
  socketHighBytes: 1024 * 1024,
};

export class FlowControl {
  private readonly limits: FlowLimits;
  private unacked = 0;
  private acking = false;
  private paused = false;

  constructor(limits: Partial<FlowLimits> = {}) {
    this.limits = { ...DEFAULT_FLOW_LIMITS, ...limits };
    if (this.limits.lowBytes > this.limits.highBytes) throw new RangeError('flow control: lowBytes above highBytes');
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Bytes sent but not acknowledged (0 while the client does not ack). */
  get pending(): number {
    return this.acking ? this.unacked : 0;
  }

  /** `n` bytes were sent; `buffered` is the socket's unsent backlog. True: pause the output now. */
  account(n: number, buffered = 0): boolean {
    this.unacked += n;
    if (this.paused || !this.over(buffered)) return false;
    this.paused = true;
    return true;
  }

  /** The client acknowledged `n` bytes (its first ack turns ack mode on). True: resume the output now. */
  commit(n: number, buffered = 0): boolean {
    this.acking = true;
    this.unacked = Math.max(0, this.unacked - n);
    return this.maybeResume(buffered);
  }

  /** The socket drained to `buffered` bytes. True: resume the output now. */
  drained(buffered = 0): boolean {
    return this.maybeResume(buffered);
  }

  private over(buffered: number): boolean {
    return buffered > this.limits.socketHighBytes || (this.acking && this.unacked > this.limits.highBytes);
  }

  private maybeResume(buffered: number): boolean {
    if (!this.paused) return false;
    if (buffered > this.limits.socketHighBytes) return false;
    if (this.acking && this.unacked >= this.limits.lowBytes) return false;
    this.paused = false;
    return true;
  }
}

/**
 * Cold starts admitted at the rate the host can take. A cold workstation keeps about one core
 * busy for its whole start, so at most START_CONCURRENCY run at once (default: the host's
 * cores); the rest wait in order, learners before warm-pool refills. A waiting learner's place
 * and an estimate of when their shell answers come from the start times measured here.
 */
import { availableParallelism } from 'node:os';
import { CancelledError } from '../sandbox/errors.ts';
import type { SandboxProvider } from '../sandbox/provider.ts';
import { withCreate } from './with-create.ts';

export type StartKind = 'learner' | 'pool';

export interface QueuePlace {
  /** 1 = next to start. */
  position: number;
  /** Until the shell answers: the wait for a free slot plus one start. */
  estimateMs: number;
}

interface Waiting {
  id: string;
  kind: StartKind;
  go: () => void;
}

/** What a start is assumed to take until the first ones are measured. */
const FIRST_GUESS_MS = 5_000;
/** Starts remembered for the estimate (median). */
const REMEMBERED = 9;

export class StartQueue {
  readonly slots: number;
  private readonly waiting: Waiting[] = [];
  /** Running starts: id → when it began. */
  private readonly running = new Map<string, number>();
  private readonly recent: number[] = [];
  private readonly now: () => number;

  constructor(opts: { slots?: number; now?: () => number } = {}) {
    this.slots = Math.max(1, opts.slots && opts.slots > 0 ? opts.slots : availableParallelism());
    this.now = opts.now ?? Date.now;
  }

  /** Runs `start` when a slot is free (learners first); its duration feeds the estimate if it succeeds. */
  async run<T>(id: string, kind: StartKind, start: () => Promise<T>, signal?: AbortSignal, onWait?: () => void): Promise<T> {
    if (this.running.size >= this.slots || this.waiting.length > 0) {
      onWait?.();
      await this.wait(id, kind, signal);
    } else this.running.set(id, this.now());
    try {
      const result = await start();
      this.remember(this.now() - (this.running.get(id) ?? this.now()));
      return result;
    } finally {
      this.running.delete(id);
      this.next();
    }
  }

  /** The place of a start still waiting for a slot, or null (running, done or unknown). */
  place(id: string): QueuePlace | null {
    const index = this.waiting.findIndex((w) => w.id === id);
    if (index < 0) return null;
    const startMs = this.typicalStartMs();
    // When each slot frees: the running starts' expected ends, then one start per waiting one ahead.
    const free = [...this.running.values()].map((began) => Math.max(0, began + startMs - this.now()));
    while (free.length < this.slots) free.push(0);
    free.sort((a, b) => a - b);
    for (let i = 0; i < index; i++) {
      free[0]! += startMs;
      free.sort((a, b) => a - b);
    }
    return { position: index + 1, estimateMs: Math.round(free[0]! + startMs) };
  }

  stats(): { slots: number; running: number; waiting: number; typicalStartMs: number } {
    return { slots: this.slots, running: this.running.size, waiting: this.waiting.length, typicalStartMs: this.typicalStartMs() };
  }

  /**
   * The median of the last starts measured (FIRST_GUESS_MS before any), or the mean of the last
   * three when that is longer: starts slow down as a room arrives and its learners start working,
   * and a median of nine lags that by several starts (the waiting learners were told too little).
   */
  typicalStartMs(): number {
    if (!this.recent.length) return FIRST_GUESS_MS;
    const sorted = [...this.recent].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    const last = this.recent.slice(-3);
    return Math.max(median, Math.round(last.reduce((a, b) => a + b, 0) / last.length));
  }

  private wait(id: string, kind: StartKind, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(new CancelledError());
      const entry: Waiting = {
        id,
        kind,
        go: () => {
          signal?.removeEventListener('abort', onAbort);
          this.running.set(id, this.now());
          resolve();
        },
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new CancelledError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      // Learners go before every pool refill but keep their order among themselves.
      const at = kind === 'learner' ? this.waiting.findIndex((w) => w.kind === 'pool') : -1;
      if (at >= 0) this.waiting.splice(at, 0, entry);
      else this.waiting.push(entry);
    });
  }

  private next(): void {
    while (this.running.size < this.slots && this.waiting.length > 0) this.waiting.shift()!.go();
  }

  private remember(ms: number): void {
    this.recent.push(ms);
    if (this.recent.length > REMEMBERED) this.recent.shift();
  }
}

/** The provider with its cold starts through the queue (a warm-pool refill says `pool`). */
export function queueStarts(provider: SandboxProvider, queue: StartQueue): SandboxProvider {
  const create: SandboxProvider['create'] = (id, opts) =>
    queue.run(
      id,
      opts?.pool ? 'pool' : 'learner',
      () => {
        opts?.started?.();
        return provider.create(id, opts);
      },
      opts?.signal,
      opts?.waiting,
    );
  return withCreate(provider, create);
}


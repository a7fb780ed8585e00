/**
 * Cold starts admitted at the rate the host can take; the rest wait in order, learners before
 * warm-pool refills. A waiting learner's place and an estimate of when their shell answers come
 * from the start times measured here. How many run at once: start-slots.ts.
 */
import { CancelledError } from '../sandbox/errors.ts';
import type { SandboxProvider } from '../sandbox/provider.ts';
import { withCreate } from './provider-wrappers.ts';
import { median, StartSlots, type HostCpu } from './start-slots.ts';

export type StartKind = 'learner' | 'pool';

export interface QueuePlace {
  /** 1 = next to start. */
  position: number;
  /** Until the shell answers: the wait for a free slot plus one start. */
  estimateMs: number;
}

export interface StartQueueStats {
  /** Starts admitted at once now; with `adaptive`, between 1 and `maxSlots`. */
  slots: number;
  maxSlots: number;
  adaptive: boolean;
  running: number;
  waiting: number;
  typicalStartMs: number;
}

interface Waiting {
  id: string;
  kind: StartKind;
  go: () => void;
}

/** What a start is assumed to take until the first ones are measured. */
const FIRST_GUESS_MS = 5_000;
/** Starts remembered for the estimate (median). */
const REMEMBERED = 12;
/** Finished starts whose gaps give the queue's pace. */
const PACE_ENDS = 6;

interface Running {
  began: number;
  /** The most starts that ran at once while this one ran. */
  peak: number;
}

export class StartQueue {
  private readonly slotsAtOnce: StartSlots;
  private readonly waiting: Waiting[] = [];
  private readonly running = new Map<string, Running>();
  /** The last starts measured, with how many ran at once beside each (its peak). */
  private readonly recent: { ms: number; peak: number }[] = [];
  /** When the last starts finished while others waited (for the pace of the queue). */
  private busyEnds: number[] = [];
  /** Learners' starts that waited for a slot and still run: the room is still being admitted. */
  private readonly admittedFromLine = new Set<string>();
  /** Waits for the admissions to settle (settled()). */
  private settledWaiters: (() => void)[] = [];
  private readonly now: () => number;

  /** `slots` > 0: that many at once; 0 or none: adaptive up to `maxSlots` (default: the host's cores). */
  constructor(opts: { slots?: number; maxSlots?: number; now?: () => number; cpu?: () => HostCpu } = {}) {
    this.now = opts.now ?? Date.now;
    this.slotsAtOnce = new StartSlots({ ...opts, now: this.now });
  }

  /** Starts admitted at once now. */
  get slots(): number {
    return this.slotsAtOnce.current;
  }

  get adaptive(): boolean {
    return this.slotsAtOnce.adaptive;
  }

  get maxSlots(): number {
    return this.slotsAtOnce.maxSlots;
  }

  /** Runs `start` when a slot is free (learners first); its duration feeds the estimate if it succeeds. */
  async run<T>(id: string, kind: StartKind, start: () => Promise<T>, signal?: AbortSignal, onWait?: () => void): Promise<T> {
    if (this.running.size >= this.slots || this.waiting.length > 0) {
      onWait?.();
      await this.wait(id, kind, signal);
    } else this.begin(id);
    try {
      const result = await start();
      const r = this.running.get(id);
      if (r) this.remember(this.now() - r.began, r.peak);
      return result;
    } finally {
      this.running.delete(id);
      this.admittedFromLine.delete(id);
      this.next();
      this.notifySettled();
    }
  }

  /**
   * A room is being admitted: a learner's start waits for a slot, or one that waited still runs.
   * Work that can wait (a lab's setup) waits for the end of it (settled), so that the host's
   * cores go to the shells of those still in line first (issue 19: a room's lab setups cost as
   * much as its starts, and with them beside the starts the last shell of 30 came 2.5 times later).
   */
  get admitting(): boolean {
    return this.admittedFromLine.size > 0 || this.waiting.some((w) => w.kind === 'learner');
  }

  /** Resolves once no room is being admitted (admitting false), or after maxMs at the latest. */
  settled(maxMs: number): Promise<void> {
    if (!this.admitting) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.settledWaiters = this.settledWaiters.filter((w) => w !== done);
        resolve();
      };
      const timer = setTimeout(done, maxMs);
      timer.unref();
      this.settledWaiters.push(done);
    });
  }

  private notifySettled(): void {
    if (this.admitting) return;
    for (const done of [...this.settledWaiters]) done();
  }

  /** The place of a start still waiting for a slot, or null (running, done or unknown). */
  place(id: string): QueuePlace | null {
    const index = this.waiting.findIndex((w) => w.id === id);
    if (index < 0) return null;
    // Slots not measured yet at this many at once (a slot more just tried): assume they add
    // nothing, each start as long as alone times the slots, rather than promise too little.
    const measured = this.slots === 1 || this.atCurrentSlots() !== null;
    const startMs = this.typicalStartMs() * (measured ? 1 : this.slots);
    // The first slot to free (a running start's expected end), then one start ahead per waiting
    // one at the pace starts have been finishing while others waited, then this one's own start.
    const ends = [...this.running.values()].map((r) => Math.max(0, r.began + startMs - this.now()));
    const firstFree = this.running.size < this.slots ? 0 : Math.min(...ends);
    return { position: index + 1, estimateMs: Math.round(firstFree + index * this.paceMs(startMs) + startMs) };
  }

  /**
   * Time between two finished starts while others waited (the mean over the last few: with two
   * slots starts finish in pairs, and a median of their gaps said one pair's 0.2 s), and never
   * less than one start divided by the slots: the first starts of a room finish before its
   * learners load the host, and an estimate should rather count down than rise.
   */
  private paceMs(startMs: number): number {
    const n = this.busyEnds.length;
    const bySlots = startMs / this.slots;
    return n < 3 ? bySlots : Math.max(bySlots, (this.busyEnds[n - 1]! - this.busyEnds[0]!) / (n - 1));
  }

  stats(): StartQueueStats {
    return { slots: this.slots, maxSlots: this.maxSlots, adaptive: this.adaptive, running: this.running.size, waiting: this.waiting.length, typicalStartMs: this.typicalStartMs() };
  }

  /**
   * The median of the last starts measured (FIRST_GUESS_MS before any), or the mean of the last
   * three when that is longer: starts slow down as a room arrives and its learners start working,
   * and a median of nine lags that by several starts (the waiting learners were told too little).
   * Only starts that ran as many at once as the slots now, once there are two: with two at once
   * each took about twice as long as alone, and a mix of both told every waiting learner too little
   * (bench:classroom reserve 0, adaptive slots: 16 s short on average, 25 of 29 estimates rose).
   */
  typicalStartMs(): number {
    if (!this.recent.length) return FIRST_GUESS_MS;
    const xs = (this.atCurrentSlots() ?? this.recent).map((r) => r.ms);
    const last = xs.slice(-3);
    return Math.max(median(xs), Math.round(last.reduce((a, b) => a + b, 0) / last.length));
  }

  /** The remembered starts that ran as many at once as the slots now, once there are two; else null. */
  private atCurrentSlots(): { ms: number; peak: number }[] | null {
    const at = this.recent.filter((r) => r.peak === this.slots);
    return at.length >= 2 ? at : null;
  }

  private wait(id: string, kind: StartKind, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(new CancelledError());
      const entry: Waiting = {
        id,
        kind,
        go: () => {
          signal?.removeEventListener('abort', onAbort);
          if (kind === 'learner') this.admittedFromLine.add(id);
          this.begin(id);
          resolve();
        },
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        this.notifySettled();
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

  private begin(id: string): void {
    this.running.set(id, { began: this.now(), peak: 0 });
    const at = this.running.size;
    for (const r of this.running.values()) r.peak = Math.max(r.peak, at);
  }

  private remember(ms: number, peak: number): void {
    if (this.waiting.length > 0) {
      this.busyEnds.push(this.now());
      if (this.busyEnds.length > PACE_ENDS) this.busyEnds.shift();
    } else this.busyEnds = [];
    this.recent.push({ ms, peak });
    if (this.recent.length > REMEMBERED) this.recent.shift();
    this.slotsAtOnce.measured(ms, peak, this.waiting.length > 0);
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


/**
 * Cold starts admitted at the rate the host can take; the rest wait in order, learners before
 * warm-pool refills. A waiting learner's place and an estimate of when their shell answers come
 * from the start times measured here.
 *
 * How many run at once: START_CONCURRENCY when set; otherwise (0) adaptive, from one up to the
 * host's cores, from the starts' measured times. A slot more is tried while starts are waiting,
 * and kept only while it adds throughput (starts per second at k at once, k / their time, at
 * least GAIN times that at k - 1). On the 2-core machine a cold start already keeps both cores
 * busy: two at once each took twice as long (issue 19, bench:classroom reserve 0), so the second
 * slot only made every waiting learner's first shell come later.
 */
import { availableParallelism } from 'node:os';
import { CancelledError } from '../sandbox/errors.ts';
import type { SandboxProvider } from '../sandbox/provider.ts';
import { withCreate } from './provider-wrappers.ts';

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
/** Starts remembered per level of concurrency (adaptive slots). */
const PER_LEVEL = 5;
/**
 * A level measured longer ago than this is tried again (the host's load changes over minutes).
 * Not counted in starts: a room of 30 makes 20 starts in about a minute, and trying two at once
 * again within the same room only made two of its learners wait longer (bench:classroom reserve 0).
 */
const STALE_AFTER_MS = 5 * 60_000;
/** Finished starts whose gaps give the queue's pace. */
const PACE_ENDS = 6;
/** One slot more is kept when it gives at least this much more throughput. */
const GAIN = 1.15;

interface Running {
  began: number;
  /** The most starts that ran at once while this one ran. */
  peak: number;
}

interface Level {
  durations: number[];
  /** When last measured (the queue's clock). */
  at: number;
}

export class StartQueue {
  /** Adaptive (START_CONCURRENCY 0): slots move between 1 and maxSlots. */
  readonly adaptive: boolean;
  readonly maxSlots: number;
  private current: number;
  private readonly waiting: Waiting[] = [];
  private readonly running = new Map<string, Running>();
  /** The last starts measured, with how many ran at once beside each (its peak). */
  private readonly recent: { ms: number; peak: number }[] = [];
  /** Durations by how many ran at once (adaptive slots). */
  private readonly levels = new Map<number, Level>();
  /** When the last starts finished while others waited (for the pace of the queue). */
  private busyEnds: number[] = [];
  /** Learners' starts that waited for a slot and still run: the room is still being admitted. */
  private readonly admittedFromLine = new Set<string>();
  /** Waits for the admissions to settle (settled()). */
  private settledWaiters: (() => void)[] = [];
  private readonly now: () => number;

  /** `slots` > 0: that many at once; 0 or none: adaptive up to `maxSlots` (default: the host's cores). */
  constructor(opts: { slots?: number; maxSlots?: number; now?: () => number } = {}) {
    this.adaptive = !(opts.slots && opts.slots > 0);
    this.maxSlots = Math.max(1, this.adaptive ? (opts.maxSlots ?? availableParallelism()) : opts.slots!);
    this.current = this.adaptive ? 1 : this.maxSlots;
    this.now = opts.now ?? Date.now;
  }

  /** Starts admitted at once now. */
  get slots(): number {
    return this.current;
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
    const at = this.recent.filter((r) => r.peak === this.current);
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
    const level = this.levels.get(peak) ?? { durations: [], at: 0 };
    level.durations.push(ms);
    if (level.durations.length > PER_LEVEL) level.durations.shift();
    level.at = this.now();
    this.levels.set(peak, level);
    this.adapt();
  }

  /** Starts per second with k at once (k / their median time), from at least two starts measured at k. */
  private rate(k: number): number | null {
    const d = this.levels.get(k)?.durations;
    if (!d || d.length < 2) return null;
    return k / Math.max(1, median(d));
  }

  /** One slot fewer when the last one adds too little; one more, tried or known to help, while starts wait. */
  private adapt(): void {
    if (!this.adaptive || this.maxSlots === 1 || this.waiting.length === 0) return;
    const k = this.current;
    const here = this.rate(k);
    if (here === null) return;
    const below = k > 1 ? this.rate(k - 1) : null;
    if (below !== null && here < below * GAIN) {
      this.current = k - 1;
      return;
    }
    if (k >= this.maxSlots) return;
    const above = this.levels.get(k + 1);
    const known = above && this.now() - above.at <= STALE_AFTER_MS ? this.rate(k + 1) : null;
    if (known === null || known >= here * GAIN) this.current = k + 1;
  }
}

/** The upper median (the middle one of an odd count). */
function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
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


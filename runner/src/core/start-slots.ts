/**
 * How many cold starts the start queue (start-queue.ts) admits at once: START_CONCURRENCY when
 * set; otherwise (0) adaptive, from one up to the host's cores, from the starts' measured times.
 * A slot more is tried while starts are waiting, and kept only while the host really runs that
 * many at once: each start, beside the others, takes at most SLOWDOWN times as long as with one
 * fewer. Where starts only share the cores they would each use in turn, another slot makes every
 * start slower and no promise of an estimate holds: on the 2-core machine a cold start keeps 1.2
 * cores busy, and two at once each took 1.5 to 1.75 times as long (issue 19, bench:classroom
 * reserve 0: the room's last shell 88 s with two slots, each start 5.5 s; 109 s with one, each
 * start within 2 % of a start alone). Issue 19's bound is that: N starts x one start alone ÷ the
 * slots, plus 20 %.
 */
import { availableParallelism, cpus } from 'node:os';

/** The host's CPU time so far, summed over its cores (ms): idle and all. */
export interface HostCpu {
  idleMs: number;
  totalMs: number;
  cores: number;
}

/** HostCpu of this machine (os.cpus()). */
export function hostCpu(): HostCpu {
  let idleMs = 0;
  let totalMs = 0;
  const all = cpus();
  for (const c of all) {
    idleMs += c.times.idle;
    totalMs += c.times.idle + c.times.user + c.times.nice + c.times.sys + c.times.irq;
  }
  return { idleMs, totalMs, cores: all.length };
}

/** Starts remembered per level of concurrency. */
const PER_LEVEL = 5;
/**
 * A level measured longer ago than this is tried again (the host's load changes over minutes).
 * Not counted in starts: a room of 30 makes 20 starts in about a minute, and trying two at once
 * again within the same room only made two of its learners wait longer (bench:classroom reserve 0).
 */
const STALE_AFTER_MS = 5 * 60_000;
/** One slot more is kept while a start beside the others takes at most this many times as long as with one fewer. */
const SLOWDOWN = 1.2;

interface Level {
  durations: number[];
  /** When last measured (the queue's clock). */
  at: number;
}

export class StartSlots {
  /** Adaptive (START_CONCURRENCY 0): `current` moves between 1 and maxSlots. */
  readonly adaptive: boolean;
  readonly maxSlots: number;
  private k: number;
  /** Durations by how many ran at once. */
  private readonly levels = new Map<number, Level>();
  private readonly now: () => number;
  private readonly cpu?: () => HostCpu;
  private lastCpu?: HostCpu;
  /** Idle cores of the host between the last two measured starts (null: unknown). */
  private idleCores: number | null = null;

  /**
   * `slots` > 0: that many at once; 0 or none: adaptive up to `maxSlots` (default: the host's cores).
   * `cpu`: the host's CPU time (hostCpu); with it a slot more is tried only where the host had cores
   * idle enough for one more start while the last ones ran (see adapt).
   */
  constructor(opts: { slots?: number; maxSlots?: number; now: () => number; cpu?: () => HostCpu }) {
    this.adaptive = !(opts.slots && opts.slots > 0);
    this.maxSlots = Math.max(1, this.adaptive ? (opts.maxSlots ?? availableParallelism()) : opts.slots!);
    this.k = this.adaptive ? 1 : this.maxSlots;
    this.now = opts.now;
    this.cpu = opts.cpu;
    this.lastCpu = opts.cpu?.();
  }

  /** Starts admitted at once now. */
  get current(): number {
    return this.k;
  }

  /** A start took `ms` with at most `peak` at once; `othersWaiting`: starts wait for a slot now. */
  measured(ms: number, peak: number, othersWaiting: boolean): void {
    const level = this.levels.get(peak) ?? { durations: [], at: 0 };
    level.durations.push(ms);
    if (level.durations.length > PER_LEVEL) level.durations.shift();
    level.at = this.now();
    this.levels.set(peak, level);
    this.noteIdle();
    if (othersWaiting) this.adapt();
  }

  /** A start's median time with k at once, from at least two starts measured at k. */
  private typical(k: number): number | null {
    const d = this.levels.get(k)?.durations;
    if (!d || d.length < 2) return null;
    return Math.max(1, median(d));
  }

  private noteIdle(): void {
    if (!this.cpu || !this.lastCpu) return;
    const now = this.cpu();
    const total = now.totalMs - this.lastCpu.totalMs;
    this.idleCores = total > 0 ? (now.cores * (now.idleMs - this.lastCpu.idleMs)) / total : null;
    this.lastCpu = now;
  }

  /**
   * Whether one start more could run beside these at nearly full speed: the cores idle while they
   * ran, against what each of them kept busy (all busy cores counted as theirs). Trying a slot the
   * host has no room for cost a room of 30 a few seconds and its estimates (issue 19: 2 cores,
   * 1.2 of them busy per start and the rest taken by the room).
   */
  private roomForOneMore(k: number): boolean {
    if (this.idleCores === null || !this.lastCpu) return true;
    const perStart = Math.max(0, this.lastCpu.cores - this.idleCores) / k;
    return this.idleCores * SLOWDOWN >= perStart;
  }

  /** One slot fewer when starts slow each other down; one more, tried or known not to. */
  private adapt(): void {
    if (!this.adaptive || this.maxSlots === 1) return;
    const k = this.k;
    const here = this.typical(k);
    if (here === null) return;
    const below = k > 1 ? this.typical(k - 1) : null;
    if (below !== null && here > below * SLOWDOWN) {
      this.k = k - 1;
      return;
    }
    if (k >= this.maxSlots) return;
    const above = this.levels.get(k + 1);
    const known = above && this.now() - above.at <= STALE_AFTER_MS ? this.typical(k + 1) : null;
    if (known === null ? this.roomForOneMore(k) : known <= here * SLOWDOWN) this.k = k + 1;
  }
}

/** The upper median (the middle one of an odd count). */
export function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

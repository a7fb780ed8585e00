/**
 * The warm pool: ready sandboxes kept for sessions to claim.
 */
import type { SandboxInfo, SandboxProvider } from '../sandbox/provider.ts';
import { newSandboxId } from './ids.ts';
import type { Logger } from './log.ts';

export interface PooledSandbox {
  id: string;
  info: SandboxInfo;
}

export interface PoolStats {
  ready: number;
  creating: number;
  /** Pooled sandboxes being removed (they still occupy the engine). */
  removing: number;
  target: number;
}

/**
 * Keeps up to `target()` ready sandboxes. A claimed sandbox leaves the pool and the pool
 * refills in the background, one sandbox at a time (the machine is shared), with a backoff
 * after failures. Nothing is created once `shutdown()` started.
 */
export class WarmPool {
  private readonly provider: SandboxProvider;
  private readonly target: () => number;
  private readonly log: Logger;
  private readonly ready: PooledSandbox[] = [];
  private readonly creating = new Map<string, Promise<void>>();
  private readonly removing = new Set<string>();
  private stopped = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Sandboxes being created at once by the pool. */
  private readonly concurrency: number;

  constructor(opts: { provider: SandboxProvider; target: () => number; log: Logger; concurrency?: number }) {
    this.provider = opts.provider;
    this.target = opts.target;
    this.log = opts.log;
    this.concurrency = opts.concurrency ?? 1;
  }

  stats(): PoolStats {
    return { ready: this.ready.length, creating: this.creating.size, removing: this.removing.size, target: this.stopped ? 0 : this.target() };
  }

  /** Sandboxes of the pool on the engine, or about to be. */
  occupied(): number {
    return this.ready.length + this.creating.size + this.removing.size;
  }

  /** Starts creating sandboxes until the pool holds `target()` (ready + being created). */
  fill(): void {
    if (this.stopped || this.retryTimer) return;
    while (this.creating.size < this.concurrency && this.occupied() < this.target()) {
      this.spawn();
    }
    // Too many ready (capacity shrank because sessions were created): give back the surplus.
    // A ready sandbox is never given back for one still being created (that one is checked when
    // it is done): the next learner would find nothing ready and wait for a cold start.
    while (this.ready.length > 0 && this.ready.length > this.target()) {
      const extra = this.ready.pop()!;
      void this.destroy(extra.id);
    }
  }

  private spawn(): void {
    const id = newSandboxId();
    const p = this.provider
      .create(id, { pool: true })
      .then(
        (info) => {
          this.creating.delete(id);
          if (this.stopped) return this.destroy(id);
          this.failures = 0;
          if (this.ready.length >= this.target()) return this.destroy(id);
          this.ready.push({ id, info });
          this.log.info({ sandbox: id, pool: this.stats() }, 'warm pool: sandbox ready');
        },
        async (err: unknown) => {
          this.creating.delete(id);
          this.failures++;
          this.log.error({ sandbox: id, err: String((err as Error)?.message ?? err) }, 'warm pool: sandbox creation failed');
          await this.destroy(id);
          if (!this.stopped) {
            const delay = Math.min(60_000, 2_000 * 2 ** Math.min(this.failures - 1, 5));
            this.retryTimer = setTimeout(() => {
              this.retryTimer = null;
              this.fill();
            }, delay);
            this.retryTimer.unref();
          }
        },
      )
      .finally(() => this.fill());
    this.creating.set(id, p.then(() => undefined));
  }

  /** Takes a ready sandbox that is still running, or null. */
  async claim(): Promise<PooledSandbox | null> {
    while (!this.stopped && this.ready.length > 0) {
      const item = this.ready.shift()!;
      let running = false;
      try {
        running = await this.provider.isRunning(item.id);
      } catch {
        running = false;
      }
      if (running && this.provider.claim && !(await this.provider.claim(item.id).catch(() => false))) {
        // Claimed elsewhere (another runner or request on a shared pool): it is not ours to hand out or remove.
        this.log.warn({ sandbox: item.id }, 'warm pool: pooled sandbox was claimed elsewhere; trying the next');
        continue;
      }
      if (running) {
        this.fill();
        return item;
      }
      this.log.warn({ sandbox: item.id }, 'warm pool: pooled sandbox is not running any more; dropping it');
      void this.destroy(item.id);
    }
    this.fill();
    return null;
  }

  private async destroy(id: string): Promise<void> {
    this.removing.add(id);
    try {
      await this.provider.destroy(id);
    } catch (err) {
      this.log.error({ sandbox: id, err: String((err as Error)?.message ?? err) }, 'warm pool: destroy failed');
    } finally {
      this.removing.delete(id);
    }
  }

  /** Stops refilling and forgets the pool without removing it (the runner stops; the next start reaps it). */
  abandon(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.ready.splice(0);
  }

  /** Stops refilling, waits for creations in flight, destroys every pooled sandbox. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    await Promise.allSettled([...this.creating.values()]);
    const all = this.ready.splice(0);
    await Promise.allSettled(all.map((s) => this.destroy(s.id)));
  }
}

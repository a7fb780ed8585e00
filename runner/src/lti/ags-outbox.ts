/**
 * The score outbox (AGS 2.0 Score service): scores are rows in SQLite first, then posted to
 * `<lineitem>/scores` with the media type application/vnd.ims.lis.v1.score+json and a bearer
 * token (scope .../score). Scores of one platform go one at a time, oldest first, so they
 * arrive once and in order; a platform that is down, slow or answers 5xx/429/401 is retried
 * with exponential backoff (the rest of its queue waits), a 4xx that will never succeed marks
 * the row failed and the queue moves on. A restarted runner picks up where it stopped.
 */
import { errMessage, type Logger } from '../core/log.ts';
import { SCOPE_SCORE } from './claims.ts';
import type { LtiStore, OutboxItem, Registration } from '../store/lti.ts';
import { HTTP_TIMEOUT_MS, PlatformError, type TokenCache } from './token.ts';

export const SCORE_MEDIA_TYPE = 'application/vnd.ims.lis.v1.score+json';

export interface OutboxTiming {
  /** First retry after this, doubling (LTI_RETRY_BASE_MS, default 5 s). */
  baseMs: number;
  /** Retries never wait longer than this (default 10 min). */
  maxMs: number;
}

/** `<lineitem>/scores`, keeping the line item's query string (AGS 2.0 §3.4). */
export function scoresUrl(lineitem: string): string {
  const u = new URL(lineitem);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/scores`;
  return u.toString();
}

export class ScoreOutbox {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  private readonly store: LtiStore;
  private readonly tokens: TokenCache;
  private readonly log: Logger;
  private readonly timing: OutboxTiming;

  constructor(store: LtiStore, tokens: TokenCache, log: Logger, timing: OutboxTiming) {
    this.store = store;
    this.tokens = tokens;
    this.log = log;
    this.timing = timing;
  }

  /** Send what is due now (after an enqueue, at start). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.running = this.drain().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.kick();
      } else this.schedule();
    });
  }

  /** Resolves when nothing is being sent (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    return this.idle();
  }

  private schedule(): void {
    if (this.stopped) return;
    const heads = this.store.heads();
    if (!heads.length) return;
    const next = Math.min(...heads.map((h) => h.nextAt));
    this.timer = setTimeout(() => this.kick(), Math.max(0, Math.min(next - Date.now(), 2 ** 31 - 1)));
    this.timer.unref();
  }

  private async drain(): Promise<void> {
    const due = this.store.heads().filter((h) => h.nextAt <= Date.now());
    await Promise.all(due.map((h) => this.drainRegistration(h)));
  }

  /** Sends this registration's queue in order until it is empty or a send must wait. */
  private async drainRegistration(first: OutboxItem): Promise<void> {
    let item: OutboxItem | undefined = first;
    while (item && !this.stopped) {
      const reg = this.store.registration(item.registration);
      if (!reg) {
        this.store.markFailed(item.id, 'the platform is no longer registered');
      } else if (!(await this.sendOne(reg, item))) return;
      const regId: string = item.registration;
      item = this.store.heads().find((h) => h.registration === regId && h.nextAt <= Date.now());
    }
  }

  /** True when the queue may go on (sent, or failed for good). */
  private async sendOne(reg: Registration, item: OutboxItem): Promise<boolean> {
    try {
      const token = await this.tokens.token(reg, [SCOPE_SCORE]);
      let res: Response;
      try {
        res = await fetch(scoresUrl(item.lineitem), {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': SCORE_MEDIA_TYPE },
          body: item.body,
          redirect: 'manual',
          signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
        });
      } catch (err) {
        throw new PlatformError(`scores: ${errMessage(err)}`, 0);
      }
      await res.arrayBuffer().catch(() => undefined);
      if (res.status === 401) this.tokens.forget(reg, [SCOPE_SCORE]);
      if (!res.ok) throw new PlatformError(`scores endpoint answered ${res.status}`, res.status);
      this.store.markSent(item.id);
      this.log.info({ lab: item.lab, outbox: item.id }, 'lti: score sent');
      return true;
    } catch (err) {
      const status = err instanceof PlatformError ? err.status : 0;
      const retry = status === 0 || status >= 500 || status === 401 || status === 408 || status === 429;
      const msg = errMessage(err);
      if (!retry) {
        this.store.markFailed(item.id, msg);
        this.log.error({ lab: item.lab, outbox: item.id, err: msg }, 'lti: the platform refused a score; not retried');
        return true;
      }
      const wait = Math.min(this.timing.maxMs, this.timing.baseMs * 2 ** Math.min(item.attempts, 20));
      this.store.markRetry(item.id, Date.now() + Math.round(wait * (0.8 + Math.random() * 0.4)), msg);
      this.log.warn({ lab: item.lab, outbox: item.id, attempts: item.attempts + 1, err: msg }, 'lti: score not delivered; will retry');
      return false;
    }
  }
}

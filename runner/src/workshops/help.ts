/**
 * Raised hands of a workshop: one open request per learner at a time and at most
 * HELP_HANDS_PER_HOUR per learner per hour; the queue is ordered by waiting time (the oldest
 * first). A request carries a short plain-text message and, attached by the runner, the lab
 * and its failing criteria. It closes when the learner lowers it, the instructor marks it
 * helped, a broadcast closes every hand, or the workshop ends. Kept in the workshop's folder
 * (help.json, data.ts) so results show them after a restart.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError } from '../core/errors.ts';
import { newSandboxId } from '../core/ids.ts';
import { ensureDir } from './data.ts';

export type ClosedBy = 'learner' | 'instructor' | 'broadcast' | 'end';

export interface HelpRequest {
  id: string;
  session: string;
  name: string;
  message: string;
  lab: string | null;
  failing: { id: string; title: string }[];
  raisedAt: number;
  closedAt: number | null;
  closedBy: ClosedBy | null;
  /** The instructor's latest answer (shown to this learner only). */
  reply: { message: string; at: number } | null;
}

export const HELP_MESSAGE_MAX = 280;
const HOUR_MS = 3_600_000;
const iso = (ms: number | null) => (ms == null ? null : new Date(ms).toISOString());

/** A request as the API shows it; `waitingMs` up to now or until it closed. */
export function helpView(r: HelpRequest, now = Date.now()) {
  return {
    id: r.id,
    session: r.session,
    name: r.name,
    message: r.message,
    lab: r.lab,
    failing: r.failing,
    raisedAt: iso(r.raisedAt),
    closedAt: iso(r.closedAt),
    closedBy: r.closedBy,
    waitingMs: (r.closedAt ?? now) - r.raisedAt,
    reply: r.reply ? { message: r.reply.message, at: iso(r.reply.at) } : null,
  };
}
export type HelpView = ReturnType<typeof helpView>;

export class HelpDesk {
  private readonly byWorkshop = new Map<string, HelpRequest[]>();
  private readonly opts: { dir(workshopId: string): string; perHour: number; now?: () => number };

  constructor(opts: { dir(workshopId: string): string; perHour: number; now?: () => number }) {
    this.opts = opts;
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** Every request of the workshop, in raising order. */
  all(workshopId: string): HelpRequest[] {
    let list = this.byWorkshop.get(workshopId);
    if (list) return list;
    list = [];
    const f = join(this.opts.dir(workshopId), 'help.json');
    if (existsSync(f)) {
      try {
        list = JSON.parse(readFileSync(f, 'utf8')) as HelpRequest[];
      } catch {
        list = [];
      }
    }
    this.byWorkshop.set(workshopId, list);
    return list;
  }

  /** The open requests, the longest waiting first. */
  queue(workshopId: string): HelpRequest[] {
    return this.all(workshopId)
      .filter((r) => r.closedAt === null)
      .sort((a, b) => a.raisedAt - b.raisedAt);
  }

  /** 1-based place of the session's open request, or null. */
  position(workshopId: string, sessionId: string): number | null {
    const i = this.queue(workshopId).findIndex((r) => r.session === sessionId);
    return i < 0 ? null : i + 1;
  }

  /** The session's latest request (open or not). */
  latest(workshopId: string, sessionId: string): HelpRequest | undefined {
    return this.all(workshopId).findLast((r) => r.session === sessionId);
  }

  raise(workshopId: string, r: Omit<HelpRequest, 'id' | 'raisedAt' | 'closedAt' | 'closedBy' | 'reply'>): HelpRequest {
    const mine = this.all(workshopId).filter((x) => x.session === r.session);
    if (mine.some((x) => x.closedAt === null)) throw new ApiError(409, 'hand_already_raised', 'Your hand is already raised: lower it first to ask again.');
    const now = this.now();
    const recent = mine.filter((x) => x.raisedAt > now - HOUR_MS);
    if (recent.length >= this.opts.perHour) {
      const s = Math.max(1, Math.ceil((recent[0]!.raisedAt + HOUR_MS - now) / 1000));
      throw new ApiError(429, 'too_many_hands', `At most ${this.opts.perHour} requests for help per hour; try again in ${Math.ceil(s / 60)} min.`, { 'retry-after': String(s) });
    }
    const req: HelpRequest = { ...r, id: newSandboxId(), raisedAt: now, closedAt: null, closedBy: null, reply: null };
    this.all(workshopId).push(req);
    this.save(workshopId);
    return req;
  }

  /** Closes the session's open request; returns it, or undefined when none was open. */
  close(workshopId: string, sessionId: string, by: ClosedBy): HelpRequest | undefined {
    const r = this.all(workshopId).find((x) => x.session === sessionId && x.closedAt === null);
    if (!r) return undefined;
    r.closedAt = this.now();
    r.closedBy = by;
    this.save(workshopId);
    return r;
  }

  /** Closes every open request; returns the sessions whose hand went down. */
  closeAll(workshopId: string, by: ClosedBy): string[] {
    const open = this.all(workshopId).filter((x) => x.closedAt === null);
    const now = this.now();
    for (const r of open) {
      r.closedAt = now;
      r.closedBy = by;
    }
    if (open.length) this.save(workshopId);
    return open.map((r) => r.session);
  }

  /** The instructor's answer, kept on the session's latest request. */
  reply(workshopId: string, sessionId: string, message: string): HelpRequest {
    const r = this.latest(workshopId, sessionId);
    if (!r) throw new ApiError(404, 'no_help_request', 'This learner has not asked for help.');
    r.reply = { message, at: this.now() };
    this.save(workshopId);
    return r;
  }

  private save(workshopId: string): void {
    const dir = ensureDir(this.opts.dir(workshopId));
    const f = join(dir, 'help.json');
    writeFileSync(`${f}.tmp`, JSON.stringify(this.all(workshopId)), { mode: 0o600 });
    renameSync(`${f}.tmp`, f);
  }
}

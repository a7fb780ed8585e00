/**
 * Server-sent events of workshops: per workshop, the open streams; `learner` events coalesced
 * per learner (at most one per COALESCE_MS: the first at once, the latest state at the end of
 * the window), a keep-alive comment every 15 s, `retry: 2000` so EventSource reconnects soon.
 * No snapshot: the client reads /progress first, then applies events.
 */
import type { ServerResponse } from 'node:http';

export const COALESCE_MS = 250;
export const KEEPALIVE_MS = 15_000;

interface Pending {
  timer: NodeJS.Timeout;
  dirty: boolean;
}

export class WorkshopStreams {
  private readonly streams = new Map<string, Set<ServerResponse>>();
  private readonly pending = new Map<string, Pending>();
  private readonly keepAlive: NodeJS.Timeout;
  private closed = false;
  private readonly coalesceMs: number;

  constructor(coalesceMs = COALESCE_MS, keepAliveMs = KEEPALIVE_MS) {
    this.coalesceMs = coalesceMs;
    this.keepAlive = setInterval(() => this.writeAll(': keep-alive\n\n'), keepAliveMs);
    this.keepAlive.unref();
  }

  /** Takes over a response as an event stream of one workshop. */
  open(workshopId: string, res: ServerResponse): void {
    if (this.closed) return void res.end();
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    let set = this.streams.get(workshopId);
    if (!set) this.streams.set(workshopId, (set = new Set()));
    set.add(res);
    res.on('close', () => {
      set.delete(res);
      if (set.size === 0 && this.streams.get(workshopId) === set) this.streams.delete(workshopId);
    });
  }

  count(workshopId?: string): number {
    if (workshopId) return this.streams.get(workshopId)?.size ?? 0;
    let n = 0;
    for (const s of this.streams.values()) n += s.size;
    return n;
  }

  /** A learner changed: `row()` is read when the event is sent (coalesced per learner). */
  learner(workshopId: string, sessionId: string, row: () => unknown): void {
    if (this.closed || !this.streams.has(workshopId)) return;
    const key = `${workshopId}\n${sessionId}`;
    const p = this.pending.get(key);
    if (p) {
      p.dirty = true;
      return;
    }
    this.send(workshopId, 'learner', row());
    const timer = setTimeout(() => {
      const mine = this.pending.get(key);
      this.pending.delete(key);
      if (mine?.dirty) this.learner(workshopId, sessionId, row);
    }, this.coalesceMs);
    timer.unref();
    this.pending.set(key, { timer, dirty: false });
  }

  send(workshopId: string, event: string, data: unknown): void {
    const set = this.streams.get(workshopId);
    if (!set || set.size === 0) return;
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of set) if (!res.writableEnded) res.write(frame);
  }

  /** Ends the streams of one workshop (it ended), after a last event. */
  end(workshopId: string, last?: { event: string; data: unknown }): void {
    if (last) this.send(workshopId, last.event, last.data);
    for (const res of this.streams.get(workshopId) ?? []) res.end();
    this.streams.delete(workshopId);
  }

  /** Ends every stream (the runner stops); EventSource reconnects to the next run. */
  close(): void {
    this.closed = true;
    clearInterval(this.keepAlive);
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    for (const set of this.streams.values()) for (const res of set) res.end();
    this.streams.clear();
  }

  private writeAll(text: string): void {
    for (const set of this.streams.values()) for (const res of set) if (!res.writableEnded) res.write(text);
  }
}

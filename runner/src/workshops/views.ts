/** How a workshop looks to HTTP clients (docs/api-extensions.md "Workshops"). */
import type { StoredWorkshop } from '../store/workshops.ts';
import { formatCode } from './codes.ts';

export const iso = (ms: number | null) => (ms == null ? null : new Date(ms).toISOString());

/** Not ended by hand, and its endsAt (if any) has not passed. */
export function isOpen(w: StoredWorkshop, now = Date.now()): boolean {
  return w.endedAt == null && (w.endsAt == null || w.endsAt > now);
}

/** `ready`: warm sandboxes of its reserve now; `learners`: everyone who joined. */
export function workshopView(w: StoredWorkshop, ready: number, learners: number) {
  const open = isOpen(w);
  return {
    id: w.id,
    code: formatCode(w.code),
    title: w.title,
    state: open ? ('open' as const) : ('ended' as const),
    labs: w.labs,
    learners,
    seats: w.seats,
    reserve: w.reserve,
    ready,
    createdAt: iso(w.createdAt),
    endsAt: iso(w.endsAt),
    endedAt: iso(w.endedAt ?? (open ? null : w.endsAt)),
    broadcast: w.broadcast ? { message: w.broadcast.message, at: iso(w.broadcast.at) } : null,
  };
}

/** The join link (for the projector) and the dashboard link (never with the key). */
export function workshopUrls(w: StoredWorkshop, origin: string) {
  return {
    joinUrl: `${origin}/join/?code=${encodeURIComponent(formatCode(w.code))}`,
    dashboardUrl: `${origin}/instructor/workshop/?id=${encodeURIComponent(w.id)}`,
  };
}

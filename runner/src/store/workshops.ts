/**
 * The workshop tables (migration 2): workshops, and the latest check of each lab of a session
 * with its messages. Part of the Store (store.workshops); SQL stays in this folder.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { StoredSession } from './session-row.ts';

type Row = Record<string, unknown>;

export interface StoredWorkshop {
  id: string;
  /** Normalised join code: 6 characters, no separator. */
  code: string;
  title: string;
  labs: string[];
  seats: number;
  reserve: number;
  /** Epoch ms. */
  createdAt: number;
  endsAt: number | null;
  endedAt: number | null;
  /** sha256 of the instructor key; the key itself is never stored. */
  keyHash: Buffer;
  broadcast: { message: string; at: number } | null;
}

export type WorkshopPatch = Partial<Pick<StoredWorkshop, 'endedAt' | 'endsAt' | 'broadcast'>>;

/** A check as the learner saw it (criteria with titles and messages). */
export interface CheckSnapshot {
  lab: string;
  at: number;
  passed: boolean;
  criteria: { id: string; title: string; passed: boolean; message: string }[];
}

export interface CheckHistoryEntry {
  lab: string;
  passed: boolean;
  /** [criterion id, passed] in the lab's order. */
  criteria: [string, boolean][];
  at: number;
}

export interface WorkshopStore {
  insert(w: StoredWorkshop): void;
  update(id: string, patch: WorkshopPatch): void;
  get(id: string): StoredWorkshop | undefined;
  /** The open (not ended) workshop with this normalised code. */
  openByCode(code: string): StoredWorkshop | undefined;
  byKeyHash(hash: Buffer): StoredWorkshop | undefined;
  list(): StoredWorkshop[];
  /** Every session that joined the workshop, stopped ones included, in joining order. */
  sessions(workshopId: string): StoredSession[];
  saveLastCheck(sessionId: string, check: CheckSnapshot): void;
  lastChecks(sessionId: string): CheckSnapshot[];
  /** Every check of the session, newest first. */
  checkHistory(sessionId: string): CheckHistoryEntry[];
  /** Time of the latest quiz answer, or null. */
  lastQuizAt(sessionId: string): number | null;
}

function toWorkshop(r: Row): StoredWorkshop {
  return {
    id: r.id as string,
    code: r.code as string,
    title: r.title as string,
    labs: JSON.parse(r.labs as string) as string[],
    seats: Number(r.seats),
    reserve: Number(r.reserve),
    createdAt: Number(r.created_at),
    endsAt: r.ends_at == null ? null : Number(r.ends_at),
    endedAt: r.ended_at == null ? null : Number(r.ended_at),
    keyHash: Buffer.from(r.key_hash as Uint8Array),
    broadcast: r.broadcast == null ? null : { message: r.broadcast as string, at: Number(r.broadcast_at) },
  };
}

export function workshopStore(db: DatabaseSync, toSession: (r: Row) => StoredSession): WorkshopStore {
  return {
    insert(w) {
      db.prepare(
        `INSERT INTO workshops (id, code, title, labs, seats, reserve, created_at, ends_at, ended_at, key_hash, broadcast, broadcast_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(w.id, w.code, w.title, JSON.stringify(w.labs), w.seats, w.reserve, w.createdAt, w.endsAt, w.endedAt, w.keyHash, w.broadcast?.message ?? null, w.broadcast?.at ?? null);
    },
    update(id, patch) {
      if (patch.endedAt !== undefined) db.prepare('UPDATE workshops SET ended_at = ? WHERE id = ?').run(patch.endedAt, id);
      if (patch.endsAt !== undefined) db.prepare('UPDATE workshops SET ends_at = ? WHERE id = ?').run(patch.endsAt, id);
      if (patch.broadcast !== undefined) {
        db.prepare('UPDATE workshops SET broadcast = ?, broadcast_at = ? WHERE id = ?').run(patch.broadcast?.message ?? null, patch.broadcast?.at ?? null, id);
      }
    },
    get(id) {
      const r = db.prepare('SELECT * FROM workshops WHERE id = ?').get(id) as Row | undefined;
      return r ? toWorkshop(r) : undefined;
    },
    openByCode(code) {
      const r = db.prepare('SELECT * FROM workshops WHERE code = ? AND ended_at IS NULL').get(code) as Row | undefined;
      return r ? toWorkshop(r) : undefined;
    },
    byKeyHash(hash) {
      const r = db.prepare('SELECT * FROM workshops WHERE key_hash = ?').get(hash) as Row | undefined;
      return r ? toWorkshop(r) : undefined;
    },
    list() {
      return (db.prepare('SELECT * FROM workshops ORDER BY created_at DESC').all() as Row[]).map(toWorkshop);
    },
    sessions(workshopId) {
      return (db.prepare('SELECT * FROM sessions WHERE workshop = ? ORDER BY created_at, id').all(workshopId) as Row[]).map(toSession);
    },
    saveLastCheck(sessionId, c) {
      db.prepare(
        `INSERT INTO last_checks (session_id, lab, at, result) VALUES (?, ?, ?, ?)
         ON CONFLICT (session_id, lab) DO UPDATE SET at = excluded.at, result = excluded.result`,
      ).run(sessionId, c.lab, c.at, JSON.stringify({ passed: c.passed, criteria: c.criteria }));
    },
    lastChecks(sessionId) {
      const rows = db.prepare('SELECT lab, at, result FROM last_checks WHERE session_id = ? ORDER BY at DESC').all(sessionId) as Row[];
      return rows.map((r) => ({ lab: r.lab as string, at: Number(r.at), ...(JSON.parse(r.result as string) as Omit<CheckSnapshot, 'lab' | 'at'>) }));
    },
    checkHistory(sessionId) {
      const rows = db.prepare('SELECT lab, passed, criteria, at FROM checks WHERE session_id = ? ORDER BY at DESC, id DESC').all(sessionId) as Row[];
      return rows.map((r) => ({
        lab: r.lab as string,
        passed: Number(r.passed) === 1,
        criteria: (JSON.parse(r.criteria as string) as [string, number][]).map(([id, ok]) => [id, ok === 1] as [string, boolean]),
        at: Number(r.at),
      }));
    },
    lastQuizAt(sessionId) {
      const r = db.prepare('SELECT MAX(at) AS at FROM quiz_answers WHERE session_id = ?').get(sessionId) as Row | undefined;
      return r?.at == null ? null : Number(r.at);
    },
  };
}

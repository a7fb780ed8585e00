/**
 * Store on SQLite (node:sqlite, built into Node 22): one connection, WAL, small transactions,
 * migrations in order at open. A file that cannot be used is moved aside and a fresh one is
 * started: the runner then knows no session, and reaps what it cannot account for.
 */
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { MIGRATIONS } from './migrations.ts';
import type { CheckRecord, QuizRecord, SessionPatch, SessionProgress, Store, StoredSession } from './types.ts';
import { workshopStore, type WorkshopStore } from './workshops.ts';
import { ltiStore, type LtiStore } from './lti.ts';

type Row = Record<string, unknown>;

const COLUMNS: Record<keyof SessionPatch, string> = {
  clientAddress: 'client_address',
  expiresAt: 'expires_at',
  state: 'state',
  stopReason: 'stop_reason',
  error: 'error',
  lab: 'lab',
  workshop: 'workshop',
  name: 'name',
  lang: 'lang',
  fromPool: 'from_pool',
  readyAt: 'ready_at',
  stoppedAt: 'stopped_at',
};

function toSession(r: Row): StoredSession {
  return {
    id: r.id as string,
    tokenHash: Buffer.from(r.token_hash as Uint8Array),
    clientAddress: r.client_address as string,
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    state: r.state as StoredSession['state'],
    stopReason: (r.stop_reason as string | null) ?? null,
    error: (r.error as string | null) ?? null,
    lab: (r.lab as string | null) ?? null,
    workshop: (r.workshop as string | null) ?? null,
    name: (r.name as string | null) ?? null,
    lang: r.lang === 'en' ? 'en' : 'ru',
    fromPool: Number(r.from_pool) === 1,
    readyAt: r.ready_at == null ? null : Number(r.ready_at),
    stoppedAt: r.stopped_at == null ? null : Number(r.stopped_at),
  };
}

const dbValue = (v: unknown) => (typeof v === 'boolean' ? (v ? 1 : 0) : (v ?? null));

function migrate(db: DatabaseSync): void {
  const version = Number((db.prepare('PRAGMA user_version').get() as Row).user_version);
  if (version > MIGRATIONS.length) {
    throw new Error(`its schema version ${version} is newer than this runner knows (${MIGRATIONS.length})`);
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(MIGRATIONS[v]!);
      db.exec(`PRAGMA user_version = ${v + 1}`);
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }
}

function open(path: string): DatabaseSync {
  const db = new DatabaseSync(path);
  try {
    db.exec('PRAGMA busy_timeout = 5000');
    if (path !== ':memory:') db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    db.exec('PRAGMA foreign_keys = ON');
    const check = db.prepare('PRAGMA quick_check').get() as Row;
    if (check && Object.values(check)[0] !== 'ok') throw new Error(`integrity check: ${String(Object.values(check)[0])}`);
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

export interface OpenedStore {
  store: Store;
  /** Set when the file could not be used and a fresh one was started: one line for the log. */
  problem: string | null;
  /** True when there was no database yet (first start, or the file was deleted). */
  created: boolean;
}

/** Opens (or creates) the store at `path` (":memory:" for none on disk). */
export function openSqliteStore(path: string): OpenedStore {
  let problem: string | null = null;
  let db: DatabaseSync;
  // Token hashes and client addresses: the folder is the runner's alone.
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const created = path === ':memory:' || !existsSync(path) || statSync(path).size === 0;
  try {
    db = open(path);
  } catch (err) {
    const aside = `${path}.unreadable-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    for (const suffix of ['', '-wal', '-shm']) {
      if (existsSync(path + suffix)) renameSync(path + suffix, aside + suffix);
    }
    problem = `the database ${path} could not be used (${(err as Error).message}); it was moved to ${aside} and the runner starts with no sessions`;
    db = open(path);
  }
  return { store: new SqliteStore(db, path), problem, created };
}

class SqliteStore implements Store {
  readonly location: string;
  readonly workshops: WorkshopStore;
  readonly lti: LtiStore;
  private readonly db: DatabaseSync;

  constructor(db: DatabaseSync, location: string) {
    this.db = db;
    this.location = location;
    this.workshops = workshopStore(db, toSession);
    this.lti = ltiStore(db);
  }

  private tx<T>(fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const out = fn();
      this.db.exec('COMMIT');
      return out;
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  insertSession(s: StoredSession): void {
    this.db
      .prepare(
        `INSERT INTO sessions (id, token_hash, client_address, created_at, expires_at, state, stop_reason, error, lab, workshop, name, lang, from_pool, ready_at, stopped_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        s.id,
        s.tokenHash,
        s.clientAddress,
        s.createdAt,
        s.expiresAt,
        s.state,
        s.stopReason,
        s.error,
        s.lab,
        s.workshop,
        s.name,
        s.lang,
        s.fromPool ? 1 : 0,
        s.readyAt,
        s.stoppedAt,
      );
  }

  updateSession(id: string, patch: SessionPatch): void {
    const keys = (Object.keys(patch) as (keyof SessionPatch)[]).filter((k) => COLUMNS[k] && patch[k] !== undefined);
    if (!keys.length) return;
    const sets = keys.map((k) => `${COLUMNS[k]} = ?`).join(', ');
    this.db.prepare(`UPDATE sessions SET ${sets} WHERE id = ?`).run(...keys.map((k) => dbValue(patch[k]) as never), id);
  }

  getSession(id: string): StoredSession | undefined {
    const r = this.db.prepare('SELECT * FROM sessions WHERE id = ?').get(id) as Row | undefined;
    return r ? toSession(r) : undefined;
  }

  loadSessions(stoppedSince: number): StoredSession[] {
    return (this.db.prepare(`SELECT * FROM sessions WHERE state != 'stopped' OR stopped_at >= ? ORDER BY created_at`).all(stoppedSince) as Row[]).map(toSession);
  }

  saveLabState(sessionId: string, lab: string, entries: [string, unknown][]): void {
    this.db
      .prepare(
        `INSERT INTO lab_states (session_id, lab, entries, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (session_id, lab) DO UPDATE SET entries = excluded.entries, updated_at = excluded.updated_at`,
      )
      .run(sessionId, lab, JSON.stringify(entries), Date.now());
  }

  labStates(sessionId: string): Map<string, [string, unknown][]> {
    const rows = this.db.prepare('SELECT lab, entries FROM lab_states WHERE session_id = ?').all(sessionId) as Row[];
    return new Map(rows.map((r) => [r.lab as string, JSON.parse(r.entries as string) as [string, unknown][]]));
  }

  recordCheck(sessionId: string, c: CheckRecord): void {
    this.db
      .prepare('INSERT INTO checks (session_id, lab, passed, criteria, at, duration_ms) VALUES (?, ?, ?, ?, ?, ?)')
      .run(sessionId, c.lab, c.passed ? 1 : 0, JSON.stringify(c.criteria.map((x) => [x.id, x.passed ? 1 : 0])), c.at, Math.round(c.durationMs));
  }

  recordQuiz(sessionId: string, a: QuizRecord): void {
    this.db
      .prepare('INSERT INTO quiz_answers (session_id, question, answer, correct, at) VALUES (?, ?, ?, ?, ?)')
      .run(sessionId, a.question, JSON.stringify(a.answer ?? null), a.correct ? 1 : 0, a.at);
  }

  progress(sessionId: string): SessionProgress {
    return this.tx(() => {
      const labs: SessionProgress['labs'] = {};
      const summary = this.db
        .prepare(
          `SELECT lab, MAX(at) AS last_at, MIN(CASE WHEN passed = 1 THEN at END) AS first_passed_at
           FROM checks WHERE session_id = ? GROUP BY lab`,
        )
        .all(sessionId) as Row[];
      const latest = this.db.prepare('SELECT criteria FROM checks WHERE session_id = ? AND lab = ? ORDER BY at DESC, id DESC LIMIT 1');
      for (const r of summary) {
        const crit = JSON.parse(((latest.get(sessionId, r.lab as string) as Row | undefined)?.criteria as string) ?? '[]') as [string, number][];
        labs[r.lab as string] = {
          passed: r.first_passed_at != null,
          firstPassedAt: r.first_passed_at == null ? null : Number(r.first_passed_at),
          lastCheckedAt: r.last_at == null ? null : Number(r.last_at),
          criteria: Object.fromEntries(crit.map(([id, ok]) => [id, ok === 1])),
        };
      }
      const quiz: SessionProgress['quiz'] = {};
      const answers = this.db
        .prepare('SELECT question, correct, at FROM quiz_answers WHERE session_id = ? ORDER BY at, id')
        .all(sessionId) as Row[];
      for (const a of answers) quiz[a.question as string] = { correct: Number(a.correct) === 1, at: Number(a.at) };
      return { labs, quiz };
    });
  }

  stats() {
    const n = (sql: string) => Number(Object.values(this.db.prepare(sql).get() as Row)[0]);
    const pages = n('PRAGMA page_count') * n('PRAGMA page_size');
    return { sessions: n('SELECT count(*) FROM sessions'), checks: n('SELECT count(*) FROM checks'), quizAnswers: n('SELECT count(*) FROM quiz_answers'), bytes: pages };
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}

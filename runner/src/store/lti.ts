/**
 * The LTI tables (migration 4) behind one small interface: registered platforms, OIDC login
 * states and used nonces, LMS users with their progress record, one workshop per LMS context,
 * where each lab's score goes, and the score outbox. Part of the Store (store.lti); the SQL of
 * the LTI feature stays in this file.
 */
import type { DatabaseSync } from 'node:sqlite';

type Row = Record<string, unknown>;

export interface Registration {
  id: string;
  issuer: string;
  clientId: string;
  deployments: string[];
  authUrl: string;
  tokenUrl: string;
  jwksUrl: string;
  /** `aud` of the client-credentials assertion when the platform wants something else than the token URL. */
  audience: string | null;
  createdAt: number;
}

/** What outlives sandboxes: labs (best result and latest check) and the latest answer per question. */
export interface UserProgress {
  labs: Record<string, { firstPassedAt: number | null; last: { at: number; passed: boolean; criteria: [string, boolean][] } }>;
  quiz: Record<string, { correct: boolean; at: number }>;
}

export interface LtiUser {
  id: string;
  issuer: string;
  sub: string;
  name: string | null;
  email: string | null;
  sessionId: string | null;
  /** The session token, sealed (seal.ts): the same browser and others of the user resume the session. */
  sessionSeal: string | null;
  progress: UserProgress;
}

export interface LtiContext {
  id: string;
  registration: string;
  deployment: string;
  context: string;
  title: string;
  workshop: string;
  /** The workshop's instructor key, sealed. */
  keySeal: string;
  nrpsUrl: string | null;
}

export interface OutboxItem {
  id: number;
  registration: string;
  lineitem: string;
  body: string;
  userId: string;
  lab: string;
  createdAt: number;
  attempts: number;
  nextAt: number;
  sentAt: number | null;
  failedAt: number | null;
  lastError: string | null;
}

const num = (v: unknown) => (v == null ? null : Number(v));

function toRegistration(r: Row): Registration {
  return {
    id: r.id as string,
    issuer: r.issuer as string,
    clientId: r.client_id as string,
    deployments: JSON.parse(r.deployments as string) as string[],
    authUrl: r.auth_url as string,
    tokenUrl: r.token_url as string,
    jwksUrl: r.jwks_url as string,
    audience: (r.audience as string | null) ?? null,
    createdAt: Number(r.created_at),
  };
}

function toUser(r: Row): LtiUser {
  return {
    id: r.id as string,
    issuer: r.issuer as string,
    sub: r.sub as string,
    name: (r.name as string | null) ?? null,
    email: (r.email as string | null) ?? null,
    sessionId: (r.session_id as string | null) ?? null,
    sessionSeal: (r.session_seal as string | null) ?? null,
    progress: JSON.parse(r.progress as string) as UserProgress,
  };
}

function toContext(r: Row): LtiContext {
  return {
    id: r.id as string,
    registration: r.registration as string,
    deployment: r.deployment as string,
    context: r.context as string,
    title: r.title as string,
    workshop: r.workshop as string,
    keySeal: r.key_seal as string,
    nrpsUrl: (r.nrps_url as string | null) ?? null,
  };
}

function toOutbox(r: Row): OutboxItem {
  return {
    id: Number(r.id),
    registration: r.registration as string,
    lineitem: r.lineitem as string,
    body: r.body as string,
    userId: r.user_id as string,
    lab: r.lab as string,
    createdAt: Number(r.created_at),
    attempts: Number(r.attempts),
    nextAt: Number(r.next_at),
    sentAt: num(r.sent_at),
    failedAt: num(r.failed_at),
    lastError: (r.last_error as string | null) ?? null,
  };
}

export type LtiStore = ReturnType<typeof ltiStore>;

export function ltiStore(db: DatabaseSync) {
  return {
    // --- registrations --------------------------------------------------------------------
    addRegistration(r: Registration): void {
      db.prepare('INSERT INTO lti_registrations (id, issuer, client_id, deployments, auth_url, token_url, jwks_url, audience, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(r.id, r.issuer, r.clientId, JSON.stringify(r.deployments), r.authUrl, r.tokenUrl, r.jwksUrl, r.audience, r.createdAt);
    },
    registrations(): Registration[] {
      return (db.prepare('SELECT * FROM lti_registrations ORDER BY created_at, id').all() as Row[]).map(toRegistration);
    },
    registration(id: string): Registration | undefined {
      const r = db.prepare('SELECT * FROM lti_registrations WHERE id = ?').get(id) as Row | undefined;
      return r ? toRegistration(r) : undefined;
    },
    /** By issuer and client id; with no client id, the issuer's only registration. */
    findRegistration(issuer: string, clientId: string | null): Registration | undefined {
      const rows = (clientId == null
        ? db.prepare('SELECT * FROM lti_registrations WHERE issuer = ?').all(issuer)
        : db.prepare('SELECT * FROM lti_registrations WHERE issuer = ? AND client_id = ?').all(issuer, clientId)) as Row[];
      return rows.length === 1 ? toRegistration(rows[0]!) : undefined;
    },
    removeRegistration(id: string): boolean {
      return Number(db.prepare('DELETE FROM lti_registrations WHERE id = ?').run(id).changes) > 0;
    },

    // --- OIDC states and nonces -------------------------------------------------------------
    /** False when too many logins are in flight (a flood of login initiations): nothing is stored. */
    saveState(s: { state: string; nonce: string; registration: string; lang: string; expiresAt: number }, max = 20_000): boolean {
      db.prepare('DELETE FROM lti_states WHERE expires_at < ?').run(Date.now());
      if (Number((db.prepare('SELECT COUNT(*) AS n FROM lti_states').get() as Row).n) >= max) return false;
      db.prepare('INSERT INTO lti_states (state, nonce, registration, lang, expires_at) VALUES (?, ?, ?, ?, ?)').run(s.state, s.nonce, s.registration, s.lang, s.expiresAt);
      return true;
    },
    /** The state, removed (a state is used once); undefined when unknown or expired. */
    takeState(state: string): { nonce: string; registration: string; lang: string } | undefined {
      const r = db.prepare('DELETE FROM lti_states WHERE state = ? RETURNING nonce, registration, lang, expires_at').get(state) as Row | undefined;
      if (!r || Number(r.expires_at) < Date.now()) return undefined;
      return { nonce: r.nonce as string, registration: r.registration as string, lang: r.lang as string };
    },
    /** True the first time a nonce is seen (until it expires); false for a replay. */
    useNonce(nonce: string, expiresAt: number): boolean {
      db.prepare('DELETE FROM lti_nonces WHERE expires_at < ?').run(Date.now());
      return Number(db.prepare('INSERT OR IGNORE INTO lti_nonces (nonce, expires_at) VALUES (?, ?)').run(nonce, expiresAt).changes) === 1;
    },

    // --- users -------------------------------------------------------------------------------
    user(issuer: string, sub: string): LtiUser | undefined {
      const r = db.prepare('SELECT * FROM lti_users WHERE issuer = ? AND sub = ?').get(issuer, sub) as Row | undefined;
      return r ? toUser(r) : undefined;
    },
    userById(id: string): LtiUser | undefined {
      const r = db.prepare('SELECT * FROM lti_users WHERE id = ?').get(id) as Row | undefined;
      return r ? toUser(r) : undefined;
    },
    upsertUser(u: { id: string; issuer: string; sub: string; name: string | null; email: string | null }): LtiUser {
      db.prepare(
        `INSERT INTO lti_users (id, issuer, sub, name, email, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (issuer, sub) DO UPDATE SET name = excluded.name, email = excluded.email, updated_at = excluded.updated_at`,
      ).run(u.id, u.issuer, u.sub, u.name, u.email, Date.now());
      return this.user(u.issuer, u.sub)!;
    },
    setUserSession(userId: string, sessionId: string, seal: string, contextId: string): void {
      db.prepare('UPDATE lti_users SET session_id = ?, session_seal = ?, updated_at = ? WHERE id = ?').run(sessionId, seal, Date.now(), userId);
      db.prepare('INSERT OR REPLACE INTO lti_sessions (session_id, user_id, context_id) VALUES (?, ?, ?)').run(sessionId, userId, contextId);
    },
    saveProgress(userId: string, progress: UserProgress): void {
      db.prepare('UPDATE lti_users SET progress = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(progress), Date.now(), userId);
    },
    /** The LMS user and context a session was made for. */
    sessionOwner(sessionId: string): { userId: string; contextId: string } | undefined {
      const r = db.prepare('SELECT user_id, context_id FROM lti_sessions WHERE session_id = ?').get(sessionId) as Row | undefined;
      return r ? { userId: r.user_id as string, contextId: r.context_id as string } : undefined;
    },
    usersOfContext(contextId: string): LtiUser[] {
      return (db.prepare('SELECT DISTINCT u.* FROM lti_users u JOIN lti_sessions s ON s.user_id = u.id WHERE s.context_id = ?').all(contextId) as Row[]).map(toUser);
    },

    // --- contexts ----------------------------------------------------------------------------
    context(registration: string, deployment: string, context: string): LtiContext | undefined {
      const r = db.prepare('SELECT * FROM lti_contexts WHERE registration = ? AND deployment = ? AND context = ?').get(registration, deployment, context) as Row | undefined;
      return r ? toContext(r) : undefined;
    },
    contextById(id: string): LtiContext | undefined {
      const r = db.prepare('SELECT * FROM lti_contexts WHERE id = ?').get(id) as Row | undefined;
      return r ? toContext(r) : undefined;
    },
    insertContext(c: LtiContext): void {
      db.prepare('INSERT INTO lti_contexts (id, registration, deployment, context, title, workshop, key_seal, nrps_url, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(c.id, c.registration, c.deployment, c.context, c.title, c.workshop, c.keySeal, c.nrpsUrl, Date.now());
    },
    contextForWorkshop(workshopId: string): LtiContext | undefined {
      const r = db.prepare('SELECT * FROM lti_contexts WHERE workshop = ?').get(workshopId) as Row | undefined;
      return r ? toContext(r) : undefined;
    },
    /** The course's workshop was ended (or its key cannot be read): the context gets a new one. */
    replaceContextWorkshop(id: string, workshop: string, keySeal: string): void {
      db.prepare('UPDATE lti_contexts SET workshop = ?, key_seal = ? WHERE id = ?').run(workshop, keySeal, id);
    },
    setContextNrps(id: string, url: string | null): void {
      db.prepare('UPDATE lti_contexts SET nrps_url = ? WHERE id = ?').run(url, id);
    },
    /** Seats of the context's workshop follow the roster (never below what it has). */
    raiseSeats(workshopId: string, seats: number): void {
      db.prepare('UPDATE workshops SET seats = MAX(seats, ?) WHERE id = ?').run(Math.min(500, seats), workshopId);
    },

    // --- grade targets -----------------------------------------------------------------------
    setTarget(userId: string, contextId: string, lab: string, lineitem: string): void {
      db.prepare(
        `INSERT INTO lti_grade_targets (user_id, context_id, lab, lineitem) VALUES (?, ?, ?, ?)
         ON CONFLICT (user_id, context_id, lab) DO UPDATE SET lineitem = excluded.lineitem`,
      ).run(userId, contextId, lab, lineitem);
    },
    targets(userId: string, lab: string): { contextId: string; lineitem: string; lastBody: string | null }[] {
      return (db.prepare('SELECT context_id, lineitem, last_body FROM lti_grade_targets WHERE user_id = ? AND lab = ?').all(userId, lab) as Row[]).map((r) => ({
        contextId: r.context_id as string,
        lineitem: r.lineitem as string,
        lastBody: (r.last_body as string | null) ?? null,
      }));
    },

    // --- outbox ------------------------------------------------------------------------------
    /** Queues a score and remembers it as the target's last (one transaction). */
    enqueue(item: { registration: string; lineitem: string; body: string; userId: string; lab: string; contextId: string; signature: string }): void {
      db.exec('BEGIN IMMEDIATE');
      try {
        const now = Date.now();
        db.prepare('INSERT INTO lti_outbox (registration, lineitem, body, user_id, lab, created_at, next_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
          .run(item.registration, item.lineitem, item.body, item.userId, item.lab, now, now);
        db.prepare('UPDATE lti_grade_targets SET last_body = ? WHERE user_id = ? AND context_id = ? AND lab = ?').run(item.signature, item.userId, item.contextId, item.lab);
        db.exec('COMMIT');
      } catch (err) {
        db.exec('ROLLBACK');
        throw err;
      }
    },
    /** The oldest unsent score of each registration (scores of one platform go in order). */
    heads(): OutboxItem[] {
      return (db.prepare(
        `SELECT o.* FROM lti_outbox o JOIN (SELECT registration, MIN(id) AS id FROM lti_outbox WHERE sent_at IS NULL AND failed_at IS NULL GROUP BY registration) h ON h.id = o.id`,
      ).all() as Row[]).map(toOutbox);
    },
    pending(): OutboxItem[] {
      return (db.prepare('SELECT * FROM lti_outbox WHERE sent_at IS NULL AND failed_at IS NULL ORDER BY id').all() as Row[]).map(toOutbox);
    },
    outbox(limit = 200): OutboxItem[] {
      return (db.prepare('SELECT * FROM lti_outbox ORDER BY id DESC LIMIT ?').all(limit) as Row[]).map(toOutbox);
    },
    /** Scores for learners of a course workshop, newest first. */
    outboxOfWorkshop(workshopId: string, limit = 500): OutboxItem[] {
      return (db.prepare(
        `SELECT o.* FROM lti_outbox o WHERE o.user_id IN (SELECT s.user_id FROM lti_sessions s JOIN lti_contexts c ON c.id = s.context_id WHERE c.workshop = ?) ORDER BY o.id DESC LIMIT ?`,
      ).all(workshopId, limit) as Row[]).map(toOutbox);
    },
    markSent(id: number): void {
      db.prepare('UPDATE lti_outbox SET sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?').run(Date.now(), id);
    },
    markRetry(id: number, nextAt: number, error: string): void {
      db.prepare('UPDATE lti_outbox SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE id = ?').run(nextAt, error.slice(0, 500), id);
    },
    markFailed(id: number, error: string): void {
      db.prepare('UPDATE lti_outbox SET attempts = attempts + 1, failed_at = ?, last_error = ? WHERE id = ?').run(Date.now(), error.slice(0, 500), id);
    },
  };
}

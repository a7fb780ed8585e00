/**
 * Schema versions, applied in order at start (PRAGMA user_version holds the last one applied).
 * Never edit a shipped migration: add the next one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: sessions, lab states, every check, every quiz answer.
  `
  CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    token_hash BLOB NOT NULL,
    client_address TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('starting', 'ready', 'stopped')),
    stop_reason TEXT,
    error TEXT,
    lab TEXT,
    workshop TEXT,
    name TEXT,
    from_pool INTEGER NOT NULL DEFAULT 0,
    ready_at INTEGER,
    stopped_at INTEGER
  ) STRICT;
  CREATE INDEX sessions_live ON sessions (state, stopped_at);
  CREATE INDEX sessions_workshop ON sessions (workshop) WHERE workshop IS NOT NULL;
  CREATE TABLE lab_states (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    lab TEXT NOT NULL,
    entries TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (session_id, lab)
  ) STRICT;
  CREATE TABLE checks (
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    lab TEXT NOT NULL,
    passed INTEGER NOT NULL,
    criteria TEXT NOT NULL,
    at INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX checks_session ON checks (session_id, lab, at);
  CREATE TABLE quiz_answers (
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    correct INTEGER NOT NULL,
    at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX quiz_session ON quiz_answers (session_id, question, at);
  `,
  // 2: workshops (issue 10): the room, its join code and the hash of its instructor key; the
  // latest check of each lab with its messages (the dashboard's "last check").
  `
  CREATE TABLE workshops (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL,
    title TEXT NOT NULL,
    labs TEXT NOT NULL,
    seats INTEGER NOT NULL,
    reserve INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    ends_at INTEGER,
    ended_at INTEGER,
    key_hash BLOB NOT NULL,
    broadcast TEXT,
    broadcast_at INTEGER
  ) STRICT;
  CREATE UNIQUE INDEX workshops_open_code ON workshops (code) WHERE ended_at IS NULL;
  CREATE INDEX workshops_key ON workshops (key_hash);
  CREATE TABLE last_checks (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    lab TEXT NOT NULL,
    at INTEGER NOT NULL,
    result TEXT NOT NULL,
    PRIMARY KEY (session_id, lab)
  ) STRICT;
  `,
  // 3: the session's language (issue 20): check messages and quiz explanations in it.
  `
  ALTER TABLE sessions ADD COLUMN lang TEXT NOT NULL DEFAULT 'ru' CHECK (lang IN ('ru', 'en'));
  `,
];

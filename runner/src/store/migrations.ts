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
  // 4: LTI 1.3 (issue 22, runner/src/lti/): registered platforms, OIDC login states, LMS users
  // (iss + sub) with a progress record that outlives sessions, one workshop per LMS context,
  // where each lab's score goes (line items), and the score outbox.
  `
  CREATE TABLE lti_registrations (
    id TEXT PRIMARY KEY,
    issuer TEXT NOT NULL,
    client_id TEXT NOT NULL,
    deployments TEXT NOT NULL,
    auth_url TEXT NOT NULL,
    token_url TEXT NOT NULL,
    jwks_url TEXT NOT NULL,
    audience TEXT,
    created_at INTEGER NOT NULL,
    UNIQUE (issuer, client_id)
  ) STRICT;
  CREATE TABLE lti_states (
    state TEXT PRIMARY KEY,
    nonce TEXT NOT NULL,
    registration TEXT NOT NULL,
    lang TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  ) STRICT;
  CREATE TABLE lti_nonces (
    nonce TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
  ) STRICT;
  CREATE TABLE lti_users (
    id TEXT PRIMARY KEY,
    issuer TEXT NOT NULL,
    sub TEXT NOT NULL,
    name TEXT,
    email TEXT,
    session_id TEXT,
    session_seal TEXT,
    progress TEXT NOT NULL DEFAULT '{"labs":{},"quiz":{}}',
    updated_at INTEGER NOT NULL,
    UNIQUE (issuer, sub)
  ) STRICT;
  CREATE TABLE lti_sessions (
    session_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES lti_users (id) ON DELETE CASCADE,
    context_id TEXT NOT NULL
  ) STRICT;
  CREATE TABLE lti_contexts (
    id TEXT PRIMARY KEY,
    registration TEXT NOT NULL,
    deployment TEXT NOT NULL,
    context TEXT NOT NULL,
    title TEXT NOT NULL,
    workshop TEXT NOT NULL,
    key_seal TEXT NOT NULL,
    nrps_url TEXT,
    created_at INTEGER NOT NULL,
    UNIQUE (registration, deployment, context)
  ) STRICT;
  CREATE TABLE lti_grade_targets (
    user_id TEXT NOT NULL REFERENCES lti_users (id) ON DELETE CASCADE,
    context_id TEXT NOT NULL,
    lab TEXT NOT NULL,
    lineitem TEXT NOT NULL,
    last_body TEXT,
    PRIMARY KEY (user_id, context_id, lab)
  ) STRICT;
  CREATE TABLE lti_outbox (
    id INTEGER PRIMARY KEY,
    registration TEXT NOT NULL,
    lineitem TEXT NOT NULL,
    body TEXT NOT NULL,
    user_id TEXT NOT NULL,
    lab TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL,
    sent_at INTEGER,
    failed_at INTEGER,
    last_error TEXT
  ) STRICT;
  CREATE INDEX lti_outbox_pending ON lti_outbox (registration, id) WHERE sent_at IS NULL AND failed_at IS NULL;
  `,
];

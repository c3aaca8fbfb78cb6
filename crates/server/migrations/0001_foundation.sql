-- Units of the agency (科/課/所/隊 ...), nested.
CREATE TABLE units (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    parent_id   INTEGER REFERENCES units(id),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- People. Leavers are disabled, never deleted: their records stay auditable.
CREATE TABLE users (
    id                   INTEGER PRIMARY KEY,
    username             TEXT NOT NULL UNIQUE,
    display_name         TEXT NOT NULL,
    employee_no          TEXT UNIQUE,
    unit_id              INTEGER REFERENCES units(id),
    title                TEXT NOT NULL DEFAULT '',
    supervisor_id        INTEGER REFERENCES users(id),
    external             INTEGER NOT NULL DEFAULT 0,
    password_hash        TEXT,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    failed_logins        INTEGER NOT NULL DEFAULT 0,
    locked_until         BIGINT,
    disabled_at          BIGINT,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);

CREATE TABLE user_roles (
    user_id  INTEGER NOT NULL REFERENCES users(id),
    role     TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);

-- Browser sessions: only the SHA-256 of the cookie's token is stored.
CREATE TABLE sessions (
    token_hash    BLOB PRIMARY KEY,
    public_id     TEXT NOT NULL UNIQUE,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    csrf_token    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    user_agent    TEXT NOT NULL DEFAULT '',
    ip            TEXT NOT NULL DEFAULT '',
    revoked_at    BIGINT
);
CREATE INDEX sessions_user ON sessions(user_id);

-- Every state change, queryable. `log_index` is set once the event is in the tamper-evident
-- log; rows without it are shipped to the log at once and again at start-up (outbox).
CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY,
    at          BIGINT NOT NULL,
    actor_id    INTEGER,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL DEFAULT '',
    outcome     TEXT NOT NULL,
    ip          TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '{}',
    log_index   BIGINT UNIQUE
);
CREATE INDEX audit_events_at ON audit_events(at);
CREATE INDEX audit_events_actor ON audit_events(actor_id, at);
CREATE INDEX audit_events_unshipped ON audit_events(log_index) WHERE log_index IS NULL;

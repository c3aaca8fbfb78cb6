-- The guarded messenger. Conversations are one-to-one (`direct`) or groups; a group's
-- sensitivity decides whether guests may join (`internal`: no) and whether its messages may
-- leave it (`no_forward`: no forwarding, no copying out through API tokens, no attachment
-- downloads by guests).
CREATE TABLE conversations (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,
    title        TEXT NOT NULL DEFAULT '',
    sensitivity  TEXT NOT NULL DEFAULT 'normal',
    -- "low:high" user ids of a one-to-one conversation: at most one per pair.
    direct_key   TEXT UNIQUE,
    created_by   INTEGER NOT NULL REFERENCES users(id),
    created_at   BIGINT NOT NULL
);

-- Current and past members. Leaving or removal sets `left_at`; the row stays for the record.
CREATE TABLE conversation_members (
    conversation_id  INTEGER NOT NULL REFERENCES conversations(id),
    user_id          INTEGER NOT NULL REFERENCES users(id),
    role             TEXT NOT NULL DEFAULT 'member',
    joined_at        BIGINT NOT NULL,
    left_at          BIGINT,
    -- Highest message id this member has read.
    read_upto        BIGINT NOT NULL DEFAULT 0,
    -- The event cursor when they joined: members see what was said after it.
    joined_seq       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_members_user ON conversation_members(user_id, conversation_id);

-- Joining a group happens only by an admin's approval: a member's invitation and a person's
-- own request wait here until an admin decides.
CREATE TABLE join_requests (
    id               INTEGER PRIMARY KEY,
    conversation_id  INTEGER NOT NULL REFERENCES conversations(id),
    user_id          INTEGER NOT NULL REFERENCES users(id),
    requested_by     INTEGER NOT NULL REFERENCES users(id),
    created_at       BIGINT NOT NULL,
    decided_by       INTEGER REFERENCES users(id),
    decided_at       BIGINT,
    outcome          TEXT
);
CREATE INDEX join_requests_open ON join_requests(conversation_id) WHERE outcome IS NULL;

-- Messages. The text is sealed (key outside the database) and bound to its conversation and
-- hash; `body_sha256` and the gate decision also go to the tamper-evident log. A withdrawn
-- message keeps its sealed original for the integrity office; readers see only that it was
-- withdrawn.
CREATE TABLE messages (
    id               INTEGER PRIMARY KEY,
    conversation_id  INTEGER NOT NULL REFERENCES conversations(id),
    sender_id        INTEGER NOT NULL REFERENCES users(id),
    -- The client's id for the message: a resend after a lost answer is not a second message.
    client_id        TEXT NOT NULL,
    -- The event that announced it.
    seq              BIGINT NOT NULL,
    at               BIGINT NOT NULL,
    body_sealed      BLOB NOT NULL,
    body_sha256      TEXT NOT NULL,
    reply_to         INTEGER REFERENCES messages(id),
    forwarded_from   INTEGER REFERENCES messages(id),
    -- Where a forwarded message came from, as shown to readers (JSON).
    provenance       TEXT,
    notice           INTEGER NOT NULL DEFAULT 0,
    mentions         TEXT NOT NULL DEFAULT '[]',
    gate             TEXT NOT NULL,
    edited_at        BIGINT,
    recalled_at      BIGINT,
    -- Past the retention period: the text (and any file) is gone, the row and its hash stay.
    purged_at        BIGINT,
    UNIQUE (sender_id, client_id)
);
CREATE INDEX messages_conversation ON messages(conversation_id, id);

-- Files sent with messages (photos, documents): inspected (text, OCR) before anyone sees
-- them, stored sealed in the data folder's `attachments/`, never in the database.
CREATE TABLE attachments (
    id               INTEGER PRIMARY KEY,
    conversation_id  INTEGER NOT NULL REFERENCES conversations(id),
    message_id       INTEGER NOT NULL REFERENCES messages(id),
    uploader_id      INTEGER NOT NULL REFERENCES users(id),
    name             TEXT NOT NULL,
    mime             TEXT NOT NULL,
    size             BIGINT NOT NULL,
    sha256           TEXT NOT NULL,
    format           TEXT NOT NULL,
    file             TEXT NOT NULL,
    created_at       BIGINT NOT NULL
);
CREATE INDEX attachments_message ON attachments(message_id);

-- Earlier versions of edited or withdrawn messages (the archive).
CREATE TABLE message_versions (
    message_id   INTEGER NOT NULL REFERENCES messages(id),
    version      INTEGER NOT NULL,
    replaced_at  BIGINT NOT NULL,
    reason       TEXT NOT NULL,
    body_sealed  BLOB NOT NULL,
    body_sha256  TEXT NOT NULL,
    PRIMARY KEY (message_id, version)
);

-- Read receipts of official notices, per member.
CREATE TABLE message_receipts (
    message_id  INTEGER NOT NULL REFERENCES messages(id),
    user_id     INTEGER NOT NULL REFERENCES users(id),
    read_at     BIGINT NOT NULL,
    PRIMARY KEY (message_id, user_id)
);

-- What members must be told, in order: `seq` is the cursor a client resumes from.
CREATE TABLE conversation_events (
    seq              INTEGER PRIMARY KEY,
    conversation_id  INTEGER NOT NULL REFERENCES conversations(id),
    at               BIGINT NOT NULL,
    kind             TEXT NOT NULL,
    message_id       INTEGER,
    actor_id         INTEGER,
    subject_id       INTEGER,
    -- SHA-256 of the message text and the gate's action, for message events.
    content_sha256   TEXT,
    gate             TEXT,
    -- Position in the tamper-evident log (NULL until shipped; shipped at start-up after a crash).
    log_index        BIGINT UNIQUE
);
CREATE INDEX conversation_events_conversation ON conversation_events(conversation_id, seq);
CREATE INDEX conversation_events_unshipped ON conversation_events(seq) WHERE log_index IS NULL;

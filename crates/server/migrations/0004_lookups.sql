-- The look-up ledger (電腦查詢紀錄簿); owned by the ledger service (src/ledger/).

-- A look-up as its source system reported it. The subject is personal data: sealed with the
-- key outside the database, keyed (HMAC) for matching, masked for display.
CREATE TABLE lookups (
    id              INTEGER PRIMARY KEY,
    system          TEXT NOT NULL,
    event_id        TEXT NOT NULL,
    at              BIGINT NOT NULL,
    day             BIGINT NOT NULL,
    operator        TEXT NOT NULL,
    operator_id     INTEGER REFERENCES users(id),
    unit_id         INTEGER REFERENCES units(id),
    subject_key     BLOB NOT NULL,
    subject_sealed  BLOB NOT NULL,
    subject_masked  TEXT NOT NULL,
    action          TEXT NOT NULL,
    reason_code     TEXT NOT NULL,
    reason_text     TEXT NOT NULL,
    case_no         TEXT NOT NULL,
    terminal        TEXT NOT NULL,
    source          TEXT NOT NULL,
    received_at     BIGINT NOT NULL,
    row_sha256      BLOB NOT NULL,
    review_state    TEXT NOT NULL DEFAULT 'pending',
    UNIQUE (system, event_id)
);
CREATE INDEX lookups_day_unit ON lookups(day, unit_id);
CREATE INDEX lookups_operator ON lookups(operator_id, day);
CREATE INDEX lookups_subject ON lookups(subject_key);

-- Where runs of look-up ids sit in the tamper-evident log: ids first_id..last_id are the
-- entries from first_index on, in order (one row per shipped batch, not one update per row).
CREATE TABLE lookup_log (
    first_id    BIGINT PRIMARY KEY,
    last_id     BIGINT NOT NULL,
    first_index BIGINT NOT NULL UNIQUE
);

-- Days whose look-ups changed since they were last evaluated.
CREATE TABLE lookup_days (
    day          BIGINT PRIMARY KEY,
    dirty        INTEGER NOT NULL,
    evaluated_at BIGINT
);

CREATE TABLE lookup_flags (
    lookup_id   INTEGER PRIMARY KEY REFERENCES lookups(id),
    day         BIGINT NOT NULL,
    score       INTEGER NOT NULL,
    rules       TEXT NOT NULL,
    explanation TEXT NOT NULL
);
CREATE INDEX lookup_flags_day ON lookup_flags(day, score);

-- The rules' history: each operator's evaluated days, and recent look-ups no case of theirs
-- covers (for the repeat rule).
CREATE TABLE lookup_operator_days (
    operator TEXT NOT NULL,
    day      BIGINT NOT NULL,
    count    INTEGER NOT NULL,
    hours    TEXT NOT NULL,
    PRIMARY KEY (operator, day)
);
CREATE TABLE lookup_uncovered (
    day         BIGINT NOT NULL,
    operator    TEXT NOT NULL,
    subject_key BLOB NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX lookup_uncovered_day ON lookup_uncovered(day);

-- Reference data: duty roster, case registry (subjects keyed only), protected persons.
CREATE TABLE lookup_duty (
    operator  TEXT NOT NULL,
    start_at  BIGINT NOT NULL,
    end_at    BIGINT NOT NULL
);
CREATE INDEX lookup_duty_operator ON lookup_duty(operator, start_at);
CREATE TABLE lookup_cases (
    case_no     TEXT NOT NULL,
    subject_key BLOB,
    operator    TEXT NOT NULL,
    opened      BIGINT NOT NULL,
    closed      BIGINT
);
CREATE INDEX lookup_cases_no ON lookup_cases(case_no);
CREATE TABLE lookup_protected (
    subject_key BLOB PRIMARY KEY,
    category    TEXT NOT NULL,
    added_at    BIGINT NOT NULL
);

-- Review (逐筆核章): every step kept; lookups.review_state is the latest. Signed and closed
-- are final.
CREATE TABLE lookup_reviews (
    id         INTEGER PRIMARY KEY,
    lookup_id  INTEGER NOT NULL REFERENCES lookups(id),
    actor_id   INTEGER NOT NULL REFERENCES users(id),
    step       TEXT NOT NULL,
    remark     TEXT NOT NULL,
    at         BIGINT NOT NULL
);
CREATE INDEX lookup_reviews_lookup ON lookup_reviews(lookup_id);

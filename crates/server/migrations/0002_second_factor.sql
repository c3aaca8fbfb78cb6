-- TOTP second factor (required for supervisors, integrity officers and administrators).
-- Secrets are sealed with a key kept outside the database (data folder, keys/seal.key).
ALTER TABLE users ADD COLUMN totp_secret BLOB;
ALTER TABLE users ADD COLUMN totp_pending BLOB;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
ALTER TABLE sessions ADD COLUMN second_factor_at BIGINT;

-- One-time recovery codes, stored as SHA-256 (they are random, so a fast hash suffices).
CREATE TABLE recovery_codes (
    user_id    INTEGER NOT NULL REFERENCES users(id),
    code_hash  BLOB NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

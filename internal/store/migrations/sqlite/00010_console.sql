-- +goose Up
-- Staff sign-in to the console (issue 21). A person signs in with a
-- password (an argon2id PHC string, never the password) or through single
-- sign-on (oidc_subject: the issuer and subject the provider vouches for).
-- An email signs in to one account, so it is unique among people who can
-- sign in. failed_signins and locked_until throttle guessing per account;
-- reset_hash is the SHA-256 of the one-time link an administrator hands
-- over, good until reset_expires_at.
ALTER TABLE people ADD COLUMN password_hash TEXT;
ALTER TABLE people ADD COLUMN password_set_at DATETIME;
ALTER TABLE people ADD COLUMN oidc_subject TEXT;
ALTER TABLE people ADD COLUMN locale TEXT NOT NULL DEFAULT 'en';
ALTER TABLE people ADD COLUMN failed_signins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE people ADD COLUMN locked_until DATETIME;
ALTER TABLE people ADD COLUMN reset_hash BLOB;
ALTER TABLE people ADD COLUMN reset_expires_at DATETIME;
CREATE UNIQUE INDEX people_signin_email_idx ON people (email) WHERE password_hash IS NOT NULL OR oidc_subject IS NOT NULL;
CREATE UNIQUE INDEX people_oidc_subject_idx ON people (oidc_subject) WHERE oidc_subject IS NOT NULL;
CREATE UNIQUE INDEX people_reset_idx ON people (reset_hash) WHERE reset_hash IS NOT NULL;

-- Console sessions live here, not in the cookie: the cookie holds a random
-- token and the row its SHA-256, so a copy of the database signs no one in.
-- Every replica reads the same rows. csrf is the session's form token.
CREATE TABLE console_sessions (
    hash BLOB PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    last_seen_at DATETIME NOT NULL
);
CREATE INDEX console_sessions_person_idx ON console_sessions (person_id);

-- +goose Down
DROP TABLE console_sessions;
DROP INDEX people_reset_idx;
DROP INDEX people_oidc_subject_idx;
DROP INDEX people_signin_email_idx;
ALTER TABLE people DROP COLUMN reset_expires_at;
ALTER TABLE people DROP COLUMN reset_hash;
ALTER TABLE people DROP COLUMN locked_until;
ALTER TABLE people DROP COLUMN failed_signins;
ALTER TABLE people DROP COLUMN locale;
ALTER TABLE people DROP COLUMN oidc_subject;
ALTER TABLE people DROP COLUMN password_set_at;
ALTER TABLE people DROP COLUMN password_hash;

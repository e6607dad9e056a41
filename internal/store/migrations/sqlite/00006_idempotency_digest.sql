-- +goose Up
-- Idempotency keys are kept as the SHA-256 (hex) of the key a client sent,
-- never the key itself: clients put what they like in a key (a client's
-- name, say). SQLite has no SHA-256 in SQL, so the plain keys already
-- stored are dropped instead of hashed: a key is remembered for 24 hours
-- only, and the one cost is that a retry spanning the upgrade of a creation
-- made before it creates the record again.
DELETE FROM idempotency_keys;

-- +goose Down
DELETE FROM idempotency_keys;

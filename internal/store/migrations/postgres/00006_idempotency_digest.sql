-- +goose Up
-- Idempotency keys are kept as the SHA-256 (hex) of the key a client sent,
-- never the key itself: clients put what they like in a key (a client's
-- name, say). The keys already stored are hashed in place, so a retry that
-- spans the upgrade still finds its first request.
UPDATE idempotency_keys SET key = encode(sha256(convert_to(key, 'UTF8')), 'hex');

-- +goose Down
-- A digest cannot be turned back into its key; the rows (24 hours of
-- retries at most) go.
DELETE FROM idempotency_keys;

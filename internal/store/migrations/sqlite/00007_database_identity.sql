-- +goose Up
-- A random identity of this database, made once. Each search index records
-- the identity of the database it was built from; an index found beside a
-- different database (a data directory reused for a new one) is rebuilt
-- instead of being served as current.
ALTER TABLE search_outbox_state ADD COLUMN database_id TEXT NOT NULL DEFAULT '';
UPDATE search_outbox_state SET database_id = lower(hex(randomblob(16))) WHERE id = 1;

-- +goose Down
ALTER TABLE search_outbox_state DROP COLUMN database_id;

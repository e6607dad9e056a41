-- +goose Up
-- The search outbox: every directory write appends (entity, entity_id) in
-- its own transaction; each process's indexer applies rows in seq order.
-- Writers take seq numbers under a transaction advisory lock held to commit
-- (store.lockOutbox), so seq order is commit order and a reader that has
-- seen seq N has seen every row below N that will ever exist.
CREATE TABLE search_outbox (
    seq BIGSERIAL PRIMARY KEY,
    entity TEXT NOT NULL,
    entity_id UUID NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX search_outbox_created_at_idx ON search_outbox (created_at);

-- One row: the highest seq pruned. An index whose cursor is below it missed
-- changes and must be rebuilt.
CREATE TABLE search_outbox_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    pruned_through BIGINT NOT NULL
);
INSERT INTO search_outbox_state (id, pruned_through) VALUES (1, 0);

-- Postcode centroids (US: ZCTA), for postcode search.
CREATE TABLE postcodes (
    code TEXT PRIMARY KEY,
    latitude DOUBLE PRECISION NOT NULL,
    longitude DOUBLE PRECISION NOT NULL,
    state TEXT
);

-- +goose Down
DROP TABLE postcodes;
DROP TABLE search_outbox_state;
DROP TABLE search_outbox;

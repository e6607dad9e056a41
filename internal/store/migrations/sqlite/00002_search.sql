-- +goose Up
-- The search outbox: every directory write appends (entity, entity_id) in
-- its own transaction; each process's indexer applies rows in seq order.
-- SQLite has one writer at a time, so seq order is commit order.
CREATE TABLE search_outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    created_at DATETIME NOT NULL
);
CREATE INDEX search_outbox_created_at_idx ON search_outbox (created_at);

-- One row: the highest seq pruned. An index whose cursor is below it missed
-- changes and must be rebuilt.
CREATE TABLE search_outbox_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    pruned_through INTEGER NOT NULL
);
INSERT INTO search_outbox_state (id, pruned_through) VALUES (1, 0);

-- Postcode centroids (US: ZCTA), for postcode search.
CREATE TABLE postcodes (
    code TEXT PRIMARY KEY,
    latitude REAL NOT NULL,
    longitude REAL NOT NULL,
    state TEXT
);

-- +goose Down
DROP TABLE postcodes;
DROP TABLE search_outbox_state;
DROP TABLE search_outbox;

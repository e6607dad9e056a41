-- +goose Up
-- Bulk imports over HTTP run as jobs. A job is written here before it runs
-- and after it ends; a job whose runner stopped heartbeating is reported
-- failed (its transaction never committed, so nothing changed).
CREATE TABLE import_jobs (
    id TEXT PRIMARY KEY,
    agency_id TEXT REFERENCES agencies (id) ON DELETE CASCADE,
    key_id TEXT,
    state TEXT NOT NULL,
    dry_run INTEGER NOT NULL,
    filename TEXT NOT NULL,
    records_done INTEGER NOT NULL,
    records_total INTEGER NOT NULL,
    problems TEXT NOT NULL,
    error TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    heartbeat_at DATETIME NOT NULL,
    finished_at DATETIME
);
CREATE INDEX import_jobs_agency_idx ON import_jobs (agency_id, created_at);

-- +goose Down
DROP TABLE import_jobs;

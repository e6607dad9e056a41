-- +goose Up
-- Bulk imports over HTTP run as jobs. A job is written here before it runs
-- and after it ends; a job whose runner stopped heartbeating is reported
-- failed (its transaction never committed, so nothing changed).
CREATE TABLE import_jobs (
    id UUID PRIMARY KEY,
    agency_id UUID REFERENCES agencies (id) ON DELETE CASCADE,
    key_id UUID,
    state TEXT NOT NULL,
    dry_run BOOLEAN NOT NULL,
    filename TEXT NOT NULL,
    records_done INTEGER NOT NULL,
    records_total INTEGER NOT NULL,
    problems TEXT NOT NULL,
    error TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    heartbeat_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ
);
CREATE INDEX import_jobs_agency_idx ON import_jobs (agency_id, created_at);

-- +goose Down
DROP TABLE import_jobs;

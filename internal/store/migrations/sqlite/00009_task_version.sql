-- +goose Up
-- A task's version, so that a caseworker's change to a task (PATCH with
-- If-Match) cannot overwrite a change made meanwhile.
ALTER TABLE followups ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

-- +goose Down
ALTER TABLE followups DROP COLUMN version;

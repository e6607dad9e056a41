-- +goose Up
-- Casework as caseworkers do it (issue 20). The SQLite twin of this file
-- explains each table.

CREATE TABLE people (
    id UUID PRIMARY KEY,
    agency_id UUID NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    role TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX people_agency_email_idx ON people (agency_id, email);
ALTER TABLE api_keys ADD COLUMN person_id UUID REFERENCES people (id);
ALTER TABLE audit_log ADD COLUMN person_id UUID;
ALTER TABLE referral_events ADD COLUMN person_id UUID;

ALTER TABLE cases ADD COLUMN assessment TEXT;
ALTER TABLE cases ADD COLUMN caseworker_id UUID REFERENCES people (id);
ALTER TABLE cases ADD COLUMN area TEXT NOT NULL DEFAULT '';
CREATE INDEX cases_caseworker_idx ON cases (agency_id, caseworker_id, status);

CREATE TABLE case_lookup (
    case_id UUID NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    agency_id UUID NOT NULL,
    kind TEXT NOT NULL,
    digest TEXT NOT NULL,
    PRIMARY KEY (case_id, kind, digest)
);
CREATE INDEX case_lookup_digest_idx ON case_lookup (agency_id, kind, digest);

CREATE TABLE case_notes (
    id UUID PRIMARY KEY,
    case_id UUID NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    agency_id UUID NOT NULL,
    body TEXT NOT NULL,
    shared BOOLEAN NOT NULL,
    author_key_id UUID,
    author_person_id UUID,
    version INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX case_notes_case_idx ON case_notes (case_id, created_at);
CREATE TABLE case_note_revisions (
    id BIGSERIAL PRIMARY KEY,
    note_id UUID NOT NULL REFERENCES case_notes (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    shared BOOLEAN NOT NULL,
    editor_key_id UUID,
    editor_person_id UUID,
    edited_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX case_note_revisions_note_idx ON case_note_revisions (note_id, version);

ALTER TABLE referrals ADD COLUMN method TEXT NOT NULL DEFAULT 'linkage';
ALTER TABLE referrals ADD COLUMN contact_mode TEXT NOT NULL DEFAULT '';
ALTER TABLE referrals ADD COLUMN forwarded_from UUID REFERENCES referrals (id);
ALTER TABLE referrals ADD COLUMN sender_person_id UUID;
CREATE INDEX referrals_forwarded_idx ON referrals (forwarded_from);

ALTER TABLE followups ALTER COLUMN referral_id DROP NOT NULL;
ALTER TABLE followups ADD COLUMN case_id UUID REFERENCES cases (id) ON DELETE CASCADE;
ALTER TABLE followups ADD COLUMN need_id UUID;
ALTER TABLE followups ADD COLUMN source_id UUID;
ALTER TABLE followups ADD COLUMN title TEXT NOT NULL DEFAULT '';
ALTER TABLE followups ADD COLUMN note TEXT;
ALTER TABLE followups ADD COLUMN priority TEXT NOT NULL DEFAULT 'routine';
ALTER TABLE followups ADD COLUMN assignee_person_id UUID;
ALTER TABLE followups ADD COLUMN created_by_key_id UUID;
ALTER TABLE followups ADD COLUMN created_by_person_id UUID;
UPDATE followups f SET case_id = r.case_id, need_id = r.need_id, priority = r.priority FROM referrals r WHERE r.id = f.referral_id;
CREATE INDEX followups_case_idx ON followups (case_id, done_at);

-- +goose Down
DROP INDEX followups_case_idx;
DELETE FROM followups WHERE referral_id IS NULL;
ALTER TABLE followups DROP COLUMN created_by_person_id, DROP COLUMN created_by_key_id, DROP COLUMN assignee_person_id,
    DROP COLUMN priority, DROP COLUMN note, DROP COLUMN title, DROP COLUMN source_id, DROP COLUMN need_id, DROP COLUMN case_id;
ALTER TABLE followups ALTER COLUMN referral_id SET NOT NULL;
DROP INDEX referrals_forwarded_idx;
ALTER TABLE referrals DROP COLUMN sender_person_id, DROP COLUMN forwarded_from, DROP COLUMN contact_mode, DROP COLUMN method;
DROP TABLE case_note_revisions;
DROP TABLE case_notes;
DROP TABLE case_lookup;
DROP INDEX cases_caseworker_idx;
ALTER TABLE cases DROP COLUMN area, DROP COLUMN caseworker_id, DROP COLUMN assessment;
ALTER TABLE referral_events DROP COLUMN person_id;
ALTER TABLE audit_log DROP COLUMN person_id;
ALTER TABLE api_keys DROP COLUMN person_id;
DROP TABLE people;

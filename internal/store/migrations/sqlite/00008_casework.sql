-- +goose Up
-- Casework as caseworkers do it (issue 20).

-- Staff people of an agency: the person a write is made by. A key may act
-- for one person; history and audit then name that person.
CREATE TABLE people (
    id TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    role TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX people_agency_email_idx ON people (agency_id, email);
-- SQLite cannot drop a column that references another table, so the
-- person columns added to existing tables are checked in code here.
ALTER TABLE api_keys ADD COLUMN person_id TEXT;
ALTER TABLE audit_log ADD COLUMN person_id TEXT;
ALTER TABLE referral_events ADD COLUMN person_id TEXT;

-- The case's assessment (every eligibility fact and the dated risks) is
-- one sealed value like the client. area is the coarse place of the case
-- (county, or the first three characters of the postal code) kept clear
-- for the barrier report; caseworker_id is the person the case is with.
ALTER TABLE cases ADD COLUMN assessment TEXT;
ALTER TABLE cases ADD COLUMN caseworker_id TEXT;
ALTER TABLE cases ADD COLUMN area TEXT NOT NULL DEFAULT '';
CREATE INDEX cases_caseworker_idx ON cases (agency_id, caseworker_id, status);

-- The keyed blind index of a case's client: HMAC-SHA256, under a key
-- derived per agency from the data key, of each normalised name token and
-- of the birth date. Without the key a digest says nothing; across
-- agencies the same name has different digests.
CREATE TABLE case_lookup (
    case_id TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    agency_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    digest TEXT NOT NULL,
    PRIMARY KEY (case_id, kind, digest)
);
CREATE INDEX case_lookup_digest_idx ON case_lookup (agency_id, kind, digest);

-- Notes on the case itself: sealed, with their author and every earlier
-- version; shared notes may be read by the receiving agencies of the
-- case's referrals while the client's consent holds.
CREATE TABLE case_notes (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    agency_id TEXT NOT NULL,
    body TEXT NOT NULL,
    shared BOOLEAN NOT NULL,
    author_key_id TEXT,
    author_person_id TEXT,
    version INTEGER NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE INDEX case_notes_case_idx ON case_notes (case_id, created_at);
CREATE TABLE case_note_revisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    note_id TEXT NOT NULL REFERENCES case_notes (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    shared BOOLEAN NOT NULL,
    editor_key_id TEXT,
    editor_person_id TEXT,
    edited_at DATETIME NOT NULL
);
CREATE INDEX case_note_revisions_note_idx ON case_note_revisions (note_id, version);

-- How a referral was made: linkage (sent to an agency in the network) or,
-- out of the network, phone, warm_handoff, self_referral, email,
-- in_person. An out-of-network referral is answered on the sender's own
-- side (receiver_agency_id is the sender's). contact_mode says how the
-- receiver and the client meet: share_contact (consent covers contact) or
-- client_will_contact. forwarded_from links a forwarded referral to the
-- one it came from.
ALTER TABLE referrals ADD COLUMN method TEXT NOT NULL DEFAULT 'linkage';
ALTER TABLE referrals ADD COLUMN contact_mode TEXT NOT NULL DEFAULT '';
ALTER TABLE referrals ADD COLUMN forwarded_from TEXT;
ALTER TABLE referrals ADD COLUMN sender_person_id TEXT;
CREATE INDEX referrals_forwarded_idx ON referrals (forwarded_from);

-- Follow-ups become the worklist: a task may belong to a referral (the
-- lifecycle's tasks), or only to a case (a caseworker's own task, or the
-- task a dated risk opens; source_id is the risk's id). SQLite cannot drop
-- NOT NULL, so the table is rebuilt; nothing references it.
CREATE TABLE followups_new (
    id TEXT PRIMARY KEY,
    referral_id TEXT REFERENCES referrals (id),
    case_id TEXT REFERENCES cases (id) ON DELETE CASCADE,
    need_id TEXT,
    source_id TEXT,
    kind TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    note TEXT,
    priority TEXT NOT NULL DEFAULT 'routine',
    assignee_agency_id TEXT NOT NULL,
    assignee_key_id TEXT,
    assignee_person_id TEXT,
    created_by_key_id TEXT,
    created_by_person_id TEXT,
    due_at DATETIME NOT NULL,
    created_at DATETIME NOT NULL,
    done_at DATETIME,
    overdue_notified_at DATETIME
);
INSERT INTO followups_new (id, referral_id, case_id, need_id, kind, priority, assignee_agency_id, assignee_key_id, due_at, created_at, done_at, overdue_notified_at)
SELECT f.id, f.referral_id, r.case_id, r.need_id, f.kind, r.priority, f.assignee_agency_id, f.assignee_key_id, f.due_at, f.created_at, f.done_at, f.overdue_notified_at
FROM followups f LEFT JOIN referrals r ON r.id = f.referral_id;
DROP TABLE followups;
ALTER TABLE followups_new RENAME TO followups;
CREATE INDEX followups_agency_idx ON followups (assignee_agency_id, done_at, due_at);
CREATE INDEX followups_referral_idx ON followups (referral_id, kind);
CREATE INDEX followups_case_idx ON followups (case_id, done_at);
CREATE INDEX followups_open_due_idx ON followups (due_at) WHERE done_at IS NULL AND overdue_notified_at IS NULL;

-- +goose Down
CREATE TABLE followups_old (
    id TEXT PRIMARY KEY,
    referral_id TEXT NOT NULL REFERENCES referrals (id),
    kind TEXT NOT NULL,
    assignee_agency_id TEXT NOT NULL,
    assignee_key_id TEXT,
    due_at DATETIME NOT NULL,
    created_at DATETIME NOT NULL,
    done_at DATETIME,
    overdue_notified_at DATETIME
);
INSERT INTO followups_old SELECT id, referral_id, kind, assignee_agency_id, assignee_key_id, due_at, created_at, done_at, overdue_notified_at FROM followups WHERE referral_id IS NOT NULL;
DROP TABLE followups;
ALTER TABLE followups_old RENAME TO followups;
CREATE INDEX followups_agency_idx ON followups (assignee_agency_id, done_at, due_at);
CREATE INDEX followups_referral_idx ON followups (referral_id, kind);
CREATE INDEX followups_open_due_idx ON followups (due_at) WHERE done_at IS NULL AND overdue_notified_at IS NULL;
DROP INDEX referrals_forwarded_idx;
ALTER TABLE referrals DROP COLUMN sender_person_id;
ALTER TABLE referrals DROP COLUMN forwarded_from;
ALTER TABLE referrals DROP COLUMN contact_mode;
ALTER TABLE referrals DROP COLUMN method;
DROP TABLE case_note_revisions;
DROP TABLE case_notes;
DROP TABLE case_lookup;
DROP INDEX cases_caseworker_idx;
ALTER TABLE cases DROP COLUMN area;
ALTER TABLE cases DROP COLUMN caseworker_id;
ALTER TABLE cases DROP COLUMN assessment;
ALTER TABLE referral_events DROP COLUMN person_id;
ALTER TABLE audit_log DROP COLUMN person_id;
ALTER TABLE api_keys DROP COLUMN person_id;
DROP TABLE people;

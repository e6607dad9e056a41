-- +goose Up
-- Business days of follow-ups count in the agency's own time zone.
ALTER TABLE agencies ADD COLUMN tz TEXT NOT NULL DEFAULT '';

-- A case belongs to one agency. The client's details are one sealed value
-- (AES-GCM, key id inside); lists filter only on the clear columns.
CREATE TABLE cases (
    id UUID PRIMARY KEY,
    agency_id UUID NOT NULL REFERENCES agencies (id),
    created_by UUID,
    status TEXT NOT NULL,
    client TEXT NOT NULL,
    consent TEXT,
    version INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX cases_agency_idx ON cases (agency_id, updated_at);

CREATE TABLE case_needs (
    id UUID PRIMARY KEY,
    case_id UUID NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    domain TEXT NOT NULL,
    status TEXT NOT NULL,
    note TEXT,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX case_needs_case_idx ON case_needs (case_id, position);
CREATE INDEX case_needs_domain_idx ON case_needs (domain, status);

-- A referral keeps the service's name as sent, so its history and reports
-- survive a later change or removal of the listing.
CREATE TABLE referrals (
    id UUID PRIMARY KEY,
    case_id UUID NOT NULL REFERENCES cases (id),
    need_id UUID REFERENCES case_needs (id) ON DELETE SET NULL,
    need_domain TEXT NOT NULL,
    sender_agency_id UUID NOT NULL REFERENCES agencies (id),
    sender_key_id UUID,
    receiver_agency_id UUID NOT NULL REFERENCES agencies (id),
    service_id UUID NOT NULL,
    service_name TEXT NOT NULL,
    location_id UUID,
    priority TEXT NOT NULL,
    status TEXT NOT NULL,
    share TEXT NOT NULL,
    note TEXT,
    reason TEXT NOT NULL,
    outcome TEXT NOT NULL,
    appointment_at TIMESTAMPTZ,
    followup_answer TEXT NOT NULL,
    followup_note TEXT,
    followup_at TIMESTAMPTZ,
    version INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    sent_at TIMESTAMPTZ,
    responded_at TIMESTAMPTZ,
    accepted_at TIMESTAMPTZ,
    closed_at TIMESTAMPTZ
);
CREATE INDEX referrals_sender_idx ON referrals (sender_agency_id, status, created_at);
CREATE INDEX referrals_receiver_idx ON referrals (receiver_agency_id, status, created_at);
CREATE INDEX referrals_case_idx ON referrals (case_id);
CREATE INDEX referrals_sent_idx ON referrals (sent_at);

-- The append-only history of a referral. Notes are sealed.
CREATE TABLE referral_events (
    id BIGSERIAL PRIMARY KEY,
    referral_id UUID NOT NULL REFERENCES referrals (id),
    at TIMESTAMPTZ NOT NULL,
    key_id UUID,
    role TEXT NOT NULL,
    agency_id UUID,
    side TEXT NOT NULL,
    kind TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    reason TEXT NOT NULL,
    outcome TEXT NOT NULL,
    appointment_at TIMESTAMPTZ,
    note TEXT
);
CREATE INDEX referral_events_referral_idx ON referral_events (referral_id, id);

-- Follow-up tasks: assigned to an agency, and to one key (a caseworker)
-- when the task is the referring caseworker's.
CREATE TABLE followups (
    id UUID PRIMARY KEY,
    referral_id UUID NOT NULL REFERENCES referrals (id),
    kind TEXT NOT NULL,
    assignee_agency_id UUID NOT NULL,
    assignee_key_id UUID,
    due_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    done_at TIMESTAMPTZ,
    overdue_notified_at TIMESTAMPTZ
);
CREATE INDEX followups_agency_idx ON followups (assignee_agency_id, done_at, due_at);
CREATE INDEX followups_referral_idx ON followups (referral_id, kind);
CREATE INDEX followups_open_due_idx ON followups (due_at) WHERE done_at IS NULL AND overdue_notified_at IS NULL;

-- Idempotency-Key: the first creation under a key, per agency, for 24 hours.
-- Only ids are kept: a retry re-reads the resource.
CREATE TABLE idempotency_keys (
    agency_id UUID NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (agency_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- Webhook subscriptions; the signing secret is sealed (it must be read to
-- sign, so it cannot be hashed).
CREATE TABLE webhooks (
    id UUID PRIMARY KEY,
    agency_id UUID NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhooks_agency_idx ON webhooks (agency_id);

-- The notification outbox: one row per event and subscription, written in
-- the transaction that caused the event, delivered afterwards, in id order
-- per subscription and order key (a referral).
CREATE TABLE webhook_deliveries (
    id BIGSERIAL PRIMARY KEY,
    webhook_id UUID NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id UUID NOT NULL,
    event_type TEXT NOT NULL,
    order_key TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    delivered_at TIMESTAMPTZ,
    last_status INTEGER NOT NULL,
    last_error TEXT NOT NULL
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (state, next_at);
CREATE INDEX webhook_deliveries_order_idx ON webhook_deliveries (webhook_id, order_key, id);

CREATE TABLE webhook_attempts (
    id BIGSERIAL PRIMARY KEY,
    delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    webhook_id UUID NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    status_code INTEGER NOT NULL,
    error TEXT NOT NULL,
    duration_ms INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_webhook_idx ON webhook_attempts (webhook_id, id);

-- listing.stale is sent once per stale spell of a service.
CREATE TABLE stale_notices (
    service_id UUID PRIMARY KEY,
    notified_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE stale_notices;
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
DROP TABLE idempotency_keys;
DROP TABLE followups;
DROP TABLE referral_events;
DROP TABLE referrals;
DROP TABLE case_needs;
DROP TABLE cases;
ALTER TABLE agencies DROP COLUMN tz;

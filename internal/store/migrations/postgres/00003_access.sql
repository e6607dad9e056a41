-- +goose Up
-- Agencies are tenants: each manages zero or more organizations and acts
-- through API keys.
CREATE TABLE agencies (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- An organization is managed by at most one agency.
CREATE TABLE agency_organizations (
    organization_id UUID PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    agency_id UUID NOT NULL REFERENCES agencies (id) ON DELETE CASCADE
);
CREATE INDEX agency_organizations_agency_id_idx ON agency_organizations (agency_id);

-- API keys: only the SHA-256 of the secret is kept; the prefix is what a
-- person sees in lists to tell keys apart.
CREATE TABLE api_keys (
    id UUID PRIMARY KEY,
    agency_id UUID REFERENCES agencies (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    hash BYTEA NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX api_keys_agency_id_idx ON api_keys (agency_id);

-- The audit log is appended to and never changed through the API. It holds
-- ids and field names, never personal values or secrets.
CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    key_id UUID,
    role TEXT NOT NULL,
    agency_id UUID,
    action TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    client_addr TEXT NOT NULL,
    request_id TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_agency_at_idx ON audit_log (agency_id, at);
CREATE INDEX audit_log_resource_idx ON audit_log (resource_type, resource_id);
CREATE INDEX audit_log_at_idx ON audit_log (at);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE api_keys;
DROP TABLE agency_organizations;
DROP TABLE agencies;

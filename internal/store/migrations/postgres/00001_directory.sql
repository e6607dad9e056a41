-- +goose Up
-- The 24 HSDS 3.1 entities in the tabular serialization: one table per
-- entity, *_id foreign keys, indexes on every foreign key and last_modified.
-- Children owned by a record cascade with it; attributes and metadata point
-- at any record (link_id, resource_id), so they carry no foreign key.

CREATE TABLE taxonomies (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    uri TEXT,
    version TEXT
);

CREATE TABLE taxonomy_terms (
    id UUID PRIMARY KEY,
    code TEXT,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    parent_id UUID,
    taxonomy TEXT,
    taxonomy_id UUID REFERENCES taxonomies (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    language TEXT,
    term_uri TEXT
);
CREATE INDEX taxonomy_terms_parent_id_idx ON taxonomy_terms (parent_id);
CREATE INDEX taxonomy_terms_taxonomy_id_idx ON taxonomy_terms (taxonomy_id);
CREATE INDEX taxonomy_terms_code_idx ON taxonomy_terms (code);

CREATE TABLE organizations (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL,
    alternate_name TEXT,
    description TEXT NOT NULL,
    email TEXT,
    website TEXT,
    tax_status TEXT,
    tax_id TEXT,
    year_incorporated DOUBLE PRECISION,
    legal_status TEXT,
    logo TEXT,
    uri TEXT,
    parent_organization_id UUID,
    last_modified TIMESTAMPTZ NOT NULL
);
CREATE INDEX organizations_parent_organization_id_idx ON organizations (parent_organization_id);
CREATE INDEX organizations_last_modified_idx ON organizations (last_modified);

CREATE TABLE programs (
    id UUID PRIMARY KEY,
    organization_id UUID REFERENCES organizations (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    name TEXT NOT NULL,
    alternate_name TEXT,
    description TEXT NOT NULL
);
CREATE INDEX programs_organization_id_idx ON programs (organization_id);

CREATE TABLE services (
    id UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id) ON DELETE NO ACTION DEFERRABLE INITIALLY IMMEDIATE,
    program_id UUID REFERENCES programs (id) ON DELETE SET NULL DEFERRABLE INITIALLY IMMEDIATE,
    name TEXT NOT NULL,
    alternate_name TEXT,
    description TEXT,
    url TEXT,
    email TEXT,
    status TEXT NOT NULL,
    interpretation_services TEXT,
    application_process TEXT,
    fees_description TEXT,
    wait_time TEXT,
    fees TEXT,
    accreditations TEXT,
    eligibility_description TEXT,
    minimum_age DOUBLE PRECISION,
    maximum_age DOUBLE PRECISION,
    assured_date TEXT,
    assurer_email TEXT,
    licenses TEXT,
    alert TEXT,
    last_modified TIMESTAMPTZ NOT NULL
);
CREATE INDEX services_organization_id_idx ON services (organization_id);
CREATE INDEX services_program_id_idx ON services (program_id);
CREATE INDEX services_last_modified_idx ON services (last_modified);

CREATE TABLE locations (
    id UUID PRIMARY KEY,
    location_type TEXT NOT NULL,
    url TEXT,
    organization_id UUID REFERENCES organizations (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    name TEXT,
    alternate_name TEXT,
    description TEXT,
    transportation TEXT,
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    external_identifier TEXT,
    external_identifier_type TEXT,
    tz TEXT,
    last_modified TIMESTAMPTZ NOT NULL
);
CREATE INDEX locations_organization_id_idx ON locations (organization_id);
CREATE INDEX locations_last_modified_idx ON locations (last_modified);

CREATE TABLE service_at_locations (
    id UUID PRIMARY KEY,
    service_id UUID NOT NULL REFERENCES services (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    location_id UUID NOT NULL REFERENCES locations (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    description TEXT
);
CREATE INDEX service_at_locations_service_id_idx ON service_at_locations (service_id);
CREATE INDEX service_at_locations_location_id_idx ON service_at_locations (location_id);

CREATE TABLE addresses (
    id UUID PRIMARY KEY,
    location_id UUID REFERENCES locations (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    attention TEXT,
    address_1 TEXT NOT NULL,
    address_2 TEXT,
    city TEXT NOT NULL,
    region TEXT,
    state_province TEXT NOT NULL,
    postal_code TEXT NOT NULL,
    country TEXT NOT NULL,
    address_type TEXT NOT NULL
);
CREATE INDEX addresses_location_id_idx ON addresses (location_id);
CREATE INDEX addresses_postal_code_idx ON addresses (postal_code);

CREATE TABLE contacts (
    id UUID PRIMARY KEY,
    organization_id UUID REFERENCES organizations (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    service_id UUID REFERENCES services (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    service_at_location_id UUID REFERENCES service_at_locations (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    location_id UUID REFERENCES locations (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    name TEXT,
    title TEXT,
    department TEXT,
    email TEXT
);
CREATE INDEX contacts_organization_id_idx ON contacts (organization_id);
CREATE INDEX contacts_service_id_idx ON contacts (service_id);
CREATE INDEX contacts_service_at_location_id_idx ON contacts (service_at_location_id);
CREATE INDEX contacts_location_id_idx ON contacts (location_id);

CREATE TABLE phones (
    id UUID PRIMARY KEY,
    location_id UUID REFERENCES locations (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    service_id UUID REFERENCES services (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    organization_id UUID REFERENCES organizations (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    contact_id UUID REFERENCES contacts (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    service_at_location_id UUID REFERENCES service_at_locations (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    number TEXT NOT NULL,
    extension DOUBLE PRECISION,
    type TEXT,
    description TEXT
);
CREATE INDEX phones_location_id_idx ON phones (location_id);
CREATE INDEX phones_service_id_idx ON phones (service_id);
CREATE INDEX phones_organization_id_idx ON phones (organization_id);
CREATE INDEX phones_contact_id_idx ON phones (contact_id);
CREATE INDEX phones_service_at_location_id_idx ON phones (service_at_location_id);

CREATE TABLE schedules (
    id UUID PRIMARY KEY,
    service_id UUID REFERENCES services (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    location_id UUID REFERENCES locations (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    service_at_location_id UUID REFERENCES service_at_locations (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    valid_from TEXT,
    valid_to TEXT,
    dtstart TEXT,
    timezone DOUBLE PRECISION,
    until TEXT,
    count DOUBLE PRECISION,
    wkst TEXT,
    freq TEXT,
    "interval" DOUBLE PRECISION,
    byday TEXT,
    byweekno TEXT,
    bymonthday TEXT,
    byyearday TEXT,
    description TEXT,
    opens_at TEXT,
    closes_at TEXT,
    schedule_link TEXT,
    attending_type TEXT,
    notes TEXT
);
CREATE INDEX schedules_service_id_idx ON schedules (service_id);
CREATE INDEX schedules_location_id_idx ON schedules (location_id);
CREATE INDEX schedules_service_at_location_id_idx ON schedules (service_at_location_id);

CREATE TABLE service_areas (
    id UUID PRIMARY KEY,
    service_id UUID REFERENCES services (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    service_at_location_id UUID REFERENCES service_at_locations (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    name TEXT,
    description TEXT,
    extent TEXT,
    extent_type TEXT,
    uri TEXT
);
CREATE INDEX service_areas_service_id_idx ON service_areas (service_id);
CREATE INDEX service_areas_service_at_location_id_idx ON service_areas (service_at_location_id);

CREATE TABLE languages (
    id UUID PRIMARY KEY,
    service_id UUID REFERENCES services (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    location_id UUID REFERENCES locations (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    phone_id UUID REFERENCES phones (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    name TEXT,
    code TEXT,
    note TEXT
);
CREATE INDEX languages_service_id_idx ON languages (service_id);
CREATE INDEX languages_location_id_idx ON languages (location_id);
CREATE INDEX languages_phone_id_idx ON languages (phone_id);

CREATE TABLE accessibility (
    id UUID PRIMARY KEY,
    location_id UUID REFERENCES locations (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    description TEXT,
    details TEXT,
    url TEXT
);
CREATE INDEX accessibility_location_id_idx ON accessibility (location_id);

CREATE TABLE cost_options (
    id UUID PRIMARY KEY,
    service_id UUID REFERENCES services (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    valid_from TEXT,
    valid_to TEXT,
    option TEXT,
    currency TEXT,
    amount DOUBLE PRECISION,
    amount_description TEXT
);
CREATE INDEX cost_options_service_id_idx ON cost_options (service_id);

CREATE TABLE funding (
    id UUID PRIMARY KEY,
    organization_id UUID REFERENCES organizations (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    service_id UUID REFERENCES services (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    source TEXT
);
CREATE INDEX funding_organization_id_idx ON funding (organization_id);
CREATE INDEX funding_service_id_idx ON funding (service_id);

CREATE TABLE required_documents (
    id UUID PRIMARY KEY,
    service_id UUID REFERENCES services (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    document TEXT,
    uri TEXT
);
CREATE INDEX required_documents_service_id_idx ON required_documents (service_id);

CREATE TABLE organization_identifiers (
    id UUID PRIMARY KEY,
    organization_id UUID REFERENCES organizations (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    identifier_scheme TEXT,
    identifier_type TEXT NOT NULL,
    identifier TEXT NOT NULL
);
CREATE INDEX organization_identifiers_organization_id_idx ON organization_identifiers (organization_id);

CREATE TABLE urls (
    id UUID PRIMARY KEY,
    label TEXT,
    url TEXT NOT NULL,
    organization_id UUID REFERENCES organizations (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    service_id UUID REFERENCES services (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE
);
CREATE INDEX urls_organization_id_idx ON urls (organization_id);
CREATE INDEX urls_service_id_idx ON urls (service_id);

CREATE TABLE units (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL,
    scheme TEXT,
    identifier TEXT,
    uri TEXT
);

CREATE TABLE service_capacities (
    id UUID PRIMARY KEY,
    service_id UUID REFERENCES services (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    unit_id UUID NOT NULL REFERENCES units (id) ON DELETE NO ACTION DEFERRABLE INITIALLY IMMEDIATE,
    available DOUBLE PRECISION NOT NULL,
    maximum DOUBLE PRECISION,
    description TEXT,
    updated TIMESTAMPTZ NOT NULL
);
CREATE INDEX service_capacities_service_id_idx ON service_capacities (service_id);
CREATE INDEX service_capacities_unit_id_idx ON service_capacities (unit_id);

CREATE TABLE attributes (
    id UUID PRIMARY KEY,
    link_id UUID,
    taxonomy_term_id UUID NOT NULL REFERENCES taxonomy_terms (id) ON DELETE NO ACTION DEFERRABLE INITIALLY IMMEDIATE,
    link_type TEXT,
    link_entity TEXT,
    value TEXT,
    label TEXT
);
CREATE INDEX attributes_link_id_idx ON attributes (link_id);
CREATE INDEX attributes_taxonomy_term_id_idx ON attributes (taxonomy_term_id);

CREATE TABLE metadata (
    id UUID PRIMARY KEY,
    resource_id UUID,
    resource_type TEXT,
    last_action_date TEXT NOT NULL,
    last_action_type TEXT NOT NULL,
    field_name TEXT NOT NULL,
    previous_value TEXT NOT NULL,
    replacement_value TEXT NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE INDEX metadata_resource_id_idx ON metadata (resource_id);

CREATE TABLE meta_table_descriptions (
    id UUID PRIMARY KEY,
    name TEXT,
    language TEXT,
    character_set TEXT
);

-- +goose Down
DROP TABLE meta_table_descriptions;
DROP TABLE metadata;
DROP TABLE attributes;
DROP TABLE service_capacities;
DROP TABLE units;
DROP TABLE urls;
DROP TABLE organization_identifiers;
DROP TABLE required_documents;
DROP TABLE funding;
DROP TABLE cost_options;
DROP TABLE accessibility;
DROP TABLE languages;
DROP TABLE service_areas;
DROP TABLE schedules;
DROP TABLE phones;
DROP TABLE contacts;
DROP TABLE addresses;
DROP TABLE service_at_locations;
DROP TABLE locations;
DROP TABLE services;
DROP TABLE programs;
DROP TABLE organizations;
DROP TABLE taxonomy_terms;
DROP TABLE taxonomies;

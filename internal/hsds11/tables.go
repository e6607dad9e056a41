package hsds11

// The HSDS 1.1 tables and how each column maps to HSDS 3.1. The tables and
// their columns follow the HSDS 1.1 tabular data package template
// (openreferral/sample-HSDS-datapackage all_resources/datapackage.json, the
// template the 1.1 documentation links; it still says "version": "1.0", as
// do the packages the HSDS Transformer writes), with the names those
// exports use for resources and files in the wild (plurals, services_at_location).

// kind is how a 1.1 cell becomes a 3.1 value.
type kind int

const (
	text   kind = iota // as written
	lower              // an enumeration 3.1 spells in lower case (status, phone type)
	upper              // a code 3.1 spells in capitals (country)
	number             // a decimal number
	year               // a year, from "1998" or a date
	date               // an ISO 8601 date, YYYY-MM-DD
	clock              // a time of day, HH:MM
	self               // the row's own id: a deterministic UUID
	ref                // the id of a record of table col.ref: its UUID
	drop               // no place in 3.1: col.why says why
	hook               // read by the table's row function
)

// col is one 1.1 column.
type col struct {
	name string // the 1.1 column
	kind kind
	to   string // the 3.1 column it fills
	ref  string // for ref: the 1.1 table whose id it names
	why  string // for drop: a sentence for the report
}

// spec is one 1.1 table.
type spec struct {
	name    string   // resource name in the 1.1 template, e.g. "physical_address"
	file    string   // its file name in the template
	aliases []string // other resource and file names (without .csv) seen in exports
	out     string   // the 3.1 table its rows become; "" when its rows become parts of other rows
	entity  string   // what 3.1 calls such a record in metadata resource_type
	cols    []col
	fixed   map[string]string // 3.1 columns every row gets
	row     func(c *converter, r *inRow) error
}

// Shorthands for the table below.
func as(name, to string) col                   { return col{name: name, kind: text, to: to} }
func same(name string) col                     { return col{name: name, kind: text, to: name} }
func typed(name string, k kind, to string) col { return col{name: name, kind: k, to: to} }
func ownID() col                               { return col{name: "id", kind: self, to: "id"} }
func refTo(name, table string) col             { return col{name: name, kind: ref, to: name, ref: table} }
func dropped(name, why string) col             { return col{name: name, kind: drop, why: why} }
func byRow(name string) col                    { return col{name: name, kind: hook} }

// specs lists the 1.1 tables in the order they are converted: services
// after eligibility and payment_accepted (which join into them), metadata
// last (it names records of every other table).
func specs() []*spec {
	return []*spec{
		{name: "organization", file: "organizations.csv", aliases: []string{"organizations"}, out: "organization", entity: "organization",
			cols: []col{ownID(), same("name"), same("alternate_name"), same("description"),
				same("email"), as("url", "website"), same("tax_status"), same("tax_id"),
				typed("year_incorporated", year, "year_incorporated"), same("legal_status")}},
		{name: "program", file: "programs.csv", aliases: []string{"programs"}, out: "program", entity: "program",
			cols: []col{ownID(), refTo("organization_id", "organization"), same("name"), same("alternate_name"),
				same("description")},
			row: programRow},
		{name: "location", file: "locations.csv", aliases: []string{"locations"}, out: "location", entity: "location",
			cols: []col{ownID(), refTo("organization_id", "organization"), same("name"), same("alternate_name"),
				same("description"), same("transportation"),
				typed("latitude", number, "latitude"), typed("longitude", number, "longitude")},
			row: locationRow},
		{name: "service_at_location", file: "services_at_location.csv",
			aliases: []string{"services_at_location", "service_at_locations", "services_at_locations"},
			out:     "service_at_location", entity: "service_at_location",
			cols: []col{ownID(), refTo("service_id", "service"), refTo("location_id", "location"), same("description")}},
		{name: "contact", file: "contacts.csv", aliases: []string{"contacts"}, out: "contact", entity: "contact",
			cols: []col{ownID(), refTo("organization_id", "organization"), refTo("service_id", "service"),
				refTo("service_at_location_id", "service_at_location"), same("name"), same("title"),
				same("department"), same("email")}},
		{name: "phone", file: "phones.csv", aliases: []string{"phones"}, out: "phone", entity: "phone",
			cols: []col{ownID(), refTo("location_id", "location"), refTo("service_id", "service"), refTo("organization_id", "organization"),
				refTo("contact_id", "contact"), refTo("service_at_location_id", "service_at_location"), same("number"),
				typed("extension", number, "extension"), typed("type", lower, "type"), byRow("language"), same("description"),
				dropped("department", "HSDS 1.0 deprecated a phone's department and 3.1 has none; give the phone to a contact with that department instead")},
			row: phoneRow},
		{name: "physical_address", file: "physical_addresses.csv", aliases: []string{"physical_addresses"}, out: "address", entity: "address",
			cols: addressCols(), fixed: map[string]string{"address_type": "physical"}, row: addressRow},
		{name: "postal_address", file: "postal_addresses.csv", aliases: []string{"postal_addresses"}, out: "address", entity: "address",
			cols: addressCols(), fixed: map[string]string{"address_type": "postal"}, row: addressRow},
		{name: "regular_schedule", file: "regular_schedules.csv", aliases: []string{"regular_schedules"}, out: "schedule", entity: "schedule",
			cols: append(scheduleRefs(), byRow("weekday"), typed("opens_at", clock, "opens_at"), typed("closes_at", clock, "closes_at")),
			row:  regularRow},
		{name: "holiday_schedule", file: "holiday_schedules.csv", aliases: []string{"holiday_schedules"}, out: "schedule", entity: "schedule",
			cols: append(scheduleRefs(), byRow("closed"), typed("opens_at", clock, "opens_at"), typed("closes_at", clock, "closes_at"),
				typed("start_date", date, "valid_from"), typed("end_date", date, "valid_to")),
			row: holidayRow},
		{name: "funding", file: "funding.csv", aliases: []string{"fundings"}, out: "funding", entity: "funding",
			cols: []col{ownID(), refTo("organization_id", "organization"), refTo("service_id", "service"), same("source")}},
		{name: "service_area", file: "service_areas.csv", aliases: []string{"service_areas"}, out: "service_area", entity: "service_area",
			cols: []col{ownID(), refTo("service_id", "service"), as("service_area", "name"), same("description")}},
		{name: "required_document", file: "required_documents.csv", aliases: []string{"required_documents"},
			out: "required_document", entity: "required_document",
			cols: []col{ownID(), refTo("service_id", "service"), same("document")}},
		{name: "language", file: "languages.csv", aliases: []string{"languages"}, out: "language", entity: "language",
			cols: []col{ownID(), refTo("service_id", "service"), refTo("location_id", "location"), byRow("language")},
			row:  languageRow},
		{name: "accessibility_for_disabilities", file: "accessibility_for_disabilities.csv",
			aliases: []string{"accessibility_for_disability"}, out: "accessibility", entity: "accessibility",
			cols: []col{ownID(), refTo("location_id", "location"), as("accessibility", "description"), same("details")}},
		{name: "taxonomy", file: "taxonomy.csv", out: "taxonomy_term", entity: "taxonomy_term",
			cols: []col{ownID(), same("name"), refTo("parent_id", "taxonomy"), byRow("vocabulary"),
				dropped("parent_name", "HSDS 3.1 names a term's parent by parent_id only; the parent's name is its own row's")},
			row: taxonomyRow},
		{name: "service_taxonomy", file: "services_taxonomy.csv",
			aliases: []string{"services_taxonomy", "service_taxonomies", "services_taxonomies"}, out: "attribute", entity: "attribute",
			cols: []col{ownID(), {name: "service_id", kind: ref, to: "link_id", ref: "service"},
				{name: "taxonomy_id", kind: ref, to: "taxonomy_term_id", ref: "taxonomy"}, as("taxonomy_detail", "value")},
			fixed: map[string]string{"link_entity": "service"}},
		{name: "eligibility", file: "eligibility.csv", aliases: []string{"eligibilities"},
			cols: []col{dropped("id", ""), byRow("service_id"), byRow("eligibility")}, row: extraRow},
		{name: "payment_accepted", file: "payments_accepted.csv", aliases: []string{"payments_accepted", "payment_accepted"},
			cols: []col{dropped("id", ""), byRow("service_id"), byRow("payment")}, row: extraRow},
		{name: "service", file: "services.csv", aliases: []string{"services"}, out: "service", entity: "service",
			cols: []col{ownID(), refTo("organization_id", "organization"), refTo("program_id", "program"), same("name"),
				same("alternate_name"), same("description"), same("url"), same("email"),
				typed("status", lower, "status"), same("interpretation_services"),
				same("application_process"), same("wait_time"), as("fees", "fees_description"),
				same("accreditations"), same("licenses"), byRow("taxonomy_ids")},
			row: serviceRow},
		{name: "metadata", file: "metadata.csv", aliases: []string{"metadatas"},
			cols: []col{byRow("id"), byRow("resource_id"), same("last_action_date"), same("last_action_type"),
				same("field_name"), same("previous_value"),
				same("replacement_value"), same("updated_by")},
			row: metadataRow},
		{name: "meta_table_description", file: "meta_table_descriptions.csv", aliases: []string{"meta_table_descriptions"}},
	}
}

func addressCols() []col {
	return []col{ownID(), refTo("location_id", "location"), same("attention"), same("address_1"),
		same("address_2"), byRow("address_3"), byRow("address_4"), same("city"), same("region"),
		same("state_province"), same("postal_code"), typed("country", upper, "country")}
}

func scheduleRefs() []col {
	return []col{ownID(), refTo("service_id", "service"), refTo("location_id", "location"), refTo("service_at_location_id", "service_at_location")}
}

// only1x are the resource and file names only HSDS 1.x packages use; only3x
// those only 3.x packages use. Names both use (organization, taxonomy,
// which is 1.x's terms and 3.x's vocabularies, metadata, ...) decide nothing.
var (
	only1x = []string{"physical_address", "physical_addresses", "postal_address", "postal_addresses",
		"regular_schedule", "regular_schedules", "holiday_schedule", "holiday_schedules",
		"service_taxonomy", "services_taxonomy", "eligibility", "payment_accepted", "payments_accepted",
		"accessibility_for_disabilities", "services_at_location"}
	only3x = []string{"address", "addresses", "schedule", "schedules", "attribute", "attributes",
		"taxonomy_term", "taxonomy_terms", "cost_option", "cost_options", "url", "unit", "units",
		"organization_identifier", "organization_identifiers", "service_capacity"}
)

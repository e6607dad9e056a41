package hsds

import "strconv"

// The one declaration of how HSDS records nest. Normalize, Validate, the
// store's graph building and loading, and the tabular package reader and
// writer all walk documents by this table, so a new kind of child is one
// line here (and a test fails until the HSDS schemas and the table agree).

// Kind says how a child hangs on its parent.
type Kind uint8

const (
	// Owned children are a list of records whose Key names the parent's
	// id; writing the parent replaces them (a service's phones).
	Owned Kind = iota
	// Document children are records of their own whose Key names the
	// parent: written with it, never replaced by it (an organization's
	// locations, services and programs).
	Document
	// History children are the metadata rows of the record (Key
	// resource_id): the server's and the file's history, never rewritten.
	History
	// Reference children are one record the parent names by its own Key
	// column (a service's organization_id): a copy of a record of its own.
	Reference
)

// Relation is one kind of child an HSDS record nests.
type Relation struct {
	Parent string // the parent's entity (as link_entity names it), e.g. "service"
	Child  string // the child's entity, e.g. "phone"; also its table's name in a tabular package
	Field  string // the parent's JSON field holding it, e.g. "phones"
	// Key is the column naming the other record: the child's column naming
	// the parent ("service_id"; attributes say link_id, metadata
	// resource_id), or for a Reference the parent's column naming the
	// child ("organization_id").
	Key  string
	Kind Kind
	// Carried is a Reference a tabular package writes and reads with its
	// referrer, having no other place for it (a capacity's unit, a term's
	// taxonomy).
	Carried bool

	// Typed accessors: a table of closures, not reflection, as loading and
	// graph building walk every row.
	len  func(parent any) int
	at   func(parent any, i int) any
	key  func(rec any) *string
	set  func(parent, children any)
	addr func(parent any) any
}

// Len is how many children parent (a pointer to a record of r.Parent) has.
func (r *Relation) Len(parent any) int { return r.len(parent) }

// At is the i-th child of parent, as a pointer into it.
func (r *Relation) At(parent any, i int) any { return r.at(parent, i) }

// KeyOf is the Key field of rec: of the child, or of the parent for a
// Reference.
func (r *Relation) KeyOf(rec any) *string { return r.key(rec) }

// Set replaces the children of parent: children is a []C for a list, a
// non-nil *C for a Reference.
func (r *Relation) Set(parent, children any) { r.set(parent, children) }

// Addr is the address of parent's field holding the children: a *[]C, or
// a **C for a Reference. Setting through it boxes nothing, for hot paths.
func (r *Relation) Addr(parent any) any { return r.addr(parent) }

// Children are every HSDS child relation, each parent's in the order of
// its JSON fields.
var Children = []Relation{
	many("organization", "url", "additional_websites", "organization_id", Owned, func(o *Organization) *[]URL { return &o.AdditionalWebsites }, func(c *URL) *string { return &c.OrganizationID }),
	many("organization", "funding", "funding", "organization_id", Owned, func(o *Organization) *[]Funding { return &o.Funding }, func(c *Funding) *string { return &c.OrganizationID }),
	many("organization", "contact", "contacts", "organization_id", Owned, func(o *Organization) *[]Contact { return &o.Contacts }, func(c *Contact) *string { return &c.OrganizationID }),
	many("organization", "phone", "phones", "organization_id", Owned, func(o *Organization) *[]Phone { return &o.Phones }, func(c *Phone) *string { return &c.OrganizationID }),
	many("organization", "location", "locations", "organization_id", Document, func(o *Organization) *[]Location { return &o.Locations }, func(c *Location) *string { return &c.OrganizationID }),
	many("organization", "program", "programs", "organization_id", Document, func(o *Organization) *[]Program { return &o.Programs }, func(c *Program) *string { return &c.OrganizationID }),
	many("organization", "organization_identifier", "organization_identifiers", "organization_id", Owned, func(o *Organization) *[]OrganizationIdentifier { return &o.OrganizationIdentifiers }, func(c *OrganizationIdentifier) *string { return &c.OrganizationID }),
	attributes("organization", func(o *Organization) *[]Attribute { return &o.Attributes }),
	metadata("organization", func(o *Organization) *[]Metadata { return &o.Metadata }),
	// Not in HSDS: an organization document of Linkage carries its services.
	many("organization", "service", "services", "organization_id", Document, func(o *Organization) *[]Service { return &o.Services }, func(c *Service) *string { return &c.OrganizationID }),

	many("service", "url", "additional_urls", "service_id", Owned, func(s *Service) *[]URL { return &s.AdditionalURLs }, func(c *URL) *string { return &c.ServiceID }),
	many("service", "phone", "phones", "service_id", Owned, func(s *Service) *[]Phone { return &s.Phones }, func(c *Phone) *string { return &c.ServiceID }),
	many("service", "schedule", "schedules", "service_id", Owned, func(s *Service) *[]Schedule { return &s.Schedules }, func(c *Schedule) *string { return &c.ServiceID }),
	many("service", "service_area", "service_areas", "service_id", Owned, func(s *Service) *[]ServiceArea { return &s.ServiceAreas }, func(c *ServiceArea) *string { return &c.ServiceID }),
	many("service", "service_at_location", "service_at_locations", "service_id", Owned, func(s *Service) *[]ServiceAtLocation { return &s.ServiceAtLocations }, func(c *ServiceAtLocation) *string { return &c.ServiceID }),
	many("service", "language", "languages", "service_id", Owned, func(s *Service) *[]Language { return &s.Languages }, func(c *Language) *string { return &c.ServiceID }),
	one("service", "organization", "organization", "organization_id", false, func(s *Service) **Organization { return &s.Organization }, func(s *Service) *string { return &s.OrganizationID }),
	many("service", "funding", "funding", "service_id", Owned, func(s *Service) *[]Funding { return &s.Funding }, func(c *Funding) *string { return &c.ServiceID }),
	many("service", "cost_option", "cost_options", "service_id", Owned, func(s *Service) *[]CostOption { return &s.CostOptions }, func(c *CostOption) *string { return &c.ServiceID }),
	one("service", "program", "program", "program_id", false, func(s *Service) **Program { return &s.Program }, func(s *Service) *string { return &s.ProgramID }),
	many("service", "required_document", "required_documents", "service_id", Owned, func(s *Service) *[]RequiredDocument { return &s.RequiredDocuments }, func(c *RequiredDocument) *string { return &c.ServiceID }),
	many("service", "contact", "contacts", "service_id", Owned, func(s *Service) *[]Contact { return &s.Contacts }, func(c *Contact) *string { return &c.ServiceID }),
	many("service", "service_capacity", "capacities", "service_id", Owned, func(s *Service) *[]ServiceCapacity { return &s.Capacities }, func(c *ServiceCapacity) *string { return &c.ServiceID }),
	attributes("service", func(s *Service) *[]Attribute { return &s.Attributes }),
	metadata("service", func(s *Service) *[]Metadata { return &s.Metadata }),

	many("location", "language", "languages", "location_id", Owned, func(l *Location) *[]Language { return &l.Languages }, func(c *Language) *string { return &c.LocationID }),
	many("location", "address", "addresses", "location_id", Owned, func(l *Location) *[]Address { return &l.Addresses }, func(c *Address) *string { return &c.LocationID }),
	many("location", "contact", "contacts", "location_id", Owned, func(l *Location) *[]Contact { return &l.Contacts }, func(c *Contact) *string { return &c.LocationID }),
	many("location", "accessibility", "accessibility", "location_id", Owned, func(l *Location) *[]Accessibility { return &l.Accessibility }, func(c *Accessibility) *string { return &c.LocationID }),
	many("location", "phone", "phones", "location_id", Owned, func(l *Location) *[]Phone { return &l.Phones }, func(c *Phone) *string { return &c.LocationID }),
	many("location", "schedule", "schedules", "location_id", Owned, func(l *Location) *[]Schedule { return &l.Schedules }, func(c *Schedule) *string { return &c.LocationID }),
	attributes("location", func(l *Location) *[]Attribute { return &l.Attributes }),
	metadata("location", func(l *Location) *[]Metadata { return &l.Metadata }),

	many("service_at_location", "service_area", "service_areas", "service_at_location_id", Owned, func(s *ServiceAtLocation) *[]ServiceArea { return &s.ServiceAreas }, func(c *ServiceArea) *string { return &c.ServiceAtLocationID }),
	many("service_at_location", "contact", "contacts", "service_at_location_id", Owned, func(s *ServiceAtLocation) *[]Contact { return &s.Contacts }, func(c *Contact) *string { return &c.ServiceAtLocationID }),
	many("service_at_location", "phone", "phones", "service_at_location_id", Owned, func(s *ServiceAtLocation) *[]Phone { return &s.Phones }, func(c *Phone) *string { return &c.ServiceAtLocationID }),
	many("service_at_location", "schedule", "schedules", "service_at_location_id", Owned, func(s *ServiceAtLocation) *[]Schedule { return &s.Schedules }, func(c *Schedule) *string { return &c.ServiceAtLocationID }),
	one("service_at_location", "location", "location", "location_id", false, func(s *ServiceAtLocation) **Location { return &s.Location }, func(s *ServiceAtLocation) *string { return &s.LocationID }),
	attributes("service_at_location", func(s *ServiceAtLocation) *[]Attribute { return &s.Attributes }),
	metadata("service_at_location", func(s *ServiceAtLocation) *[]Metadata { return &s.Metadata }),

	attributes("address", func(x *Address) *[]Attribute { return &x.Attributes }),
	metadata("address", func(x *Address) *[]Metadata { return &x.Metadata }),

	many("phone", "language", "languages", "phone_id", Owned, func(p *Phone) *[]Language { return &p.Languages }, func(c *Language) *string { return &c.PhoneID }),
	attributes("phone", func(x *Phone) *[]Attribute { return &x.Attributes }),
	metadata("phone", func(x *Phone) *[]Metadata { return &x.Metadata }),

	attributes("schedule", func(x *Schedule) *[]Attribute { return &x.Attributes }),
	metadata("schedule", func(x *Schedule) *[]Metadata { return &x.Metadata }),
	attributes("service_area", func(x *ServiceArea) *[]Attribute { return &x.Attributes }),
	metadata("service_area", func(x *ServiceArea) *[]Metadata { return &x.Metadata }),
	attributes("language", func(x *Language) *[]Attribute { return &x.Attributes }),
	metadata("language", func(x *Language) *[]Metadata { return &x.Metadata }),
	attributes("accessibility", func(x *Accessibility) *[]Attribute { return &x.Attributes }),
	metadata("accessibility", func(x *Accessibility) *[]Metadata { return &x.Metadata }),

	many("contact", "phone", "phones", "contact_id", Owned, func(c *Contact) *[]Phone { return &c.Phones }, func(p *Phone) *string { return &p.ContactID }),
	attributes("contact", func(x *Contact) *[]Attribute { return &x.Attributes }),
	metadata("contact", func(x *Contact) *[]Metadata { return &x.Metadata }),

	attributes("cost_option", func(x *CostOption) *[]Attribute { return &x.Attributes }),
	metadata("cost_option", func(x *CostOption) *[]Metadata { return &x.Metadata }),
	attributes("funding", func(x *Funding) *[]Attribute { return &x.Attributes }),
	metadata("funding", func(x *Funding) *[]Metadata { return &x.Metadata }),
	attributes("program", func(x *Program) *[]Attribute { return &x.Attributes }),
	metadata("program", func(x *Program) *[]Metadata { return &x.Metadata }),
	attributes("required_document", func(x *RequiredDocument) *[]Attribute { return &x.Attributes }),
	metadata("required_document", func(x *RequiredDocument) *[]Metadata { return &x.Metadata }),
	attributes("organization_identifier", func(x *OrganizationIdentifier) *[]Attribute { return &x.Attributes }),
	metadata("organization_identifier", func(x *OrganizationIdentifier) *[]Metadata { return &x.Metadata }),
	attributes("url", func(x *URL) *[]Attribute { return &x.Attributes }),
	metadata("url", func(x *URL) *[]Metadata { return &x.Metadata }),

	one("service_capacity", "unit", "unit", "unit_id", true, func(c *ServiceCapacity) **Unit { return &c.Unit }, func(c *ServiceCapacity) *string { return &c.UnitID }),
	attributes("service_capacity", func(x *ServiceCapacity) *[]Attribute { return &x.Attributes }),
	metadata("service_capacity", func(x *ServiceCapacity) *[]Metadata { return &x.Metadata }),
	attributes("unit", func(x *Unit) *[]Attribute { return &x.Attributes }),
	metadata("unit", func(x *Unit) *[]Metadata { return &x.Metadata }),

	one("attribute", "taxonomy_term", "taxonomy_term", "taxonomy_term_id", false, func(a *Attribute) **TaxonomyTerm { return &a.TaxonomyTerm }, func(a *Attribute) *string { return &a.TaxonomyTermID }),
	metadata("attribute", func(x *Attribute) *[]Metadata { return &x.Metadata }),
	metadata("taxonomy", func(x *Taxonomy) *[]Metadata { return &x.Metadata }),
	one("taxonomy_term", "taxonomy", "taxonomy_detail", "taxonomy_id", true, func(t *TaxonomyTerm) **Taxonomy { return &t.TaxonomyDetail }, func(t *TaxonomyTerm) *string { return &t.TaxonomyID }),
	metadata("taxonomy_term", func(x *TaxonomyTerm) *[]Metadata { return &x.Metadata }),
	attributes("meta_table_description", func(x *MetaTableDescription) *[]Attribute { return &x.Attributes }),
	metadata("meta_table_description", func(x *MetaTableDescription) *[]Metadata { return &x.Metadata }),
}

// childrenOf indexes Children by parent entity.
var childrenOf = func() map[string][]*Relation {
	out := make(map[string][]*Relation)
	for i := range Children {
		r := &Children[i]
		out[r.Parent] = append(out[r.Parent], r)
	}
	return out
}()

// ChildrenOf lists the relations of records of entity, in JSON field order.
func ChildrenOf(entity string) []*Relation { return childrenOf[entity] }

// RelationOf finds the relation of parent entity holding field (nil when
// there is none).
func RelationOf(parent, field string) *Relation {
	for _, r := range childrenOf[parent] {
		if r.Field == field {
			return r
		}
	}
	return nil
}

func many[P, C any](parent, child, field, key string, kind Kind, get func(*P) *[]C, fk func(*C) *string) Relation {
	return Relation{Parent: parent, Child: child, Field: field, Key: key, Kind: kind,
		len:  func(p any) int { return len(*get(p.(*P))) },
		at:   func(p any, i int) any { return &(*get(p.(*P)))[i] },
		key:  func(c any) *string { return fk(c.(*C)) },
		set:  func(p, cs any) { *get(p.(*P)) = cs.([]C) },
		addr: func(p any) any { return get(p.(*P)) },
	}
}

func one[P, C any](parent, child, field, key string, carried bool, get func(*P) **C, fk func(*P) *string) Relation {
	return Relation{Parent: parent, Child: child, Field: field, Key: key, Kind: Reference, Carried: carried,
		len: func(p any) int {
			if *get(p.(*P)) == nil {
				return 0
			}
			return 1
		},
		at:   func(p any, _ int) any { return *get(p.(*P)) },
		key:  func(p any) *string { return fk(p.(*P)) },
		set:  func(p, c any) { *get(p.(*P)) = c.(*C) },
		addr: func(p any) any { return get(p.(*P)) },
	}
}

func attributes[P any](parent string, get func(*P) *[]Attribute) Relation {
	return many(parent, "attribute", "attributes", "link_id", Owned, get, func(a *Attribute) *string { return &a.LinkID })
}

func metadata[P any](parent string, get func(*P) *[]Metadata) Relation {
	return many(parent, "metadata", "metadata", "resource_id", History, get, func(m *Metadata) *string { return &m.ResourceID })
}

// Walk visits rec (a pointer to a record) and every record nested in it,
// depth first, parents before children, each as a pointer with its JSON
// pointer relative to rec ("" for rec). It is how a problem found on a
// row, by id, is pointed at in the document a client sent.
func Walk(rec any, fn func(ptr string, rec any)) {
	if e := EntityOf(rec); e != "" {
		walk(e, rec, "", fn)
	}
}

func walk(entity string, rec any, ptr string, fn func(string, any)) {
	fn(ptr, rec)
	for _, r := range childrenOf[entity] {
		for i := range r.len(rec) {
			q := ptr + "/" + r.Field
			if r.Kind != Reference {
				q += "/" + strconv.Itoa(i)
			}
			walk(r.Child, r.at(rec, i), q, fn)
		}
	}
}

// Tree calls fn with every child nested in rec (a pointer to a record of
// entity), depth first, with its relation and parent; fn says whether to
// go into the child. It builds no pointers, for hot paths.
func Tree(entity string, rec any, fn func(r *Relation, parent, child any) bool) {
	for _, r := range childrenOf[entity] {
		for i := range r.len(rec) {
			if c := r.at(rec, i); fn(r, rec, c) {
				Tree(r.Child, c, fn)
			}
		}
	}
}

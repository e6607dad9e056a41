package hsds

import "time"

// Normalize fills the foreign keys that nesting implies (a phone nested in a
// service gets service_id, an attribute gets link_id and link_entity), so a
// nested document and its tabular rows say the same thing. It is called
// before Validate and before storing.
func (o *Organization) Normalize() {
	for i := range o.AdditionalWebsites {
		fill(&o.AdditionalWebsites[i].OrganizationID, o.ID)
		linkAttributes(o.AdditionalWebsites[i].Attributes, o.AdditionalWebsites[i].ID, "url")
	}
	for i := range o.Funding {
		fill(&o.Funding[i].OrganizationID, o.ID)
		linkAttributes(o.Funding[i].Attributes, o.Funding[i].ID, "funding")
	}
	for i := range o.Contacts {
		fill(&o.Contacts[i].OrganizationID, o.ID)
		o.Contacts[i].normalize()
	}
	for i := range o.Phones {
		fill(&o.Phones[i].OrganizationID, o.ID)
		o.Phones[i].normalize()
	}
	for i := range o.Locations {
		fill(&o.Locations[i].OrganizationID, o.ID)
		o.Locations[i].Normalize()
	}
	for i := range o.Programs {
		fill(&o.Programs[i].OrganizationID, o.ID)
		linkAttributes(o.Programs[i].Attributes, o.Programs[i].ID, "program")
	}
	for i := range o.OrganizationIdentifiers {
		fill(&o.OrganizationIdentifiers[i].OrganizationID, o.ID)
		linkAttributes(o.OrganizationIdentifiers[i].Attributes, o.OrganizationIdentifiers[i].ID, "organization_identifier")
	}
	linkAttributes(o.Attributes, o.ID, LinkEntityOrganization)
	for i := range o.Services {
		fill(&o.Services[i].OrganizationID, o.ID)
		o.Services[i].Normalize()
	}
}

// Normalize fills implied foreign keys; see Organization.Normalize.
func (s *Service) Normalize() {
	if s.Organization != nil && s.OrganizationID == "" {
		fill(&s.OrganizationID, s.Organization.ID)
	}
	if s.Program != nil && s.ProgramID == "" {
		fill(&s.ProgramID, s.Program.ID)
	}
	if s.Program != nil && s.Program.OrganizationID == "" {
		fill(&s.Program.OrganizationID, s.OrganizationID)
	}
	if s.LastModified != nil {
		t := s.LastModified.UTC().Truncate(time.Microsecond)
		s.LastModified = &t
	}
	for i := range s.AdditionalURLs {
		fill(&s.AdditionalURLs[i].ServiceID, s.ID)
		linkAttributes(s.AdditionalURLs[i].Attributes, s.AdditionalURLs[i].ID, "url")
	}
	for i := range s.Phones {
		fill(&s.Phones[i].ServiceID, s.ID)
		s.Phones[i].normalize()
	}
	for i := range s.Schedules {
		fill(&s.Schedules[i].ServiceID, s.ID)
		linkAttributes(s.Schedules[i].Attributes, s.Schedules[i].ID, "schedule")
	}
	for i := range s.ServiceAreas {
		fill(&s.ServiceAreas[i].ServiceID, s.ID)
		linkAttributes(s.ServiceAreas[i].Attributes, s.ServiceAreas[i].ID, "service_area")
	}
	for i := range s.ServiceAtLocations {
		sal := &s.ServiceAtLocations[i]
		fill(&sal.ServiceID, s.ID)
		if sal.Location != nil {
			if sal.LocationID == "" {
				fill(&sal.LocationID, sal.Location.ID)
			}
			sal.Location.Normalize()
		}
		for j := range sal.ServiceAreas {
			fill(&sal.ServiceAreas[j].ServiceAtLocationID, sal.ID)
			linkAttributes(sal.ServiceAreas[j].Attributes, sal.ServiceAreas[j].ID, "service_area")
		}
		for j := range sal.Contacts {
			fill(&sal.Contacts[j].ServiceAtLocationID, sal.ID)
			sal.Contacts[j].normalize()
		}
		for j := range sal.Phones {
			fill(&sal.Phones[j].ServiceAtLocationID, sal.ID)
			sal.Phones[j].normalize()
		}
		for j := range sal.Schedules {
			fill(&sal.Schedules[j].ServiceAtLocationID, sal.ID)
			linkAttributes(sal.Schedules[j].Attributes, sal.Schedules[j].ID, "schedule")
		}
		linkAttributes(sal.Attributes, sal.ID, "service_at_location")
	}
	linkLanguages(s.Languages)
	for i := range s.Languages {
		fill(&s.Languages[i].ServiceID, s.ID)
	}
	for i := range s.Funding {
		fill(&s.Funding[i].ServiceID, s.ID)
		linkAttributes(s.Funding[i].Attributes, s.Funding[i].ID, "funding")
	}
	for i := range s.CostOptions {
		fill(&s.CostOptions[i].ServiceID, s.ID)
		linkAttributes(s.CostOptions[i].Attributes, s.CostOptions[i].ID, "cost_option")
	}
	for i := range s.RequiredDocuments {
		fill(&s.RequiredDocuments[i].ServiceID, s.ID)
		linkAttributes(s.RequiredDocuments[i].Attributes, s.RequiredDocuments[i].ID, "required_document")
	}
	for i := range s.Contacts {
		fill(&s.Contacts[i].ServiceID, s.ID)
		s.Contacts[i].normalize()
	}
	for i := range s.Capacities {
		c := &s.Capacities[i]
		fill(&c.ServiceID, s.ID)
		if c.Unit != nil && c.UnitID == "" {
			fill(&c.UnitID, c.Unit.ID)
		}
		c.Updated = c.Updated.UTC().Truncate(time.Microsecond)
		linkAttributes(c.Attributes, c.ID, "service_capacity")
		if c.Unit != nil {
			linkAttributes(c.Unit.Attributes, c.Unit.ID, "unit")
		}
	}
	linkAttributes(s.Attributes, s.ID, LinkEntityService)
}

// Normalize fills implied foreign keys; see Organization.Normalize.
func (l *Location) Normalize() {
	linkLanguages(l.Languages)
	for i := range l.Languages {
		fill(&l.Languages[i].LocationID, l.ID)
	}
	for i := range l.Addresses {
		fill(&l.Addresses[i].LocationID, l.ID)
		linkAttributes(l.Addresses[i].Attributes, l.Addresses[i].ID, "address")
	}
	for i := range l.Contacts {
		fill(&l.Contacts[i].LocationID, l.ID)
		l.Contacts[i].normalize()
	}
	for i := range l.Accessibility {
		fill(&l.Accessibility[i].LocationID, l.ID)
		linkAttributes(l.Accessibility[i].Attributes, l.Accessibility[i].ID, "accessibility")
	}
	for i := range l.Phones {
		fill(&l.Phones[i].LocationID, l.ID)
		l.Phones[i].normalize()
	}
	for i := range l.Schedules {
		fill(&l.Schedules[i].LocationID, l.ID)
		linkAttributes(l.Schedules[i].Attributes, l.Schedules[i].ID, "schedule")
	}
	linkAttributes(l.Attributes, l.ID, LinkEntityLocation)
}

func (p *Phone) normalize() {
	linkLanguages(p.Languages)
	for i := range p.Languages {
		fill(&p.Languages[i].PhoneID, p.ID)
	}
	linkAttributes(p.Attributes, p.ID, "phone")
}

func (c *Contact) normalize() {
	for i := range c.Phones {
		fill(&c.Phones[i].ContactID, c.ID)
		c.Phones[i].normalize()
	}
	linkAttributes(c.Attributes, c.ID, "contact")
}

func linkAttributes(attrs []Attribute, id, entity string) {
	for i := range attrs {
		a := &attrs[i]
		fill(&a.LinkID, id)
		if a.LinkEntity == "" {
			a.LinkEntity = entity
		}
		if a.TaxonomyTerm != nil && a.TaxonomyTermID == "" {
			fill(&a.TaxonomyTermID, a.TaxonomyTerm.ID)
		}
	}
}

// fill sets an empty key; a key the client gave is kept so Validate can
// report a mismatch instead of silently re-parenting the record.
func fill(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

func linkLanguages(ls []Language) {
	for i := range ls {
		linkAttributes(ls[i].Attributes, ls[i].ID, "language")
	}
}

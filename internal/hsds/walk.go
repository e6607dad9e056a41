package hsds

// EntityOf is the entity of rec (a pointer to an hsds record), as
// link_entity names it; "" for anything else or a nil pointer.
func EntityOf(rec any) string {
	e, _ := identify(rec)
	return e
}

// RecordID is the id of rec (a pointer to an hsds record; "" if it is none).
func RecordID(rec any) string {
	_, id := identify(rec)
	return id
}

// identify is a type switch, not reflection: it runs for every record of
// every document walked.
func identify(rec any) (string, string) {
	switch x := rec.(type) {
	case *Organization:
		if x != nil {
			return LinkEntityOrganization, x.ID
		}
	case *Service:
		if x != nil {
			return LinkEntityService, x.ID
		}
	case *Location:
		if x != nil {
			return LinkEntityLocation, x.ID
		}
	case *ServiceAtLocation:
		if x != nil {
			return "service_at_location", x.ID
		}
	case *Address:
		if x != nil {
			return "address", x.ID
		}
	case *Phone:
		if x != nil {
			return "phone", x.ID
		}
	case *Schedule:
		if x != nil {
			return "schedule", x.ID
		}
	case *ServiceArea:
		if x != nil {
			return "service_area", x.ID
		}
	default:
		return identifyChild(rec)
	}
	return "", ""
}

func identifyChild(rec any) (string, string) {
	switch x := rec.(type) {
	case *Language:
		if x != nil {
			return "language", x.ID
		}
	case *Accessibility:
		if x != nil {
			return "accessibility", x.ID
		}
	case *Contact:
		if x != nil {
			return "contact", x.ID
		}
	case *CostOption:
		if x != nil {
			return "cost_option", x.ID
		}
	case *Funding:
		if x != nil {
			return "funding", x.ID
		}
	case *Program:
		if x != nil {
			return "program", x.ID
		}
	case *RequiredDocument:
		if x != nil {
			return "required_document", x.ID
		}
	case *OrganizationIdentifier:
		if x != nil {
			return "organization_identifier", x.ID
		}
	default:
		return identifyShared(rec)
	}
	return "", ""
}

func identifyShared(rec any) (string, string) {
	switch x := rec.(type) {
	case *URL:
		if x != nil {
			return "url", x.ID
		}
	case *ServiceCapacity:
		if x != nil {
			return "service_capacity", x.ID
		}
	case *Unit:
		if x != nil {
			return "unit", x.ID
		}
	case *Attribute:
		if x != nil {
			return "attribute", x.ID
		}
	case *Taxonomy:
		if x != nil {
			return "taxonomy", x.ID
		}
	case *TaxonomyTerm:
		if x != nil {
			return "taxonomy_term", x.ID
		}
	case *Metadata:
		if x != nil {
			return "metadata", x.ID
		}
	case *MetaTableDescription:
		if x != nil {
			return "meta_table_description", x.ID
		}
	}
	return "", ""
}

// New is a new, empty record of entity (nil for no entity).
func New(entity string) any {
	if f := makers[entity]; f != nil {
		return f()
	}
	return nil
}

var makers = map[string]func() any{
	LinkEntityOrganization: func() any { return new(Organization) }, LinkEntityService: func() any { return new(Service) },
	LinkEntityLocation: func() any { return new(Location) }, "service_at_location": func() any { return new(ServiceAtLocation) },
	"address": func() any { return new(Address) }, "phone": func() any { return new(Phone) },
	"schedule": func() any { return new(Schedule) }, "service_area": func() any { return new(ServiceArea) },
	"language": func() any { return new(Language) }, "accessibility": func() any { return new(Accessibility) },
	"contact": func() any { return new(Contact) }, "cost_option": func() any { return new(CostOption) },
	"funding": func() any { return new(Funding) }, "program": func() any { return new(Program) },
	"required_document": func() any { return new(RequiredDocument) }, "url": func() any { return new(URL) },
	"organization_identifier": func() any { return new(OrganizationIdentifier) },
	"service_capacity":        func() any { return new(ServiceCapacity) }, "unit": func() any { return new(Unit) },
	"attribute": func() any { return new(Attribute) }, "taxonomy": func() any { return new(Taxonomy) },
	"taxonomy_term": func() any { return new(TaxonomyTerm) }, "metadata": func() any { return new(Metadata) },
	"meta_table_description": func() any { return new(MetaTableDescription) },
}

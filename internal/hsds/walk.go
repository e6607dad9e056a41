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

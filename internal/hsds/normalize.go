package hsds

import "time"

// Normalize fills the foreign keys that nesting implies (a phone nested in a
// service gets service_id, an attribute gets link_id and link_entity), so a
// nested document and its tabular rows say the same thing. It is called
// before Validate and before storing.
func (o *Organization) Normalize() { normalize(LinkEntityOrganization, o) }

// Normalize fills implied foreign keys; see Organization.Normalize.
func (s *Service) Normalize() { normalize(LinkEntityService, s) }

// Normalize fills implied foreign keys; see Organization.Normalize.
func (l *Location) Normalize() { normalize(LinkEntityLocation, l) }

// normalize fills, for every child of rec, the key its nesting implies:
// the child's column naming its parent, or the parent's column naming a
// record it carries (a service's organization_id from its organization).
// Metadata is history, completed by the server when it is stored.
func normalize(entity string, rec any) {
	normalizeOwn(rec)
	Tree(entity, rec, func(r *Relation, parent, child any) bool {
		switch r.Kind {
		case History:
			return false
		case Reference:
			fill(r.KeyOf(parent), RecordID(child))
		default:
			fill(r.KeyOf(child), RecordID(parent))
			if a, ok := child.(*Attribute); ok && a.LinkEntity == "" {
				a.LinkEntity = r.Parent
			}
		}
		normalizeOwn(child)
		return true
	})
}

// normalizeOwn normalizes the fields of one record: times to the
// microsecond in UTC (what the database keeps), and a service's program
// is its organization's.
func normalizeOwn(rec any) {
	switch x := rec.(type) {
	case *Service:
		if x.Organization != nil {
			fill(&x.OrganizationID, x.Organization.ID)
		}
		if x.Program != nil {
			fill(&x.Program.OrganizationID, x.OrganizationID)
		}
		if x.LastModified != nil {
			t := x.LastModified.UTC().Truncate(time.Microsecond)
			x.LastModified = &t
		}
	case *ServiceCapacity:
		x.Updated = x.Updated.UTC().Truncate(time.Microsecond)
	}
}

// fill sets an empty key; a key the client gave is kept so Validate can
// report a mismatch instead of silently re-parenting the record.
func fill(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

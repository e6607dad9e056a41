package hsds

import "strconv"

// checkAttributeLinks: an attribute nested in a record is that record's.
// Its link_id and link_entity, filled by Normalize when left out, must
// name the record it is in: attributes are joined to records by link_id,
// so one naming another record would hang on that record instead.
func checkAttributeLinks(c *checker, root any) {
	Walk(root, func(ptr string, rec any) {
		entity, id := identify(rec)
		r := RelationOf(entity, "attributes")
		if r == nil {
			return
		}
		for i := range r.Len(rec) {
			a := r.At(rec, i).(*Attribute)
			q := ptr + "/attributes/" + strconv.Itoa(i)
			if a.LinkID != id {
				c.add(q+"/link_id", "must be %s, the id of the %s it is nested in (or left out)", id, entity)
			}
			if a.LinkEntity != entity {
				c.add(q+"/link_entity", "must be %q, the kind of record it is nested in (or left out), got %q", entity, clip(a.LinkEntity))
			}
		}
	})
}

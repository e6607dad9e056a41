package store

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/linkage-org/linkage/internal/hsds"
)

// The guard's rules on what rows point at: a nested row's parent columns
// may name only the records the write holds or records the actor may
// write; a new record may not take an id another table already uses
// (attributes and history join on the bare id, so the collision would put
// them on the other record); and a new capacity unit is named by its name.

// rowsOf lists the rows g writes into a child table.
func (g *graph) rowsOf(table string) []any { return g.table(table).all() }

// idsByTable lists the ids g writes, per table of records.
func (g *graph) idsByTable() map[string][]string {
	out := make(map[string][]string, len(recordTables))
	for _, t := range recordTables {
		out[t] = g.table(t).ids()
	}
	return out
}

// has says whether g writes the record table/id.
func (g *graph) has(table, id string) bool {
	for _, x := range g.idsByTable()[table] {
		if strings.EqualFold(x, id) {
			return true
		}
	}
	return false
}

// goFields are the row fields of the parent columns.
var goFields = map[string]string{
	"id": "ID", "service_id": "ServiceID", "location_id": "LocationID", "organization_id": "OrganizationID",
	"contact_id": "ContactID", "service_at_location_id": "ServiceAtLocationID", "phone_id": "PhoneID",
	"link_id": "LinkID", "link_entity": "LinkEntity",
}

// field reads a string or *string column of a row.
func field(row any, col string) string {
	v := reflect.ValueOf(row).FieldByName(goFields[col])
	switch v.Kind() {
	case reflect.String:
		return strings.ToLower(v.String())
	case reflect.Pointer:
		if !v.IsNil() {
			return strings.ToLower(v.Elem().String())
		}
	}
	return ""
}

// checkParents: every parent column of every row names a record of this
// write or one the actor may write (and, for API writes, one that exists).
func (o *ownership) checkParents() error {
	if o.actor.may("") {
		return nil
	}
	for _, c := range childTables {
		for _, row := range o.g.rowsOf(c.table) {
			parents := c.parents
			if c.table == "attributes" {
				parents = []ref{{entityTables[field(row, "link_entity")], "link_id"}}
			}
			for _, p := range parents {
				if err := o.checkParent(c.table, field(row, "id"), p, field(row, p.id)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (o *ownership) checkParent(table, id string, p ref, v string) error {
	if v == "" || p.table == "" || o.g.has(p.table, v) {
		return nil
	}
	found, err := o.existing(p.table, []string{v})
	if err != nil {
		return err
	}
	entity := tableEntity(p.table)
	if len(found) == 0 {
		if o.strict {
			o.refuseInvalid(table, id, "/"+p.id, "names %s %s, which does not exist; leave %s out in a nested record", entity, v, p.id)
		}
		return nil
	}
	root, owner, err := o.holder(p.table, v)
	if err != nil || o.roots[root] || o.actor.may(owner) {
		return err
	}
	o.refuse(table, id, "/"+p.id, "names %s %s of an organization your agency does not manage; a nested record belongs only to the record it is in", entity, v)
	return nil
}

// checkUnique: an id of this write that another table already uses is
// refused (an agency could otherwise hang attributes or history on
// another agency's record, or delete its attributes with its own record).
func (o *ownership) checkUnique() error {
	if o.actor.may("") {
		return nil
	}
	tableOf := make(map[string]string)
	var all []string
	for table, ids := range o.g.idsByTable() {
		for _, id := range ids {
			id = strings.ToLower(id)
			if _, dup := tableOf[id]; !dup {
				all = append(all, id)
			}
			tableOf[id] = table
		}
	}
	for _, t := range recordTables {
		found, err := o.existing(t, all)
		if err != nil {
			return err
		}
		for _, f := range found {
			if mine := tableOf[strings.ToLower(f)]; mine != t {
				o.refuseInvalid(mine, f, "/id", "is already the id of a %s in the directory; give this %s a new id", tableEntity(t), tableEntity(mine))
			}
		}
	}
	return nil
}

// checkUnits: a unit an agency creates has the id of its name, so no one
// can take the name of a unit another agency will report in.
func (o *ownership) checkUnits() error {
	if o.actor.may("") || len(o.g.units.rows) == 0 {
		return nil
	}
	found, err := o.existing("units", o.g.units.ids())
	if err != nil {
		return err
	}
	exists := make(map[string]bool, len(found))
	for _, id := range found {
		exists[strings.ToLower(id)] = true
	}
	for _, u := range o.g.units.list() {
		if want := hsds.UnitID(u.Name); !exists[strings.ToLower(u.ID)] && !strings.EqualFold(u.ID, want) {
			o.refuseInvalid("units", u.ID, "/id", "a new unit's id is its name's (%s for %q); leave the id out", want, clip(u.Name))
		}
	}
	return nil
}

// clip shortens s for a message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

func (o *ownership) refuseInvalid(table, id, field, format string, args ...any) {
	o.vs = append(o.vs, violation{table: table, id: id, field: field, msg: fmt.Sprintf(format, args...), invalid: true})
}

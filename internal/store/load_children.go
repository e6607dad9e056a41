package store

import (
	"fmt"

	"github.com/linkage-org/linkage/internal/hsds"
)

// Loading walks the HSDS child table (hsds.Children): for a set of
// parents, each relation is one query for all of them (by the column
// naming the parent), and what it returns is nested the same way in turn.
// The tables below say how each child's rows become records; a child the
// HSDS table gains without an entry here fails loudly (see nest).

// listLoader loads the records of one child table whose rel.Key names one
// of recs (whose ids are ids), nests what is nested in them in turn, and
// sets each record's list.
type listLoader func(l *loader, rel *hsds.Relation, recs []any, ids []string) error

// refLoader loads the records of one table by id: get gives a fresh copy
// of one (nil when there is none), for each record that names it.
type refLoader func(l *loader, ids []string) (get func(id string) any, err error)

// listLoaders are set in init: a loader nests in turn, through this table.
var listLoaders map[string]listLoader

func init() {
	listLoaders = map[string]listLoader{
		"service_at_location":     listOf(salFromRow),
		"location":                listOf(locationFromRow),
		"program":                 listOf(programFromRow),
		"url":                     listOf(urlFromRow),
		"funding":                 listOf(fundingFromRow),
		"contact":                 listOf(contactFromRow),
		"phone":                   listOf(phoneFromRow),
		"language":                listOf(languageFromRow),
		"schedule":                listOf(scheduleFromRow),
		"service_area":            listOf(serviceAreaFromRow),
		"address":                 listOf(addressFromRow),
		"accessibility":           listOf(accessibilityFromRow),
		"cost_option":             listOf(costOptionFromRow),
		"required_document":       listOf(requiredDocumentFromRow),
		"organization_identifier": listOf(orgIdentifierFromRow),
		"service_capacity":        listOf(capacityFromRow),
	}
}

// refLoaderOf loads the records a loaded record carries in full: the
// location of a service_at_location and the unit of a capacity (nil for
// others: the organization and program of a service come flat with its
// row, in services; a term comes with its attribute, in decorate). A
// switch, not a table: loading a location nests in turn.
func refLoaderOf(child string) refLoader {
	switch child {
	case hsds.LinkEntityLocation:
		return loadLocations
	case "unit":
		return loadUnits
	}
	return nil
}

func loadLocations(l *loader, ids []string) (func(string) any, error) {
	locs, err := l.locations(ids)
	return func(id string) any {
		if x, ok := locs[id]; ok {
			return &x
		}
		return nil
	}, err
}

func loadUnits(l *loader, ids []string) (func(string) any, error) {
	rows, err := fetch[unitRow](l.ctx, l.db, "id", ids)
	units := make(map[string]hsds.Unit, len(rows))
	for i := range rows {
		units[rows[i].ID] = unitFromRow(&rows[i])
		l.want(rows[i].ID)
	}
	return func(id string) any {
		if x, ok := units[id]; ok {
			return &x
		}
		return nil
	}, err
}

// leanSkips are the children a lean load leaves out (see loader.lean).
var leanSkips = map[string]bool{"contact": true, "url": true, "funding": true, "required_document": true}

func listOf[R, C any](from func(*R) C) listLoader {
	return func(l *loader, rel *hsds.Relation, recs []any, ids []string) error {
		rows, err := fetch[R](l.ctx, l.db, rel.Key, ids)
		if err != nil {
			return err
		}
		lists := make(map[string][]C)
		var keys []string
		for i := range rows {
			c := from(&rows[i])
			k := *rel.KeyOf(&c)
			if _, ok := lists[k]; !ok {
				keys = append(keys, k)
			}
			lists[k] = append(lists[k], c)
		}
		kids := make([]any, 0, len(rows)) // pointers into the final lists
		for _, k := range keys {
			s := lists[k]
			for i := range s {
				kids = append(kids, &s[i])
				l.want(hsds.RecordID(&s[i]))
			}
		}
		if err := l.nest(rel.Child, kids, false); err != nil {
			return err
		}
		for i, r := range recs {
			if s, ok := lists[ids[i]]; ok {
				*rel.Addr(r).(*[]C) = s // Addr boxes nothing, unlike Set
			}
		}
		return nil
	}
}

// loads says whether nest loads rel: lists and the records of refLoaderOf,
// not attributes and metadata (decorate fetches them for every record at
// once), services (loaded in their shape by services), nor, unless
// documents, an organization's locations and programs.
func (l *loader) loads(rel *hsds.Relation, documents bool) bool {
	switch {
	case rel.Kind == hsds.Reference:
		return refLoaderOf(rel.Child) != nil
	case rel.Kind == hsds.History || rel.Child == "attribute" || rel.Child == hsds.LinkEntityService:
		return false
	case rel.Kind == hsds.Document:
		return documents
	case rel.Child == "service_at_location" && l.noSALs:
		return false
	}
	return !l.lean || !leanSkips[rel.Child]
}

// nest loads into recs (pointers to records of entity) what the HSDS child
// table nests in them, and into those what is nested in them, one query
// per relation for all of recs; what it loads is queued for decoration.
func (l *loader) nest(entity string, recs []any, documents bool) error {
	if len(recs) == 0 {
		return nil
	}
	for _, rel := range hsds.ChildrenOf(entity) {
		if !l.loads(rel, documents) {
			continue
		}
		var err error
		if rel.Kind == hsds.Reference {
			err = l.nestRef(rel, recs)
		} else {
			err = l.nestList(rel, recs)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (l *loader) nestList(rel *hsds.Relation, recs []any) error {
	load, ok := listLoaders[rel.Child]
	if !ok {
		panic(fmt.Sprintf("store: no loader for HSDS %s.%s", rel.Parent, rel.Field))
	}
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = hsds.RecordID(r)
	}
	return load(l, rel, recs, ids)
}

func (l *loader) nestRef(rel *hsds.Relation, recs []any) error {
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = *rel.KeyOf(r)
	}
	get, err := refLoaderOf(rel.Child)(l, ids)
	if err != nil {
		return err
	}
	for i, r := range recs {
		if c := get(ids[i]); c != nil {
			rel.Set(r, c)
		}
	}
	return nil
}

// decorateTree sets the attributes and metadata decorate fetched on rec, a
// record of entity, and on everything loaded into it (not on the flat
// records it names, such as a service's organization).
func (l *loader) decorateTree(entity string, rec any) {
	l.decorateOne(entity, rec)
	if l.decorateChild == nil { // made once: a closure per record would allocate
		l.decorateChild = func(r *hsds.Relation, _, child any) bool {
			if r.Kind == hsds.History || r.Child == "attribute" || (r.Kind == hsds.Reference && refLoaderOf(r.Child) == nil) {
				return false
			}
			l.decorateOne(r.Child, child)
			return true
		}
	}
	hsds.Tree(entity, rec, l.decorateChild)
}

func (l *loader) decorateOne(entity string, rec any) {
	d := decorations[entity]
	id := hsds.RecordID(rec)
	if d.attrs != nil {
		*d.attrs.Addr(rec).(*[]hsds.Attribute) = l.attrs[id]
	}
	if d.meta != nil {
		*d.meta.Addr(rec).(*[]hsds.Metadata) = l.meta[id]
	}
}

// decorations are the attribute and metadata relations of each entity.
var decorations = func() map[string]struct{ attrs, meta *hsds.Relation } {
	out := make(map[string]struct{ attrs, meta *hsds.Relation })
	for i := range hsds.Children {
		r := &hsds.Children[i]
		d := out[r.Parent]
		switch {
		case r.Kind == hsds.History:
			d.meta = r
		case r.Child == "attribute":
			d.attrs = r
		}
		out[r.Parent] = d
	}
	return out
}()

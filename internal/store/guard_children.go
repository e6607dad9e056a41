package store

import (
	"fmt"
	"slices"

	"github.com/linkage-org/linkage/internal/hsds"
)

// The tables the ownership check and the replace of a write go through,
// derived from the HSDS child table (hsds.Children), so a child added
// there is checked and replaced here without another list to keep.

// childTable is a table of nested children a write replaces, with the
// columns naming its parent, most specific first (attributes name theirs
// by link_entity and link_id).
type childTable struct {
	table   string
	parents []ref // ref.table: the parent table; ref.id: the column
}

// parentRank orders the parents of a child, most specific first: a
// phone with contact_id and service_id is the contact's.
var parentRank = []string{"phones", "contacts", "service_at_locations", "services", "locations", "organizations"}

// deleteOrder lists the owned child tables children before parents, so no
// foreign key is violated half way (cascades would do it too, but
// attributes have no foreign key).
var deleteOrder = ownedOrder()

// childTables are the owned child tables, parents before children, then
// attributes.
var childTables = ownedChildTables()

// recordTables are the tables whose ids attributes and history rows name.
var recordTables = func() []string {
	var out []string
	for i := range hsds.Children {
		r := &hsds.Children[i]
		for _, e := range []string{r.Parent, r.Child} {
			if e == "metadata" || e == "meta_table_description" {
				continue // history, and no record of a document
			}
			if t := tableOf(e); !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}()

func ownedOrder() []string {
	out := []string{"attributes"}
	var visit func(entity string)
	visit = func(entity string) {
		t := tableOf(entity)
		if slices.Contains(out, t) {
			return
		}
		for _, r := range hsds.ChildrenOf(entity) {
			if r.Kind == hsds.Owned && r.Child != "attribute" {
				visit(r.Child)
			}
		}
		out = append(out, t)
	}
	for i := range hsds.Children {
		if r := &hsds.Children[i]; r.Kind == hsds.Owned && r.Child != "attribute" {
			visit(r.Child)
		}
	}
	return out
}

func ownedChildTables() []childTable {
	order := slices.Clone(deleteOrder[1:])
	slices.Reverse(order)
	out := make([]childTable, 0, len(deleteOrder))
	for _, t := range order {
		c := childTable{table: t}
		for i := range hsds.Children {
			if r := &hsds.Children[i]; r.Kind == hsds.Owned && tableOf(r.Child) == t {
				c.parents = append(c.parents, ref{tableOf(r.Parent), r.Key})
			}
		}
		slices.SortStableFunc(c.parents, func(a, b ref) int {
			return rank(a.table) - rank(b.table)
		})
		out = append(out, c)
	}
	return append(out, childTable{table: "attributes"})
}

func rank(table string) int {
	i := slices.Index(parentRank, table)
	if i < 0 {
		panic("store: no rank among parents for " + table)
	}
	return i
}

// tableOf is the table of an HSDS entity (attributes are no link_entity,
// so entityTables lacks them).
func tableOf(entity string) string {
	if entity == "attribute" {
		return "attributes"
	}
	t, ok := entityTables[entity]
	if !ok {
		panic("store: no table for HSDS " + entity)
	}
	return t
}

// rows is a rowset of any row type.
type rows interface {
	ids() []string
	all() []any
}

func (s *rowset[R]) all() []any {
	out := make([]any, len(s.order))
	for i, id := range s.order {
		out[i] = s.rows[id]
	}
	return out
}

// table is the rowset of g for a table of records.
func (g *graph) table(name string) rows {
	switch name {
	case "organizations":
		return &g.organizations
	case "services":
		return &g.services
	case "locations":
		return &g.locations
	case "service_at_locations":
		return &g.sals
	case "programs":
		return &g.programs
	case "contacts":
		return &g.contacts
	case "phones":
		return &g.phones
	case "addresses":
		return &g.addresses
	case "schedules":
		return &g.schedules
	case "service_areas":
		return &g.areas
	case "languages":
		return &g.languages
	default:
		return g.leafTable(name)
	}
}

func (g *graph) leafTable(name string) rows {
	switch name {
	case "accessibility":
		return &g.accessibility
	case "cost_options":
		return &g.costs
	case "funding":
		return &g.funding
	case "required_documents":
		return &g.documents
	case "organization_identifiers":
		return &g.identifiers
	case "urls":
		return &g.urls
	case "service_capacities":
		return &g.capacities
	case "attributes":
		return &g.attributes
	case "units":
		return &g.units
	case "taxonomy_terms":
		return &g.terms
	case "taxonomies":
		return &g.taxonomies
	}
	panic(fmt.Sprintf("store: no rows for table %s", name))
}

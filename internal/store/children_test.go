package store

import (
	"slices"
	"testing"

	"github.com/linkage-org/linkage/internal/hsds"
)

// TestHSDSChildrenCovered: every child of the HSDS child table has rows in
// a write's graph, is loaded, and (when its parent owns it) is replaced
// and checked by the ownership guard, so a child added to the table
// cannot be skipped silently by one of them.
func TestHSDSChildrenCovered(t *testing.T) {
	g := &graph{}
	for i := range hsds.Children {
		r := &hsds.Children[i]
		if r.Kind == hsds.History || r.Parent == "meta_table_description" {
			continue
		}
		table := tableOf(r.Child)
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("%s.%s: %v", r.Parent, r.Field, p)
				}
			}()
			g.table(table)
			g.put(hsds.New(r.Child))
		}()
		switch {
		case r.Kind == hsds.Owned && !slices.ContainsFunc(childTables, func(c childTable) bool { return c.table == table }):
			t.Errorf("%s.%s: %s is not among the guard's child tables", r.Parent, r.Field, table)
		case r.Kind != hsds.Reference && r.Child != "attribute" && r.Child != hsds.LinkEntityService && listLoaders[r.Child] == nil:
			t.Errorf("%s.%s: no loader for %s", r.Parent, r.Field, r.Child)
		}
	}
	if deleteOrder[0] != "attributes" || len(deleteOrder) != len(childTables) {
		t.Errorf("deleteOrder %v does not match the child tables", deleteOrder)
	}
}

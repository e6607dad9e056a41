package hsds

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestChildrenMatchSchemas: every child an HSDS 3.1 schema declares (an
// array or object property whose items are another HSDS schema) is in
// Children, and Children declares no child the schemas lack.
func TestChildrenMatchSchemas(t *testing.T) {
	files, err := filepath.Glob("../hsdsspec/schema/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no HSDS schemas found: %v", err)
	}
	type child struct {
		parent, field, child string
		one                  bool
	}
	var want []child
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var s struct {
			Properties map[string]struct {
				Type  string `json:"type"`
				Ref   string `json:"$ref"`
				Items struct {
					Ref string `json:"$ref"`
				} `json:"items"`
			} `json:"properties"`
		}
		if err := json.Unmarshal(data, &s); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		parent := strings.TrimSuffix(filepath.Base(f), ".json")
		for name, p := range s.Properties {
			switch {
			case p.Type == "array" && p.Items.Ref != "":
				want = append(want, child{parent, name, strings.TrimSuffix(p.Items.Ref, ".json"), false})
			case p.Ref != "":
				want = append(want, child{parent, name, strings.TrimSuffix(p.Ref, ".json"), true})
			}
		}
	}
	// Linkage's one extension: an organization document carries its
	// services (HSDS lists them apart).
	want = append(want, child{"organization", "services", "service", false})
	var got []child
	for _, r := range Children {
		got = append(got, child{r.Parent, r.Field, r.Child, r.Kind == Reference})
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("schema %s.json nests %s in %q (one: %v); hsds.Children lacks it", w.parent, w.child, w.field, w.one)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			t.Errorf("hsds.Children nests %s in %s.%s (one: %v); the HSDS schemas do not", g.child, g.parent, g.field, g.one)
		}
	}
}

// TestChildrenAccessors: each relation reads and writes the field it
// names, on the types its entities name.
func TestChildrenAccessors(t *testing.T) {
	for i := range Children {
		r := &Children[i]
		parent := newRecord(t, r.Parent)
		data, _ := json.Marshal(map[string]any{r.Field: childJSON(r)})
		if err := json.Unmarshal(data, parent); err != nil {
			t.Fatalf("%s.%s: %v", r.Parent, r.Field, err)
		}
		if r.Len(parent) != 1 {
			t.Errorf("%s.%s: Len = %d after decoding one child", r.Parent, r.Field, r.Len(parent))
			continue
		}
		c := r.At(parent, 0)
		if e, id := identify(c); e != r.Child || id != "x" {
			t.Errorf("%s.%s: child is %s %q, want %s \"x\"", r.Parent, r.Field, e, id, r.Child)
		}
		on := c
		if r.Kind == Reference {
			on = parent
		}
		*r.KeyOf(on) = "k"
		if b, _ := json.Marshal(on); !strings.Contains(string(b), `"`+r.Key+`":"k"`) {
			t.Errorf("%s.%s: KeyOf is not %s: %s", r.Parent, r.Field, r.Key, b)
		}
	}
}

func childJSON(r *Relation) any {
	if r.Kind == Reference {
		return map[string]string{"id": "x"}
	}
	return []map[string]string{{"id": "x"}}
}

func newRecord(t *testing.T, entity string) any {
	rec := New(entity)
	if rec == nil || EntityOf(rec) != entity {
		t.Fatalf("New(%q) = %T", entity, rec)
	}
	return rec
}

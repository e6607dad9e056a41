package hsdstest

import (
	"os"
	"path/filepath"
	"testing"
)

// The validator must accept the spec's own examples and reject a broken one,
// or it proves nothing about our responses.
func TestValidate_Examples(t *testing.T) {
	cases := map[string]Schema{
		"service_full.json": Service, "organization_full.json": Organization, "service_list.json": ServicePage,
		"taxonomy_term.json": TaxonomyTerm, "service_at_location_full.json": ServiceAtLocation,
	}
	for file, s := range cases {
		b, err := os.ReadFile(filepath.Join(Dir(), "examples", file))
		if err != nil {
			t.Fatal(err)
		}
		if err := Validate(s, b); err != nil {
			t.Errorf("%s: %v", file, err)
		}
	}
	if err := Validate(Service, []byte(`{"id":"not-a-uuid","name":"x","status":"open"}`)); err == nil {
		t.Fatal("an invalid service validated")
	}
	if err := Validate(ServicePage, []byte(`{"total_items":1,"contents":[]}`)); err == nil {
		t.Fatal("a page without its fields validated")
	}
}

package hsdsspec

import (
	"strings"
	"testing"
)

// Every shape compiles from the embedded files alone, and a broken body
// names what is wrong where.
func TestValidate(t *testing.T) {
	for _, s := range []Schema{Root, Service, ServiceListItem, Organization, ServiceAtLocation, Location, Taxonomy, TaxonomyTerm,
		ServicePage, ServiceFullPage, OrganizationPage, OrganizationFullPage, ServiceAtLocationPage, SALFullPage, TaxonomyPage, TaxonomyTermPage} {
		if _, err := compile(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	good := `{"id":"6a2b1cbe-0dc1-4f0e-a2c1-3ac2c5d1b7a1","name":"Food pantry","status":"active"}`
	if err := Validate(Service, []byte(good)); err != nil {
		t.Fatalf("a minimal service: %v", err)
	}
	if err := Validate(Root, []byte(`{"version":"3.1","profile":"https://openreferral.org","openapi_url":"http://x/openapi.json"}`)); err != nil {
		t.Fatalf("GET /: %v", err)
	}
	err := Validate(Service, []byte(`{"id":"6a2b1cbe-0dc1-4f0e-a2c1-3ac2c5d1b7a1","status":"active","email":"not an address"}`))
	got := ""
	for _, p := range Problems(err) {
		got += p.String() + "\n"
	}
	if !strings.Contains(got, "(body): missing property 'name'") || !strings.Contains(got, "/email: ") {
		t.Fatalf("problems of a broken service:\n%s", got)
	}
	if err := Validate(ServicePage, []byte(`{"total_items":1,"contents":[]}`)); err == nil {
		t.Fatal("a page without its fields validated")
	}
	if ps := Problems(Validate(Service, []byte(`{`))); len(ps) != 1 || !strings.Contains(ps[0].Message, "not JSON") {
		t.Fatalf("not JSON: %v", ps)
	}
}

package openapi_test

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/linkage-org/linkage/internal/hsdstest"
)

// hsdsExamples are the examples that are HSDS 3.1 bodies, with the HSDS
// schema each must also pass.
var hsdsExamples = map[string]hsdstest.Schema{
	"Service":                      hsdstest.Service,
	"ServiceWritten":               hsdstest.Service,
	"ServiceInput":                 hsdstest.Service,
	"ServicePage":                  hsdstest.ServicePage,
	"ServiceListItem":              hsdstest.ServiceListItem,
	"Organization":                 hsdstest.Organization,
	"OrganizationInput":            hsdstest.Organization,
	"OrganizationWithServices":     hsdstest.Organization,
	"OrganizationPage":             hsdstest.OrganizationPage,
	"OrganizationListItem":         hsdstest.Schema("compiled/organization_list.json"),
	"ServiceAtLocation":            hsdstest.ServiceAtLocation,
	"ServiceAtLocationInput":       hsdstest.ServiceAtLocation,
	"ServiceAtLocationWithService": hsdstest.ServiceAtLocation,
	"ServiceAtLocationPage":        hsdstest.ServiceAtLocationPage,
	"ServiceAtLocationListItem":    hsdstest.Schema("compiled/service_at_location_list.json"),
	"Location":                     hsdstest.Location,
	"LocationWritten":              hsdstest.Location,
	"LocationInput":                hsdstest.Location,
	"Taxonomy":                     hsdstest.Taxonomy,
	"TaxonomyPage":                 hsdstest.TaxonomyPage,
	"TaxonomyTerm":                 hsdstest.TaxonomyTerm,
	"TaxonomyTermPage":             hsdstest.TaxonomyTermPage,
	"SearchPage":                   hsdstest.ServiceAtLocationPage,
	"SearchPageEligibility":        hsdstest.ServiceAtLocationPage,
}

// mediaType is one media type of the document and where it is.
type mediaType struct {
	where    string
	request  bool
	main     bool // a request body, or a 2xx answer: it must have an example
	mt       *openapi3.MediaType
	examples map[string]any // name (the component's, when it is one) → value
}

func mediaTypes(t *testing.T, doc *openapi3.T) []mediaType {
	t.Helper()
	var out []mediaType
	collect := func(where string, request, main bool, content openapi3.Content) {
		for ct, mt := range content {
			m := mediaType{where: where + " " + ct, request: request, main: main, mt: mt, examples: map[string]any{}}
			if mt.Example != nil {
				m.examples["example"] = mt.Example
			}
			for name, ref := range mt.Examples {
				if ref.Ref != "" {
					name = ref.Ref[strings.LastIndex(ref.Ref, "/")+1:]
				}
				m.examples[name] = ref.Value.Value
			}
			out = append(out, m)
		}
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			if op.RequestBody != nil {
				collect(where+" request", true, true, op.RequestBody.Value.Content)
			}
			for code, resp := range op.Responses.Map() {
				collect(where+" "+code, false, strings.HasPrefix(code, "2"), resp.Value.Content)
			}
		}
	}
	return out
}

// TestExamples checks that every request body and every successful answer
// of every operation shows an example, that each example matches its
// schema, and that the HSDS ones are valid HSDS 3.1 too.
func TestExamples(t *testing.T) {
	doc, _ := load(t)
	var missing []string
	checked := map[string]bool{}
	for _, m := range mediaTypes(t, doc) {
		if len(m.examples) == 0 {
			if m.main {
				missing = append(missing, m.where)
			}
			continue
		}
		opts := []openapi3.SchemaValidationOption{openapi3.MultiErrors()}
		if m.request {
			opts = append(opts, openapi3.VisitAsRequest())
		} else {
			opts = append(opts, openapi3.VisitAsResponse())
		}
		for name, v := range m.examples {
			if m.mt.Schema != nil {
				if err := m.mt.Schema.Value.VisitJSON(v, opts...); err != nil {
					t.Errorf("%s: example %s does not match its schema: %s", m.where, name, firstLine(err))
				}
			}
			s, ok := hsdsExamples[name]
			if !ok || checked[name] {
				continue
			}
			checked[name] = true
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if err := hsdstest.Validate(s, b); err != nil {
				t.Errorf("example %s is not HSDS 3.1 %s: %v", name, s, err)
			}
		}
	}
	sort.Strings(missing)
	for _, w := range missing {
		t.Errorf("%s: no example", w)
	}
	for name := range hsdsExamples {
		if !checked[name] {
			t.Errorf("HSDS example %s is used by no media type", name)
		}
	}

	// Parameter examples match their schemas too.
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for _, p := range append(append(openapi3.Parameters{}, item.Parameters...), op.Parameters...) {
				if p.Value.Example == nil {
					continue
				}
				if err := p.Value.Schema.Value.VisitJSON(p.Value.Example); err != nil {
					t.Errorf("%s %s parameter %s: example does not match: %s", method, path, p.Value.Name, firstLine(err))
				}
			}
		}
	}
}

// TestExamplesRejected makes sure the check above can fail.
func TestExamplesRejected(t *testing.T) {
	doc, _ := load(t)
	svc := doc.Components.Examples["Service"].Value.Value.(map[string]any)
	bad := map[string]any{}
	for k, v := range svc {
		bad[k] = v
	}
	delete(bad, "name")
	schema := doc.Paths.Find("/services/{id}").Get.Responses.Status(http.StatusOK).Value.Content.Get("application/json").Schema
	if err := schema.Value.VisitJSON(bad, openapi3.VisitAsResponse()); err == nil {
		t.Error("a service without name passed the schema")
	}
	b, _ := json.Marshal(bad)
	if err := hsdstest.Validate(hsdstest.Service, b); err == nil {
		t.Error("a service without name passed HSDS")
	}
}

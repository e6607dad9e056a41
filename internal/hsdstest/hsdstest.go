// Package hsdstest validates JSON bodies against the official HSDS 3.1
// JSON Schemas, copied into testdata/hsds (see its SOURCE.md and LICENSE),
// the way an Open Referral validator would. It is for tests only.
package hsdstest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Prefix is where the HSDS files' $refs point; it is mapped to local files.
const Prefix = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"

// Dir is the copy of the HSDS specification kept in this repository.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "testdata", "hsds")
}

type loader struct{}

func (loader) Load(url string) (any, error) {
	rel, ok := strings.CutPrefix(url, Prefix)
	if !ok {
		return nil, fmt.Errorf("hsdstest: no local copy of %s", url)
	}
	f, err := os.Open(filepath.Join(Dir(), "schema", filepath.FromSlash(rel)))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return jsonschema.UnmarshalJSON(f)
}

// Schema names a response shape.
type Schema string

// Response shapes of the HSDS API.
const (
	Service               Schema = "service.json"
	ServiceListItem       Schema = "compiled/service_list.json"
	Organization          Schema = "organization.json"
	ServiceAtLocation     Schema = "service_at_location.json"
	Location              Schema = "location.json"
	Taxonomy              Schema = "taxonomy.json"
	TaxonomyTerm          Schema = "taxonomy_term.json"
	ServicePage           Schema = "page:compiled/service_list.json"
	ServiceFullPage       Schema = "page:service.json"
	OrganizationPage      Schema = "page:compiled/organization_list.json"
	OrganizationFullPage  Schema = "page:organization.json"
	ServiceAtLocationPage Schema = "page:compiled/service_at_location_list.json"
	SALFullPage           Schema = "page:service_at_location.json"
	TaxonomyPage          Schema = "page:taxonomy.json"
	TaxonomyTermPage      Schema = "page:taxonomy_term.json"
)

var (
	mu       sync.Mutex
	compiled = map[Schema]*jsonschema.Schema{}
)

func compile(s Schema) (*jsonschema.Schema, error) {
	mu.Lock()
	defer mu.Unlock()
	if sch, ok := compiled[s]; ok {
		return sch, nil
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.UseLoader(loader{})
	loc := Prefix + string(s)
	if item, ok := strings.CutPrefix(string(s), "page:"); ok {
		// The HSDS Page wrapper, with every field required as our API
		// promises (3.1.1 makes empty required upstream too).
		page := map[string]any{
			"type":     "object",
			"required": []any{"total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty", "contents"},
			"properties": map[string]any{
				"total_items": map[string]any{"type": "integer", "minimum": 0},
				"total_pages": map[string]any{"type": "integer", "minimum": 1},
				"page_number": map[string]any{"type": "integer", "minimum": 1},
				"size":        map[string]any{"type": "integer", "minimum": 0},
				"first_page":  map[string]any{"type": "boolean"},
				"last_page":   map[string]any{"type": "boolean"},
				"empty":       map[string]any{"type": "boolean"},
				"contents":    map[string]any{"type": "array", "items": map[string]any{"$ref": Prefix + item}},
			},
		}
		loc = "urn:linkage:" + string(s)
		if err := c.AddResource(loc, page); err != nil {
			return nil, err
		}
	}
	sch, err := c.Compile(loc)
	if err != nil {
		return nil, fmt.Errorf("hsdstest: compile %s: %w", s, err)
	}
	compiled[s] = sch
	return sch, nil
}

// Validate checks body against schema s.
func Validate(s Schema, body []byte) error {
	sch, err := compile(s)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return sch.Validate(inst)
}

// Check fails t when body does not validate against s.
func Check(t testing.TB, s Schema, body []byte) {
	t.Helper()
	if err := Validate(s, body); err != nil {
		var pretty bytes.Buffer
		_ = json.Indent(&pretty, body, "", " ")
		out := pretty.String()
		if len(out) > 2000 {
			out = out[:2000] + "..."
		}
		t.Fatalf("body does not validate against HSDS %s:\n%v\nbody: %s", s, err, out)
	}
}

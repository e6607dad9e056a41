// Package hsdsspec holds the HSDS 3.1 JSON Schemas (Open Referral, CC BY-SA
// 4.0: see LICENSE and SOURCE.md beside this file), embedded, and validates
// JSON bodies against them the way an Open Referral validator does. The
// binary's `linkage check-hsds` and the tests (through hsdstest) use the same
// files.
package hsdsspec

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"path"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Prefix is where the HSDS files' $refs point; it is mapped to the embedded
// files, so validation never goes to the network.
const Prefix = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"

//go:embed schema/*.json schema/compiled/*.json
var files embed.FS

type loader struct{}

func (loader) Load(url string) (any, error) {
	rel, ok := strings.CutPrefix(url, Prefix)
	if !ok {
		return nil, fmt.Errorf("hsdsspec: no embedded copy of %s", url)
	}
	b, err := files.ReadFile(path.Join("schema", rel))
	if err != nil {
		return nil, fmt.Errorf("hsdsspec: no embedded copy of %s", url)
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(b))
}

// Schema names a response shape of the HSDS API: a file under schema/, a
// "page:" of items of one, or Root.
type Schema string

// Response shapes of the HSDS API.
const (
	Root                  Schema = "root"
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

// root is the answer of GET / in the HSDS openapi.json.
var root = map[string]any{
	"type": "object",
	"properties": map[string]any{
		"version":     map[string]any{"type": "string"},
		"profile":     map[string]any{"type": "string", "format": "uri"},
		"openapi_url": map[string]any{"type": "string", "format": "uri"},
	},
}

// page is the HSDS Page envelope of openapi.json with items of schema
// item, every field required (a validator checks each is present; HSDS
// 3.1.1 makes empty required upstream too).
func page(item string) map[string]any {
	return map[string]any{
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
}

// compiled caches each schema: compiling the service schema reads most
// of the files.
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
	var inline map[string]any
	if item, ok := strings.CutPrefix(string(s), "page:"); ok {
		inline = page(item)
	} else if s == Root {
		inline = root
	}
	if inline != nil {
		loc = "urn:linkage:" + string(s)
		if err := c.AddResource(loc, inline); err != nil {
			return nil, fmt.Errorf("hsdsspec: %s: %w", s, err)
		}
	}
	sch, err := c.Compile(loc)
	if err != nil {
		return nil, fmt.Errorf("hsdsspec: compile %s: %w", s, err)
	}
	compiled[s] = sch
	return sch, nil
}

// Validate checks body against schema s. A body that breaks the schema
// is a *jsonschema.ValidationError; Problems lists what it says.
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

// Problem is one broken rule: the JSON pointer of the value and what is
// wrong with it.
type Problem struct {
	Pointer, Message string
}

func (p Problem) String() string {
	ptr := p.Pointer
	if ptr == "" {
		ptr = "(body)"
	}
	return ptr + ": " + p.Message
}

var printer = message.NewPrinter(language.English)

// Problems lists the broken rules of a Validate error, in the order the
// validator found them; an error that is not a validation failure (not
// JSON, say) is one problem of the whole body.
func Problems(err error) []Problem {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []Problem{{Message: err.Error()}}
	}
	var out []Problem
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			out = append(out, Problem{Pointer: pointer(e.InstanceLocation), Message: e.ErrorKind.LocalizedString(printer)})
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return out
}

func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(t))
	}
	return b.String()
}

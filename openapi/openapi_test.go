package openapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/linkage-org/linkage/internal/hsdstest"
	"github.com/linkage-org/linkage/openapi"
)

const (
	ctJSON    = "application/json"
	ctNDJSON  = "application/x-ndjson"
	ctProblem = "application/problem+json"
	ctForm    = "application/x-www-form-urlencoded"
)

var (
	setupOnce sync.Once
	setupErr  error
	theDoc    *openapi3.T
	theRouter routers.Router
)

// load parses and validates the embedded document once and builds a router.
// It also makes format checking stricter than kin-openapi's default (which
// checks only date, date-time and byte), so that the examples are checked for
// uuid, uri and email too.
func load(t *testing.T) (*openapi3.T, routers.Router) {
	t.Helper()
	setupOnce.Do(func() {
		openapi3.DefineStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC4122))
		openapi3.DefineStringFormatValidator("email", openapi3.NewCallbackValidator(func(s string) error {
			_, err := mail.ParseAddress(s)
			return err
		}))
		openapi3.DefineStringFormatValidator("uri", openapi3.NewCallbackValidator(func(s string) error {
			u, err := url.Parse(s)
			if err != nil {
				return err
			}
			if u.Scheme == "" {
				return errors.New("not an absolute URI")
			}
			return nil
		}))
		openapi3filter.RegisterBodyDecoder(ctNDJSON, ndjsonDecoder)

		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(openapi.YAML)
		if err != nil {
			setupErr = fmt.Errorf("load: %w", err)
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			setupErr = fmt.Errorf("validate: %w", err)
			return
		}
		r, err := gorillamux.NewRouter(doc)
		if err != nil {
			setupErr = fmt.Errorf("router: %w", err)
			return
		}
		theDoc, theRouter = doc, r
	})
	if setupErr != nil {
		t.Fatal(setupErr)
	}
	return theDoc, theRouter
}

// ndjsonDecoder decodes an application/x-ndjson body: it validates every line
// against the media type's schema (the schema of one item) and hands the last
// item back to kin-openapi, which validates it once more.
func ndjsonDecoder(body io.Reader, _ http.Header, schema *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	var last any
	n := 0
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		n++
		var v any
		if err := json.Unmarshal(line, &v); err != nil {
			return nil, fmt.Errorf("ndjson line %d: %w", n, err)
		}
		if schema != nil && schema.Value != nil {
			if err := schema.Value.VisitJSON(v, openapi3.VisitAsResponse()); err != nil {
				return nil, fmt.Errorf("ndjson line %d: %w", n, err)
			}
		}
		last = v
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errors.New("ndjson: empty stream")
	}
	return last, nil
}

// firstLine shortens a validation error for the test log.
func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

func example(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(hsdstest.Dir(), "examples", name))
	if err != nil {
		t.Fatalf("read example: %v", err)
	}
	return b
}

// exchange is one request and the response to check against the document.
type exchange struct {
	method   string
	target   string
	reqCT    string
	reqBody  string
	status   int
	respCT   string
	respBody []byte
	header   http.Header
}

// check routes and validates the request, then validates the response.
func check(t *testing.T, x exchange) (reqErr, respErr error) {
	t.Helper()
	_, router := load(t)
	var body io.Reader
	if x.reqBody != "" {
		body = strings.NewReader(x.reqBody)
	}
	req := httptest.NewRequest(x.method, x.target, body)
	if x.reqCT != "" {
		req.Header.Set("Content-Type", x.reqCT)
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s %s: no route: %v", x.method, x.target, err)
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	reqErr = openapi3filter.ValidateRequest(context.Background(), in)

	if x.status == 0 {
		return reqErr, nil
	}
	h := http.Header{}
	for k, v := range x.header {
		h[k] = v
	}
	if x.respCT != "" {
		h.Set("Content-Type", x.respCT)
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 x.status,
		Header:                 h,
		Options:                opts,
	}
	out.SetBodyBytes(x.respBody)
	respErr = openapi3filter.ValidateResponse(context.Background(), out)
	return reqErr, respErr
}

func mustPass(t *testing.T, x exchange) {
	t.Helper()
	reqErr, respErr := check(t, x)
	if reqErr != nil {
		t.Errorf("%s %s: request rejected: %v", x.method, x.target, reqErr)
	}
	if respErr != nil {
		t.Errorf("%s %s -> %d: response rejected: %v", x.method, x.target, x.status, respErr)
	}
}

func TestDocument(t *testing.T) {
	doc, _ := load(t)
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3", doc.OpenAPI)
	}

	wantSchemas := []string{
		// The 24 HSDS 3.1 entities.
		"Organization", "Service", "Location", "ServiceAtLocation", "Address", "Phone", "Schedule",
		"ServiceArea", "Language", "Accessibility", "Contact", "CostOption", "Funding", "Program",
		"RequiredDocument", "OrganizationIdentifier", "Url", "ServiceCapacity", "Unit", "Attribute",
		"TaxonomyTerm", "Taxonomy", "Metadata", "MetaTableDescription",
		// List shapes, envelopes and errors.
		"ServiceListItem", "ServiceMinimal", "OrganizationListItem", "OrganizationWithServices",
		"ServiceAtLocationListItem", "ServiceAtLocationWithService", "LocationListItem",
		"Page", "Problem", "ApiMeta",
	}
	for _, name := range wantSchemas {
		if doc.Components.Schemas[name] == nil {
			t.Errorf("missing component schema %s", name)
		}
	}
	if doc.Components.Schemas["Location"].Value.Properties["tz"] == nil {
		t.Error("Location lacks the tz extension")
	}

	seen := map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			if op.OperationID == "" {
				t.Errorf("%s: no operationId", where)
			} else if prev, dup := seen[op.OperationID]; dup {
				t.Errorf("%s: operationId %s already used by %s", where, op.OperationID, prev)
			}
			seen[op.OperationID] = where
			for code, resp := range op.Responses.Map() {
				if code < "400" {
					continue
				}
				mt := resp.Value.Content.Get(ctProblem)
				if mt == nil || mt.Schema == nil || mt.Schema.Ref != "#/components/schemas/Problem" {
					t.Errorf("%s %s: not an application/problem+json Problem", where, code)
				}
			}
			// Public, cacheable reads; what needs a key is never cached.
			// (/export streams the whole directory: not a cacheable page.)
			public := path != "/healthz" && path != "/readyz" && path != "/metrics" && path != "/export" && op.Security == nil
			if method == http.MethodGet && public {
				if op.Responses.Status(http.StatusNotModified) == nil {
					t.Errorf("%s: no 304", where)
				}
				ok := op.Responses.Status(http.StatusOK).Value
				if ok.Headers["ETag"] == nil || ok.Headers["Cache-Control"] == nil {
					t.Errorf("%s: 200 lacks ETag or Cache-Control", where)
				}
			}
		}
	}
	if len(seen) != 96 {
		t.Errorf("%d operations, want 96", len(seen))
	}
}

// TestHSDSExamples checks the HSDS 3.1 example bodies as the answers of the
// matching operations.
func TestHSDSExamples(t *testing.T) {
	const id = "/ac148810-d857-441c-9679-408f346de14b"
	cases := []struct {
		target, file string
		lists        bool // also check the POST variant
	}{
		{"/", "base.json", false},
		{"/services" + id, "service_full.json", false},
		{"/services", "service_list.json", true},
		{"/organizations" + id, "organization_full.json", false},
		{"/organizations" + id + "?full_service=true", "organization_full.json", false},
		{"/organizations", "organization_list.json", true},
		{"/service_at_locations" + id, "service_at_location_full.json", false},
		{"/service_at_locations", "service_at_location_list.json", true},
		{"/taxonomies" + id, "taxonomy.json", false},
		{"/taxonomies", "taxonomy_list.json", true},
		{"/taxonomy_terms" + id, "taxonomy_term.json", false},
		{"/taxonomy_terms", "taxonomy_term_list.json", true},
		{"/locations" + id, "location.json", false},
	}
	for _, c := range cases {
		body := example(t, c.file)
		t.Run("GET "+c.target, func(t *testing.T) {
			mustPass(t, exchange{method: http.MethodGet, target: c.target, status: 200, respCT: ctJSON, respBody: body})
		})
		if c.lists {
			t.Run("POST "+c.target, func(t *testing.T) {
				mustPass(t, exchange{method: http.MethodPost, target: c.target, status: 200, respCT: ctJSON, respBody: body})
			})
		}
	}
}

func page(t *testing.T, items ...json.RawMessage) []byte {
	t.Helper()
	if items == nil {
		items = []json.RawMessage{} // contents is [] on an empty page, never null
	}
	b, err := json.Marshal(map[string]any{
		"total_items": len(items), "total_pages": 1, "page_number": 1, "size": len(items),
		"first_page": true, "last_page": true, "empty": len(items) == 0, "contents": items,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func contents(t *testing.T, file string) []json.RawMessage {
	t.Helper()
	var p struct {
		Contents []json.RawMessage `json:"contents"`
	}
	if err := json.Unmarshal(example(t, file), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Contents) == 0 {
		t.Fatalf("%s: no contents", file)
	}
	return p.Contents
}

// TestListModes checks the minimal and full variants of the list answers.
func TestListModes(t *testing.T) {
	minimal := json.RawMessage(`{"id":"ac148810-d857-441c-9679-408f346de14b","name":"Community Counselling","status":"active","last_modified":"2023-03-15T10:30:45.123Z"}`)
	mustPass(t, exchange{method: http.MethodGet, target: "/services?minimal=true", status: 200, respCT: ctJSON, respBody: page(t, minimal)})
	mustPass(t, exchange{method: http.MethodGet, target: "/services?full=true", status: 200, respCT: ctJSON,
		respBody: page(t, example(t, "service_full.json"))})
	mustPass(t, exchange{method: http.MethodGet, target: "/organizations?full=true&full_service=true", status: 200, respCT: ctJSON,
		respBody: page(t, example(t, "organization_full.json"))})
	mustPass(t, exchange{method: http.MethodGet, target: "/service_at_locations?full=true", status: 200, respCT: ctJSON,
		respBody: page(t, example(t, "service_at_location_full.json"))})
	mustPass(t, exchange{method: http.MethodGet, target: "/services?page=3", status: 200, respCT: ctJSON, respBody: page(t)})

	// An organization whose services are list items rather than full services.
	var org map[string]any
	if err := json.Unmarshal(example(t, "organization_full.json"), &org); err != nil {
		t.Fatal(err)
	}
	var items []any
	for _, raw := range contents(t, "service_list.json") {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		items = append(items, v)
	}
	org["services"] = items
	b, _ := json.Marshal(org)
	mustPass(t, exchange{method: http.MethodGet, target: "/organizations/d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610", status: 200, respCT: ctJSON, respBody: b})

	// Our tz extension on locations.
	var loc map[string]any
	if err := json.Unmarshal(example(t, "location.json"), &loc); err != nil {
		t.Fatal(err)
	}
	loc["tz"] = "America/New_York"
	b, _ = json.Marshal(loc)
	mustPass(t, exchange{method: http.MethodGet, target: "/locations/a4e7ad9c-a7c9-4a24-8ba8-4bd8d2bbb0b7", status: 200, respCT: ctJSON, respBody: b})
}

func TestNDJSON(t *testing.T) {
	ndjson := func(items []json.RawMessage) []byte {
		var buf bytes.Buffer
		for _, it := range items {
			if err := json.Compact(&buf, it); err != nil {
				t.Fatal(err)
			}
			buf.WriteByte('\n')
		}
		return buf.Bytes()
	}
	for _, c := range []struct{ target, file string }{
		{"/services?format=ndjson", "service_list.json"},
		{"/organizations?format=ndjson", "organization_list.json"},
		{"/service_at_locations?format=ndjson", "service_at_location_list.json"},
		{"/taxonomies?format=ndjson", "taxonomy_list.json"},
		{"/taxonomy_terms?format=ndjson", "taxonomy_term_list.json"},
	} {
		items := contents(t, c.file)
		items = append(items, items...) // two lines at least
		mustPass(t, exchange{method: http.MethodGet, target: c.target, status: 200, respCT: ctNDJSON, respBody: ndjson(items)})
		mustPass(t, exchange{method: http.MethodPost, target: c.target, status: 200, respCT: ctNDJSON, respBody: ndjson(items)})
	}
	mustPass(t, exchange{method: http.MethodGet, target: "/services?format=ndjson&full=true", status: 200, respCT: ctNDJSON,
		respBody: ndjson([]json.RawMessage{example(t, "service_full.json")})})

	// The export: terms, organizations, services, one per line.
	export := ndjson([]json.RawMessage{example(t, "taxonomy_term.json"), example(t, "organization_full.json"), example(t, "service_full.json")})
	mustPass(t, exchange{method: http.MethodGet, target: "/export?format=json", status: 200, respCT: ctNDJSON, respBody: export})
	if _, err := check(t, exchange{method: http.MethodGet, target: "/export", status: 200, respCT: ctNDJSON, respBody: []byte(`{"id":"ac148810-d857-441c-9679-408f346de14b"}` + "\n")}); err == nil {
		t.Error("an export line that is no HSDS record was accepted")
	}

	bad := []byte(`{"id":"ac148810-d857-441c-9679-408f346de14b","name":"x","status":"active"}` + "\n" + `{"id":"ac148810-d857-441c-9679-408f346de14b","status":"active"}` + "\n")
	if _, err := check(t, exchange{method: http.MethodGet, target: "/services?format=ndjson", status: 200, respCT: ctNDJSON, respBody: bad}); err == nil {
		t.Error("an ndjson line without name was accepted")
	}
}

// TestResponsesRejected makes sure the schemas do constrain the answers.
func TestResponsesRejected(t *testing.T) {
	edit := func(file string, f func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(example(t, file), &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	first := func(m map[string]any) map[string]any { return m["contents"].([]any)[0].(map[string]any) }
	const id = "/ac148810-d857-441c-9679-408f346de14b"
	cases := []struct {
		name, target string
		body         []byte
	}{
		{"service without name", "/services" + id, edit("service_full.json", func(m map[string]any) { delete(m, "name") })},
		{"unknown service status", "/services" + id, edit("service_full.json", func(m map[string]any) { m["status"] = "open" })},
		{"id not a uuid", "/services" + id, edit("service_full.json", func(m map[string]any) { m["id"] = "42" })},
		{"bad last_modified", "/services" + id, edit("service_full.json", func(m map[string]any) { m["last_modified"] = "yesterday" })},
		{"bad schedule freq", "/services" + id, edit("service_full.json", func(m map[string]any) {
			m["schedules"] = []any{map[string]any{"id": "ac148810-d857-441c-9679-408f346de14b", "freq": "DAILY"}}
		})},
		{"capacity without unit", "/services" + id, edit("service_full.json", func(m map[string]any) {
			m["capacities"] = []any{map[string]any{"id": "ac148810-d857-441c-9679-408f346de14b", "available": 1, "updated": "2024-01-01T00:00:00Z"}}
		})},
		{"page without total_items", "/services", edit("service_list.json", func(m map[string]any) { delete(m, "total_items") })},
		{"page without empty", "/services", edit("service_list.json", func(m map[string]any) { delete(m, "empty") })},
		{"list item without status", "/services", edit("service_list.json", func(m map[string]any) { delete(first(m), "status") })},
		{"bad location_type", "/locations" + id, edit("location.json", func(m map[string]any) { m["location_type"] = "underground" })},
		{"bad address_type", "/locations" + id, edit("location.json", func(m map[string]any) {
			m["addresses"].([]any)[0].(map[string]any)["address_type"] = "home"
		})},
		{"term without name", "/taxonomy_terms" + id, edit("taxonomy_term.json", func(m map[string]any) { delete(m, "name") })},
		{"taxonomy_detail without name", "/taxonomy_terms" + id, edit("taxonomy_term.json", func(m map[string]any) {
			delete(m["taxonomy_detail"].(map[string]any), "name")
		})},
		{"null field", "/organizations" + id, edit("organization_full.json", func(m map[string]any) { m["email"] = nil })},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := check(t, exchange{method: http.MethodGet, target: c.target, status: 200, respCT: ctJSON, respBody: c.body})
			if err == nil {
				t.Error("response accepted")
			} else {
				t.Log(firstLine(err))
			}
		})
	}
}

func TestRequestValidation(t *testing.T) {
	accepted := []exchange{
		{method: http.MethodGet, target: "/services?page=1&per_page=1000&format=json&minimal=true"},
		{method: http.MethodGet, target: "/services?modified_after=2024-01-02T03:04:05Z&organization_id=d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"},
		{method: http.MethodGet, target: "/taxonomy_terms?top_only=true&parent_id=0bc248fa-dc27-4650-9ba4-8f1a24ef16a2"},
		{method: http.MethodGet, target: "/organizations?full=true&full_service=false&format=ndjson"},
		{method: http.MethodPost, target: "/services?per_page=10"},
		{method: http.MethodPost, target: "/services", reqCT: ctJSON, reqBody: `{"page":2,"per_page":10,"full":true}`},
		{method: http.MethodPost, target: "/services", reqCT: ctForm, reqBody: "page=2&per_page=10&minimal=true"},
		{method: http.MethodPost, target: "/taxonomy_terms", reqCT: ctJSON, reqBody: `{"top_only":true,"taxonomy_id":"5c4d79d7-cc55-470e-9f1f-8cad074e4892"}`},
		{method: http.MethodGet, target: "/organizations/d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610?full_service=true"},
	}
	for _, x := range accepted {
		if err, _ := check(t, x); err != nil {
			t.Errorf("%s %s %s: rejected: %v", x.method, x.target, x.reqBody, err)
		}
	}

	rejected := []exchange{
		{method: http.MethodGet, target: "/services?per_page=1001"},
		{method: http.MethodGet, target: "/services?page=0"},
		{method: http.MethodGet, target: "/services?per_page=0"},
		{method: http.MethodGet, target: "/services?page=two"},
		{method: http.MethodGet, target: "/organizations?per_page=1001"},
		{method: http.MethodGet, target: "/service_at_locations?page=0"},
		{method: http.MethodGet, target: "/taxonomies?per_page=1001"},
		{method: http.MethodGet, target: "/taxonomy_terms?page=0"},
		{method: http.MethodGet, target: "/services?format=xml"},
		{method: http.MethodGet, target: "/services?modified_after=yesterday"},
		{method: http.MethodGet, target: "/taxonomy_terms?top_only=maybe"},
		{method: http.MethodPost, target: "/services?per_page=1001"},
		{method: http.MethodPost, target: "/services", reqCT: ctJSON, reqBody: `{"per_page":1001}`},
		{method: http.MethodPost, target: "/services", reqCT: ctJSON, reqBody: `{"page":0}`},
		{method: http.MethodPost, target: "/services", reqCT: ctForm, reqBody: "per_page=1001"},
		{method: http.MethodPost, target: "/services", reqCT: ctForm, reqBody: "page=0"},
		{method: http.MethodPost, target: "/services", reqCT: "text/csv", reqBody: "page,1"},
	}
	for _, x := range rejected {
		if err, _ := check(t, x); err == nil {
			t.Errorf("%s %s %s: accepted", x.method, x.target, x.reqBody)
		} else {
			t.Logf("%s %s %s: %s", x.method, x.target, x.reqBody, firstLine(err))
		}
	}
}

func TestErrorAndOperationalResponses(t *testing.T) {
	doc, _ := load(t)
	const id = "/ac148810-d857-441c-9679-408f346de14b"
	problem := func(status int, detail string) []byte {
		b, _ := json.Marshal(map[string]any{
			"type": "about:blank", "title": http.StatusText(status), "status": status, "detail": detail,
		})
		return b
	}
	badRequest := []byte(`{"type":"about:blank","title":"Bad Request","status":400,"instance":"/services",
		"errors":[{"parameter":"per_page","message":"number must be at most 1000"},{"pointer":"/page","message":"number must be at least 1"}]}`)
	docJSON, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	etag := http.Header{"Etag": {`"abc"`}, "Cache-Control": {"public, max-age=60"}}

	for _, x := range []exchange{
		{method: http.MethodGet, target: "/services" + id, status: 404, respCT: ctProblem, respBody: problem(404, "no service has this id")},
		{method: http.MethodGet, target: "/services", status: 400, respCT: ctProblem, respBody: badRequest},
		{method: http.MethodPost, target: "/services", status: 413, respCT: ctProblem, respBody: problem(413, "")},
		{method: http.MethodPost, target: "/services", status: 415, respCT: ctProblem, respBody: problem(415, "")},
		{method: http.MethodGet, target: "/services?search=food", status: 501, respCT: ctProblem, respBody: problem(501, "search is not implemented yet")},
		{method: http.MethodGet, target: "/services", status: 429, respCT: ctProblem, respBody: problem(429, ""), header: http.Header{"Retry-After": {"30"}}},
		{method: http.MethodGet, target: "/taxonomies", status: 503, respCT: ctProblem, respBody: problem(503, "")},
		{method: http.MethodGet, target: "/taxonomies" + id, status: 500, respCT: ctProblem, respBody: problem(500, "")},
		{method: http.MethodGet, target: "/services" + id, status: 304, header: etag},
		{method: http.MethodGet, target: "/services", status: 200, respCT: ctJSON, respBody: example(t, "service_list.json"), header: etag},
		{method: http.MethodGet, target: "/", status: 200, respCT: ctJSON, respBody: []byte(`{"version":"3.1","profile":"https://example.org/profile","openapi_url":"https://example.org/openapi.json"}`)},
		{method: http.MethodGet, target: "/openapi.json", status: 200, respCT: ctJSON, respBody: docJSON},
		{method: http.MethodGet, target: "/healthz", status: 200, respCT: ctJSON, respBody: []byte(`{"status":"ok"}`)},
		{method: http.MethodGet, target: "/readyz", status: 200, respCT: ctJSON, respBody: []byte(`{"status":"ready"}`)},
		{method: http.MethodGet, target: "/readyz", status: 503, respCT: ctProblem, respBody: problem(503, "database unreachable")},
		{method: http.MethodGet, target: "/metrics", status: 200, respCT: "text/plain; version=0.0.4; charset=utf-8",
			respBody: []byte("# TYPE up gauge\nup 1\n")},
	} {
		mustPass(t, x)
	}

	// Undocumented or malformed answers are refused.
	for _, x := range []exchange{
		{method: http.MethodGet, target: "/services" + id, status: 404, respCT: ctJSON, respBody: problem(404, "")},
		{method: http.MethodGet, target: "/services" + id, status: 404, respCT: ctProblem, respBody: []byte(`{"title":"Not Found"}`)},
		{method: http.MethodGet, target: "/services" + id, status: 418, respCT: ctProblem, respBody: problem(418, "")},
		{method: http.MethodGet, target: "/healthz", status: 200, respCT: ctJSON, respBody: []byte(`{"status":"ready"}`)},
		{method: http.MethodGet, target: "/services", status: 429, respCT: ctProblem, respBody: problem(429, ""), header: http.Header{"Retry-After": {"soon"}}},
	} {
		if _, err := check(t, x); err == nil {
			t.Errorf("%s %s -> %d %s: accepted", x.method, x.target, x.status, x.respBody)
		} else {
			t.Logf("%s %s -> %d: %s", x.method, x.target, x.status, firstLine(err))
		}
	}
}

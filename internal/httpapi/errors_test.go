package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/linkage-org/linkage/internal/httpapi"
	"github.com/linkage-org/linkage/internal/indexsync"
	"github.com/linkage-org/linkage/internal/indexsync/indexsynctest"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

type problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail"`
	Instance string `json:"instance"`
	Errors   []struct {
		Pointer   string `json:"pointer"`
		Parameter string `json:"parameter"`
		Message   string `json:"message"`
	} `json:"errors"`
}

// TestAPI_Errors: every client mistake is a problem+json with the right
// status and a message that names what to fix; none is a 500.
func TestAPI_Errors(t *testing.T) {
	e := newEnvWith(t, storetest.Open(t, "postgres"), 4096)
	big := strings.Repeat("x", 5000)
	cases := []struct {
		name, method, path, body, ctype string
		status                          int
		param                           string // a parameter the errors must name
		detail                          string // a phrase the detail must hold
	}{
		{"unknown id", "GET", "/services/0b7f5c1e-8a52-4f55-9d4b-2d7f1c3e9a10", "", "", 404, "", "no service"},
		{"id not a uuid", "GET", "/organizations/abc", "", "", 404, "", "ids are UUIDs"},
		{"unknown taxonomy term", "GET", "/taxonomy_terms/0b7f5c1e-8a52-4f55-9d4b-2d7f1c3e9a10", "", "", 404, "", "taxonomy term"},
		{"per_page too big", "GET", "/services?per_page=1001", "", "", 400, "per_page", ""},
		{"per_page zero", "GET", "/services?per_page=0", "", "", 400, "per_page", ""},
		{"page zero", "GET", "/services?page=0", "", "", 400, "page", ""},
		{"page not a number", "GET", "/services?page=two", "", "", 400, "page", ""},
		{"bad boolean", "GET", "/services?full=maybe", "", "", 400, "full", ""},
		{"bad format", "GET", "/services?format=xml", "", "", 400, "format", ""},
		{"bad date", "GET", "/services?modified_after=yesterday", "", "", 400, "modified_after", ""},
		{"bad uuid filter", "GET", "/services?organization_id=42", "", "", 400, "organization_id", ""},
		{"unknown parameter", "GET", "/services?per_pgae=5", "", "", 400, "per_pgae", ""},
		{"minimal with full", "GET", "/services?minimal=true&full=true", "", "", 400, "minimal", ""},
		{"unknown postcode", "GET", "/service_at_locations?postcode=99999", "", "", 400, "postcode", ""},
		{"proximity without postcode", "POST", "/service_at_locations?proximity=1000", "", "", 400, "proximity", ""},
		{"search too long", "GET", "/services?search=" + strings.Repeat("a", 501), "", "", 400, "search", ""},
		{"search q too long", "GET", "/search?q=" + strings.Repeat("a", 501), "", "", 400, "q", ""},
		{"search too many words", "GET", "/search?q=" + strings.Repeat("a+", 41), "", "", 400, "q", ""},
		{"search radius too big", "GET", "/search?lat=25.7&lon=-80.2&radius_km=501", "", "", 400, "radius_km", ""},
		{"search latitude out of range", "GET", "/search?lat=91&lon=-80.2", "", "", 400, "lat", ""},
		{"search longitude out of range", "GET", "/search?lat=25&lon=-181", "", "", 400, "lon", ""},
		{"search lat without lon", "GET", "/search?lat=25", "", "", 400, "lon", ""},
		{"search radius without point", "GET", "/search?radius_km=5", "", "", 400, "radius_km", ""},
		{"search unknown category", "GET", "/search?category=ZZ", "", "", 400, "category", ""},
		{"search bad open_at", "GET", "/search?open_at=saturday", "", "", 400, "open_at", ""},
		{"search bad age", "GET", "/search?age=-3", "", "", 400, "age", ""},
		{"search bad cost", "GET", "/search?cost=cheap", "", "", 400, "cost", ""},
		{"search bad sort", "GET", "/search?sort=random", "", "", 400, "sort", ""},
		{"search distance without point", "GET", "/search?sort=distance", "", "", 400, "sort", ""},
		{"search bad serves", "GET", "/search?serves=north", "", "", 400, "serves", ""},
		{"search unknown postcode", "GET", "/search?postcode=99999", "", "", 400, "postcode", ""},
		{"search bad language", "GET", "/search?language=spanish", "", "", 400, "language", ""},
		{"search bad attending", "GET", "/search?attending_type=carrier+pigeon", "", "", 400, "attending_type", ""},
		{"search bad taxonomy code", "GET", "/search?taxonomy_code=B*D", "", "", 400, "taxonomy_code", ""},
		{"search too deep", "GET", "/search?page=300&per_page=50", "", "", 400, "page", ""},
		{"search unknown parameter", "GET", "/search?query=food", "", "", 400, "query", ""},
		{"search point and postcode", "GET", "/search?lat=25.7&lon=-80.2&postcode=33125", "", "", 400, "postcode", ""},
		{"method not allowed", "DELETE", "/services", "", "", 405, "", ""},
		{"no such route", "GET", "/nowhere", "", "", 404, "", "openapi.json"},
		{"body too large", "POST", "/services", big, "application/x-www-form-urlencoded", 413, "", "limit"},
		{"bad json body", "POST", "/services", "{not json", "application/json", 400, "", ""},
		{"body param out of range", "POST", "/services", `{"per_page": 5000}`, "application/json", 400, "", ""},
		{"unsupported body type", "POST", "/services", "per_page=5", "text/plain", 415, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var hdr []string
			if c.ctype != "" {
				hdr = []string{"Content-Type", c.ctype}
			}
			r := e.do(c.method, c.path, strings.NewReader(c.body), hdr...)
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("Content-Type %q", ct)
			}
			var p problem
			r.json(t, &p)
			if p.Status != c.status || p.Title == "" || p.Type == "" || !strings.HasPrefix(p.Instance, "urn:request:") {
				t.Fatalf("problem body: %+v", p)
			}
			if c.param != "" {
				found := false
				for _, fe := range p.Errors {
					found = found || fe.Parameter == c.param
				}
				if !found {
					t.Fatalf("errors do not name %q: %s", c.param, r.body)
				}
			}
			if c.detail != "" && !strings.Contains(strings.ToLower(p.Detail), strings.ToLower(c.detail)) {
				t.Fatalf("detail %q does not mention %q", p.Detail, c.detail)
			}
			if c.status == 405 && r.header.Get("Allow") == "" {
				t.Fatal("405 without Allow")
			}
		})
	}
}

// TestRoutes_MatchOpenAPI fails when a route exists in the router but not in
// openapi.yaml, or the reverse.
func TestRoutes_MatchOpenAPI(t *testing.T) {
	st0 := storetest.Open(t, "sqlite")
	e, err := httpapi.New(httpapi.Deps{Store: st0, Index: indexsynctest.Ready(t, st0, indexsync.Options{}), Logger: storetest.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	router := map[string]bool{}
	for _, r := range e.Routes() {
		if r.Method == echo.RouteNotFound || strings.HasPrefix(r.Name, "github.com/labstack") && r.Path == "" {
			continue
		}
		router[r.Method+" "+toOpenAPI(r.Path)] = true
	}
	contractRouter(t)
	doc := loadDoc(t)
	spec := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			spec[method+" "+path] = true
		}
	}
	for k := range router {
		if !spec[k] {
			t.Errorf("route %s is not in openapi.yaml", k)
		}
	}
	for k := range spec {
		if !router[k] {
			t.Errorf("openapi.yaml has %s, the router does not", k)
		}
	}
	if len(router) < 20 {
		t.Fatalf("only %d routes found", len(router))
	}
}

func toOpenAPI(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") {
			parts[i] = "{" + p[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}

var _ = http.MethodGet

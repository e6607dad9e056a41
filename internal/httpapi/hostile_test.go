package httpapi_test

import (
	"io"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/linkage-org/linkage/internal/httpapi"
	"github.com/linkage-org/linkage/internal/indexsync"
	"github.com/linkage-org/linkage/internal/indexsync/indexsynctest"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// TestHostile_Refusals: hostile shapes are refused cheaply, with the
// status and the parameter or pointer a client can act on, the same on
// both databases, and nothing is written.
func TestHostile_Refusals(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			a := newAccess(t, d)
			deep := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
			svcID := uuid.NewString()
			svcPath := "/services/" + svcID
			svc := func(name string) string {
				return `{"name":` + name + `,"organization_id":"` + orgFoodBank + `","status":"active"}`
			}
			many := func(n int) string {
				q := url.Values{"organization_id": {orgFoodBank}}
				for i := range n {
					q.Set("x"+strconv.Itoa(i), "1")
				}
				return q.Encode()
			}
			cases := []struct {
				name, method, path, body, key string
				status                        int
				param, pointer                string
			}{
				// No key on a key-only route: 401 before the body is read.
				{"anonymous deep write", "PUT", svcPath, deep, "", 401, "", ""},
				{"anonymous deep PATCH", "PATCH", svcPath, deep, "", 401, "", ""},
				{"agency deep write", "PUT", svcPath, deep, a.keyA, 400, "", "/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0"},
				{"public deep search", "POST", "/search", `{"q":` + deep + `}`, "", 400, "", ""},
				{"too many values", "PUT", svcPath, `{"name":"x","tags":[` + strings.Repeat("1,", 60000) + `1]}`, a.keyA, 400, "", ""},
				{"NUL in a body field", "PUT", svcPath, svc(`"Food\u0000bank"`), a.keyA, 422, "", "/name"},
				{"raw invalid UTF-8 in a body field", "PUT", svcPath, svc("\"caf\xe9\""), a.keyA, 422, "", "/name"},
				{"lone surrogate in a body field", "PUT", svcPath, svc(`"\udc00"`), a.keyA, 422, "", "/name"},
				{"NUL in a nested body field", "PUT", svcPath, `{"name":"x","organization_id":"` + orgFoodBank + `","status":"active","phones":[{"number":"1\u0000"}]}`, a.keyA, 422, "", "/phones/0/number"},
				{"NUL in a query", "GET", "/taxonomy_terms?search=a%00b", "", "", 400, "search", ""},
				{"invalid UTF-8 in a query", "GET", "/services?search=caf%E9", "", "", 400, "search", ""},
				{"NUL in an audit filter", "GET", "/audit?resource_type=a%00b", "", a.admin, 400, "resource_type", ""},
				{"NUL in a search", "GET", "/search?q=food%00", "", "", 400, "q", ""},
				{"201 query parameters", "GET", "/services?" + many(200), "", "", 400, "", ""},
				{"10,000 query parameters", "GET", "/services?" + many(9999) + "&per_page=0", "", "", 400, "", ""},
				{"malformed escape", "GET", "/services?search=%zz", "", "", 400, "", ""},
				{"serves NaN", "GET", "/search?serves=NaN,NaN", "", "", 400, "serves", ""},
				{"serves Inf", "GET", "/search?serves=Inf,-Inf", "", "", 400, "serves", ""},
				{"JSON body over the limit", "PUT", svcPath, svc(`"` + strings.Repeat("x", 1<<20) + `"`), a.keyA, 413, "", ""},
			}
			for _, c := range cases {
				r := a.send(c.method, c.path, c.body, c.key)
				if c.method == "PATCH" {
					r = a.send(c.method, c.path, c.body, c.key, "Content-Type", "application/merge-patch+json")
				}
				if r.status != c.status {
					t.Errorf("%s: %d %.300s, want %d", c.name, r.status, r.body, c.status)
					continue
				}
				var p problem
				r.json(t, &p)
				if p.Detail == "" || strings.Contains(p.Detail, "hsds.") || strings.Contains(p.Detail, "[]") {
					t.Errorf("%s: detail %q", c.name, p.Detail)
				}
				if c.status == 413 && !strings.Contains(p.Detail, "LINKAGE_MAX_") {
					t.Errorf("%s: the detail does not name the setting: %q", c.name, p.Detail)
				}
				found := c.param == "" && c.pointer == ""
				for _, e := range p.Errors {
					found = found || c.param != "" && e.Parameter == c.param || c.pointer != "" && e.Pointer == c.pointer
				}
				if !found {
					t.Errorf("%s: errors %+v do not name %q%q", c.name, p.Errors, c.param, c.pointer)
				}
			}
			// Nothing of the refused writes landed.
			if r := a.send("GET", svcPath, "", ""); r.status != 404 {
				t.Errorf("a refused write created %s: %d", svcPath, r.status)
			}
			// The same filter with few parameters filters; the one with
			// many is not silently unfiltered.
			if r := a.send("GET", "/services?organization_id="+orgFoodBank+"&per_page=1", "", ""); r.status != 200 {
				t.Errorf("a plain filter: %d %s", r.status, r.body)
			}
		})
	}
}

// TestHostile_JSONLimit: a JSON body over LINKAGE_MAX_JSON_BYTES is a 413
// naming the setting, though it is under the upload limit.
func TestHostile_JSONLimit(t *testing.T) {
	st := storetest.Open(t, storetest.Dialects[0])
	e := serveEnv(t, st, indexsynctest.Ready(t, st, indexsync.Options{}), 4<<20, func(d *httpapi.Deps) { d.MaxJSONBytes = 64 << 10 })
	body := `{"q":"` + strings.Repeat("x", 100<<10) + `"}`
	for _, chunked := range []bool{false, true} {
		var rd io.Reader = strings.NewReader(body)
		if chunked {
			rd = io.MultiReader(rd) // no Content-Length: the limit is counted
		}
		r := e.do("POST", "/search", rd, "Content-Type", "application/json")
		var p problem
		r.json(t, &p)
		if r.status != 413 || !strings.Contains(p.Detail, "LINKAGE_MAX_JSON_BYTES") {
			t.Errorf("a 100 KB JSON body (chunked %v): %d %s", chunked, r.status, r.body)
		}
	}
}

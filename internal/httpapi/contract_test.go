package httpapi_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/linkage-org/linkage/internal/store"
)

// uuidFormat is what the server takes as an id: 36 characters of hex
// digits and dashes, any version.
var uuidFormat = openapi3.NewRegexpFormatValidator(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// contractCheck validates a request against openapi.yaml alone, as a
// validating proxy would: kin-openapi's ValidateRequest (with ids checked as
// UUIDs), plus the rule the document states for every operation, which
// OpenAPI 3.0 has no keyword for: a query parameter the operation does not
// list, or one that is not a list given twice, is refused.
func contractCheck(t *testing.T, method, target, contentType, body string) error {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, "http://linkage.test"+target, rd)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	route, params, err := contractRouter(t).FindRoute(req)
	if err != nil {
		t.Fatalf("%s %s: no operation in openapi.yaml: %v", method, target, err)
	}
	if err := undeclaredQuery(route, req.URL.Query()); err != nil {
		return err
	}
	if err := undeclaredFormFields(route, contentType, body); err != nil {
		return err
	}
	return openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
			SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.WithStringFormatValidator("uuid", uuidFormat)}},
	})
}

func undeclaredQuery(route *routers.Route, q url.Values) error {
	list := map[string]bool{} // name → may repeat
	for _, ps := range []openapi3.Parameters{route.PathItem.Parameters, route.Operation.Parameters} {
		for _, p := range ps {
			if p.Value.In == openapi3.ParameterInQuery {
				list[p.Value.Name] = p.Value.Schema.Value.Type.Is(openapi3.TypeArray) && (p.Value.Explode == nil || *p.Value.Explode)
			}
		}
	}
	if rb := route.Operation.RequestBody; rb != nil {
		for _, ct := range []string{"multipart/form-data", "application/x-www-form-urlencoded"} {
			if mt := rb.Value.Content.Get(ct); mt != nil {
				for name := range mt.Schema.Value.Properties {
					list[name] = list[name] || false
				}
			}
		}
	}
	var bad []string
	for k, v := range q {
		if repeats, ok := list[k]; !ok || (len(v) > 1 && !repeats) {
			bad = append(bad, k)
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return errors.New("query parameters the operation does not take, or repeated: " + strings.Join(bad, ", "))
	}
	return nil
}

// undeclaredFormFields refuses a form field a form schema with
// additionalProperties: false does not name. (kin-openapi's form decoder
// keeps only the fields the schema names, so its validation never sees the
// others; a proxy that validates the whole form does.)
func undeclaredFormFields(route *routers.Route, contentType, body string) error {
	rb := route.Operation.RequestBody
	if rb == nil || contentType != "application/x-www-form-urlencoded" {
		return nil
	}
	mt := rb.Value.Content.Get(contentType)
	if mt == nil {
		return nil
	}
	sc := mt.Schema.Value
	if sc.AdditionalProperties.Has == nil || *sc.AdditionalProperties.Has {
		return nil
	}
	form, err := url.ParseQuery(body)
	if err != nil {
		return err
	}
	for k := range form {
		if sc.Properties[k] == nil {
			return errors.New("form field not in the schema: " + k)
		}
	}
	return nil
}

// TestContract_RefusesWhatTheServerRefuses sends each bad request over
// HTTP to the server and checks its 400, and checks that the contract alone
// refuses it too, so that a client validating against openapi.yaml (or a
// proxy such as Prism) finds the mistake before the server does. Good
// requests go the other way: the server answers and the contract accepts.
func TestContract_RefusesWhatTheServerRefuses(t *testing.T) {
	r := newReferrals(t, store.SQLite)
	const (
		jsonCT = "application/json"
		formCT = "application/x-www-form-urlencoded"
		id     = "/" + svcPantry
		hook   = "/00000000-0000-4000-8000-000000000001"
	)
	uuids := make([]string, 21)
	for i := range uuids {
		uuids[i] = "0bc248fa-dc27-4650-9ba4-8f1a24ef16a2"
	}
	long := strings.Repeat("a", 501)
	type req struct {
		key                      string
		method, target, ct, body string
	}
	get := func(target string) req { return req{method: "GET", target: target} }
	as := func(key string, x req) req { x.key = key; return x }
	post := func(target, ct, body string) req { return req{method: "POST", target: target, ct: ct, body: body} }

	bad := []req{
		// /search: every parameter typed, bounded and listed.
		get("/search?bogus=1"),
		get("/search?lat=999&lon=0"),
		get("/search?lat=25.77&lon=-80.19&radius_km=600"),
		get("/search?lat=25.77&lon=-80.19&radius_km=0"),
		get("/search?lon=-181&lat=0"),
		get("/search?q=" + long),
		get("/search?cost=cheap"),
		get("/search?sort=random"),
		get("/search?age=131"),
		get("/search?age=old"),
		get("/search?status=open"),
		get("/search?language=spanish"),
		get("/search?taxonomy_term_id=42"),
		get("/search?taxonomy_term_id=" + strings.Join(uuids, ",")),
		get("/search?taxonomy_code=B*D"),
		get("/search?open_now=maybe"),
		get("/search?open_at=tomorrow"),
		get("/search?verified_within=0d"),
		get("/search?verified_within=4000d"),
		get("/search?attending_type=teleport"),
		get("/search?serves=100,0"),
		get("/search?serves=somewhere"),
		get("/search?page=0"),
		get("/search?page=1000001"),
		get("/search?per_page=1001"),
		get("/search?postcode=33101&proximity=0"),
		get("/search?postcode=33101&proximity=500001"),
		get("/search?postcode=" + strings.Repeat("9", 17)),
		get("/search?facets=perhaps"),
		get("/search?organization_id=42"),
		get("/search?q=food&q=bank"),
		post("/search", jsonCT, `{"bogus":1}`),
		post("/search", jsonCT, `{"lat":999,"lon":0}`),
		post("/search", jsonCT, `{"lat":25.77,"lon":-80.19,"radius_km":600}`),
		post("/search", jsonCT, `{"q":"`+long+`"}`),
		post("/search", jsonCT, `{"sort":"random"}`),
		post("/search", jsonCT, `{"language":"es,spanish"}`),
		post("/search", jsonCT, `{"client":{"shoe_size":9}}`),
		post("/search", formCT, "bogus=1"),
		post("/search", formCT, "lat=999&lon=0"),
		post("/search", formCT, "radius_km=600&lat=1&lon=1"),
		post("/search?bogus=1", formCT, "q=food"),

		// HSDS lists and items.
		get("/services?bogus=1"),
		get("/services?per_page=1001"),
		get("/services?page=1000001"),
		get("/services?format=xml"),
		get("/services?minimal=maybe"),
		get("/services?modified_after=yesterday"),
		get("/services?organization_id=42"),
		get("/services?search=" + long),
		get("/services?postcode=33101&proximity=-5"),
		get("/services?page=1&page=2"),
		post("/services", jsonCT, `{"bogus":1}`),
		post("/services", jsonCT, `{"per_page":1001}`),
		post("/services", formCT, "bogus=1"),
		get("/organizations?full_services=true"),
		get("/service_at_locations?search=" + long),
		get("/taxonomies?search=" + long),
		get("/taxonomy_terms?top_only=maybe"),
		get("/taxonomy_terms?parent_id=42"),
		get("/services" + id + "?bogus=1"),
		get("/organizations/" + orgFoodBank + "?full_services=true"),
		get("/locations" + id + "?full=true"),
		get("/?bogus=1"),
		get("/openapi.json?v=2"),
		get("/healthz?bogus=1"),
		get("/readyz?bogus=1"),
		get("/metrics?bogus=1"),
		get("/export?format=xml"),
		get("/export?bogus=1"),

		// Keyed routes (each with a key that may call it).
		as(r.admin, get("/agencies?search=food")),
		as(r.admin, get("/agencies?format=ndjson")),
		as(r.admin, get("/agencies/"+r.agencyA+"?bogus=1")),
		as(r.admin, get("/audit?from=yesterday")),
		as(r.admin, get("/audit?agency_id=42")),
		as(r.admin, get("/reports/stale?older_than=0")),
		as(r.admin, get("/reports/stale?format=xml")),
		as(r.admin, get("/me?bogus=1")),
		as(r.caseworker, get("/cases?status=pending")),
		as(r.caseworker, get("/cases?need=money")),
		as(r.caseworker, get("/cases?need_status=done")),
		as(r.caseworker, get("/cases?from=soon")),
		as(r.caseworker, get("/cases?search="+strings.Repeat("maria+", 40))),
		as(r.caseworker, get("/cases?birth_date=1992-3-14")),
		as(r.caseworker, get("/cases?format=json")),
		as(r.caseworker, get("/referrals?direction=sideways")),
		as(r.caseworker, get("/referrals?status=sent,lost")),
		as(r.caseworker, get("/referrals?case_id=12")),
		as(r.caseworker, get("/referrals?need=money")),
		as(r.caseworker, get("/followups?assignee=boss")),
		as(r.caseworker, get("/followups?overdue=maybe")),
		as(r.caseworker, get("/followups?due_before=later")),
		as(r.caseworker, get("/reports/referrals?group_by=city")),
		as(r.caseworker, get("/reports/referrals?format=xml")),
		as(r.caseworker, get("/reports/referrals?to=never")),
		as(r.keyA, get("/webhooks/"+hook[1:]+"/deliveries?state=lost")),
		as(r.admin, req{method: "DELETE", target: "/agencies/" + r.agencyA + "/keys/42"}),
		as(r.keyA, req{method: "PUT", target: "/services" + id + "/capacities/42", ct: jsonCT, body: `{"available":1,"unit":{"name":"bed"}}`}),
		as(r.keyA, get("/webhooks?page=0")),
	}
	for _, x := range bad {
		t.Run(x.method+" "+clipName(x.target)+" "+clipName(x.body), func(t *testing.T) {
			res := r.send(x.method, x.target, x.body, x.key, contentType(x.ct)...)
			if res.status != http.StatusBadRequest {
				t.Errorf("server: %d, want 400: %.300s", res.status, res.body)
			}
			if err := contractCheck(t, x.method, x.target, x.ct, x.body); err == nil {
				t.Errorf("the contract accepts what the server refuses (%.200s)", res.body)
			}
		})
	}

	good := []req{
		get("/search?q=food&language=es,ht&lat=25.77&lon=-80.19&radius_km=10&sort=distance&open_now=1&status=active,temporarily%20closed&verified_within=180d&facets=false"),
		get("/search?serves=25.77,-80.19&taxonomy_code=BD*&cost=free&age=34.5&attending_type=in_person&page=2&per_page=5&full=true"),
		get("/search?postcode=33101&proximity=5000&wheelchair=false&has_capacity=false&open_at=2026-12-05T10:00:00-05:00"),
		post("/search", jsonCT, `{"q":"food","lat":25.77,"lon":-80.19,"page":1,"facets":false,"language":"es"}`),
		post("/search", formCT, "q=food&lat=25.77&lon=-80.19&per_page=3"),
		get("/services?modified_after=2024-01-02T03:04:05Z&per_page=5&minimal=true"),
		get("/services?search=food&postcode=33101&proximity=8000"),
		post("/services", jsonCT, `{"page":1,"per_page":5}`),
		get("/organizations/" + orgFoodBank + "?full_service=true"),
		get("/taxonomy_terms?top_only=true"),
		as(r.caseworker, get("/cases?status=open&need=food&from=2026-01-01&to=2026-12-31T00:00:00Z")),
		as(r.caseworker, get("/referrals?status=sent,accepted&direction=sent")),
		as(r.caseworker, get("/followups?assignee=me&overdue=false")),
		as(r.caseworker, get("/reports/referrals?group_by=need&from=2026-01-01")),
		as(r.admin, get("/audit?per_page=5&from=2026-01-01T00:00:00Z")),
		as(r.admin, get("/reports/stale?older_than=90d")),
	}
	for _, x := range good {
		t.Run("good "+x.method+" "+clipName(x.target)+" "+clipName(x.body), func(t *testing.T) {
			res := r.send(x.method, x.target, x.body, x.key, contentType(x.ct)...)
			if res.status != http.StatusOK {
				t.Errorf("server: %d, want 200: %.300s", res.status, res.body)
			}
			if err := contractCheck(t, x.method, x.target, x.ct, x.body); err != nil {
				t.Errorf("the contract refuses what the server takes: %v", err)
			}
		})
	}
}

func contentType(ct string) []string {
	if ct == "" {
		return nil
	}
	return []string{"Content-Type", ct}
}

func clipName(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

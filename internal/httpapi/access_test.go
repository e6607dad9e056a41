package httpapi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/httpapi"
	"github.com/linkage-org/linkage/internal/indexsync"
	"github.com/linkage-org/linkage/internal/indexsync/indexsynctest"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// Demo organizations used by the access tests.
const (
	orgFoodBank = "2668a8c7-583f-5548-aa78-98c6a7f84363" // Greater Palmetto Food Bank
	orgKitchen  = "eb87cf6e-7ebf-5bf5-9a08-e18ba9737f92" // Bayside Community Kitchen
	orgCrisis   = "57c45521-b50f-5c62-ac28-0392b1fb1d0f" // Palmetto Crisis Center
)

// access is an env with two agencies and a key of each role.
type access struct {
	*env
	agencyA, agencyB                      string // A manages the food bank and kitchen, B the crisis center
	admin, keyA, keyB, caseworker, portal string
}

func newAccess(t *testing.T, dialect string) *access {
	t.Helper()
	return newAccessOn(t, newRunningEnv(t, dialect))
}

func newAccessOn(t *testing.T, e *env) *access {
	t.Helper()
	a := &access{env: e}
	ags, keys := storetest.Access{
		Agencies: []store.AgencyChange{storetest.NewAgency("Food Network", orgFoodBank, orgKitchen), storetest.NewAgency("Crisis Services", orgCrisis)},
		Keys: []store.KeySpec{storetest.NewKey(-1, auth.Admin, "admin key"), storetest.NewKey(0, auth.Agency, "agency key"),
			storetest.NewKey(1, auth.Agency, "agency key"), storetest.NewKey(1, auth.Caseworker, "caseworker key"),
			storetest.NewKey(1, auth.Portal, "portal key")},
	}.SetUp(t, a.store)
	a.agencyA, a.agencyB = ags[0], ags[1]
	a.admin, a.keyA, a.keyB, a.caseworker, a.portal = keys[0], keys[1], keys[2], keys[3], keys[4]
	return a
}

func bearer(key string) []string { return []string{"Authorization", "Bearer " + key} }

func (a *access) send(method, path, body, key string, hdr ...string) response {
	a.t.Helper()
	h := append([]string{}, hdr...)
	if key != "" {
		h = append(h, bearer(key)...)
	}
	if body != "" {
		if !slices.Contains(hdr, "Content-Type") {
			h = append(h, "Content-Type", "application/json")
		}
		return a.do(method, path, strings.NewReader(body), h...)
	}
	return a.do(method, path, nil, h...)
}

func TestAccess_Keys(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			a := newAccess(t, d)

			// Who am I, for each kind of caller.
			r := a.send("GET", "/me", "", "")
			if r.status != 401 || r.header.Get("WWW-Authenticate") == "" {
				t.Fatalf("GET /me without a key: %d %s", r.status, r.body)
			}
			for _, bad := range []string{"Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer lnk_00000000_" + strings.Repeat("A", 43)} {
				if r := a.do("GET", "/me", nil, "Authorization", bad); r.status != 401 {
					t.Errorf("GET /me with %q: %d, want 401", bad, r.status)
				}
			}
			// A bad key is refused even on a public route: never a silent
			// downgrade to anonymous.
			if r := a.do("GET", "/services", nil, "Authorization", "Bearer lnk_00000000_"+strings.Repeat("A", 43)); r.status != 401 {
				t.Errorf("GET /services with an unknown key: %d, want 401", r.status)
			}
			var me struct {
				Role   string
				Agency *struct{ ID, Name string }
				Orgs   []string `json:"organization_ids"`
			}
			a.send("GET", "/me", "", a.admin).json(t, &me)
			if me.Role != "admin" || me.Agency != nil {
				t.Errorf("admin /me: %+v", me)
			}
			r = a.send("GET", "/me", "", a.keyA)
			r.json(t, &me)
			if r.status != 200 || me.Role != "agency" || me.Agency == nil || me.Agency.ID != a.agencyA || len(me.Orgs) != 2 {
				t.Errorf("agency /me: %d %s", r.status, r.body)
			}
			if cc := r.header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("/me Cache-Control %q, want no-store", cc)
			}

			// Admin routes refuse every other role, and the public.
			for _, key := range []string{a.keyA, a.caseworker, a.portal} {
				for _, rt := range []struct{ method, path, body string }{
					{"GET", "/agencies", ""}, {"POST", "/agencies", `{"name":"X"}`},
					{"GET", "/agencies/" + a.agencyA + "/keys", ""}, {"POST", "/agencies/" + a.agencyA + "/keys", `{"role":"portal","name":"x"}`},
					{"PATCH", "/agencies/" + a.agencyA, `{"name":"Y"}`}, {"GET", "/audit", ""},
				} {
					if r := a.send(rt.method, rt.path, rt.body, key); r.status != 403 {
						t.Errorf("%s %s as a non-admin: %d, want 403", rt.method, rt.path, r.status)
					}
					if r := a.send(rt.method, rt.path, rt.body, ""); r.status != 401 {
						t.Errorf("%s %s without a key: %d, want 401", rt.method, rt.path, r.status)
					}
				}
			}
			// An agency sees itself, not another agency.
			if r := a.send("GET", "/agencies/"+a.agencyA, "", a.keyA); r.status != 200 {
				t.Errorf("own agency: %d", r.status)
			}
			if r := a.send("GET", "/agencies/"+a.agencyB, "", a.keyA); r.status != 404 {
				t.Errorf("another agency: %d, want 404", r.status)
			}

			// Agencies: create, conflicts, validation, list, rename.
			r = a.send("POST", "/agencies", `{"name":"Family Navigators"}`, a.admin)
			var ag struct {
				ID   string
				Name string
				Orgs []string `json:"organization_ids"`
			}
			r.json(t, &ag)
			if r.status != 201 || ag.ID == "" || len(ag.Orgs) != 0 || r.header.Get("Location") != "/agencies/"+ag.ID {
				t.Fatalf("create agency: %d %s", r.status, r.body)
			}
			if r := a.send("POST", "/agencies", `{"name":"Grab","organization_ids":["`+orgCrisis+`"]}`, a.admin); r.status != 409 {
				t.Errorf("agency taking another's organization: %d %s, want 409", r.status, r.body)
			}
			r = a.send("POST", "/agencies", `{"name":" ","organization_ids":["nope","`+storetest.ID("none")+`"]}`, a.admin)
			if r.status != 422 || !strings.Contains(string(r.body), "/name") || !strings.Contains(string(r.body), "/organization_ids/0") {
				t.Errorf("invalid agency: %d %s", r.status, r.body)
			}
			if r := a.send("POST", "/agencies", `{"name":"A","color":"red"}`, a.admin); r.status != 400 || !strings.Contains(string(r.body), "color") {
				t.Errorf("unknown field: %d %s", r.status, r.body)
			}
			if r := a.send("POST", "/agencies", `{"name":`, a.admin); r.status != 400 {
				t.Errorf("malformed JSON: %d %s", r.status, r.body)
			}
			if r := a.do("POST", "/agencies", strings.NewReader(`name=x`), append(bearer(a.admin), "Content-Type", "application/x-www-form-urlencoded")...); r.status != 415 {
				t.Errorf("form body: %d %s, want 415", r.status, r.body)
			}
			r = a.send("PATCH", "/agencies/"+ag.ID, `{"name":"Family Navigators of Palmetto","organization_ids":["`+storetest.ID("missing")+`"]}`, a.admin)
			if r.status != 422 {
				t.Errorf("patch with an unknown organization: %d %s", r.status, r.body)
			}
			r = a.send("PATCH", "/agencies/"+ag.ID, `{"name":"Family Navigators of Palmetto"}`, a.admin)
			r.json(t, &ag)
			if r.status != 200 || ag.Name != "Family Navigators of Palmetto" {
				t.Errorf("rename: %d %s", r.status, r.body)
			}
			var page struct {
				Total    int `json:"total_items"`
				Contents []struct{ ID string }
			}
			a.send("GET", "/agencies", "", a.admin).json(t, &page)
			if page.Total != 3 {
				t.Errorf("agencies: %d, want 3", page.Total)
			}

			// Keys: created once with the secret, listed without it, revoked.
			r = a.send("POST", "/agencies/"+ag.ID+"/keys", `{"role":"caseworker","name":"Dana's laptop"}`, a.admin)
			var created struct {
				ID, Key, Prefix, Role string
			}
			r.json(t, &created)
			if r.status != 201 || !strings.HasPrefix(created.Key, created.Prefix+"_") || created.Role != "caseworker" {
				t.Fatalf("create key: %d %s", r.status, r.body)
			}
			if r := a.send("POST", "/agencies/"+ag.ID+"/keys", `{"role":"admin","name":"x"}`, a.admin); r.status != 400 || !strings.Contains(string(r.body), "/role") {
				t.Errorf("admin key for an agency: %d %s, want 400 naming /role", r.status, r.body)
			}
			if r := a.send("POST", "/agencies/"+storetest.ID("nobody")+"/keys", `{"role":"portal","name":"x"}`, a.admin); r.status != 404 {
				t.Errorf("key for no agency: %d, want 404", r.status)
			}
			a.send("GET", "/me", "", created.Key).json(t, &me)
			if me.Role != "caseworker" || me.Agency == nil || me.Agency.ID != ag.ID {
				t.Errorf("new key /me: %+v", me)
			}
			r = a.send("GET", "/agencies/"+ag.ID+"/keys", "", a.admin)
			if r.status != 200 || strings.Contains(string(r.body), created.Key) || strings.Contains(string(r.body), "hash") {
				t.Errorf("key list shows a secret: %s", r.body)
			}
			if !strings.Contains(string(r.body), `"last_used_at":"`) {
				t.Errorf("a used key has no last_used_at: %s", r.body)
			}
			if r := a.send("DELETE", "/agencies/"+a.agencyA+"/keys/"+created.ID, "", a.admin); r.status != 404 {
				t.Errorf("revoke through another agency: %d, want 404", r.status)
			}
			// A caller's X-Request-Id is not the request's id: the audit
			// line carries the server's, the one the answer names.
			revoke := a.send("DELETE", "/agencies/"+ag.ID+"/keys/"+created.ID, "", a.admin, "X-Request-Id", "client-chosen-id")
			if revoke.status != 200 || !strings.Contains(string(revoke.body), `"revoked_at":"`) {
				t.Errorf("revoke: %d %s", revoke.status, revoke.body)
			}
			r = a.send("GET", "/me", "", created.Key)
			if r.status != 401 || !strings.Contains(string(r.body), "revoked") {
				t.Errorf("revoked key: %d %s", r.status, r.body)
			}

			// The audit log has each admin action, with no secret in it.
			r = a.send("GET", "/audit?resource_type=api_key", "", a.admin)
			var audit struct {
				Total    int `json:"total_items"`
				Contents []struct {
					Action, Role string
					ResourceID   string `json:"resource_id"`
					RequestID    string `json:"request_id"`
					ClientAddr   string `json:"client_addr"`
				}
			}
			r.json(t, &audit)
			if r.status != 200 || audit.Total != 2 || audit.Contents[0].Action != "revoke" || audit.Contents[1].Action != "create" ||
				audit.Contents[0].ClientAddr == "" || audit.Contents[0].RequestID != revoke.header.Get("X-Request-Id") ||
				audit.Contents[0].RequestID == "client-chosen-id" || audit.Contents[0].ResourceID != created.ID ||
				strings.Contains(string(r.body), created.Key) {
				t.Errorf("audit of keys: %d %s", r.status, r.body)
			}
			a.send("GET", "/audit", "", a.admin).json(t, &audit)
			// The agency created, renamed (the refused change left nothing),
			// the key created and revoked.
			if audit.Total != 4 {
				t.Errorf("audit: %d entries, want 4: %+v", audit.Total, audit.Contents)
			}
			if r := a.send("GET", "/audit?from=yesterday", "", a.admin); r.status != 400 {
				t.Errorf("bad from: %d", r.status)
			}
		})
	}
}

// Anonymous callers are limited per address, keys per key; past the
// limit a client gets 429 and Retry-After.
func TestAccess_RateLimits(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	e, err := httpapi.New(httpapi.Deps{Store: st, Index: indexsynctest.Ready(t, st, indexsync.Options{}), Logger: storetest.Logger(),
		RateLimits: httpapi.RateLimits{Anonymous: 0.5, Key: 0.5, Portal: 100}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	_, keys := storetest.Access{Agencies: []store.AgencyChange{storetest.NewAgency("A")},
		Keys: []store.KeySpec{storetest.NewKey(0, auth.Portal, "portal"), storetest.NewKey(0, auth.Agency, "agency")}}.SetUp(t, st)
	portal, agency := keys[0], keys[1]
	get := func(key string) *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+"/taxonomies", nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	// 0.5 a second: a burst of one, the next after two seconds.
	if r := get(""); r.StatusCode != 200 {
		t.Fatalf("first anonymous request: %d", r.StatusCode)
	}
	r := get("")
	if r.StatusCode != 429 || r.Header.Get("Retry-After") != "2" {
		t.Fatalf("second anonymous request: %d, Retry-After %q", r.StatusCode, r.Header.Get("Retry-After"))
	}
	// Keys have buckets of their own; a portal's limit is higher.
	if r := get(agency); r.StatusCode != 200 {
		t.Fatalf("agency key: %d", r.StatusCode)
	}
	if r := get(agency); r.StatusCode != 429 {
		t.Fatalf("agency key, second: %d", r.StatusCode)
	}
	for i := range 20 {
		if r := get(portal); r.StatusCode != 200 {
			t.Fatalf("portal request %d: %d", i, r.StatusCode)
		}
	}
	if got := fmt.Sprint(get("").StatusCode); got != "429" {
		t.Fatalf("anonymous again: %s", got)
	}
	// Guessing keys spends the address's anonymous allowance: a bad key
	// from an address past its limit is a 429, not one more lookup's 401.
	if got := get("lnk_00000000_" + strings.Repeat("A", 43)).StatusCode; got != 429 {
		t.Fatalf("an unknown key past the address's limit: %d", got)
	}
}

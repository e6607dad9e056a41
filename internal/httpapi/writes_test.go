package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// firstService is a demo service of organization org.
func firstService(t *testing.T, st *store.Store, org string) string {
	t.Helper()
	svcs, _, err := st.ListServices(context.Background(), store.Filter{OrganizationID: org}, store.Paging{Number: 1, Size: 1}, store.ShapeList)
	if err != nil || len(svcs) == 0 {
		t.Fatalf("no service of %s: %v", org, err)
	}
	return svcs[0].ID
}

// getRecord reads a record and its ETag.
func (a *access) getRecord(path string, v any) string {
	a.t.Helper()
	r := a.send("GET", path, "", "")
	if r.status != 200 {
		a.t.Fatalf("GET %s: %d %s", path, r.status, r.body)
	}
	if v != nil {
		r.json(a.t, v)
	}
	return r.header.Get("ETag")
}

func (a *access) write(method, path, body, key, ifMatch string, hdr ...string) response {
	a.t.Helper()
	if ifMatch != "" {
		hdr = append(hdr, "If-Match", ifMatch)
	}
	return a.send(method, path, body, key, hdr...)
}

func TestWrites_Services(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			a := newAccess(t, d)
			id := firstService(t, a.store, orgFoodBank)
			path := "/services/" + id
			var svc hsds.Service
			etag := a.getRecord(path, &svc)
			// A search shows the service first, so its page is cached.
			type page struct {
				Contents []struct {
					Service struct{ ID, Name, Description string } `json:"service"`
				} `json:"contents"`
			}
			var before page
			a.send("GET", "/search?q="+url.QueryEscape(svc.Name)+"&organization_id="+orgFoodBank, "", "").json(t, &before)
			if len(before.Contents) == 0 || before.Contents[0].Service.Name != svc.Name {
				t.Fatalf("search for %q before the write: %+v", svc.Name, before.Contents)
			}

			// Who may write: the owning agency and admins.
			svc.Name = "Zanzibar Pantry Express"
			body, _ := json.Marshal(svc)
			for _, c := range []struct {
				key  string
				want int
			}{{"", 401}, {a.caseworker, 403}, {a.portal, 403}, {a.keyB, 403}} {
				if r := a.write("PUT", path, string(body), c.key, etag); r.status != c.want {
					t.Errorf("PUT as %q: %d, want %d: %s", c.key, r.status, c.want, r.body)
				}
			}
			// Preconditions.
			if r := a.write("PUT", path, string(body), a.keyA, ""); r.status != 428 {
				t.Errorf("PUT without If-Match: %d, want 428", r.status)
			}
			if r := a.write("PUT", path, string(body), a.keyA, `"stale"`); r.status != 412 {
				t.Errorf("PUT with a stale ETag: %d, want 412", r.status)
			}
			r := a.write("PUT", path, string(body), a.keyA, etag)
			if r.status != 200 || r.header.Get("ETag") == "" || r.header.Get("ETag") == etag {
				t.Fatalf("PUT by the owner: %d %s", r.status, r.body)
			}
			etag2 := r.header.Get("ETag")
			if got := a.getRecord(path, &svc); got != etag2 || svc.Name != "Zanzibar Pantry Express" {
				t.Errorf("after PUT: GET ETag %s (PUT said %s), name %q", got, etag2, svc.Name)
			}
			// Read-your-writes: search has it when the answer arrives, and
			// the page shows what was written, not what the page cache held.
			var found page
			a.send("GET", "/search?q="+url.QueryEscape("Zanzibar"), "", "").json(t, &found)
			if len(found.Contents) == 0 || found.Contents[0].Service.ID != id || found.Contents[0].Service.Name != "Zanzibar Pantry Express" {
				t.Errorf("search right after the write: %+v", found.Contents)
			}

			// History: one row per changed field, naming the agency.
			var hist struct {
				Contents []hsds.Metadata `json:"contents"`
			}
			a.send("GET", path+"/history", "", "").json(t, &hist)
			if len(hist.Contents) == 0 || hist.Contents[0].FieldName != "name" || hist.Contents[0].ReplacementValue != "Zanzibar Pantry Express" ||
				hist.Contents[0].PreviousValue == "" || !strings.Contains(hist.Contents[0].UpdatedBy, a.agencyA) {
				t.Errorf("history: %+v", hist.Contents)
			}

			// PATCH: a merge patch; a patch that removes a required field is
			// a 422 naming it, and changes nothing.
			r = a.write("PATCH", path, `{"description":"Groceries on Tuesdays."}`, a.keyA, etag2, "Content-Type", "application/merge-patch+json")
			if r.status != 200 || !strings.Contains(string(r.body), "Groceries on Tuesdays.") {
				t.Fatalf("PATCH: %d %s", r.status, r.body)
			}
			etag3 := r.header.Get("ETag")
			a.send("GET", "/search?q="+url.QueryEscape("Zanzibar"), "", "").json(t, &found)
			if len(found.Contents) == 0 || found.Contents[0].Service.Description != "Groceries on Tuesdays." {
				t.Errorf("search right after the PATCH: %+v", found.Contents)
			}
			r = a.write("PATCH", path, `{"name":null,"email":"not an email","organization_id":"`+storetest.ID("nowhere")+`"}`, a.admin, etag3)
			if r.status != 422 || !strings.Contains(string(r.body), `"/name"`) || !strings.Contains(string(r.body), `"/email"`) {
				t.Errorf("invalid PATCH: %d %s", r.status, r.body)
			}
			if got := a.getRecord(path, nil); got != etag3 {
				t.Error("a refused PATCH changed the service")
			}
			// Bad input: unknown field, wrong type, malformed, wrong media type.
			for _, c := range []struct{ body, ctype string }{
				{`{"colour":"red"}`, "application/json"}, {`{"name":5}`, "application/json"},
				{`{"name":`, "application/json"}, {`name=x`, "text/plain"},
			} {
				r := a.write("PATCH", path, c.body, a.keyA, etag3, "Content-Type", c.ctype)
				want := 400
				if c.ctype == "text/plain" {
					want = 415
				}
				if r.status != want {
					t.Errorf("PATCH %s as %s: %d, want %d: %s", c.body, c.ctype, r.status, want, r.body)
				}
			}

			// Two edits from the same version: exactly one wins.
			var wg sync.WaitGroup
			codes := make([]int, 2)
			for i := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					req, _ := http.NewRequest("PATCH", a.srv.URL+path, strings.NewReader(`{"description":"edit `+string(rune('A'+i))+`"}`))
					req.Header.Set("Content-Type", "application/merge-patch+json")
					req.Header.Set("If-Match", etag3)
					req.Header.Set("Authorization", "Bearer "+a.keyA)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					resp.Body.Close()
					codes[i] = resp.StatusCode
				}()
			}
			wg.Wait()
			if !(codes[0] == 200 && codes[1] == 412 || codes[0] == 412 && codes[1] == 200) {
				t.Errorf("concurrent edits: %v, want one 200 and one 412", codes)
			}

			// Ids are UUIDs: anything else is a 400 naming the parameter.
			if r := a.write("PUT", "/services/not-a-uuid", `{"name":"x"}`, a.keyA, ""); r.status != 400 || !strings.Contains(string(r.body), `"id"`) {
				t.Errorf("PUT to a non-UUID id: %d %s", r.status, r.body)
			}
			// Create in one's own organization; not in another's.
			newID := uuid.NewString()
			create := `{"name":"Saturday Produce Market","organization_id":"` + orgKitchen + `","status":"active"}`
			if r := a.write("PUT", "/services/"+newID, create, a.keyA, `"x"`); r.status != 412 {
				t.Errorf("create with If-Match: %d, want 412", r.status)
			}
			r = a.write("PUT", "/services/"+newID, create, a.keyA, "", "If-None-Match", "*")
			if r.status != 201 || r.header.Get("Location") != "/services/"+newID {
				t.Fatalf("create: %d %s", r.status, r.body)
			}
			if r := a.write("PUT", "/services/"+newID, create, a.keyA, "", "If-None-Match", "*"); r.status != 412 {
				t.Errorf("create again with If-None-Match: %d, want 412", r.status)
			}
			other := `{"name":"Intruder","organization_id":"` + orgCrisis + `","status":"active"}`
			if r := a.write("PUT", "/services/"+uuid.NewString(), other, a.keyA, ""); r.status != 403 {
				t.Errorf("create in another agency's organization: %d, want 403", r.status)
			}
			// Moving one's service to another agency's organization is refused.
			var created hsds.Service
			etagNew := a.getRecord("/services/"+newID, &created)
			if r := a.write("PATCH", "/services/"+newID, `{"organization_id":"`+orgCrisis+`"}`, a.keyA, etagNew); r.status != 403 {
				t.Errorf("move to another agency: %d, want 403", r.status)
			}

			// Delete: needs If-Match; then it is gone, from search too.
			if r := a.write("DELETE", "/services/"+newID, "", a.keyB, etagNew); r.status != 403 {
				t.Errorf("DELETE by another agency: %d, want 403", r.status)
			}
			if r := a.write("DELETE", "/services/"+newID, "", a.keyA, ""); r.status != 428 {
				t.Errorf("DELETE without If-Match: %d, want 428", r.status)
			}
			if r := a.write("DELETE", "/services/"+newID, "", a.keyA, etagNew); r.status != 204 {
				t.Fatalf("DELETE: %d %s", r.status, r.body)
			}
			if r := a.send("GET", "/services/"+newID, "", ""); r.status != 404 {
				t.Errorf("deleted service: %d", r.status)
			}
			a.send("GET", "/search?q="+url.QueryEscape("Saturday Produce Market"), "", "").json(t, &found)
			for _, c := range found.Contents {
				if c.Service.ID == newID {
					t.Error("a deleted service is still found")
				}
			}

			// Every write is in the audit log.
			var audit struct {
				Total int `json:"total_items"`
			}
			a.send("GET", "/audit?resource_type=service", "", a.admin).json(t, &audit)
			if audit.Total != 5 { // PUT, PATCH, one of the concurrent PATCHes, create, delete
				t.Errorf("audit of service writes: %d, want 5", audit.Total)
			}
		})
	}
}

// Organizations, locations and service_at_locations: an agency creates an
// organization (and then manages it), a location in it, and offers its
// service there; deleting what others still depend on is a conflict.
func TestWrites_Organizations(t *testing.T) {
	a := newAccess(t, store.Postgres)
	orgID, locID, salID := uuid.NewString(), uuid.NewString(), uuid.NewString()
	r := a.write("PUT", "/organizations/"+orgID, `{"name":"Eastside Mutual Aid","description":"Neighbours helping neighbours.","email":"help@eastside.example.org"}`, a.keyA, "")
	if r.status != 201 {
		t.Fatalf("create organization: %d %s", r.status, r.body)
	}
	var me struct {
		Orgs []string `json:"organization_ids"`
	}
	a.send("GET", "/me", "", a.keyA).json(t, &me)
	if !strings.Contains(strings.Join(me.Orgs, " "), orgID) {
		t.Fatalf("the new organization is not the agency's: %v", me.Orgs)
	}
	if r := a.write("PUT", "/locations/"+locID, `{"name":"Eastside Hall","organization_id":"`+orgID+`","latitude":25.79,"longitude":-80.2,"location_type":"physical"}`, a.keyB, ""); r.status != 403 {
		t.Errorf("another agency's location in it: %d, want 403", r.status)
	}
	if r := a.write("PUT", "/locations/"+locID, `{"name":"Eastside Hall","organization_id":"`+orgID+`","latitude":95,"longitude":-80.2,"location_type":"physical"}`, a.keyA, ""); r.status != 422 {
		t.Errorf("latitude 95: %d, want 422", r.status)
	}
	if r := a.write("PUT", "/locations/"+locID, `{"name":"Eastside Hall","organization_id":"`+orgID+`","latitude":25.79,"longitude":-80.2,"location_type":"physical"}`, a.keyA, ""); r.status != 201 {
		t.Fatalf("create location: %d %s", r.status, r.body)
	}
	svcID := firstService(t, a.store, orgKitchen)
	if r := a.write("PUT", "/service_at_locations/"+salID, `{"service_id":"`+svcID+`","location_id":"`+locID+`"}`, a.keyA, ""); r.status != 201 {
		t.Fatalf("create service_at_location: %d %s", r.status, r.body)
	}
	var svc hsds.Service
	a.getRecord("/services/"+svcID, &svc)
	found := false
	for _, s := range svc.ServiceAtLocations {
		found = found || s.ID == salID && s.LocationID == locID
	}
	if !found {
		t.Fatalf("the service is not offered at the new location: %+v", svc.ServiceAtLocations)
	}
	// The location is in use, the organization has a location: 409s.
	locTag := a.getRecord("/locations/"+locID, nil)
	if r := a.write("DELETE", "/locations/"+locID, "", a.keyA, locTag); r.status != 409 {
		t.Errorf("delete a location in use: %d, want 409", r.status)
	}
	orgTag := a.getRecord("/organizations/"+orgID, nil)
	if r := a.write("DELETE", "/organizations/"+orgID, "", a.keyA, orgTag); r.status != 409 {
		t.Errorf("delete an organization with a location: %d, want 409", r.status)
	}
	// Undo in order: then each delete works.
	salTag := a.getRecord("/service_at_locations/"+salID, nil)
	if r := a.write("DELETE", "/service_at_locations/"+salID, "", a.keyA, salTag); r.status != 204 {
		t.Fatalf("delete service_at_location: %d %s", r.status, r.body)
	}
	locTag = a.getRecord("/locations/"+locID, nil)
	if r := a.write("DELETE", "/locations/"+locID, "", a.keyA, locTag); r.status != 204 {
		t.Fatalf("delete location: %d %s", r.status, r.body)
	}
	orgTag = a.getRecord("/organizations/"+orgID, nil)
	if r := a.write("DELETE", "/organizations/"+orgID, "", a.keyA, orgTag); r.status != 204 {
		t.Fatalf("delete organization: %d %s", r.status, r.body)
	}
	var hist struct {
		Contents []hsds.Metadata `json:"contents"`
	}
	a.send("GET", "/organizations/"+orgID+"/history", "", "").json(t, &hist)
	if len(hist.Contents) != 2 || hist.Contents[0].LastActionType != "delete" || hist.Contents[1].LastActionType != "create" {
		t.Errorf("organization history: %+v", hist.Contents)
	}
}

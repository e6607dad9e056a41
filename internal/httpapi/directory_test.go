package httpapi_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/hsdstest"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

type pageOf[T any] struct {
	TotalItems int64 `json:"total_items"`
	TotalPages int64 `json:"total_pages"`
	PageNumber int   `json:"page_number"`
	Size       int   `json:"size"`
	FirstPage  bool  `json:"first_page"`
	LastPage   bool  `json:"last_page"`
	Empty      bool  `json:"empty"`
	Contents   []T   `json:"contents"`
}

type idOnly struct {
	ID string `json:"id"`
}

// TestAPI_HSDS walks every HSDS endpoint the way an Open Referral validator
// does (first, middle and last pages, then items by id) and validates every
// body against the HSDS 3.1 schemas and our OpenAPI document.
func TestAPI_HSDS(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			r := e.get("/")
			var meta map[string]string
			r.json(t, &meta)
			if meta["version"] != "3.1" || meta["openapi_url"] != "http://linkage.test/openapi.json" || meta["profile"] == "" {
				t.Fatalf("GET /: %s", r.body)
			}
			lists := []struct {
				path       string
				page, item hsdstest.Schema
				itemPath   string
				min        int64
			}{
				{"/services", hsdstest.ServicePage, hsdstest.Service, "/services/", 250},
				{"/services?full=true", hsdstest.ServiceFullPage, "", "", 250},
				{"/organizations", hsdstest.OrganizationPage, hsdstest.Organization, "/organizations/", 60},
				{"/organizations?full=true", hsdstest.OrganizationFullPage, "", "", 60},
				{"/organizations?full_service=true", hsdstest.OrganizationFullPage, "", "", 60},
				{"/service_at_locations", hsdstest.ServiceAtLocationPage, hsdstest.ServiceAtLocation, "/service_at_locations/", 250},
				{"/service_at_locations?full=true", hsdstest.SALFullPage, "", "", 250},
				{"/taxonomies", hsdstest.TaxonomyPage, hsdstest.Taxonomy, "/taxonomies/", 1},
				{"/taxonomy_terms", hsdstest.TaxonomyTermPage, hsdstest.TaxonomyTerm, "/taxonomy_terms/", 90},
			}
			for _, l := range lists {
				sep := "?"
				if strings.Contains(l.path, "?") {
					sep = "&"
				}
				first := e.get(l.path + sep + "per_page=25")
				if first.status != 200 {
					t.Fatalf("%s: %d %s", l.path, first.status, first.body)
				}
				hsdstest.Check(t, l.page, first.body)
				var p pageOf[idOnly]
				first.json(t, &p)
				if p.TotalItems < l.min {
					t.Fatalf("%s: %d items, want at least %d (demo data)", l.path, p.TotalItems, l.min)
				}
				ids := map[string]bool{}
				for _, pg := range []int64{1, (p.TotalPages + 1) / 2, p.TotalPages} {
					r := e.get(fmt.Sprintf("%s%sper_page=25&page=%d", l.path, sep, pg))
					hsdstest.Check(t, l.page, r.body)
					var q pageOf[idOnly]
					r.json(t, &q)
					if q.PageNumber != int(pg) || q.FirstPage != (pg == 1) || q.LastPage != (pg == p.TotalPages) || q.Empty || q.Size != len(q.Contents) {
						t.Fatalf("%s page %d envelope: %+v", l.path, pg, q)
					}
					for _, c := range q.Contents {
						ids[c.ID] = true
					}
				}
				// The POST variant answers the same as GET.
				post := e.do(http.MethodPost, l.path+sep+"per_page=25", nil)
				if !bytes.Equal(post.body, first.body) {
					t.Fatalf("POST %s differs from GET", l.path)
				}
				if l.itemPath == "" {
					continue
				}
				n := 0
				for id := range ids {
					if n == 8 {
						break
					}
					n++
					r := e.get(l.itemPath + id)
					if r.status != 200 {
						t.Fatalf("%s%s: %d %s", l.itemPath, id, r.status, r.body)
					}
					hsdstest.Check(t, l.item, r.body)
				}
			}
			// Locations by id (our addition) validate as HSDS locations.
			var sal hsds.ServiceAtLocation
			var sals pageOf[hsds.ServiceAtLocation]
			e.get("/service_at_locations?per_page=1").json(t, &sals)
			sal = sals.Contents[0]
			r = e.get("/locations/" + sal.LocationID)
			hsdstest.Check(t, hsdstest.Location, r.body)
			// An organization with full_service nests full services.
			var orgs pageOf[idOnly]
			e.get("/organizations?per_page=1").json(t, &orgs)
			r = e.get("/organizations/" + orgs.Contents[0].ID + "?full_service=true")
			hsdstest.Check(t, hsdstest.Organization, r.body)
			var org hsds.Organization
			r.json(t, &org)
			if len(org.Services) == 0 || len(org.Services[0].ServiceAtLocations) == 0 || len(org.Locations) == 0 {
				t.Fatalf("full_service organization lacks nested services or locations: %s", r.body[:min(400, len(r.body))])
			}
		})
	}
}

// TestAPI_FullService checks one demo service end to end: every nested kind
// the demo data has comes back, with its taxonomy terms.
func TestAPI_FullService(t *testing.T) {
	e := newEnv(t, "sqlite")
	var svc hsds.Service
	e.get("/services/b9ff741e-dc45-5486-aa1f-152e4f65351f").json(t, &svc)
	if svc.Name != "Adult Primary Care" || svc.Organization == nil || len(svc.ServiceAtLocations) != 3 {
		t.Fatalf("service: %s, org %v, %d locations", svc.Name, svc.Organization, len(svc.ServiceAtLocations))
	}
	for _, sal := range svc.ServiceAtLocations {
		if sal.Location == nil || len(sal.Location.Addresses) == 0 || sal.Location.TZ != "America/New_York" || len(sal.Schedules) == 0 {
			t.Fatalf("service_at_location not fully nested: %+v", sal)
		}
	}
	if len(svc.Attributes) == 0 || svc.Attributes[0].TaxonomyTerm == nil || svc.Attributes[0].TaxonomyTerm.Code == "" {
		t.Fatalf("attributes lack their taxonomy terms: %+v", svc.Attributes)
	}
	if len(svc.CostOptions) == 0 || len(svc.Languages) == 0 || len(svc.Metadata) == 0 {
		t.Fatalf("children missing: costs %d languages %d metadata %d", len(svc.CostOptions), len(svc.Languages), len(svc.Metadata))
	}
}

// TestAPI_Pagination walks every page and finds each record exactly once,
// and the same set as the ndjson stream.
func TestAPI_Pagination(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			seen := map[string]int{}
			var total int64
			for pg := 1; ; pg++ {
				var p pageOf[idOnly]
				e.get(fmt.Sprintf("/services?per_page=17&page=%d", pg)).json(t, &p)
				total = p.TotalItems
				for _, c := range p.Contents {
					seen[c.ID]++
				}
				if p.LastPage {
					break
				}
				if pg > 100 {
					t.Fatal("last_page never came")
				}
			}
			for id, n := range seen {
				if n != 1 {
					t.Fatalf("%s appeared %d times", id, n)
				}
			}
			if int64(len(seen)) != total {
				t.Fatalf("pages held %d records, total_items says %d", len(seen), total)
			}
			// Past the last page: 200 with empty contents.
			var past pageOf[idOnly]
			r := e.get("/services?per_page=17&page=999")
			r.json(t, &past)
			if r.status != 200 || !past.Empty || len(past.Contents) != 0 || past.FirstPage || !past.LastPage {
				t.Fatalf("past the end: %d %+v", r.status, past)
			}
			stream := ndjsonIDs(t, e, "/services?format=ndjson")
			if len(stream) != len(seen) {
				t.Fatalf("ndjson streamed %d, pages held %d", len(stream), len(seen))
			}
			for _, id := range stream {
				if seen[id] != 1 {
					t.Fatalf("ndjson has %s, pages do not", id)
				}
			}
		})
	}
}

func ndjsonIDs(t *testing.T, e *env, path string) []string {
	t.Helper()
	r := e.get(path)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/x-ndjson") {
		t.Fatalf("%s: %d %s", path, r.status, r.header.Get("Content-Type"))
	}
	var ids []string
	sc := bufio.NewScanner(bytes.NewReader(r.body))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		hsdstest.Check(t, hsdstest.ServiceListItem, sc.Bytes())
		var v idOnly
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil || v.ID == "" {
			t.Fatalf("ndjson line %q: %v", sc.Text(), err)
		}
		ids = append(ids, v.ID)
	}
	return ids
}

// TestAPI_Filters checks that every filter keeps exactly the records that
// match it, and that filters combine with AND.
func TestAPI_Filters(t *testing.T) {
	e := newEnv(t, "sqlite")
	var terms pageOf[hsds.TaxonomyTerm]
	e.get("/taxonomy_terms?top_only=true&per_page=100").json(t, &terms)
	if len(terms.Contents) < 8 {
		t.Fatalf("top-level terms: %d", len(terms.Contents))
	}
	for _, term := range terms.Contents {
		if term.ParentID != "" {
			t.Fatalf("top_only returned a child term %s", term.Code)
		}
	}
	food := terms.Contents[0]
	for _, tt := range terms.Contents {
		if tt.Code == "BD" {
			food = tt
		}
	}
	var children pageOf[hsds.TaxonomyTerm]
	e.get("/taxonomy_terms?per_page=100&parent_id="+food.ID).json(t, &children)
	childIDs := map[string]bool{}
	for _, c := range children.Contents {
		if c.ParentID != food.ID {
			t.Fatalf("parent_id filter returned %s", c.Code)
		}
		childIDs[c.ID] = true
	}
	if len(childIDs) == 0 {
		t.Fatal("food has no children")
	}
	// A top-level term selects services tagged with any of its children.
	var svcs pageOf[hsds.Service]
	e.get("/services?full=true&per_page=1000&taxonomy_term_id="+food.ID).json(t, &svcs)
	if svcs.TotalItems == 0 {
		t.Fatal("no food services")
	}
	orgs := map[string]int{}
	for _, s := range svcs.Contents {
		ok := false
		for _, a := range s.Attributes {
			ok = ok || childIDs[a.TaxonomyTermID] || a.TaxonomyTermID == food.ID
		}
		if !ok {
			t.Fatalf("%s has no food term", s.Name)
		}
		orgs[s.OrganizationID]++
	}
	// organization_id AND taxonomy_term_id.
	var org string
	for id := range orgs {
		org = id
		break
	}
	var both pageOf[hsds.Service]
	e.get("/services?per_page=1000&organization_id="+org+"&taxonomy_term_id="+food.ID).json(t, &both)
	if int(both.TotalItems) != orgs[org] {
		t.Fatalf("AND of filters: %d, want %d", both.TotalItems, orgs[org])
	}
	var all pageOf[hsds.Service]
	e.get("/services?per_page=1000&organization_id="+org).json(t, &all)
	if all.TotalItems < both.TotalItems {
		t.Fatal("organization filter alone returned fewer than combined")
	}
	// modified_after keeps the services changed on or after the instant.
	var every pageOf[hsds.Service]
	e.get("/services?per_page=1000").json(t, &every)
	times := make([]string, 0, len(every.Contents))
	for _, s := range every.Contents {
		times = append(times, s.LastModified.UTC().Format("2006-01-02T15:04:05.999999999Z07:00"))
	}
	sort.Strings(times)
	cut := times[len(times)/2]
	want := 0
	for _, s := range every.Contents {
		if s.LastModified.UTC().Format("2006-01-02T15:04:05.999999999Z07:00") >= cut {
			want++
		}
	}
	var after pageOf[idOnly]
	e.get("/services?per_page=1000&modified_after="+url.QueryEscape(cut)).json(t, &after)
	if int(after.TotalItems) != want || want == 0 || want == len(times) {
		t.Fatalf("modified_after=%s: %d, want %d of %d", cut, after.TotalItems, want, len(times))
	}
	// service_at_locations filter by organization through their service.
	var sals pageOf[hsds.ServiceAtLocation]
	e.get("/service_at_locations?per_page=1000&organization_id="+org).json(t, &sals)
	for _, s := range sals.Contents {
		if s.Service == nil || s.Service.OrganizationID != org {
			t.Fatalf("service_at_location of another organization: %+v", s.Service)
		}
	}
	// minimal: id, name, status, last_modified only.
	r := e.get("/services?minimal=true&per_page=3")
	hsdstest.Check(t, hsdstest.ServicePage, r.body)
	var raw pageOf[map[string]any]
	r.json(t, &raw)
	for _, c := range raw.Contents {
		if len(c) != 4 || c["last_modified"] == nil {
			t.Fatalf("minimal item: %v", c)
		}
	}
}

// TestAPI_QueryCount proves a full page is built with a bounded number of
// queries: 50 fully nested services cost the same as 5.
func TestAPI_QueryCount(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			count := func(path string) int64 {
				before := e.store.QueryCount()
				r := e.get(path)
				if r.status != 200 {
					t.Fatalf("%s: %d", path, r.status)
				}
				return e.store.QueryCount() - before
			}
			// One query per (table, key) for the whole page: a page of 50
			// costs a few more than a page of 10 only where a child kind is
			// absent from the smaller page; an N+1 would add 40 or more.
			for _, path := range []string{"/services?full=true", "/service_at_locations?full=true", "/organizations?full_service=true"} {
				ten := count(path + "&per_page=10")
				fifty := count(path + "&per_page=50")
				if fifty > 60 || fifty-ten > 4 {
					t.Fatalf("%s: a page of 50 took %d queries, a page of 10 took %d: hydration must not grow per item", path, fifty, ten)
				}
			}
		})
	}
}

// TestAPI_Caching: public reads carry an ETag and answer 304 to it.
func TestAPI_Caching(t *testing.T) {
	e := newEnv(t, "sqlite")
	for _, path := range []string{"/services?per_page=3", "/services/b9ff741e-dc45-5486-aa1f-152e4f65351f", "/taxonomy_terms", "/"} {
		r := e.get(path)
		etag := r.header.Get("ETag")
		if etag == "" || !strings.Contains(r.header.Get("Cache-Control"), "max-age") {
			t.Fatalf("%s: ETag %q Cache-Control %q", path, etag, r.header.Get("Cache-Control"))
		}
		again := e.get(path, "If-None-Match", etag)
		if again.status != http.StatusNotModified || len(again.body) != 0 {
			t.Fatalf("%s with If-None-Match: %d", path, again.status)
		}
		other := e.get(path, "If-None-Match", `"something-else"`)
		if other.status != 200 {
			t.Fatalf("%s with a stale ETag: %d", path, other.status)
		}
	}
}

package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/hsdstest"
	"github.com/linkage-org/linkage/internal/httpapi"
	"github.com/linkage-org/linkage/internal/indexsync"
	"github.com/linkage-org/linkage/internal/indexsync/indexsynctest"
	"github.com/linkage-org/linkage/internal/search"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

type searchItem struct {
	hsds.ServiceAtLocation
	Score      float64           `json:"score"`
	DistanceM  *float64          `json:"distance_m"`
	Highlights map[string]string `json:"highlights"`
}

type facetCount struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

type searchPage struct {
	TotalItems int          `json:"total_items"`
	Size       int          `json:"size"`
	Contents   []searchItem `json:"contents"`
	Facets     *struct {
		Category []facetCount `json:"category"`
		Language []facetCount `json:"language"`
		Cost     []facetCount `json:"cost"`
		OpenNow  struct {
			True  int `json:"true"`
			False int `json:"false"`
		} `json:"open_now"`
	} `json:"facets"`
}

func (e *env) search(t *testing.T, query string) searchPage {
	t.Helper()
	r := e.get("/search?" + query)
	if r.status != 200 {
		t.Fatalf("GET /search?%s: %d %s", query, r.status, r.body)
	}
	var p searchPage
	r.json(t, &p)
	if p.TotalItems < len(p.Contents) || p.Size != len(p.Contents) {
		t.Fatalf("page sizes: %+v", p)
	}
	return p
}

func names(p searchPage) []string {
	var out []string
	for _, it := range p.Contents {
		out = append(out, it.Service.Name)
	}
	return out
}

// codes are the taxonomy codes a (fully nested) service carries.
func codes(s *hsds.Service) []string {
	var out []string
	for _, a := range s.Attributes {
		if a.TaxonomyTerm != nil {
			out = append(out, a.TaxonomyTerm.Code)
		}
	}
	return out
}

func languagesOf(it searchItem) []string {
	var out []string
	add := func(ls []hsds.Language) {
		for _, l := range ls {
			out = append(out, l.Code)
		}
	}
	add(it.Service.Languages)
	for _, p := range it.Service.Phones {
		add(p.Languages)
	}
	if it.Location != nil {
		add(it.Location.Languages)
		for _, p := range it.Location.Phones {
			add(p.Languages)
		}
	}
	return out
}

func TestAPI_Search(t *testing.T) {
	for _, dialect := range storetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			e := newEnv(t, dialect)

			t.Run("words rank names first", func(t *testing.T) {
				p := e.search(t, "q=food+pantry&per_page=3")
				for _, n := range names(p) {
					if !strings.Contains(n, "Food Pantry") {
						t.Errorf("top results %v: %q is not a food pantry", names(p), n)
					}
				}
				if p.Contents[0].Highlights["name"] == "" || !strings.Contains(p.Contents[0].Highlights["name"], "<mark>") {
					t.Errorf("no name highlight: %v", p.Contents[0].Highlights)
				}
				if p.Contents[0].Score < p.Contents[len(p.Contents)-1].Score {
					t.Errorf("not in relevance order: %v", p.Contents)
				}
			})
			t.Run("synonyms", func(t *testing.T) {
				// "food shelf" is in the food bank group; no service is named so.
				p := e.search(t, "q=food+shelf&per_page=3")
				if p.TotalItems == 0 || !strings.Contains(names(p)[0], "Pantry") {
					t.Errorf("food shelf found %v", names(p))
				}
			})
			t.Run("typos", func(t *testing.T) {
				p := e.search(t, "q=shleter&per_page=3")
				for _, n := range names(p) {
					if !strings.Contains(n, "Shelter") {
						t.Errorf("shleter found %v", names(p))
					}
				}
			})
			t.Run("prefix of the last word", func(t *testing.T) {
				p := e.search(t, "q=couns&per_page=3")
				if p.TotalItems == 0 || !strings.Contains(strings.ToLower(strings.Join(names(p), " ")), "counsel") {
					t.Errorf("couns found %v", names(p))
				}
			})
			t.Run("phrases and unbalanced quotes", func(t *testing.T) {
				phrase := e.search(t, "q="+url.QueryEscape(`"eviction defense"`))
				words := e.search(t, "q="+url.QueryEscape(`eviction defense`))
				if phrase.TotalItems == 0 || phrase.TotalItems > words.TotalItems {
					t.Errorf("phrase %d results, words %d", phrase.TotalItems, words.TotalItems)
				}
				e.search(t, "q="+url.QueryEscape(`"legal aid`))
			})
			t.Run("taxonomy branch", func(t *testing.T) {
				p := e.search(t, "taxonomy_code=BD*&full=true&per_page=1000")
				if p.TotalItems < 10 {
					t.Fatalf("BD* found %d", p.TotalItems)
				}
				for _, it := range p.Contents {
					if !slices.ContainsFunc(codes(it.Service), func(c string) bool { return strings.HasPrefix(c, "BD") }) {
						t.Errorf("%s has no BD code: %v", it.Service.Name, codes(it.Service))
					}
				}
				cat := e.search(t, "category=BD&per_page=1")
				if cat.TotalItems != p.TotalItems {
					t.Errorf("category=BD %d, taxonomy_code=BD* %d", cat.TotalItems, p.TotalItems)
				}
			})
			t.Run("language", func(t *testing.T) {
				p := e.search(t, "language=ht&full=true&per_page=1000")
				all := e.search(t, "per_page=1")
				if p.TotalItems == 0 || p.TotalItems >= all.TotalItems {
					t.Fatalf("ht %d of %d", p.TotalItems, all.TotalItems)
				}
				for _, it := range p.Contents {
					if !slices.Contains(languagesOf(it), "ht") {
						t.Errorf("%s offers %v", it.Service.Name, languagesOf(it))
					}
				}
			})
			t.Run("facets count the whole result", func(t *testing.T) {
				p := e.search(t, "q=help&per_page=1")
				for _, f := range p.Facets.Language {
					n := e.search(t, "q=help&per_page=1&facets=false&language="+f.Value).TotalItems
					if n != f.Count {
						t.Errorf("facet language %s says %d, filter finds %d", f.Value, f.Count, n)
					}
				}
				for _, f := range p.Facets.Cost {
					if f.Value == "unknown" {
						continue
					}
					if n := e.search(t, "q=help&per_page=1&facets=false&cost="+f.Value).TotalItems; n != f.Count {
						t.Errorf("facet cost %s says %d, filter finds %d", f.Value, f.Count, n)
					}
				}
				if p.Facets.OpenNow.True+p.Facets.OpenNow.False != p.TotalItems {
					t.Errorf("open-now facet %+v, total %d", p.Facets.OpenNow, p.TotalItems)
				}
			})
			t.Run("radius and distance order", func(t *testing.T) {
				p := e.search(t, "lat=25.7743&lon=-80.1937&radius_km=3&per_page=1000")
				if p.TotalItems == 0 {
					t.Fatal("nothing within 3 km of downtown")
				}
				wider := e.search(t, "lat=25.7743&lon=-80.1937&radius_km=30&per_page=1")
				if wider.TotalItems <= p.TotalItems {
					t.Errorf("30 km %d, 3 km %d", wider.TotalItems, p.TotalItems)
				}
				prev := 0.0
				for _, it := range p.Contents {
					if it.DistanceM == nil || *it.DistanceM > 3000 || *it.DistanceM < prev {
						t.Fatalf("distance %v after %v (limit 3000)", it.DistanceM, prev)
					}
					prev = *it.DistanceM
				}
			})
			t.Run("postcode", func(t *testing.T) {
				near := e.search(t, "postcode=33125&proximity=2000&per_page=1000")
				for _, it := range near.Contents {
					if it.DistanceM == nil || *it.DistanceM > 2000 {
						t.Errorf("%s at %v m", it.Service.Name, it.DistanceM)
					}
				}
				served := e.search(t, "postcode=33125&per_page=1")
				if served.TotalItems == 0 || near.TotalItems == 0 || near.TotalItems >= served.TotalItems {
					t.Errorf("within 2 km %d, serving 33125 %d", near.TotalItems, served.TotalItems)
				}
			})
			t.Run("service area", func(t *testing.T) {
				in := e.search(t, "serves=25.78,-80.21&per_page=1")
				out := e.search(t, "serves=40.71,-74.0&per_page=1")
				if in.TotalItems == 0 || out.TotalItems != 0 {
					t.Errorf("serves in county %d, in New York %d", in.TotalItems, out.TotalItems)
				}
			})
			t.Run("open at", func(t *testing.T) {
				zone, _ := time.LoadLocation("America/New_York")
				tuesday := time.Date(2026, 12, 8, 10, 0, 0, 0, zone)
				night := time.Date(2026, 12, 6, 3, 0, 0, 0, zone)
				day := e.search(t, "full=true&per_page=1000&open_at="+url.QueryEscape(tuesday.Format(time.RFC3339)))
				late := e.search(t, "full=true&per_page=1000&open_at="+url.QueryEscape(night.UTC().Format(time.RFC3339)))
				if day.TotalItems <= late.TotalItems || late.TotalItems == 0 {
					t.Errorf("open Tuesday 10:00 %d, Sunday 03:00 %d", day.TotalItems, late.TotalItems)
				}
				for _, it := range late.Contents {
					if !openAt(it, night) {
						t.Errorf("%s is not open at %s", it.Service.Name, night)
					}
				}
			})
			t.Run("age", func(t *testing.T) {
				p := e.search(t, "age=10&full=true&per_page=1000")
				all := e.search(t, "per_page=1")
				if p.TotalItems == 0 || p.TotalItems >= all.TotalItems {
					t.Fatalf("age 10: %d of %d", p.TotalItems, all.TotalItems)
				}
				for _, it := range p.Contents {
					s := it.Service
					if s.MinimumAge != nil && *s.MinimumAge > 10 || s.MaximumAge != nil && *s.MaximumAge < 10 {
						t.Errorf("%s takes ages %v-%v", s.Name, s.MinimumAge, s.MaximumAge)
					}
				}
			})
			t.Run("paging is stable", func(t *testing.T) {
				all := e.search(t, "q=help&per_page=40&facets=false")
				var paged []string
				for page := 1; page <= 4; page++ {
					p := e.search(t, fmt.Sprintf("q=help&per_page=10&page=%d&facets=false", page))
					for _, it := range p.Contents {
						paged = append(paged, it.ID)
					}
				}
				var want []string
				for _, it := range all.Contents {
					want = append(want, it.ID)
				}
				if !slices.Equal(paged, want) {
					t.Errorf("pages differ from one big page")
				}
			})
			t.Run("HSDS search parameters", func(t *testing.T) {
				r := e.get("/services?search=food+pantry&per_page=3")
				hsdstest.Check(t, hsdstest.ServicePage, r.body)
				var page struct {
					TotalItems int            `json:"total_items"`
					Contents   []hsds.Service `json:"contents"`
				}
				r.json(t, &page)
				if page.TotalItems == 0 || !strings.Contains(page.Contents[0].Name, "Food Pantry") {
					t.Errorf("/services?search found %+v", page.Contents)
				}
				r = e.get("/service_at_locations?postcode=33125&proximity=2000&per_page=50")
				hsdstest.Check(t, hsdstest.ServiceAtLocationPage, r.body)
				var sals struct {
					TotalItems int `json:"total_items"`
				}
				r.json(t, &sals)
				near := e.search(t, "postcode=33125&proximity=2000&status=active,inactive,defunct,temporarily+closed&per_page=1")
				if sals.TotalItems != near.TotalItems {
					t.Errorf("/service_at_locations?postcode %d, /search %d", sals.TotalItems, near.TotalItems)
				}
				r = e.get("/organizations?search=legal+aid&per_page=5")
				hsdstest.Check(t, hsdstest.OrganizationPage, r.body)
				r = e.get("/taxonomy_terms?search=food&per_page=50")
				var terms struct {
					Contents []hsds.TaxonomyTerm `json:"contents"`
				}
				r.json(t, &terms)
				for _, x := range terms.Contents {
					if !strings.Contains(strings.ToLower(x.Name+x.Code+x.Description), "food") {
						t.Errorf("term %s does not match food", x.Name)
					}
				}
				if len(terms.Contents) == 0 {
					t.Error("no food terms")
				}
			})
		})
	}
}

// openAt reads the hydrated schedules the way the index does: the
// service_at_location's, else the location's, else the service's.
func openAt(it searchItem, t time.Time) bool {
	sch := it.Schedules
	if len(sch) == 0 && it.Location != nil {
		sch = it.Location.Schedules
	}
	if len(sch) == 0 {
		sch = it.Service.Schedules
	}
	zone := time.UTC
	if it.Location != nil && it.Location.TZ != "" {
		zone, _ = time.LoadLocation(it.Location.TZ)
	}
	for i := range sch {
		if sch[i].OpenAt(t.In(zone)) {
			return true
		}
	}
	return false
}

// TestAPI_SearchClock: open_now, the open-now facet and the stale flags
// read the one clock of Deps.Now; the test moves it instead of waiting for
// Sunday night. With open_at the facet counts at that instant, as the
// filter does.
func TestAPI_SearchClock(t *testing.T) {
	zone, _ := time.LoadLocation("America/New_York")
	tuesday := time.Date(2026, 12, 8, 10, 0, 0, 0, zone)
	night := time.Date(2026, 12, 6, 3, 0, 0, 0, zone)
	at := func(t time.Time) string { return url.QueryEscape(t.Format(time.RFC3339)) }
	for _, dialect := range storetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			clk := &testClock{t: tuesday}
			st := demoStore(t, dialect)
			sy := indexsynctest.Ready(t, st, indexsync.Options{Now: clk.Now})
			e := serveEnv(t, st, sy, 1<<20, func(d *httpapi.Deps) { d.Now = clk.Now })
			day, late := e.search(t, "open_at="+at(tuesday)+"&per_page=1"), e.search(t, "open_at="+at(night)+"&per_page=1")
			if day.TotalItems <= late.TotalItems || late.TotalItems == 0 {
				t.Fatalf("open Tuesday 10:00 %d, Sunday 03:00 %d", day.TotalItems, late.TotalItems)
			}
			if f := late.Facets.OpenNow; f.True != late.TotalItems || f.False != 0 {
				t.Errorf("open at Sunday 03:00: open-now facet %+v of %d, want all open", f, late.TotalItems)
			}
			for _, c := range []struct {
				now  time.Time
				open searchPage
			}{{tuesday, day}, {night, late}} {
				clk.Add(c.now.Sub(clk.Now()))
				if got := e.search(t, "open_now=true&per_page=1"); got.TotalItems != c.open.TotalItems {
					t.Errorf("open now at %s: %d, open at it %d", c.now, got.TotalItems, c.open.TotalItems)
				}
				if got := e.search(t, "per_page=1").Facets.OpenNow.True; got != c.open.TotalItems {
					t.Errorf("open-now facet at %s: %d, open at it %d", c.now, got, c.open.TotalItems)
				}
			}
			stale := func() (n, of int) {
				var p struct {
					Contents []struct {
						Stale bool `json:"stale"`
					} `json:"contents"`
				}
				e.get("/search?per_page=100&facets=false").json(t, &p)
				for _, it := range p.Contents {
					if it.Stale {
						n++
					}
				}
				return n, len(p.Contents)
			}
			clk.Add(tuesday.Sub(clk.Now()))
			if n, of := stale(); n == of {
				t.Errorf("%d of %d listings stale on %s", n, of, tuesday)
			}
			clk.Add(10 * 365 * 24 * time.Hour)
			if n, of := stale(); n != of || of == 0 {
				t.Errorf("%d of %d listings stale ten years on", n, of)
			}
		})
	}
}

// recordingIndex is a search.Indexer that finds nothing and keeps the
// queries it is asked: the API needs the interface, not a Bleve index.
type recordingIndex struct {
	mu      sync.Mutex
	queries []search.Query
}

func (r *recordingIndex) record(q search.Query) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.queries = append(r.queries, q)
}

func (r *recordingIndex) last() search.Query {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.queries[len(r.queries)-1]
}

func (r *recordingIndex) Search(_ context.Context, q search.Query) (search.Result, error) {
	r.record(q)
	return search.Result{Facets: &search.Facets{}}, nil
}

func (r *recordingIndex) Values(_ context.Context, q search.Query, _ string, _ int) ([]string, error) {
	r.record(q)
	return nil, nil
}

func (r *recordingIndex) Highlighter(string) func(map[string]string) map[string]string {
	return func(map[string]string) map[string]string { return nil }
}

func (r *recordingIndex) Categories(context.Context) ([]string, error) { return nil, nil }
func (r *recordingIndex) Notify()                                      {}
func (r *recordingIndex) WaitFor(context.Context, int64) error         { return nil }
func (r *recordingIndex) Subscribe(func([]string, bool))               {}

// TestAPI_SearchIndexer: the API runs on any search.Indexer, and every
// query it asks carries the instant of Deps.Now (the HSDS list routes'
// too), open_now its open-at.
func TestAPI_SearchIndexer(t *testing.T) {
	now := time.Date(2026, 12, 8, 15, 0, 0, 0, time.UTC)
	ix := &recordingIndex{}
	st := storetest.Open(t, store.SQLite)
	e, err := httpapi.New(httpapi.Deps{Store: st, Index: ix, Logger: storetest.Logger(), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	for _, path := range []string{"/search?q=food&open_now=true", "/services?search=food", "/organizations?search=food"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		if q := ix.last(); !q.Now.Equal(now) || q.Text != "food" {
			t.Errorf("GET %s asked %q at %s, want food at %s", path, q.Text, q.Now, now)
		}
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if at := ix.queries[0].OpenAt; at == nil || !at.Equal(now) {
		t.Errorf("open_now=true is open at %v, want %s", at, now)
	}
}

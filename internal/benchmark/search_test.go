package benchmark_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/config"
	"github.com/linkage-org/linkage/internal/httpapi"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// searchKinds are the query kinds of the mixed search load.
var searchKinds = []string{"text", "text_10km", "text_filters", "filter_distance"}

// benchTexts are caseworker words the synthetic generator's services use.
var benchTexts = []string{"food pantry", "rent assistance", "legal aid", "job training", "counseling", "shelter",
	"dental care", "ged classes", "mental health", "utility bill help", "child care", "senior meals"}

// benchPoints are metro centres of the synthetic directory.
var benchPoints = [][2]float64{{40.7128, -74.0060}, {34.0522, -118.2437}, {41.8781, -87.6298}, {29.7604, -95.3698}, {32.7767, -96.7970}}

var benchCategories = []string{"BD", "BH", "BT", "FT", "ND", "RP"}

// searchCase is one request of the mix, for our API and for the baseline.
type searchCase struct {
	kind           string
	text           string
	lat, lon       float64
	radiusM        float64
	language, cat  string
	ours, baseline string // URLs, without host
}

func searchMix(n int) []searchCase {
	out := make([]searchCase, 0, n)
	for i := range n {
		c := searchCase{kind: searchKinds[i%len(searchKinds)], text: benchTexts[i%len(benchTexts)],
			lat: benchPoints[i%len(benchPoints)][0], lon: benchPoints[i%len(benchPoints)][1],
			language: "es", cat: benchCategories[i%len(benchCategories)]}
		v := url.Values{}
		switch c.kind {
		case "text":
			v.Set("q", c.text)
		case "text_10km":
			c.radiusM = 10000
			v.Set("q", c.text)
			v.Set("lat", fmt.Sprint(c.lat))
			v.Set("lon", fmt.Sprint(c.lon))
			v.Set("radius_km", "10")
		case "text_filters":
			v.Set("q", c.text)
			v.Set("language", c.language)
			v.Set("category", c.cat)
		case "filter_distance":
			c.radiusM = 25000
			v.Set("category", c.cat)
			v.Set("lat", fmt.Sprint(c.lat))
			v.Set("lon", fmt.Sprint(c.lon))
			v.Set("radius_km", "25")
			v.Set("sort", "distance")
		}
		c.ours = "/search?" + v.Encode()
		v.Set("kind", c.kind)
		c.baseline = "/baseline?" + v.Encode()
		out = append(out, c)
	}
	return out
}

// BenchmarkSearch measures search on the largest synthetic directory on
// PostgreSQL (the index rebuild's time and size are recorded where the
// index is first built): the mixed query load over HTTP at two concurrent
// clients against our API (as served, and without its page cache) and
// against a PostgreSQL full-text baseline API serving the same pages
// (tsvector + GIN for text, a (lat, lon) B-tree box plus exact distance for
// geography, GIN arrays for filters; the same hydration and a category
// facet), then a served process's memory and its change-to-searchable lag
// while 50 writes/s run.
func BenchmarkSearch(b *testing.B) {
	ctx := context.Background()
	ns := benchSizes(b)
	size := ns[len(ns)-1]
	bench.requirePostgres(b)
	fx := bench.fixture(b, size)
	d := latencyDatabase(b, store.Postgres, fx)
	n := benchRequests(b)

	sy := bench.searchIndex(b, d, size)

	buildBaseline(ctx, b, d.st.DB())
	// Ours twice: as served (the page cache on), and with every page read
	// from the database as the baseline's are. The mix repeats its 12 texts,
	// so as served most pages are cache hits.
	server := func(pageCache int) *httptest.Server {
		e, err := httpapi.New(httpapi.Deps{Store: d.st, Index: sy, Logger: storetest.Logger(), BaseURL: "http://linkage.bench", PageCache: pageCache})
		if err != nil {
			b.Fatal(err)
		}
		return httptest.NewServer(e)
	}
	ours := server(config.Defaults().PageCache)
	defer ours.Close()
	uncached := server(-1)
	defer uncached.Close()
	base := httptest.NewServer(baselineHandler(d.st))
	defer base.Close()

	mix := searchMix(n)
	for _, sys := range []struct {
		name string
		srv  *httptest.Server
		path func(searchCase) string
	}{
		{"linkage", ours, func(c searchCase) string { return c.ours }},
		{"linkage-no-page-cache", uncached, func(c searchCase) string { return c.ours }},
		{"postgres-fts", base, func(c searchCase) string { return c.baseline }},
	} {
		b.Run(sys.name, func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}, Timeout: time.Minute}
			for _, c := range mix[:min(len(mix), 200)] { // warm-up, untimed
				get(b, client, sys.srv.URL+sys.path(c))
			}
			per := map[string][]time.Duration{}
			var all []time.Duration
			var mu sync.Mutex
			b.ResetTimer()
			t0 := time.Now()
			var wg sync.WaitGroup
			for w := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := w; i < len(mix); i += 2 {
						u := sys.srv.URL + sys.path(mix[i])
						s := time.Now()
						get(b, client, u)
						dur := time.Since(s)
						mu.Lock()
						per[mix[i].kind] = append(per[mix[i].kind], dur)
						all = append(all, dur)
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(t0)
			b.StopTimer()
			b.ReportMetric(0, "ns/op")
			for _, k := range searchKinds {
				ds := per[k]
				slices.Sort(ds)
				bench.record(b, "search "+k+" p50 / p99 ("+sys.name+")", "postgres", size,
					fmt.Sprintf("%.2f / %.2f ms", ms(percentile(ds, 0.5)), ms(percentile(ds, 0.99))))
				b.ReportMetric(ms(percentile(ds, 0.5)), k+"-p50-ms")
			}
			slices.Sort(all)
			rate := float64(len(all)) / elapsed.Seconds()
			bench.record(b, "search mixed p50 / p99 ("+sys.name+")", "postgres", size,
				fmt.Sprintf("%.2f / %.2f ms", ms(percentile(all, 0.5)), ms(percentile(all, 0.99))))
			bench.record(b, "search mixed throughput, 2 clients ("+sys.name+")", "postgres", size, fmt.Sprintf("%.0f req/s", rate))
			b.ReportMetric(ms(percentile(all, 0.5)), "p50-ms")
			b.ReportMetric(ms(percentile(all, 0.99)), "p99-ms")
			b.ReportMetric(rate, "req/s")
		})
	}
}

// baselineHandler answers /baseline with the page the baseline engine
// finds: SQL for the ids, count and category facet, then the same
// hydration our API uses.
func baselineHandler(st *store.Store) http.Handler {
	const dist = `6371008.8 * 2 * asin(sqrt(power(sin(radians(lat - $LAT) / 2), 2) + cos(radians($LAT)) * cos(radians(lat)) * power(sin(radians(lon - $LON) / 2), 2)))`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		q := r.URL.Query()
		var where []string
		var args []any
		arg := func(v any) string {
			args = append(args, v)
			return fmt.Sprintf("$%d", len(args))
		}
		where = append(where, "status = 'active'")
		from := "bench_fts"
		order := "sal_id"
		if t := q.Get("q"); t != "" {
			from += ", websearch_to_tsquery('english', " + arg(t) + ") tq"
			where = append(where, "doc @@ tq")
			order = "ts_rank(doc, tq) DESC, sal_id"
		}
		if l := q.Get("language"); l != "" {
			where = append(where, "languages @> ARRAY["+arg(l)+"]::text[]")
		}
		if c := q.Get("category"); c != "" {
			where = append(where, "categories @> ARRAY["+arg(c)+"]::text[]")
		}
		if q.Get("lat") != "" {
			var lat, lon, km float64
			fmt.Sscan(q.Get("lat"), &lat)
			fmt.Sscan(q.Get("lon"), &lon)
			fmt.Sscan(q.Get("radius_km"), &km)
			m := km * 1000
			dLat, dLon := m/111320, m/(111320*math.Cos(lat*math.Pi/180))
			where = append(where, fmt.Sprintf("lat BETWEEN %s AND %s AND lon BETWEEN %s AND %s", arg(lat-dLat), arg(lat+dLat), arg(lon-dLon), arg(lon+dLon)))
			d := strings.NewReplacer("$LAT", arg(lat), "$LON", arg(lon)).Replace(dist)
			where = append(where, d+" <= "+arg(m))
			if q.Get("sort") == "distance" {
				order = d + ", sal_id"
			}
		}
		cond := strings.Join(where, " AND ")
		rows, err := st.DB().QueryContext(ctx, "SELECT sal_id, count(*) OVER () FROM "+from+" WHERE "+cond+" ORDER BY "+order+" LIMIT 50", args...)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		var ids []string
		total := 0
		for rows.Next() {
			var id string
			if err := rows.Scan(&id, &total); err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			ids = append(ids, id)
		}
		rows.Close()
		facets := map[string]int{}
		frows, err := st.DB().QueryContext(ctx, "SELECT c, count(*) FROM "+from+", unnest(categories) c WHERE "+cond+" GROUP BY c", args...)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		for frows.Next() {
			var c string
			var n int
			if err := frows.Scan(&c, &n); err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			facets[c] = n
		}
		frows.Close()
		sals, err := st.ServiceAtLocationsByIDs(ctx, ids, store.ShapeList)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"total_items": total, "contents": sals, "facets": facets})
	})
}

func dirSize(dir string) int64 {
	var total int64
	_ = filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			total += fi.Size()
		}
		return nil
	})
	return total
}

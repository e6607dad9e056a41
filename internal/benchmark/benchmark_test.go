package benchmark_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/config"
	"github.com/linkage-org/linkage/internal/httpapi"
	"github.com/linkage-org/linkage/internal/importer"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// warmup requests are sent before each latency figure and not timed: they
// open the connection and fill the database's and the OS's caches.
const warmup = 200

// BenchmarkImport measures `linkage import` of a synthetic JSON Lines file
// (taxonomy terms + organizations with nested services, seed fixtureSeed)
// into a fresh, migrated, empty database: importer.Import as production
// runs it, validation pass and one write transaction included.
//
// One op is one whole import; with -benchtime 1x each size is imported
// once. Creating and migrating the database and generating the file are
// not timed. Metrics: services/s, s/import (seconds per import) and db-MB
// (database size after the import).
//
// The database of the largest size is kept for BenchmarkAPI.
func BenchmarkImport(b *testing.B) {
	ns := benchSizes(b)
	for _, dialect := range storetest.Dialects {
		b.Run(dialect, func(b *testing.B) {
			if dialect == store.Postgres {
				bench.requirePostgres(b)
			}
			for _, n := range ns {
				b.Run(strconv.Itoa(n), func(b *testing.B) {
					benchImport(b, dialect, n, n == ns[len(ns)-1])
				})
			}
		})
	}
}

func benchImport(b *testing.B, dialect string, size int, forLatency bool) {
	ctx := context.Background()
	fx := bench.fixture(b, size)
	b.StopTimer()
	b.ResetTimer()
	var took time.Duration
	var last *database
	for range b.N {
		d := bench.newDatabase(b, dialect)
		if last != nil {
			bench.drop(last)
		}
		last = d
		start := time.Now()
		b.StartTimer()
		rep, err := importer.Import(ctx, d.st, fx.path, importer.Options{})
		b.StopTimer()
		took += time.Since(start)
		if err != nil {
			bench.drop(d)
			b.Fatalf("import %d services: %v (%d problems)", size, err, len(rep.Problems))
		}
		if rep.Services != size || rep.Organizations != fx.organizations {
			bench.drop(d)
			b.Fatalf("import read %d services in %d organizations, want %d in %d", rep.Services, rep.Organizations, size, fx.organizations)
		}
		counts, err := d.st.Counts(ctx)
		if err != nil || counts["services"] != int64(size) {
			bench.drop(d)
			b.Fatalf("after import the database holds %d services (err %v), want %d", counts["services"], err, size)
		}
	}
	dbBytes, err := last.size(ctx)
	if err != nil {
		b.Fatalf("database size: %v", err)
	}
	if !forLatency || !bench.keep(last) {
		bench.drop(last)
	}
	perImport := took.Seconds() / float64(b.N)
	rate := float64(size) / perImport
	b.ReportMetric(rate, "services/s")
	b.ReportMetric(perImport, "s/import")
	b.ReportMetric(float64(dbBytes)/1e6, "db-MB")
	bench.record(b, "import rate", dialect, size, fmt.Sprintf("%.0f services/s", rate))
	bench.record(b, "import time", dialect, size, fmt.Sprintf("%.1f s", perImport))
	bench.record(b, "database size after import", dialect, size, fmt.Sprintf("%.0f MB", float64(dbBytes)/1e6))
}

// BenchmarkAPI measures read latency through the whole HTTP stack
// (httptest server over httpapi.New, a real http.Client, one connection,
// sequential requests) on a database holding the largest size of
// LINKAGE_BENCH_SIZES (the one BenchmarkImport kept, or a new import):
//
//   - services_page: GET /services?page=N, the default list shape and
//     page size (50), N uniform over every page of the directory;
//   - service_by_id: GET /services/{id}, the fully nested service, id
//     uniform over every service.
//
// One op is LINKAGE_BENCH_REQUESTS timed requests (default 2000) after
// warmup untimed ones; p50 and p99 (nearest rank) are over every timed
// request of every op. ns/op is not reported: it would be a whole batch.
func BenchmarkAPI(b *testing.B) {
	ns := benchSizes(b)
	size := ns[len(ns)-1]
	n := benchRequests(b)
	for _, dialect := range storetest.Dialects {
		b.Run(dialect, func(b *testing.B) {
			if dialect == store.Postgres {
				bench.requirePostgres(b)
			}
			fx := bench.fixture(b, size)
			d := latencyDatabase(b, dialect, fx)
			e, err := httpapi.New(httpapi.Deps{Store: d.st, Index: bench.searchIndex(b, d, size), Logger: storetest.Logger(), BaseURL: "http://linkage.bench",
				PageCache: config.Defaults().PageCache})
			if err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(e)
			defer srv.Close()
			client := &http.Client{Timeout: time.Minute}
			checkPage(b, client, srv.URL, size)

			b.Run("services_page", func(b *testing.B) {
				pages := (size + httpapi.DefaultPerPage - 1) / httpapi.DefaultPerPage
				rng := rand.New(rand.NewPCG(fixtureSeed, 1))
				next := func() string { return srv.URL + "/services?page=" + strconv.Itoa(1+rng.IntN(pages)) }
				benchLatency(b, client, next, n, "GET /services?page=N", dialect, size)
			})
			b.Run("service_by_id", func(b *testing.B) {
				rng := rand.New(rand.NewPCG(fixtureSeed, 2))
				next := func() string { return srv.URL + "/services/" + fx.serviceIDs[rng.IntN(len(fx.serviceIDs))] }
				benchLatency(b, client, next, n, "GET /services/{id}", dialect, size)
			})
		})
	}
}

// latencyDatabase is the database of dialect that holds fx: the one
// BenchmarkImport kept or, when that did not run, a new import. It is
// vacuumed, analysed and checkpointed once before the first figure read
// from it: a production database has been (autovacuum), and a fresh import
// read without it pays for setting every row's hint bits during the first
// measurements (this machine's PostgreSQL runs with autovacuum off).
func latencyDatabase(b *testing.B, dialect string, fx *fixture) *database {
	b.Helper()
	bench.mu.Lock()
	d := bench.loaded[dialect]
	bench.mu.Unlock()
	if d == nil {
		d = bench.newDatabase(b, dialect)
		if _, err := importer.Import(context.Background(), d.st, fx.path, importer.Options{}); err != nil {
			bench.drop(d)
			b.Fatalf("import %d services: %v", fx.services, err)
		}
		if !bench.keep(d) {
			bench.drop(d)
			b.Fatal("a latency database appeared while this one was built")
		}
	}
	if !d.settled {
		stmts := []string{"ANALYZE"}
		if dialect == store.Postgres {
			// The import's dirty pages are written out now, not by a
			// checkpoint during the first figures.
			stmts = []string{"VACUUM ANALYZE", "CHECKPOINT"}
		}
		for _, stmt := range stmts {
			if _, err := d.st.DB().ExecContext(context.Background(), stmt); err != nil {
				b.Fatalf("%s: %v", stmt, err)
			}
		}
		d.settled = true
	}
	return d
}

// checkPage proves the list answers in the shape being measured: 50
// services per page, every service counted.
func checkPage(b *testing.B, client *http.Client, base string, size int) {
	b.Helper()
	resp, err := client.Get(base + "/services?page=1")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		TotalItems int64             `json:"total_items"`
		Contents   []json.RawMessage `json:"contents"`
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		b.Fatalf("GET /services: %s: %s", resp.Status, body)
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		b.Fatalf("GET /services: decode: %v", err)
	}
	want := min(size, httpapi.DefaultPerPage)
	if page.TotalItems != int64(size) || len(page.Contents) != want {
		b.Fatalf("GET /services: total_items %d with %d items, want %d with %d", page.TotalItems, len(page.Contents), size, want)
	}
}

func benchLatency(b *testing.B, client *http.Client, next func() string, n int, figure, dialect string, size int) {
	for range warmup {
		get(b, client, next())
	}
	b.ResetTimer()
	durations := make([]time.Duration, 0, n*b.N)
	for range b.N {
		for range n {
			u := next()
			start := time.Now()
			get(b, client, u)
			durations = append(durations, time.Since(start))
		}
	}
	b.StopTimer()
	elapsed := b.Elapsed()
	slices.Sort(durations)
	p50, p99 := percentile(durations, 0.50), percentile(durations, 0.99)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(ms(p50), "p50-ms")
	b.ReportMetric(ms(p99), "p99-ms")
	b.ReportMetric(ms(durations[len(durations)-1]), "max-ms")
	b.ReportMetric(float64(len(durations))/elapsed.Seconds(), "req/s")
	bench.record(b, figure+" p50", dialect, size, fmt.Sprintf("%.2f ms", ms(p50)))
	bench.record(b, figure+" p99", dialect, size, fmt.Sprintf("%.2f ms", ms(p99)))
}

// get sends one request and reads the whole body, as a client would.
func get(b *testing.B, client *http.Client, u string) {
	resp, err := client.Get(u)
	if err != nil {
		b.Fatal(err)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		b.Fatalf("GET %s: read body: %v", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: %s", u, resp.Status)
	}
}

// percentile is the nearest-rank q-quantile of sorted durations.
func percentile(sorted []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func benchSizes(b *testing.B) []int {
	b.Helper()
	ns, err := sizes()
	if err != nil {
		b.Fatal(err)
	}
	return ns
}

func benchRequests(b *testing.B) int {
	b.Helper()
	n, err := requests()
	if err != nil {
		b.Fatal(err)
	}
	return n
}

package benchmark_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/httpapi"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// BenchmarkWrites measures the write API on the largest PostgreSQL
// directory: PATCHes of distinct services from 2 concurrent clients, each
// answered only once this process's search index has it (read-your-writes),
// as fast as they go. It reports the sustained rate and the write latency.
func BenchmarkWrites(b *testing.B) {
	ctx := context.Background()
	ns := benchSizes(b)
	size := ns[len(ns)-1]
	bench.requirePostgres(b)
	fx := bench.fixture(b, size)
	d := latencyDatabase(b, store.Postgres, fx)
	sy := bench.searchIndex(b, d, size)
	// The index loop runs only here, so the other benchmarks do not share
	// the machine with its polling.
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = sy.Run(runCtx, false) }()
	defer func() { stop(); <-done }()

	key := newKey(b, d, nil, auth.Admin)
	e, err := httpapi.New(httpapi.Deps{Store: d.st, Index: sy, Logger: storetest.Logger(), BaseURL: "http://linkage.bench"})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(e)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}, Timeout: time.Minute}

	const writes = 600
	ids := fx.serviceIDs[1000 : 1000+writes]
	var mu sync.Mutex
	var lat []time.Duration
	lagged := 0
	b.ResetTimer()
	t0 := time.Now()
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(ids); i += 2 {
				path := srv.URL + "/services/" + ids[i]
				resp, err := client.Get(path)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				etag := resp.Header.Get("ETag")
				req, _ := http.NewRequest(http.MethodPatch, path, strings.NewReader(fmt.Sprintf(`{"description":"Benchmark edit %d."}`, i)))
				req.Header.Set("Content-Type", "application/merge-patch+json")
				req.Header.Set("If-Match", etag)
				req.Header.Set("Authorization", "Bearer "+key)
				s := time.Now()
				resp, err = client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				dur := time.Since(s)
				if resp.StatusCode != http.StatusOK {
					b.Errorf("PATCH %s: %d", ids[i], resp.StatusCode)
					return
				}
				mu.Lock()
				lat = append(lat, dur)
				if resp.Header.Get("Linkage-Index-Lag") != "" {
					lagged++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(t0)
	b.StopTimer()
	slices.Sort(lat)
	rate := float64(len(lat)) / elapsed.Seconds()
	bench.record(b, "PATCH rate, 2 clients, searchable on answer", "postgres", size, fmt.Sprintf("%.0f writes/s (%d answered before the index had them)", rate, lagged))
	bench.record(b, "PATCH latency p50 / p99", "postgres", size, fmt.Sprintf("%.1f / %.1f ms", ms(percentile(lat, 0.5)), ms(percentile(lat, 0.99))))
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(rate, "writes/s")
	b.ReportMetric(ms(percentile(lat, 0.99)), "p99-ms")
}

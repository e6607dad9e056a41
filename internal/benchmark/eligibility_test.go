package benchmark_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/config"
	"github.com/linkage-org/linkage/internal/eligibility"
	"github.com/linkage-org/linkage/internal/httpapi"
	"github.com/linkage-org/linkage/internal/importer"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
	"github.com/linkage-org/linkage/seed"
)

// BenchmarkEligibilityExtract scores the extractor on the labelled
// sentences (written before it was tuned): precision and recall per
// criterion, against the 0.9 / 0.7; and, overall, on a held-out
// set written after tuning and never tuned on.
func BenchmarkEligibilityExtract(b *testing.B) {
	for _, set := range []struct{ file, name string }{{"labelled.tsv", "labelled set"}, {"heldout.tsv", "held-out set"}} {
		f, err := os.Open("../eligibility/testdata/" + set.file)
		if err != nil {
			b.Fatal(err)
		}
		scores, _, n, err := eligibility.Evaluate(f)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		var all eligibility.Score
		for _, code := range eligibility.Codes {
			s := scores[code]
			all.TP, all.FP, all.FN = all.TP+s.TP, all.FP+s.FP, all.FN+s.FN
			if s.TP+s.FN == 0 || set.file != "labelled.tsv" {
				continue
			}
			bench.record(b, fmt.Sprintf("extract %s: precision / recall (%d labelled)", code, s.TP+s.FN), "-", n,
				fmt.Sprintf("%.2f / %.2f", s.Precision(), s.Recall()))
		}
		bench.record(b, "extract, all criteria, "+set.name+": precision / recall", "-", n, fmt.Sprintf("%.2f / %.2f", all.Precision(), all.Recall()))
	}
	b.ReportMetric(0, "ns/op")
}

// BenchmarkEligibility measures POST /search with a full client profile
// against the same queries without one, on the largest PostgreSQL
// directory after the extractor has proposed its criteria for every
// service. Requests alternate, two clients, so both see the same machine.
func BenchmarkEligibility(b *testing.B) {
	ctx := context.Background()
	ns := benchSizes(b)
	size := ns[len(ns)-1]
	bench.requirePostgres(b)
	fx := bench.fixture(b, size)
	d := latencyDatabase(b, store.Postgres, fx)
	sy := bench.searchIndex(b, d, size)
	if _, err := importer.ImportFS(ctx, d.st, seed.Eligibility(), "taxonomy.json", importer.Options{}); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	rep, err := importer.ExtractEligibility(ctx, d.st, "benchmark", false, nil)
	if err != nil {
		b.Fatal(err)
	}
	bench.record(b, "eligibility extract (all services)", "postgres", size,
		fmt.Sprintf("%.1f s; %d criteria for %d services", time.Since(start).Seconds(), rep.Proposed, rep.WithRules))
	e, err := httpapi.New(httpapi.Deps{Store: d.st, Index: sy, Logger: storetest.Logger(), BaseURL: "http://linkage.bench", PageCache: config.Defaults().PageCache})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(e)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}, Timeout: time.Minute}
	profile := `{"age": 34, "gender": "female", "household_size": 3, "income": 2100, "income_period": "month", "postcode": "33125",
		"county": "Palmetto", "veteran": false, "disability": false, "pregnant": true, "children_ages": [4],
		"insurance": ["medicaid"], "immigration_status": "lpr", "languages": ["es"]}`
	mix := searchMix(benchRequests(b))
	bodies := make([][2]string, len(mix))
	for i, c := range mix {
		v, _ := url.ParseQuery(strings.TrimPrefix(c.ours, "/search?"))
		obj := map[string]string{}
		for k := range v {
			obj[k] = v.Get(k)
		}
		plain, _ := json.Marshal(obj)
		withProfile := strings.TrimSuffix(string(plain), "}")
		if len(obj) > 0 {
			withProfile += ","
		}
		withProfile += `"client":` + profile + "}"
		bodies[i] = [2]string{string(plain), withProfile}
	}
	post := func(body string) time.Duration {
		s := time.Now()
		resp, err := client.Post(srv.URL+"/search", "application/json", strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("POST /search: %d", resp.StatusCode)
		}
		return time.Since(s)
	}
	for _, body := range bodies[:min(len(bodies), 100)] { // warm-up, untimed
		post(body[0])
		post(body[1])
	}
	var mu sync.Mutex
	lat := [2][]time.Duration{}
	b.ResetTimer()
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(bodies); i += 2 {
				for k := range 2 {
					dur := post(bodies[i][(i+k)%2]) // alternate which goes first
					mu.Lock()
					lat[(i+k)%2] = append(lat[(i+k)%2], dur)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	for k, name := range []string{"without a profile", "with a full profile"} {
		slices.Sort(lat[k])
		bench.record(b, "POST /search "+name+" p50 / p99", "postgres", size,
			fmt.Sprintf("%.2f / %.2f ms", ms(percentile(lat[k], 0.5)), ms(percentile(lat[k], 0.99))))
	}
	ratio := float64(percentile(lat[1], 0.99)) / float64(percentile(lat[0], 0.99))
	bench.record(b, "eligibility search p99 ÷ plain p99 (target ≤ 2)", "postgres", size, fmt.Sprintf("%.2f", ratio))
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(ratio, "p99-ratio")
}

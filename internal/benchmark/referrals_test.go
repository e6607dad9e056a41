package benchmark_test

import (
	"context"
	"encoding/json"
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
	"github.com/linkage-org/linkage/internal/importer"
	"github.com/linkage-org/linkage/internal/indexsync"
	"github.com/linkage-org/linkage/internal/indexsync/indexsynctest"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
	"github.com/linkage-org/linkage/seed"
)

// BenchmarkReferrals measures referral creation and transitions over HTTP
// on PostgreSQL with everything a real one does: the Idempotency-Key
// claim, sealed notes, the history event, the follow-up task, a webhook
// outbox row for a subscribed receiver and the audit entry. Several
// clients send at once (a caseworker office); it reports the sustained
// creation rate and the p99 latency of creations and of transitions.
func BenchmarkReferrals(b *testing.B) {
	ctx := context.Background()
	bench.requirePostgres(b)
	d := bench.newDatabase(b, store.Postgres)
	defer bench.drop(d)
	for _, name := range seed.DemoFiles {
		if _, err := importer.ImportFS(ctx, d.st, seed.Demo(), name, importer.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	_ = d.st.Close()
	st := sealedStore(b, d.url)
	d.st = st
	sy := indexsync.New(st, indexsync.Options{Dir: b.TempDir(), Synonyms: indexsynctest.Synonyms(b)})
	defer sy.Close()
	if err := sy.Rebuild(ctx, nil); err != nil {
		b.Fatal(err)
	}
	var sender, receiver string
	_, err := st.Fixture(ctx, func(tx store.Fixture) error {
		a, err := tx.CreateAgency(ctx, "Food Network", []string{"2668a8c7-583f-5548-aa78-98c6a7f84363"})
		if err != nil {
			return err
		}
		c, err := tx.CreateAgency(ctx, "Navigators", nil)
		if err != nil {
			return err
		}
		rk, err := tx.NewKey(ctx, &a.ID, auth.Agency, "receiver")
		if err != nil {
			return err
		}
		sk, err := tx.NewKey(ctx, &c.ID, auth.Caseworker, "caseworker")
		if err != nil {
			return err
		}
		sender, receiver = sk.Key, rk.Key
		return tx.CreateWebhook(ctx, &store.Webhook{AgencyID: a.ID, URL: "https://hooks.example.org/referrals",
			Events: []string{"referral.created", "referral.status_changed"}, Active: true}, "whsec_bench")
	})
	if err != nil {
		b.Fatal(err)
	}
	e, err := httpapi.New(httpapi.Deps{Store: st, Index: sy, Logger: storetest.Logger(), BaseURL: "http://linkage.bench"})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(e)
	defer srv.Close()
	const clients = 8
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: time.Minute}
	send := func(method, path, key, body, idem string) (int, []byte, time.Duration) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		if idem != "" {
			req.Header.Set("Idempotency-Key", idem)
		}
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, out, time.Since(start)
	}
	// One case per client, made before the clock starts.
	cases := make([]string, clients)
	for i := range cases {
		// A case as a caseworker keeps it (issue 20): the assessment and a
		// dated risk too, so the referral reads the richer case.
		st, body, _ := send("POST", "/cases", sender, `{"client": {"given_name": "Bench", "family_name": "Client", "phone": "555-0100", "birth_date": "1992-03-14"},
			"needs": [{"domain": "food"}, {"domain": "housing"}], "consent": {"scope": ["name", "contact"], "given_on": "2026-01-01"},
			"assessment": {"income": 1800, "income_period": "month", "household_size": 3, "children_ages": [6, 9], "languages": ["es"],
			 "county": "Miami-Dade", "urgency": "urgent", "risks": [{"kind": "eviction", "date": "2027-06-16", "note": "Notice served"}]}}`, "")
		var c struct{ ID string }
		if err := json.Unmarshal(body, &c); err != nil || st != 201 {
			b.Fatalf("POST /cases: %d %s", st, body)
		}
		cases[i] = c.ID
	}

	run := func(n int, do func(client, i int) (int, time.Duration)) ([]time.Duration, time.Duration) {
		var mu sync.Mutex
		var lat []time.Duration
		var wg sync.WaitGroup
		t0 := time.Now()
		for w := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < n; i += clients {
					status, dur := do(w, i)
					if status >= 300 {
						b.Errorf("request %d: %d", i, status)
						return
					}
					mu.Lock()
					lat = append(lat, dur)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		elapsed := time.Since(t0)
		slices.Sort(lat)
		return lat, elapsed
	}
	const n = 3000
	var idsMu sync.Mutex
	var ids []string
	create := func(w, i int) (int, time.Duration) {
		body := fmt.Sprintf(`{"case_id": %q, "service_id": "daab84cb-6e24-5dc0-992d-04099c16c817", "need": "food", "note": "Referral %d: please call"}`, cases[w%clients], i)
		status, out, dur := send("POST", "/referrals", sender, body, fmt.Sprintf("bench-%d", i))
		var r struct{ ID string }
		_ = json.Unmarshal(out, &r)
		idsMu.Lock()
		ids = append(ids, r.ID)
		idsMu.Unlock()
		return status, dur
	}
	accept := func(id string) (int, time.Duration) {
		status, _, dur := send("POST", "/referrals/"+id+"/transitions", receiver, `{"to": "accepted", "note": "We will call tomorrow"}`, "")
		return status, dur
	}
	// A checkpoint first, so the WAL of CREATE DATABASE and the import is
	// not flushed in the middle of a measurement.
	checkpoint := func() {
		if err := adminExec(ctx, "CHECKPOINT"); err != nil {
			b.Fatal(err)
		}
	}

	// 1. Sustained: eight clients (a caseworker office) send as fast as
	// they go; the rate and the latency are of the same run.
	checkpoint()
	b.ResetTimer()
	created, elapsed := run(n, create)
	rate := float64(len(created)) / elapsed.Seconds()
	first := slices.Clone(ids)
	moved, movedElapsed := run(n, func(_, i int) (int, time.Duration) { return accept(first[i]) })
	moveRate := float64(len(moved)) / movedElapsed.Seconds()

	// 2. Open loop at 300 a second: requests leave on a fixed schedule
	// whatever the answers (at most 16 in flight, like a front end's
	// connection pool), each timed from its scheduled start, so queueing
	// counts. This is the harder test: near saturation, tails grow.
	const target = 300
	atRate := func(count int, do func(i int) int) []time.Duration {
		lat := make([]time.Duration, count)
		var wg sync.WaitGroup
		slots := make(chan struct{}, 16)
		t0 := time.Now()
		for i := range count {
			due := t0.Add(time.Duration(i) * time.Second / target)
			time.Sleep(time.Until(due))
			wg.Add(1)
			go func() {
				defer wg.Done()
				slots <- struct{}{}
				defer func() { <-slots }()
				if status := do(i); status >= 300 {
					b.Errorf("request %d: %d", i, status)
				}
				lat[i] = time.Since(due)
			}()
		}
		wg.Wait()
		slices.Sort(lat)
		return lat
	}
	checkpoint()
	idsMu.Lock()
	ids = nil
	idsMu.Unlock()
	openCreate := atRate(n, func(i int) int {
		status, _ := create(i, n+i)
		return status
	})
	second := slices.Clone(ids)
	openMove := atRate(n, func(i int) int {
		status, _ := accept(second[i])
		return status
	})
	b.StopTimer()
	var outbox int
	if err := st.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM webhook_deliveries").Scan(&outbox); err != nil {
		b.Fatal(err)
	}
	if want := 2 * 2 * n; outbox != want { // a created and an accepted event, for each of 2n referrals
		b.Errorf("outbox holds %d deliveries, want %d", outbox, want)
	}
	pct := func(l []time.Duration) string {
		return fmt.Sprintf("%.1f / %.1f ms", ms(percentile(l, 0.5)), ms(percentile(l, 0.99)))
	}
	bench.record(b, fmt.Sprintf("referral creations, %d clients", clients), "postgres", n, fmt.Sprintf("%.0f /s; p50 / p99 %s", rate, pct(created)))
	bench.record(b, fmt.Sprintf("referral transitions, %d clients", clients), "postgres", n, fmt.Sprintf("%.0f /s; p50 / p99 %s", moveRate, pct(moved)))
	bench.record(b, "referral create, open loop at 300/s", "postgres", n, "p50 / p99 "+pct(openCreate))
	bench.record(b, "referral transition, open loop at 300/s", "postgres", n, "p50 / p99 "+pct(openMove))
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(rate, "creations/s")
	b.ReportMetric(ms(percentile(created, 0.99)), "create-p99-ms")
	b.ReportMetric(ms(percentile(moved, 0.99)), "transition-p99-ms")
}

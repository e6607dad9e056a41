package benchmark_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/config"
	"github.com/linkage-org/linkage/internal/httpapi"
	"github.com/linkage-org/linkage/internal/indexsync"
	"github.com/linkage-org/linkage/internal/indexsync/indexsynctest"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// hostileShape is one worst-case body, as big as the JSON body limit
// allows, sent to one route.
type hostileShape struct {
	name, method, path string
	key                bool // sent with an agency key (else anonymous)
	body               string
}

// hostileShapes are the worst shapes found: each fills the JSON limit with
// what costs the most per byte (nesting, keys, one long string, many small
// items of a validated array).
func hostileShapes(svcPath string) []hostileShape {
	limit := httpapi.DefaultMaxJSONBytes - 512
	org := `"organization_id":"` + uuid.NewString() + `","status":"active"`
	fill := func(prefix, item, suffix string) string {
		n := (limit - len(prefix) - len(suffix)) / len(item)
		return prefix + strings.TrimSuffix(strings.Repeat(item, n), ",") + suffix
	}
	deep := strings.Repeat("[", limit/2) + strings.Repeat("]", limit/2)
	keys := func(n int) string {
		var sb strings.Builder
		sb.WriteString(`{"name":"x",` + org)
		for i := range n {
			fmt.Fprintf(&sb, `,"k%d":0`, i)
		}
		return sb.String() + "}"
	}
	return []hostileShape{
		{"deep nesting, no key", "PUT", svcPath, false, deep},
		{"deep nesting, agency key", "PUT", svcPath, true, deep},
		{"deep nesting, public search", "POST", "/search", false, `{"q":` + strings.Repeat("[", limit/2-4) + strings.Repeat("]", limit/2-4) + `}`},
		{"70,000 keys", "PUT", svcPath, true, keys(70000)},
		{"1,000 keys", "PUT", svcPath, true, keys(997)},
		{"one 1 MB string", "PUT", svcPath, true, `{"name":"` + strings.Repeat("x", limit-100) + `",` + org + `}`},
		{"49,000 empty phones", "PUT", svcPath, true, fill(`{"name":"x",`+org+`,"phones":[`, `{},`, `]}`)},
		{"49,000 numbers for phones", "PUT", svcPath, true, fill(`{"name":"x",`+org+`,"phones":[`, `1,`, `]}`)},
		{"many small phones", "PUT", svcPath, true, fill(`{"name":"x",`+org+`,"phones":[`, `{"number":"1"},`, `]}`)},
		{"9,990 phones (under the value limit)", "PUT", svcPath, true, `{"name":"x",` + org + `,"phones":[` + strings.TrimSuffix(strings.Repeat(`{"number":"305-555-0100"},`, 9990), ",") + `]}`},
		{"9,980 languages of 90 bytes (under the value limit)", "PUT", svcPath, true, `{"name":"x",` + org + `,"phones":[{"number":"1","languages":[` + strings.TrimSuffix(strings.Repeat(`{"name":"`+strings.Repeat("x", 90)+`"},`, 9980), ",") + `]}]}`},
		{"1,000 services of 40 keys, public search", "POST", "/search", false, `{"q":"food","x":[` + strings.TrimSuffix(strings.Repeat(`{`+strings.TrimSuffix(strings.Repeat(`"a":1,`, 40), ",")+`},`, 1000), ",") + `]}`},
		{"many languages, public search", "POST", "/search", false, fill(`{"q":"food","languages":[`, `"es",`, `]}`)},
	}
}

// cpuTime is the process's user + system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkHostileBodies measures the server CPU one worst-shape body costs
// (the handler called in-process, so the figure is the server's: process
// CPU, GC included), and /healthz latency while 4 clients send the worst of
// them without pause. Target: under 50 ms a body.
func BenchmarkHostileBodies(b *testing.B) {
	for _, dialect := range storetest.Dialects {
		b.Run(dialect, func(b *testing.B) {
			if dialect == store.Postgres {
				bench.requirePostgres(b)
			}
			benchHostile(b, dialect)
		})
	}
}

func benchHostile(b *testing.B, dialect string) {
	ctx := context.Background()
	d := bench.newDatabase(b, dialect)
	defer bench.drop(d)
	var agency string
	_, err := d.st.Fixture(ctx, func(tx store.Fixture) error {
		ag, err := tx.CreateAgency(ctx, "Bench agency", nil)
		agency = ag.ID
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	key := newKey(b, d, &agency, auth.Agency)
	sy := indexsynctest.Ready(b, d.st, indexsync.Options{})
	e, err := httpapi.New(httpapi.Deps{Store: d.st, Index: sy, Logger: storetest.Logger(), BaseURL: "http://linkage.bench", PageCache: config.Defaults().PageCache})
	if err != nil {
		b.Fatal(err)
	}
	svcPath := "/services/" + uuid.NewString()
	shapes := hostileShapes(svcPath)
	worst, worstCPU := shapes[0], time.Duration(0)
	b.ResetTimer()
	for _, s := range shapes {
		const reps = 5
		var status int
		start := cpuTime(b)
		for range reps {
			status = serveOnce(e, s, key)
		}
		per := (cpuTime(b) - start) / reps
		if status < 400 || status >= 500 {
			b.Errorf("%s: status %d, want a 4xx", s.name, status)
		}
		if per > worstCPU {
			worst, worstCPU = s, per
		}
		bench.record(b, "hostile body: "+s.name, dialect, len(s.body), fmt.Sprintf("%.1f ms CPU (%d)", ms(per), status))
	}
	bench.record(b, "/healthz p99 while 4 clients send "+worst.name, dialect, len(worst.body), healthzUnderLoad(b, e, worst, key))
}

func serveOnce(e *echo.Echo, s hostileShape, key string) int {
	req := httptest.NewRequest(s.method, s.path, strings.NewReader(s.body))
	req.Header.Set("Content-Type", "application/json")
	if s.key {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec.Code
}

// healthzUnderLoad is /healthz's p99 over 200 probes while 4 goroutines
// send s without pause.
func healthzUnderLoad(b *testing.B, e *echo.Echo, s hostileShape, key string) string {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
					serveOnce(e, s, key)
				}
			}
		}()
	}
	lat := make([]time.Duration, 0, 200)
	for range 200 {
		t0 := time.Now()
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		lat = append(lat, time.Since(t0))
		if rec.Code != http.StatusOK {
			b.Errorf("/healthz under load: %d", rec.Code)
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	slices.Sort(lat)
	return fmt.Sprintf("%.1f ms (p50 %.1f ms)", ms(percentile(lat, 0.99)), ms(percentile(lat, 0.50)))
}

package benchmark_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/seal"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// BenchmarkServe runs `linkage serve` as its own process on the largest
// PostgreSQL directory with an empty data dir, the way a new replica starts:
// it measures the start-up rebuild until /readyz, the resident memory after
// a warm-up of mixed searches, and, while 50 writes/s run in this process,
// how long each change takes to become searchable in the replica (from the
// writer's commit until the replica's index has applied its sequence).
func BenchmarkServe(b *testing.B) {
	ctx := context.Background()
	ns := benchSizes(b)
	size := ns[len(ns)-1]
	bench.requirePostgres(b)
	fx := bench.fixture(b, size)
	d := latencyDatabase(b, store.Postgres, fx)

	bin := filepath.Join(b.TempDir(), "linkage")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/linkage")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	u, _ := url.Parse(storetest.PostgresURL())
	u.Path = "/" + d.pgName
	key, err := seal.NewKey() // serve on PostgreSQL needs one
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "LINKAGE_DATABASE_URL="+u.String(), "LINKAGE_DATA_KEY="+key, "LINKAGE_DATA_DIR="+b.TempDir(),
		"LINKAGE_ADDR="+addr, "LINKAGE_LOG_LEVEL=warn", "LINKAGE_INDEX_POLL=100ms",
		"LINKAGE_RATE_ANONYMOUS=0" /* the load comes from one address */)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	base := "http://" + addr
	client := &http.Client{Timeout: 30 * time.Second}
	for {
		resp, err := client.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Since(start) > 20*time.Minute {
			b.Fatal("the replica never became ready")
		}
		time.Sleep(200 * time.Millisecond) // polling a separate process's readiness
	}
	ready := time.Since(start)
	bench.record(b, "replica start (rebuild until ready)", "postgres", size, fmt.Sprintf("%.1f s", ready.Seconds()))
	b.ReportMetric(ready.Seconds(), "start-s")

	for _, c := range searchMix(1000) {
		get(b, client, base+c.ours)
	}
	rss := rssBytes(cmd.Process.Pid)
	bench.record(b, "replica RSS after 1,000 searches", "postgres", size, fmt.Sprintf("%.0f MB", float64(rss)/1e6))
	b.ReportMetric(float64(rss)/1e6, "rss-MB")

	// 50 writes/s for 10 s, each renaming one service; a poller watches
	// the replica's applied sequence.
	ids := fx.serviceIDs[:500]
	type write struct {
		seq int64
		at  time.Time
	}
	var mu sync.Mutex
	var pending []write
	var lags []time.Duration
	stop := make(chan struct{})
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		for {
			select {
			case <-stop:
				return
			default:
			}
			seq := appliedSeq(client, base)
			now := time.Now()
			mu.Lock()
			for len(pending) > 0 && pending[0].seq <= seq {
				lags = append(lags, now.Sub(pending[0].at))
				pending = pending[1:]
			}
			mu.Unlock()
		}
	}()
	b.ResetTimer()
	tick := time.NewTicker(20 * time.Millisecond)
	for i, id := range ids {
		<-tick.C
		svcs, err := d.st.ServicesByIDs(ctx, []string{id})
		if err != nil || len(svcs) != 1 {
			b.Fatalf("load %s: %v", id, err)
		}
		s := svcs[0]
		for j := range s.ServiceAtLocations {
			s.ServiceAtLocations[j].Location = nil
		}
		s.Organization, s.Program, s.Metadata = nil, nil, nil
		s.Name = fmt.Sprintf("%s %d", strings.TrimRight(s.Name, " 0123456789"), i)
		seq, err := d.st.Fixture(ctx, func(tx store.Fixture) error {
			return tx.WriteDocuments(ctx, &store.Documents{Services: []hsds.Service{s}}, "update", "bench")
		})
		if err != nil {
			b.Fatal(err)
		}
		mu.Lock()
		pending = append(pending, write{seq: seq, at: time.Now()})
		mu.Unlock()
	}
	tick.Stop()
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		left := len(pending)
		mu.Unlock()
		if left == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond) // waiting on the poller above
	}
	close(stop)
	<-polled
	b.StopTimer()
	if len(lags) != len(ids) {
		b.Fatalf("%d of %d changes reached the replica within 30 s", len(lags), len(ids))
	}
	slices.Sort(lags)
	bench.record(b, "change-to-searchable lag p50 / p99 at 50 writes/s (second replica)", "postgres", size,
		fmt.Sprintf("%.0f / %.0f ms", ms(percentile(lags, 0.5)), ms(percentile(lags, 0.99))))
	b.ReportMetric(ms(percentile(lags, 0.99)), "lag-p99-ms")
	b.ReportMetric(0, "ns/op")
}

// appliedSeq reads linkage_search_index_seq from a replica's /metrics.
func appliedSeq(client *http.Client, base string) int64 {
	resp, err := client.Get(base + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "linkage_search_index_seq "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return int64(f)
		}
	}
	return 0
}

// rssBytes is a process's resident set size from /proc.
func rssBytes(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

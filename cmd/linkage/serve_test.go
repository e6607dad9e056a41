package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// serveInProcess runs `linkage serve` with vars until the test ends and
// returns the value of each named attribute of its "Linkage is serving"
// log line (url, metrics).
func serveInProcess(t *testing.T, vars map[string]string, attrs ...string) map[string]string {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	logR, logW := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, envMap(vars), io.Discard, logW)
		logW.Close()
	}()
	t.Cleanup(func() {
		stop()
		if code := <-done; code != 0 {
			t.Errorf("serve: exit %d", code)
		}
	})
	got := map[string]string{}
	sc := bufio.NewScanner(logR)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, "Linkage is serving") {
			continue
		}
		for _, f := range strings.Fields(line) {
			for _, a := range attrs {
				if v, ok := strings.CutPrefix(f, a+"="); ok {
					got[a] = v
				}
			}
		}
		break
	}
	go func() { _, _ = io.Copy(io.Discard, logR) }()
	for _, a := range attrs {
		if got[a] == "" {
			t.Fatalf("the serving line has no %s=", a)
		}
	}
	return got
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// With LINKAGE_METRICS_ADDR the metrics have a listener of their own:
// /metrics is served there (with the public server's request counts) and
// is a 404 on the public address; the metrics listener serves nothing else.
func TestServe_MetricsAddr(t *testing.T) {
	addrs := serveInProcess(t, map[string]string{"LINKAGE_DATA_DIR": t.TempDir(), "LINKAGE_ADDR": "127.0.0.1:0",
		"LINKAGE_METRICS_ADDR": "127.0.0.1:0", "LINKAGE_LOG_LEVEL": "info"}, "url", "metrics")
	public, metricsURL := addrs["url"], addrs["metrics"]
	if !strings.HasSuffix(metricsURL, "/metrics") || strings.HasPrefix(metricsURL, public+"/") {
		t.Fatalf("metrics at %s, public at %s: want another listener", metricsURL, public)
	}
	if code, _ := httpGet(t, public+"/healthz"); code != 200 {
		t.Fatalf("public /healthz: %d", code)
	}
	code, body := httpGet(t, public+"/metrics")
	if code != 404 || strings.Contains(body, "linkage_http_requests") {
		t.Fatalf("public /metrics: %d %.200s, want a 404 without metrics", code, body)
	}
	code, body = httpGet(t, metricsURL)
	if code != 200 || !strings.Contains(body, `linkage_http_requests_total{code="200",method="GET",route="/healthz"} 1`) {
		t.Fatalf("metrics listener /metrics: %d, want the public /healthz counted; got %.2000s", code, body)
	}
	if code, _ := httpGet(t, strings.TrimSuffix(metricsURL, "/metrics")+"/healthz"); code != 404 {
		t.Fatalf("metrics listener /healthz: %d, want 404 (it serves /metrics only)", code)
	}
}

// Without LINKAGE_METRICS_ADDR (make run, the tests) /metrics stays on
// the public address.
func TestServe_MetricsOnPublicAddr(t *testing.T) {
	public := serveInProcess(t, map[string]string{"LINKAGE_DATA_DIR": t.TempDir(), "LINKAGE_ADDR": "127.0.0.1:0"}, "url")["url"]
	if code, body := httpGet(t, public+"/metrics"); code != 200 || !strings.Contains(body, "linkage_http_requests_in_flight") {
		t.Fatalf("public /metrics: %d %.200s", code, body)
	}
}

// On PostgreSQL serve refuses to start without LINKAGE_DATA_KEY, demo mode
// or not, and says how to make one; nothing is opened first (the URL
// below has no server).
func TestServe_PostgresNeedsDataKey(t *testing.T) {
	for _, demo := range []string{"false", "true"} {
		var stderr strings.Builder
		vars := map[string]string{"LINKAGE_DATA_DIR": t.TempDir(), "LINKAGE_ADDR": "127.0.0.1:0", "LINKAGE_DEMO": demo,
			"LINKAGE_DATABASE_URL": "postgres://linkage@127.0.0.1:1/linkage?sslmode=disable"}
		code := run(context.Background(), []string{"serve"}, envMap(vars), io.Discard, &stderr)
		if code != 1 || !strings.Contains(stderr.String(), "LINKAGE_DATA_KEY is not set") || !strings.Contains(stderr.String(), "openssl rand -base64 32") {
			t.Errorf("demo=%s: exit %d, stderr %q; want 1 and the reason with how to make a key", demo, code, stderr.String())
		}
	}
}

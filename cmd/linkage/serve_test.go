package main

import (
	"bufio"
	"context"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// serveInProcess runs `linkage serve` with vars until the test ends and
// returns the value of each named attribute of its "Linkage is serving"
// log line (url, metrics).
func serveInProcess(t *testing.T, vars map[string]string, attrs ...string) map[string]string {
	t.Helper()
	return serveUntil(t, vars, nil, attrs...)
}

// serveUntil is serveInProcess that returns once the log has also said
// each of until (at info level, which vars must not raise); the test fails
// when the server ends or two minutes pass first.
func serveUntil(t *testing.T, vars map[string]string, until []string, attrs ...string) map[string]string {
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
	lines := logLines(logR)
	// The log is read to its end, so the server never blocks writing it.
	defer func() {
		go func() {
			for range lines {
			}
		}()
	}()
	const serving = "Linkage is serving"
	pending := map[string]bool{serving: true}
	for _, u := range until {
		pending[u] = true
	}
	got := map[string]string{}
	deadline := time.After(2 * time.Minute)
	for len(pending) > 0 {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("serve ended before logging %v", slices.Sorted(maps.Keys(pending)))
			}
			for m := range pending {
				if strings.Contains(line, m) {
					delete(pending, m)
				}
			}
			if strings.Contains(line, serving) {
				attrsOf(line, attrs, got)
			}
		case <-deadline:
			t.Fatalf("after 2 minutes serve has not logged %v", slices.Sorted(maps.Keys(pending)))
		}
	}
	for _, a := range attrs {
		if got[a] == "" {
			t.Fatalf("the serving line has no %s=", a)
		}
	}
	return got
}

// logLines sends each line of r, closing the channel at its end.
func logLines(r io.Reader) <-chan string {
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			lines <- sc.Text()
		}
		_, _ = io.Copy(io.Discard, r) // a line too long for the scanner
	}()
	return lines
}

// waitLine is the first of lines containing msg; the test fails when the
// lines end or limit passes first.
func waitLine(t *testing.T, lines <-chan string, msg string, limit time.Duration) string {
	t.Helper()
	deadline := time.After(limit)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("the log ended before %q", msg)
			}
			if strings.Contains(line, msg) {
				return line
			}
		case <-deadline:
			t.Fatalf("after %s the log has not said %q", limit, msg)
		}
	}
}

// attrsOf sets got[a] to the value of each a=value in a log line.
func attrsOf(line string, attrs []string, got map[string]string) {
	for _, f := range strings.Fields(line) {
		for _, a := range attrs {
			if v, ok := strings.CutPrefix(f, a+"="); ok {
				got[a] = v
			}
		}
	}
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

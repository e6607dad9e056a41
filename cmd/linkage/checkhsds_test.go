package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// startDemo runs `linkage serve` in demo mode in this process (what `make
// run` does), with its data in dataDir, until the test ends, and returns
// its URL once /readyz says the search index is current.
func startDemo(t *testing.T, dataDir string, extra map[string]string) string {
	t.Helper()
	vars := map[string]string{"LINKAGE_DATA_DIR": dataDir, "LINKAGE_ADDR": "127.0.0.1:0", "LINKAGE_DEMO": "true"}
	for k, v := range extra {
		vars[k] = v
	}
	// The index logs that it is current when /readyz turns 200.
	base := serveUntil(t, vars, []string{"search index is current"}, "url")["url"]
	if code, body := httpGet(t, base+"/readyz"); code != http.StatusOK {
		t.Fatalf("the demo server at %s says it is current, but /readyz: %d %s", base, code, body)
	}
	return base
}

var summaryLine = regexp.MustCompile(`(?m)^hsds: (\d+) checked, (\d+) failed$`)

// `linkage check-hsds` walks a real demo server over HTTP and finds
// nothing wrong; the same walk through a server that breaks one service,
// or fails a list, reports it and exits 1.
func TestCheckHSDS(t *testing.T) {
	base := startDemo(t, t.TempDir(), nil)
	ctx := context.Background()
	var out, errOut bytes.Buffer
	code := run(ctx, []string{"check-hsds", base + "/"}, envMap(nil), &out, &errOut)
	m := summaryLine.FindStringSubmatch(out.String())
	if code != 0 || m == nil || m[2] != "0" || len(m[1]) < 2 {
		t.Fatalf("the demo: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	// GET /, three pages of four lists and the one page of the two
	// taxonomies, five records of each list (both taxonomies).
	if m[1] != "36" {
		t.Errorf("checked %s answers of the demo, want 36:\n%s", m[1], out.String())
	}

	// A server in front of the demo that drops the name of every service
	// it serves whole and fails the organization list.
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/organizations" {
			http.Error(w, "database is down", http.StatusInternalServerError)
			return
		}
		resp, err := http.Get(base + r.URL.RequestURI())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if strings.HasPrefix(r.URL.Path, "/services/") {
			var svc map[string]any
			if err := json.Unmarshal(body, &svc); err != nil {
				t.Error(err)
			}
			delete(svc, "name")
			body, _ = json.Marshal(svc)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(body)
	}))
	defer broken.Close()
	out.Reset()
	errOut.Reset()
	code = run(ctx, []string{"check-hsds", broken.URL}, envMap(nil), &out, &errOut)
	m = summaryLine.FindStringSubmatch(out.String())
	// Five services without a name and one failed list, of 29 answers
	// (no later organization pages or records to read).
	if code != 1 || m == nil || m[2] != "6" {
		t.Fatalf("the broken server: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{
		broken.URL + "/organizations?per_page=25&page=1: HTTP 500: database is down",
		"(body): missing property 'name'",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report does not say %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(errOut.String(), "6 of 29 answers") {
		t.Errorf("stderr: %q", errOut.String())
	}

	// Nothing listening: every answer fails, and the command says so.
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	out.Reset()
	if code := run(ctx, []string{"check-hsds", dead.URL}, envMap(nil), &out, io.Discard); code != 1 || !strings.Contains(out.String(), "connection refused") {
		t.Errorf("no server: exit %d\n%s", code, out.String())
	}
	if code := run(ctx, []string{"check-hsds"}, envMap(nil), io.Discard, io.Discard); code != 2 {
		t.Errorf("no URL: exit %d, want 2", code)
	}
}

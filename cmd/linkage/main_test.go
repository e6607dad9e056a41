package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/config"
)

func envMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// TestServe_GracefulShutdown starts the real server on the demo data, keeps
// a request in flight, stops the server (what SIGTERM does), and shows the
// request still completes and the process exits cleanly.
func TestServe_GracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	env := envMap(map[string]string{"LINKAGE_DATA_DIR": dir, "LINKAGE_ADDR": "127.0.0.1:0", "LINKAGE_DEMO": "true"})
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	logR, logW := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, env, io.Discard, logW)
		logW.Close()
	}()
	// The log says where it listens once the demo data is loaded.
	lines := logLines(logR)
	line := waitLine(t, lines, "url=http://", 2*time.Minute)
	go func() {
		for range lines {
		}
	}()
	base := strings.Fields(line[strings.Index(line, "url=http://")+4:])[0]
	var page struct {
		TotalItems int `json:"total_items"`
	}
	getJSON(t, base+"/services?per_page=1", &page)
	if page.TotalItems < 250 {
		t.Fatalf("demo data not loaded: %d services", page.TotalItems)
	}

	// Earlier requests are done (only the probe itself is in flight), so
	// the next count of two can only be the slow request below.
	waitInFlight(t, base, 1)
	// A POST whose body is still being sent is in flight.
	bodyR, bodyW := io.Pipe()
	result := make(chan *http.Response, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, base+"/services", bodyR)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
		}
		result <- resp
	}()
	if _, err := bodyW.Write([]byte("per_page=")); err != nil {
		t.Fatal(err)
	}
	waitInFlight(t, base, 2)
	stop() // SIGTERM
	// The listener closes: new connections are refused while the old one works.
	eventually(t, 10*time.Second, "new connections are refused", func() bool {
		c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: time.Second}
		resp, err := c.Get(base + "/healthz")
		if err != nil {
			return true
		}
		resp.Body.Close()
		return false
	})
	_, _ = bodyW.Write([]byte("2"))
	bodyW.Close()
	resp := <-result
	if resp == nil {
		t.Fatal("in-flight request failed")
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(b, []byte(`"size":2`)) {
		t.Fatalf("in-flight request: %d %s", resp.StatusCode, b)
	}
	if code := <-done; code != 0 {
		t.Fatalf("exit code %d", code)
	}
}

// waitInFlight reads /metrics until n requests (itself included) are being served.
func waitInFlight(t *testing.T, base string, n int) {
	t.Helper()
	eventually(t, 10*time.Second, fmt.Sprintf("%d requests in flight", n), func() bool {
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return bytes.Contains(b, []byte(fmt.Sprintf("linkage_http_requests_in_flight %d\n", n)))
	})
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// TestCLI: every command has --help; import reports problems with exit 1 and
// a good file with exit 0; export writes a file that imports back.
func TestCLI(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	env := envMap(map[string]string{"LINKAGE_DATA_DIR": dir})
	for _, args := range [][]string{{"--help"}, {"serve", "--help"}, {"migrate", "--help"}, {"import", "--help"},
		{"export", "--help"}, {"seed", "demo", "--help"}, {"seed", "synthetic", "--help"}, {"check-hsds", "--help"}} {
		var out bytes.Buffer
		if code := run(ctx, args, env, &out, &out); code != 0 || !strings.Contains(out.String(), "Usage") {
			t.Fatalf("%v: exit %d: %s", args, code, out.String())
		}
	}
	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"nonsense"}, env, &out, &errOut); code != 2 {
		t.Fatalf("unknown command: exit %d", code)
	}
	if code := run(ctx, []string{"seed", "synthetic", "--services", "40", "--seed", "3"}, env, &out, &errOut); code != 0 {
		t.Fatalf("seed synthetic: %d %s", code, errOut.String())
	}
	export := filepath.Join(dir, "all.jsonl")
	out.Reset()
	if code := run(ctx, []string{"export", "--format", "json", export}, env, &out, &errOut); code != 0 || !strings.Contains(out.String(), "40 services") {
		t.Fatalf("export: %d %s %s", code, out.String(), errOut.String())
	}
	bad := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(bad, []byte(`{"id":"x","name":"No","status":"active","organization_id":"y"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errOut.Reset()
	if code := run(ctx, []string{"import", bad}, env, &out, &errOut); code != 1 || !strings.Contains(out.String(), "bad.jsonl:1: record x: /id") ||
		!strings.Contains(errOut.String(), "nothing was written") {
		t.Fatalf("bad import: exit %d\nstdout: %s\nstderr: %s", code, out.String(), errOut.String())
	}
	fresh := envMap(map[string]string{"LINKAGE_DATA_DIR": t.TempDir()})
	out.Reset()
	if code := run(ctx, []string{"import", export}, fresh, &out, &errOut); code != 0 || !strings.Contains(out.String(), "40 services") {
		t.Fatalf("import of export: %d %s %s", code, out.String(), errOut.String())
	}
}

// linkage import lists the first 1,000 problems and counts the rest, and
// applies the import limits of the configuration unless its flags say
// otherwise.
func TestCLI_ImportBounds(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	env := envMap(map[string]string{"LINKAGE_DATA_DIR": dir, "LINKAGE_IMPORT_MAX_TOTAL_BYTES": "1048576"})
	broken := filepath.Join(dir, "broken.jsonl")
	if err := os.WriteFile(broken, []byte(strings.Repeat("{not json\n", 1200)), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := run(ctx, []string{"import", broken}, env, &out, &errOut)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if code != 1 || len(lines) != 1001 || !strings.HasPrefix(lines[0], "broken.jsonl:1: ") ||
		lines[1000] != "... and 200 more problems, not listed (the first 1000 are above)" || !strings.Contains(errOut.String(), "1200 problem(s)") {
		t.Fatalf("exit %d, %d lines, last %q; stderr %s", code, len(lines), lines[len(lines)-1], errOut.String())
	}
	big := filepath.Join(dir, "big.jsonl")
	if err := os.WriteFile(big, []byte(strings.Repeat(" ", 2<<20)), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errOut.Reset()
	if code := run(ctx, []string{"import", big}, env, &out, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), "LINKAGE_IMPORT_MAX_TOTAL_BYTES") || !strings.Contains(errOut.String(), "1048576") {
		t.Fatalf("over the limit: exit %d %s", code, errOut.String())
	}
	out.Reset()
	errOut.Reset()
	// The flag lifts the limit; the file of spaces then holds no records.
	if code := run(ctx, []string{"import", "--max-total-bytes", "0", big}, env, &out, &errOut); code != 1 || !strings.Contains(out.String(), "holds no HSDS records") {
		t.Fatalf("--max-total-bytes 0: exit %d %s %s", code, out.String(), errOut.String())
	}
}

// A replacement poverty guidelines file is read at start; a broken one
// stops the start with the reason.
func TestPovertyGuidelinesFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "pg.json")
	body := `{"year": 2026, "regions": {"contiguous": {"sizes": [16000, 21600], "each_additional": 5600},
	  "AK": {"sizes": [20000, 27000], "each_additional": 7000}, "HI": {"sizes": [18400, 24800], "each_additional": 6400}}}`
	if err := os.WriteFile(good, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	g, err := povertyGuidelines(config.Config{GuidelinesFile: good})
	if err != nil || g.Year != 2026 || g.Line(3, "") != 21600+5600 {
		t.Fatalf("replacement guidelines: %+v %v", g, err)
	}
	if g, err := povertyGuidelines(config.Config{}); err != nil || g.Year != 2025 {
		t.Fatalf("shipped guidelines: %v %v", g.Year, err)
	}
	bad := filepath.Join(dir, "bad.json")
	_ = os.WriteFile(bad, []byte(`{"year": 2026, "regions": {}}`), 0o600)
	if _, err := povertyGuidelines(config.Config{GuidelinesFile: bad}); err == nil || !strings.Contains(err.Error(), "LINKAGE_POVERTY_GUIDELINES_FILE") {
		t.Errorf("a broken file: %v", err)
	}
}

// `linkage import --extract-eligibility` and `linkage eligibility extract`
// propose criteria once: a second run, or a dry run after, proposes none.
func TestEligibilityExtractCLI(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	env := envMap(map[string]string{"LINKAGE_DATA_DIR": dir})
	runJSON := func(args ...string) map[string]any {
		t.Helper()
		var out bytes.Buffer
		if code := run(ctx, args, env, &out, io.Discard); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, out.String())
		}
		var m map[string]any
		if err := json.Unmarshal(out.Bytes(), &m); err != nil {
			t.Fatalf("%v: %s", args, out.String())
		}
		return m
	}
	var out bytes.Buffer
	if code := run(ctx, []string{"import", "../../seed/demo/taxonomy.json"}, env, &out, io.Discard); code != 0 {
		t.Fatalf("import taxonomy: %s", out.String())
	}
	out.Reset()
	if code := run(ctx, []string{"import", "../../seed/demo/organizations.json"}, env, &out, io.Discard); code != 0 {
		t.Fatalf("import: %s", out.String())
	}
	dry := runJSON("eligibility", "extract", "--dry-run")
	if dry["proposed"].(float64) < 100 {
		t.Fatalf("dry run on the demo: %v", dry)
	}
	real := runJSON("eligibility", "extract")
	if real["proposed"] != dry["proposed"] {
		t.Errorf("stored %v, the dry run said %v", real["proposed"], dry["proposed"])
	}
	if again := runJSON("eligibility", "extract", "--dry-run"); again["proposed"].(float64) != 0 {
		t.Errorf("after the extraction a dry run proposes %v", again["proposed"])
	}
	if code := run(ctx, []string{"eligibility", "nonsense"}, env, io.Discard, io.Discard); code != 2 {
		t.Errorf("a bad subcommand: exit %d", code)
	}
}

// `linkage version` names the build from its build info.
func TestVersionLine(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v0.4.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "803d113abc"}, {Key: "vcs.time", Value: "2026-12-07T01:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	if got, want := versionLine(bi, true), "linkage v0.4.0 (803d113abc, 2026-12-07T01:00:00Z, modified), go1.26.0"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	bi.Main.Version = "(devel)"
	if got := versionLine(bi, true); !strings.HasPrefix(got, "linkage dev (803d113abc") {
		t.Errorf("a development build: %q", got)
	}
	if got := versionLine(nil, false); got != "linkage dev" {
		t.Errorf("no build info: %q", got)
	}
}

// `linkage --version` is `linkage version`, and neither needs a valid
// configuration.
func TestCLI_Version(t *testing.T) {
	broken := envMap(map[string]string{"LINKAGE_LOG_LEVEL": "loud"})
	var a, b bytes.Buffer
	if code := run(context.Background(), []string{"version"}, broken, &a, io.Discard); code != 0 {
		t.Fatalf("version: exit %d", code)
	}
	if code := run(context.Background(), []string{"--version"}, broken, &b, io.Discard); code != 0 {
		t.Fatalf("--version: exit %d", code)
	}
	if !strings.HasPrefix(a.String(), "linkage ") || a.String() != b.String() {
		t.Fatalf("version %q, --version %q", a.String(), b.String())
	}
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestMain lets a test start this binary as the linkage command itself, so
// a real process can be killed with SIGKILL.
func TestMain(m *testing.M) {
	if os.Getenv("LINKAGE_TEST_AS_MAIN") == "1" {
		ctx, stop := signalContext()
		code := run(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// server is `linkage serve` in a child process.
type server struct {
	cmd   *exec.Cmd
	lines chan string
}

func startServer(t *testing.T, env []string) *server {
	t.Helper()
	return startCommand(t, env, "serve")
}

// startCommand runs `linkage args...` in a child process.
func startCommand(t *testing.T, env []string, args ...string) *server {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), append([]string{"LINKAGE_TEST_AS_MAIN=1"}, env...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, lines: make(chan string, 1024)}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
		close(s.lines)
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return s
}

// waitFor reads the log until the n-th line containing msg; false if the
// process ended first.
func (s *server) waitFor(msg string, n int) bool {
	for line := range s.lines {
		if strings.Contains(line, msg) {
			n--
			if n == 0 {
				return true
			}
		}
	}
	return false
}

func (s *server) kill(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	for range s.lines {
	}
	_ = s.cmd.Wait()
}

// TestServe_KilledWhileIndexing: SIGKILL in the middle of a rebuild and in
// the middle of catching up; after a restart the index matches the
// database exactly (same ids, same documents).
func TestServe_KilledWhileIndexing(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"LINKAGE_DATA_DIR": dir, "LINKAGE_ADDR": "127.0.0.1:0", "LINKAGE_LOG_LEVEL": "debug",
		"LINKAGE_INDEX_BATCH": "10", "LINKAGE_INDEX_REBUILD_BATCH": "10"}
	var env []string
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	inProc := func(args ...string) (int, string) {
		var out bytes.Buffer
		code := run(context.Background(), args, envMap(vars), &out, io.Discard)
		return code, out.String()
	}
	if code, out := inProc("seed", "demo"); code != 0 {
		t.Fatalf("seed demo: %d %s", code, out)
	}

	// 1. Killed while rebuilding from nothing.
	s := startServer(t, env)
	if !s.waitFor("search index rebuild batch applied", 3) {
		t.Fatal("the server ended before indexing")
	}
	s.kill(t, syscall.SIGKILL)
	if code, _ := inProc("reindex", "--check"); code == 0 {
		t.Fatal("a rebuild killed half way left an index that passes the check")
	}

	// 2. Restarted, it rebuilds; then new changes arrive while it is down,
	// and it is killed while catching up on them.
	s = startServer(t, env)
	if !s.waitFor("search index is current", 1) {
		t.Fatal("the server did not finish its rebuild")
	}
	s.kill(t, syscall.SIGKILL)
	if code, out := inProc("seed", "synthetic", "--services", "120", "--seed", "7"); code != 0 {
		t.Fatalf("seed synthetic: %d %s", code, out)
	}
	s = startServer(t, env)
	if !s.waitFor("search index batch applied", 3) {
		t.Fatal("the server ended before catching up")
	}
	s.kill(t, syscall.SIGKILL)

	// 3. Restarted once more: it catches up from what the killed process
	// stored, and the index then equals the database.
	s = startServer(t, env)
	if !s.waitFor("search index is current", 1) {
		t.Fatal("the server did not catch up")
	}
	s.kill(t, syscall.SIGTERM)
	code, out := inProc("reindex", "--check")
	if code != 0 || !strings.Contains(out, "missing 0, extra 0, different 0") {
		t.Fatalf("index after restarts: exit %d, %s", code, out)
	}
}

// url reads the log until the server says where it listens.
func (s *server) url() string {
	for line := range s.lines {
		if i := strings.Index(line, "url=http://"); i >= 0 {
			return strings.Fields(line[i+4:])[0]
		}
	}
	return ""
}

// A server killed during a bulk import: after a restart the job is reported
// failed, not stuck, and the database holds nothing of it.
func TestServe_KilledDuringImport(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"LINKAGE_DATA_DIR": dir, "LINKAGE_ADDR": "127.0.0.1:0", "LINKAGE_LOG_LEVEL": "info",
		"LINKAGE_IMPORT_STALE": "1s", "LINKAGE_MAX_BODY_BYTES": "268435456", "LINKAGE_RATE_ANONYMOUS": "0"}
	var env []string
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	inProc := func(args ...string) (int, string) {
		var out bytes.Buffer
		code := run(context.Background(), args, envMap(vars), &out, io.Discard)
		return code, out.String()
	}
	if code, out := inProc("seed", "demo"); code != 0 {
		t.Fatalf("seed demo: %d %s", code, out)
	}
	code, out := inProc("apikey", "create", "--role", "admin", "--name", "test")
	if code != 0 {
		t.Fatalf("apikey: %d %s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	key := lines[len(lines)-1]
	big := filepath.Join(dir, "big.jsonl")
	if code, out := inProc("seed", "synthetic", "--services", "20000", "--seed", "5", "--out", big); code != 0 {
		t.Fatalf("synthetic file: %d %s", code, out)
	}

	s := startServer(t, env)
	base := s.url()
	go func() {
		for range s.lines {
		}
	}()
	total := func(base string) int {
		var page struct {
			Total int `json:"total_items"`
		}
		getJSON(t, base+"/services?per_page=1", &page)
		return page.Total
	}
	before := total(base)

	// Upload, and kill the server as soon as the job runs.
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	fw, _ := w.CreateFormFile("file", "big.jsonl")
	f, err := os.Open(big)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(fw, f)
	f.Close()
	_ = w.Close()
	req, _ := http.NewRequest("POST", base+"/imports", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var job struct{ ID, State, Error string }
	_ = json.NewDecoder(resp.Body).Decode(&job)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || job.State != "running" {
		t.Fatalf("upload: %d %+v", resp.StatusCode, job)
	}
	s.kill(t, syscall.SIGKILL)

	// Restarted, it reports the job failed; the directory is as before.
	s = startServer(t, env)
	base = s.url()
	if !s.waitFor("import jobs abandoned by a stopped server marked failed", 1) {
		t.Fatal("the restarted server never failed the abandoned job")
	}
	go func() {
		for range s.lines {
		}
	}()
	req, _ = http.NewRequest("GET", base+"/imports/"+job.ID, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = json.NewDecoder(resp.Body).Decode(&job)
	resp.Body.Close()
	if job.State != "failed" || job.Error == "" {
		t.Fatalf("job after the restart: %+v", job)
	}
	if after := total(base); after != before {
		t.Fatalf("services: %d before the killed import, %d after", before, after)
	}
	s.kill(t, syscall.SIGTERM)
}

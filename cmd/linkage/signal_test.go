package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// envList turns settings into a child process's environment entries.
func envList(vars map[string]string) []string {
	var env []string
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env
}

// readLog reads a child's log until a line containing msg (msg "": until
// it exits) and returns the lines read; the test fails if neither happens
// within limit, so a command that hangs fails the test instead of hanging it.
func (s *server) readLog(t *testing.T, msg string, limit time.Duration) []string {
	t.Helper()
	deadline := time.After(limit)
	var out []string
	for {
		select {
		case line, ok := <-s.lines:
			if !ok {
				if msg != "" {
					t.Fatalf("ended before logging %q; its log: %s", msg, strings.Join(out, "\n"))
				}
				return out
			}
			out = append(out, line)
			if msg != "" && strings.Contains(line, msg) {
				return out
			}
		case <-deadline:
			t.Fatalf("after %s, neither %q nor an exit; its log: %s", limit, msg, strings.Join(out, "\n"))
		}
	}
}

// A reindex against the data dir of a running server stops at once and
// says what holds the index and what to do, instead of waiting for Bleve's
// file lock forever; the refused rebuild leaves the server's index alone.
func TestReindex_IndexInUse(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"LINKAGE_DATA_DIR": dir, "LINKAGE_ADDR": "127.0.0.1:0"}
	if code := run(context.Background(), []string{"seed", "demo"}, envMap(vars), io.Discard, io.Discard); code != 0 {
		t.Fatalf("seed demo: exit %d", code)
	}
	s := startServer(t, envList(vars))
	s.readLog(t, "search index is current", time.Minute)
	for _, args := range [][]string{{"reindex", "--check"}, {"reindex"}} {
		var stderr bytes.Buffer
		start := time.Now()
		done := make(chan int, 1)
		go func() { done <- run(context.Background(), args, envMap(vars), io.Discard, &stderr) }()
		var code int
		select {
		case code = <-done:
		case <-time.After(30 * time.Second):
			t.Fatalf("%s beside a server still waits after 30s", strings.Join(args, " "))
		}
		took := time.Since(start)
		msg := stderr.String()
		if code != 1 {
			t.Errorf("%s beside a server: exit %d, want 1; %s", strings.Join(args, " "), code, msg)
		}
		for _, want := range []string{"the search index in " + filepath.Join(dir, "index") + " is in use by another process",
			"`linkage serve`", "Stop that server", "linkage " + strings.Join(args, " ") + "` again", "GET /readyz"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s beside a server: the message lacks %q: %s", strings.Join(args, " "), want, msg)
			}
		}
		if took > 5*time.Second {
			t.Errorf("%s took %s to give up", strings.Join(args, " "), took)
		}
	}
	s.kill(t, syscall.SIGTERM)
	var out bytes.Buffer
	if code := run(context.Background(), []string{"reindex", "--check"}, envMap(vars), &out, io.Discard); code != 0 ||
		!strings.Contains(out.String(), "missing 0, extra 0, different 0") {
		t.Fatalf("the server's index after the refused commands: exit %d, %s", code, out.String())
	}
}

// A command waiting on something that may never end (here another
// process's migration lock) exits on SIGTERM and says it was interrupted.
func TestMigrate_ExitsOnSIGTERM(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"LINKAGE_DATA_DIR": dir}
	if code := run(context.Background(), []string{"migrate"}, envMap(vars), io.Discard, io.Discard); code != 0 {
		t.Fatalf("migrate: exit %d", code)
	}
	// This test is the other process, in the middle of its migration.
	f, err := os.OpenFile(filepath.Join(dir, "linkage.db.migrate-lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	s := startCommand(t, envList(vars), "migrate")
	s.readLog(t, "waiting for another process's database migration to finish", 30*time.Second)
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	rest := s.readLog(t, "", 15*time.Second)
	var exit *exec.ExitError
	if err := s.cmd.Wait(); !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Errorf("migrate after SIGTERM: %v, want exit status 1", err)
	}
	if !strings.Contains(strings.Join(rest, "\n"), "linkage migrate: interrupted by a signal before it finished") {
		t.Errorf("migrate after SIGTERM said: %s", strings.Join(rest, "\n"))
	}
}

package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linkage-org/linkage/internal/metrics"
)

// A client that stops reading fails the export's next write after the
// stall time, so it cannot hold an export slot.
func TestStallWriter(t *testing.T) {
	done := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &stallWriter{ResponseWriter: w, rc: http.NewResponseController(w), stall: 200 * time.Millisecond}
		chunk := bytes.Repeat([]byte("x"), 1<<20)
		for range 1024 { // 1 GiB: far more than any socket buffer
			if _, err := sw.Write(chunk); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}))
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4096)
	}
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n") // and never read
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("1 GiB was written to a client that reads nothing")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the write to a stalled client did not time out")
	}
}

// Streams are bounded per client address and per server.
func TestStreamSlots(t *testing.T) {
	var s streamSlots
	for i := range maxStreamsPerAddr {
		if !s.take("a") {
			t.Fatalf("stream %d of one address refused", i+1)
		}
	}
	if s.take("a") {
		t.Fatal("one address got more than its streams")
	}
	s.give("a")
	if !s.take("a") {
		t.Fatal("a finished stream's slot was not given back")
	}
	n := maxStreamsPerAddr
	for i := 0; n < maxStreams; i++ {
		if s.take(fmt.Sprint("b", i)) {
			n++
		}
	}
	if s.take("c") {
		t.Fatal("the server ran more than its streams")
	}
}

// levelRecorder keeps the level of every log record.
type levelRecorder struct {
	mu     sync.Mutex
	levels map[string]slog.Level
}

func (r *levelRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *levelRecorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key == "route" {
			r.levels[a.Value.String()] = rec.Level
		}
		return true
	})
	return nil
}
func (r *levelRecorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *levelRecorder) WithGroup(string) slog.Handler      { return r }

// A /readyz that answers 503 (a rebuild running) is logged at info, not as
// an error every few seconds.
func TestObserve_NotReadyIsNotAnError(t *testing.T) {
	rec := &levelRecorder{levels: map[string]slog.Level{}}
	h := &handler{log: slog.New(rec), metrics: metrics.New(), now: time.Now}
	e := echo.New()
	e.Use(h.observe)
	e.GET("/readyz", func(c echo.Context) error { return c.NoContent(http.StatusServiceUnavailable) })
	e.GET("/boom", func(c echo.Context) error { return c.NoContent(http.StatusInternalServerError) })
	for _, p := range []string{"/readyz", "/boom"} {
		e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, p, nil))
	}
	if rec.levels["/readyz"] != slog.LevelInfo || rec.levels["/boom"] != slog.LevelError {
		t.Errorf("levels %v: want /readyz at INFO and a 500 at ERROR", rec.levels)
	}
}

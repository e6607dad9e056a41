package httpapi

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
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

package main

import (
	"testing"
	"time"
)

// eventually calls ok until it is true, waiting 10 ms after the first try
// and twice as long after each next (at most 500 ms), and fails the test
// saying what never happened once timeout has passed. For conditions that
// give no signal of their own; where one exists (a log line, a channel),
// wait for that instead.
func eventually(t *testing.T, timeout time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	wait := 10 * time.Millisecond
	for !ok() {
		left := time.Until(deadline)
		if left <= 0 {
			t.Fatalf("after %s, still not: %s", timeout, what)
		}
		time.Sleep(min(wait, left))
		wait = min(2*wait, 500*time.Millisecond)
	}
}

func TestEventually(t *testing.T) {
	tries := 0
	start := time.Now()
	eventually(t, 10*time.Second, "the fifth try", func() bool { tries++; return tries == 5 })
	// 10 + 20 + 40 + 80 ms of waiting: the backoff grows, and is bounded.
	if took := time.Since(start); tries != 5 || took < 150*time.Millisecond || took > 5*time.Second {
		t.Fatalf("%d tries in %s", tries, took)
	}
}

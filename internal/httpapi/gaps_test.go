package httpapi

import (
	"context"
	"testing"
)

// A yield returns when the last request leaves, and under constant load
// it returns anyway (the work keeps going), as it does when its context
// ends.
func TestRequestGaps(t *testing.T) {
	var g requestGaps
	y := g.yielder()
	y(context.Background()) // nothing in flight: returns at once

	g.enter()
	done := make(chan struct{})
	go func() { y(context.Background()); close(done) }()
	g.leave()
	<-done

	g.enter() // a request that never ends
	defer g.leave()
	done = make(chan struct{})
	go func() { y(context.Background()); close(done) }()
	<-done // bounded by the work done since the last yield, and maxYield

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	y(ctx)
	if g.n != 1 {
		t.Fatalf("%d requests in flight, want 1", g.n)
	}
}

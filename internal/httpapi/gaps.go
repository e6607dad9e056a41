package httpapi

import (
	"context"
	"sync"
	"time"
)

// requestGaps lets background work (an import) give way to requests: on a
// small machine an import's CPU, and its database's, would otherwise
// stretch every answer the API gives while it runs.
type requestGaps struct {
	mu   sync.Mutex
	n    int           // requests in flight
	idle chan struct{} // closed while n is 0
}

// maxYield bounds one wait, so work makes progress under any load.
const maxYield = 100 * time.Millisecond

func (g *requestGaps) enter() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.n == 0 {
		g.idle = make(chan struct{})
	}
	g.n++
}

func (g *requestGaps) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n--
	if g.n == 0 {
		close(g.idle)
	}
}

// yielder returns a function that background work calls between units of
// work: it returns at once when no request is in flight, otherwise when
// none is, but never waits longer than the work ran since its last call
// (nor maxYield), so the work keeps at least half its pace however busy
// the API is.
func (g *requestGaps) yielder() func(context.Context) {
	last := time.Now()
	return func(ctx context.Context) {
		worked := time.Since(last)
		g.mu.Lock()
		busy, idle := g.n > 0, g.idle
		g.mu.Unlock()
		if busy {
			t := time.NewTimer(min(worked, maxYield))
			select {
			case <-idle:
			case <-t.C:
			case <-ctx.Done():
			}
			t.Stop()
		}
		last = time.Now()
	}
}

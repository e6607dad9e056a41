// Package indexsynctest gives tests a real, current search index over a
// store: built in memory (or in a directory) with the shipped synonyms.
package indexsynctest

import (
	"bytes"
	"context"
	"testing"

	"github.com/linkage-org/linkage/internal/indexsync"
	"github.com/linkage-org/linkage/internal/search"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/seed"
)

// Synonyms parses the shipped synonym list.
func Synonyms(t testing.TB) *search.Synonyms {
	t.Helper()
	syn, err := search.ParseSynonyms(bytes.NewReader(seed.Synonyms()))
	if err != nil {
		t.Fatal(err)
	}
	return syn
}

// Ready returns a Syncer whose index holds everything in st, ready to
// search. Later writes reach it through Drain (or WaitFor with Run).
func Ready(t testing.TB, st *store.Store, opts indexsync.Options) *indexsync.Syncer {
	t.Helper()
	ctx := context.Background()
	if opts.Synonyms == nil {
		opts.Synonyms = Synonyms(t)
	}
	sy := indexsync.New(st, opts)
	rebuild, err := sy.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rebuild {
		if err := sy.Rebuild(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := sy.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sy.Close() })
	return sy
}

// Running is Ready with the syncer's loop running, as in a server: writes
// reach the index by themselves (and WaitFor returns once they have).
func Running(t testing.TB, st *store.Store, opts indexsync.Options) *indexsync.Syncer {
	t.Helper()
	sy := Ready(t, st, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = sy.Run(ctx, false)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return sy
}

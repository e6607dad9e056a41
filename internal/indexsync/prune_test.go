package indexsync

import (
	"context"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/importer"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
	"github.com/linkage-org/linkage/seed"
)

// The outbox is pruned of what is older than Retention, at most once an
// hour, by the Syncer's clock: the test moves it instead of waiting.
func TestPrune_ByTheClock(t *testing.T) {
	for _, dialect := range []string{store.SQLite, store.Postgres} {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			now := time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC)
			clock := func() time.Time { return now }
			st := storetest.Open(t, dialect, store.WithClock(clock))
			if _, err := importer.ImportFS(ctx, st, seed.Demo(), seed.DemoFiles[0], importer.Options{Actor: "test"}); err != nil {
				t.Fatal(err)
			}
			last, err := st.LastChangeSeq(ctx)
			if err != nil || last == 0 {
				t.Fatalf("no changes to prune (%d, %v)", last, err)
			}
			sy := New(st, Options{Retention: 24 * time.Hour, Now: clock})
			pruned := func() int64 {
				t.Helper()
				n, err := st.PrunedThrough(ctx)
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			at := sy.prune(ctx, time.Time{})
			if !at.Equal(now) || pruned() != 0 {
				t.Fatalf("pruned through %d at %s; nothing is older than a day", pruned(), at)
			}
			now = now.Add(25 * time.Hour)
			recent := now.Add(-30 * time.Minute)
			if again := sy.prune(ctx, recent); !again.Equal(recent) || pruned() != 0 {
				t.Fatalf("pruned through %d at %s: twice within the hour", pruned(), again)
			}
			if again := sy.prune(ctx, at); !again.Equal(now) || pruned() != last {
				t.Fatalf("pruned through %d at %s, want %d: every change is older than a day", pruned(), again, last)
			}
		})
	}
}

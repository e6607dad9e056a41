package indexsync

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/search"
	"github.com/linkage-org/linkage/internal/store"
)

// Progress reports rebuild progress: services done of total.
type Progress func(done, total int)

// rebuildFrom is what a rebuild reads before it streams the services.
type rebuildFrom struct {
	seq   int64 // the outbox sequence the new index starts at
	dbID  string
	total int // services, for progress
	tax   *search.Taxonomy
}

// Rebuild builds a new index from the database beside the current one and
// swaps it in; while it runs the Syncer is not ready. Changes that commit
// during the rebuild are applied after it by Drain.
func (s *Syncer) Rebuild(ctx context.Context, progress Progress) error {
	s.setReady(false)
	s.status.Store("the search index is being rebuilt")
	s.m.IndexRebuilds.Inc()
	start := s.now()
	from, err := s.rebuildFrom(ctx)
	if err != nil {
		return err
	}
	path, err := s.buildingPath()
	if err != nil {
		return err
	}
	ix, err := search.Create(path)
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "search index rebuild started", "services", from.total)
	// The rebuild's garbage is gone once it ends: give the memory back to
	// the system, so its peak does not stay the process's resident size
	// (1.4 GB -> 235 MB after it at 100,000 services). A collection, not
	// a setting: it changes nothing for the rest of the process.
	defer debug.FreeOSMemory()
	if s.opts.OfflineRebuild {
		defer tuneGC()()
	}
	done, err := s.fill(ctx, ix, from, progress)
	if err != nil {
		_ = ix.Close()
		if path != "" {
			_ = os.RemoveAll(path)
		}
		return fmt.Errorf("indexsync: rebuild: %w", err)
	}
	if path != "" {
		s.log.InfoContext(ctx, "search index rebuild merging segments", "services", done)
		if ix, err = s.swapIn(ctx, ix, path); err != nil {
			return err
		}
	}
	if err := s.install(ix, from.seq); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "search index rebuilt", "services", done, "seq", from.seq, "took", s.now().Sub(start).Round(time.Millisecond))
	return nil
}

// tuneGC lets the heap grow to four times what is live until the func it
// returns restores the setting. A rebuild allocates hundreds of bytes per
// token and keeps little: at the default the collector took a fifth of it
// (100,000 services: 73 s -> about 55 s at 300). The setting is the
// process's, so only an offline rebuild (Options.OfflineRebuild: linkage
// reindex) takes it; a server keeps the one its operator gave (GOGC,
// GOMEMLIMIT) for the requests it serves while it rebuilds.
func tuneGC() (restore func()) {
	old := debug.SetGCPercent(300)
	return func() { debug.SetGCPercent(old) }
}

// rebuildFrom reads what the rebuild starts from. The sequence is read
// first: everything up to it is in what the stream then reads; later
// changes are replayed (re-reading is idempotent).
func (s *Syncer) rebuildFrom(ctx context.Context) (rebuildFrom, error) {
	var f rebuildFrom
	var err error
	if f.seq, err = s.st.LastChangeSeq(ctx); err != nil {
		return f, err
	}
	if f.dbID, err = s.st.DatabaseID(ctx); err != nil {
		return f, err
	}
	counts, err := s.st.Counts(ctx)
	if err != nil {
		return f, err
	}
	f.total = int(counts["services"])
	f.tax, err = s.taxonomy(ctx, true)
	return f, err
}

// buildingPath is where the new index is built, emptied ("": in memory).
func (s *Syncer) buildingPath() (string, error) {
	if s.opts.Dir == "" {
		return "", nil
	}
	if err := os.MkdirAll(s.opts.Dir, 0o750); err != nil {
		return "", fmt.Errorf("indexsync: create index directory: %w", err)
	}
	path := s.indexPath() + ".building"
	if err := os.RemoveAll(path); err != nil {
		return "", fmt.Errorf("indexsync: clear %s: %w", path, err)
	}
	return path, nil
}

// fill streams every service into ix, stamps it with the database and
// sequence it was built from and returns how many services it read.
// Reading the database and writing the index overlap: batches are indexed
// while the stream loads the next. Two appliers: Bleve builds each batch's
// segment on the calling goroutine, so one applier left the second core
// idle.
func (s *Syncer) fill(ctx context.Context, ix *search.Index, from rebuildFrom, progress Progress) (int, error) {
	batches := make(chan []search.Document, 2)
	const appliers = 2
	applied := make(chan error, appliers)
	for range appliers {
		go func() {
			var err error
			for docs := range batches {
				if err == nil {
					err = ix.Apply(ctx, docs, nil, 0)
				}
			}
			applied <- err
		}()
	}
	done, lastLog := 0, s.now()
	var docs []search.Document
	err := s.st.StreamServices(ctx, store.Filter{}, store.ShapeIndex, func(svc *hsds.Service) error {
		docs = append(docs, search.Build(svc, from.tax, s.opts.Zone)...)
		done++
		if len(docs) >= s.opts.RebuildBatch {
			batches <- docs
			docs = nil
			s.log.DebugContext(ctx, "search index rebuild batch applied", "services", done)
		}
		if progress != nil {
			progress(done, from.total)
		}
		if now := s.now(); now.Sub(lastLog) > 5*time.Second {
			lastLog = now
			s.log.InfoContext(ctx, "search index rebuild progress", "done", done, "total", from.total)
		}
		return nil
	})
	if err == nil && len(docs) > 0 {
		batches <- docs
	}
	close(batches)
	for range appliers {
		if aerr := <-applied; err == nil {
			err = aerr
		}
	}
	if err == nil {
		err = ix.SetDatabase(from.dbID)
	}
	if err == nil {
		err = ix.Apply(ctx, nil, nil, from.seq)
	}
	return done, err
}

// swapIn closes the new index built at path, merges it to one segment
// (only closed are its last batches on disk), moves it into place of the
// current one and opens it. The merge takes about a fifth of the rebuild,
// after the last service is read: the caller says so, or the progress
// looks stuck at the end.
func (s *Syncer) swapIn(ctx context.Context, ix *search.Index, path string) (*search.Index, error) {
	if err := ix.Close(); err != nil {
		return nil, fmt.Errorf("indexsync: rebuild: close: %w", err)
	}
	if err := search.Compact(ctx, path); err != nil {
		_ = os.RemoveAll(path)
		return nil, fmt.Errorf("indexsync: rebuild: %w", err)
	}
	final := s.indexPath()
	if err := s.replaceFiles(path, final); err != nil {
		return nil, err
	}
	_ = os.RemoveAll(final + ".old")
	ix, err := search.Open(final)
	if err != nil {
		return nil, fmt.Errorf("indexsync: rebuild: reopen: %w", err)
	}
	return ix, nil
}

// replaceFiles closes the current index and moves the one at path to
// final in its place (the current one to final.old).
func (s *Syncer) replaceFiles(path, final string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.searcher != nil {
		_ = s.searcher.Index().Close()
		s.searcher = nil
	}
	_ = os.RemoveAll(final + ".old")
	if _, err := os.Stat(final); err == nil {
		if err := os.Rename(final, final+".old"); err != nil {
			return fmt.Errorf("indexsync: rebuild: move old index: %w", err)
		}
	}
	if err := os.Rename(path, final); err != nil {
		return fmt.Errorf("indexsync: rebuild: move new index: %w", err)
	}
	return nil
}

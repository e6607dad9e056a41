// Package indexsync keeps this process's search index in step with the
// database: it drains the search outbox in sequence order (re-reading each
// changed service, so the index never holds what the database no longer
// says), rebuilds the index when it is missing, corrupt, built with another
// mapping version or too far behind, and lets a writer wait until its change
// is searchable.
package indexsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/metrics"
	"github.com/linkage-org/linkage/internal/search"
	"github.com/linkage-org/linkage/internal/store"
)

// Options configure a Syncer.
type Options struct {
	// Dir is the index directory; "" keeps the index in memory (tests).
	Dir string
	// Zone is the IANA zone of locations that name none.
	Zone     string
	Synonyms *search.Synonyms
	Logger   *slog.Logger
	Metrics  *metrics.Metrics
	// Poll is how often the outbox is read for other processes' changes.
	Poll time.Duration
	// Retention is how long outbox rows are kept; 0 never prunes.
	Retention time.Duration
	// Batch is how many outbox rows one index batch applies.
	Batch int
	// RebuildBatch is how many documents one rebuild batch indexes (0:
	// 1,000). Each batch is a segment to merge later, yet small batches
	// cost less in all: building a segment slows down more than linearly
	// with its size (100,000 services on 2 cores, before documents were
	// planned: 20,000 a batch 144 s, 5,000 94 s, 2,000 86 s, 500 to 1,500
	// 65-73 s).
	RebuildBatch int
	// OfflineRebuild says the process does nothing else while it rebuilds
	// (linkage reindex): the rebuild then tunes the collector, a setting
	// of the whole process, for its length (see tuneGC). A server leaves
	// it unset.
	OfflineRebuild bool
	// Now is the clock: what the outbox keeps, the index's lag, and the
	// instant of a query that names none (nil: time.Now). A server gives
	// the clock its API reads.
	Now func() time.Time
}

// Syncer owns the index of this process.
type Syncer struct {
	st   *store.Store
	opts Options
	log  *slog.Logger
	m    *metrics.Metrics
	now  func() time.Time

	mu       sync.RWMutex // guards searcher; writers swap it after a rebuild
	searcher *search.Searcher

	drainMu sync.Mutex // one drain at a time
	applied atomic.Int64
	ready   atomic.Bool
	status  atomic.Value // string: why not ready

	waitMu  sync.Mutex
	applyCh chan struct{} // closed and replaced after every applied batch

	wake      chan struct{}
	tax       atomic.Pointer[search.Taxonomy] // the terms the index's documents were built with
	readyCh   chan struct{}                   // closed when first ready
	readyOnce sync.Once

	subsMu sync.Mutex
	subs   []func(serviceIDs []string, all bool)
}

// A Syncer is the search the API uses.
var _ search.Indexer = (*Syncer)(nil)

// New makes a Syncer; call Open, then Run (or Drain in tests).
func New(st *store.Store, opts Options) *Syncer {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Metrics == nil {
		opts.Metrics = metrics.New()
	}
	if opts.Poll <= 0 {
		opts.Poll = 250 * time.Millisecond
	}
	if opts.Batch <= 0 {
		opts.Batch = 500
	}
	if opts.RebuildBatch <= 0 {
		opts.RebuildBatch = 1000
	}
	if opts.Zone == "" {
		opts.Zone = "America/New_York"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Syncer{st: st, opts: opts, log: opts.Logger, m: opts.Metrics, now: opts.Now,
		applyCh: make(chan struct{}), wake: make(chan struct{}, 1), readyCh: make(chan struct{})}
	s.status.Store("the search index is opening")
	return s
}

func (s *Syncer) indexPath() string {
	if s.opts.Dir == "" {
		return ""
	}
	return filepath.Join(s.opts.Dir, "index")
}

// Open opens the index on disk. It reports whether the index must be
// rebuilt (missing, corrupt, another mapping version, or behind the pruned
// outbox); Run does that rebuild. An index another process has open is
// search.ErrInUse, at once.
func (s *Syncer) Open(ctx context.Context) (rebuild bool, err error) {
	if s.opts.Dir == "" {
		return true, nil
	}
	// Another process (a server on this data dir) using the index, or
	// building its replacement, keeps it: cleaning or rebuilding here would
	// pull the files from under it.
	for _, p := range []string{s.indexPath(), s.indexPath() + ".building"} {
		if search.InUse(p) {
			return false, fmt.Errorf("indexsync: %w: %s", search.ErrInUse, p)
		}
	}
	s.cleanLeftovers()
	ix, err := search.Open(s.indexPath())
	switch {
	case errors.Is(err, search.ErrInUse):
		return false, fmt.Errorf("indexsync: %w", err)
	case errors.Is(err, search.ErrMissing), errors.Is(err, search.ErrStale), errors.Is(err, search.ErrCorrupt):
		s.log.InfoContext(ctx, "search index must be rebuilt", "reason", err.Error())
		return true, nil
	case err != nil:
		return false, err
	}
	seq, reason, err := s.check(ctx, ix)
	if err != nil || reason != "" {
		_ = ix.Close()
		if err != nil {
			return false, err
		}
		s.log.InfoContext(ctx, "search index must be rebuilt", "reason", reason)
		return true, nil
	}
	if err := s.install(ix, seq); err != nil {
		_ = ix.Close()
		return false, err
	}
	return false, nil
}

// check says why the index on disk cannot serve this database ("" when
// it can) and its sequence. An index belongs to one database and one
// stretch of its outbox: built from another database (a data directory
// reused for a new one), ahead of this database's outbox (a database
// restored from an older backup), or behind what was pruned from it, it
// would answer with records the database does not hold, or miss some.
func (s *Syncer) check(ctx context.Context, ix *search.Index) (int64, string, error) {
	seq, err := ix.Seq()
	if err != nil {
		return 0, err.Error(), nil
	}
	have, err := ix.Database()
	if err != nil {
		return 0, err.Error(), nil
	}
	want, err := s.st.DatabaseID(ctx)
	if err != nil {
		return 0, "", err
	}
	if have != want {
		return 0, fmt.Sprintf("it was built from another database (index %q, database %q)", have, want), nil
	}
	pruned, err := s.st.PrunedThrough(ctx)
	if err != nil {
		return 0, "", err
	}
	if seq < pruned {
		return 0, fmt.Sprintf("it is behind changes already pruned from the outbox (index at %d, pruned through %d)", seq, pruned), nil
	}
	last, err := s.st.LastChangeSeq(ctx)
	if err != nil {
		return 0, "", err
	}
	if seq > last {
		return 0, fmt.Sprintf("it is ahead of the database's changes (index at %d, database at %d)", seq, last), nil
	}
	return seq, "", nil
}

// cleanLeftovers removes half-built indexes of a process that died while
// rebuilding.
func (s *Syncer) cleanLeftovers() {
	matches, _ := filepath.Glob(filepath.Join(s.opts.Dir, "index.*"))
	for _, m := range matches {
		if strings.HasSuffix(m, ".building") || strings.HasSuffix(m, ".old") {
			_ = os.RemoveAll(m)
		}
	}
}

func (s *Syncer) install(ix *search.Index, seq int64) error {
	sr, err := search.NewSearcher(ix, s.opts.Synonyms)
	if err != nil {
		return err
	}
	s.changed(nil, true)
	s.mu.Lock()
	old := s.searcher
	s.searcher = sr
	s.mu.Unlock()
	if old != nil {
		_ = old.Index().Close()
	}
	s.applied.Store(seq)
	s.m.IndexSeq.Set(float64(seq))
	return nil
}

// Subscribe calls fn whenever the index is about to change (the change is
// committed in the database by then): with the services a batch touches,
// or with all set when the whole index is replaced. A cache of what the
// index finds that drops those entries is never older than the index.
// fn runs on the applying goroutine and must be quick.
func (s *Syncer) Subscribe(fn func(serviceIDs []string, all bool)) {
	s.subsMu.Lock()
	s.subs = append(s.subs, fn)
	s.subsMu.Unlock()
}

func (s *Syncer) changed(serviceIDs []string, all bool) {
	s.subsMu.Lock()
	subs := slices.Clone(s.subs)
	s.subsMu.Unlock()
	for _, fn := range subs {
		fn(serviceIDs, all)
	}
}

// Run keeps the index current until ctx ends: it rebuilds first if Open
// said so, then drains the outbox whenever woken and every Poll.
func (s *Syncer) Run(ctx context.Context, rebuild bool) error {
	if rebuild {
		if err := s.Rebuild(ctx, nil); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			s.status.Store("the search index could not be built: " + err.Error())
			return err
		}
	}
	if err := s.CatchUp(ctx); err != nil && ctx.Err() == nil {
		s.log.ErrorContext(ctx, "search index catch-up failed", "err", err)
	}
	ticker := time.NewTicker(s.opts.Poll)
	defer ticker.Stop()
	var lastPrune time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		case <-s.wake:
		}
		if err := s.Drain(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "search index update failed; retrying", "err", err)
		}
		lastPrune = s.prune(ctx, lastPrune)
	}
}

// prune drops outbox rows older than Retention, at most once an hour
// after last (the time of the previous pruning, which it returns anew).
func (s *Syncer) prune(ctx context.Context, last time.Time) time.Time {
	now := s.now()
	if s.opts.Retention <= 0 || now.Sub(last) <= time.Hour {
		return last
	}
	if n, err := s.st.PruneChanges(ctx, now.Add(-s.opts.Retention)); err != nil {
		s.log.WarnContext(ctx, "pruning the search outbox failed", "err", err)
	} else if n > 0 {
		s.log.InfoContext(ctx, "search outbox pruned", "rows", n)
	}
	return now
}

func (s *Syncer) setReady(ok bool) {
	s.ready.Store(ok)
	if ok {
		s.readyOnce.Do(func() { close(s.readyCh) })
		s.m.IndexReady.Set(1)
	} else {
		s.m.IndexReady.Set(0)
	}
}

// CatchUp drains the outbox and then declares the index ready.
func (s *Syncer) CatchUp(ctx context.Context) error {
	if err := s.Drain(ctx); err != nil {
		return err
	}
	s.setReady(true)
	s.log.InfoContext(ctx, "search index is current", "seq", s.applied.Load())
	return nil
}

// Notify wakes the loop at once (this process just wrote).
func (s *Syncer) Notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Ready is nil when the index is open and has caught up since start.
func (s *Syncer) Ready(context.Context) error {
	if s.ready.Load() {
		return nil
	}
	msg, _ := s.status.Load().(string)
	return apperr.E(apperr.Unavailable, "Not ready: %s.", msg)
}

// WaitReady blocks until the index is first ready or ctx ends.
func (s *Syncer) WaitReady(ctx context.Context) error {
	select {
	case <-s.readyCh:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Applied is the last outbox sequence in the index.
func (s *Syncer) Applied() int64 { return s.applied.Load() }

// WaitFor blocks until the index has applied seq or ctx ends (then it
// returns ctx's error): read-your-writes for this process's writes.
func (s *Syncer) WaitFor(ctx context.Context, seq int64) error {
	s.Notify()
	for {
		s.waitMu.Lock()
		ch := s.applyCh
		s.waitMu.Unlock()
		if s.applied.Load() >= seq {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

func (s *Syncer) announce(seq int64) {
	s.applied.Store(seq)
	s.m.IndexSeq.Set(float64(seq))
	s.waitMu.Lock()
	close(s.applyCh)
	s.applyCh = make(chan struct{})
	s.waitMu.Unlock()
}

// Search runs q on the current index (at the Syncer's clock when q has no
// Now).
func (s *Syncer) Search(ctx context.Context, q search.Query) (search.Result, error) {
	sr, release, err := s.acquire()
	if err != nil {
		return search.Result{}, err
	}
	defer release()
	return sr.Search(ctx, s.at(q))
}

// Values runs q and returns the distinct values of a stored field.
func (s *Syncer) Values(ctx context.Context, q search.Query, field string, limit int) ([]string, error) {
	sr, release, err := s.acquire()
	if err != nil {
		return nil, err
	}
	defer release()
	return sr.Values(ctx, s.at(q), field, limit)
}

// at gives q the Syncer's clock's instant when it names none.
func (s *Syncer) at(q search.Query) search.Query {
	if q.Now.IsZero() {
		q.Now = s.now()
	}
	return q
}

// Highlighter marks the words of a text query in fields (see
// search.Searcher.Highlighter); it marks nothing while search is not ready.
func (s *Syncer) Highlighter(query string) func(fields map[string]string) map[string]string {
	sr, release, err := s.acquire()
	if err != nil {
		return func(map[string]string) map[string]string { return nil }
	}
	defer release()
	return sr.Highlighter(query)
}

func (s *Syncer) acquire() (*search.Searcher, func(), error) {
	s.mu.RLock()
	if s.searcher == nil || !s.ready.Load() {
		s.mu.RUnlock()
		msg, _ := s.status.Load().(string)
		return nil, nil, apperr.E(apperr.Unavailable, "Search is not available yet: %s. Try again shortly.", msg)
	}
	return s.searcher, s.mu.RUnlock, nil
}

// Close closes the index.
func (s *Syncer) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.searcher == nil {
		return nil
	}
	err := s.searcher.Index().Close()
	s.searcher = nil
	return err
}

// taxonomy returns the terms documents are built with, reading them again
// when reload is set (a batch changed a term). A first read only fills an
// empty slot, so a slow reader never replaces a reload that came after it.
func (s *Syncer) taxonomy(ctx context.Context, reload bool) (*search.Taxonomy, error) {
	if tax := s.tax.Load(); tax != nil && !reload {
		return tax, nil
	}
	tax, err := loadTaxonomy(ctx, s.st)
	if err != nil {
		return nil, err
	}
	if reload {
		s.tax.Store(tax)
		return tax, nil
	}
	if !s.tax.CompareAndSwap(nil, tax) {
		return s.tax.Load(), nil
	}
	return tax, nil
}

// Categories are the top-level taxonomy codes (upper case, sorted), the
// values a category filter takes. They come from the terms the index was
// built with, kept in step by the change feed, so validating a search's
// categories costs no database round trip.
func (s *Syncer) Categories(ctx context.Context) ([]string, error) {
	tax, err := s.taxonomy(ctx, false)
	if err != nil {
		return nil, err
	}
	return tax.Categories(), nil
}

func loadTaxonomy(ctx context.Context, st *store.Store) (*search.Taxonomy, error) {
	var terms []hsds.TaxonomyTerm
	err := st.StreamTaxonomyTerms(ctx, store.Filter{}, func(t *hsds.TaxonomyTerm) error {
		terms = append(terms, *t)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("indexsync: load taxonomy: %w", err)
	}
	return search.NewTaxonomy(terms), nil
}

// Drain applies every change in the outbox, batch by batch, and returns
// when none is left. Each batch lands in the index with its last sequence.
func (s *Syncer) Drain(ctx context.Context) error {
	s.drainMu.Lock()
	defer s.drainMu.Unlock()
	s.mu.RLock()
	sr := s.searcher
	s.mu.RUnlock()
	if sr == nil {
		return nil
	}
	for {
		changes, err := s.st.ChangesAfter(ctx, s.applied.Load(), s.opts.Batch)
		if err != nil {
			return err
		}
		if len(changes) == 0 {
			s.observe(ctx, sr.Index())
			return nil
		}
		s.m.IndexLag.Set(s.now().Sub(changes[0].CreatedAt).Seconds())
		if err := s.apply(ctx, sr.Index(), changes); err != nil {
			return err
		}
		s.m.IndexApplied.Add(float64(len(changes)))
		s.announce(changes[len(changes)-1].Seq)
		s.log.DebugContext(ctx, "search index batch applied", "changes", len(changes), "seq", changes[len(changes)-1].Seq)
	}
}

// apply re-reads what changes touch and writes it to ix with the last seq.
func (s *Syncer) apply(ctx context.Context, ix *search.Index, changes []store.Change) error {
	reloadTax := slices.ContainsFunc(changes, func(c store.Change) bool { return c.Entity == store.EntityTaxonomyTerm })
	tax, err := s.taxonomy(ctx, reloadTax)
	if err != nil {
		return err
	}
	svcIDs, err := s.st.AffectedServiceIDs(ctx, changes)
	if err != nil {
		return err
	}
	// What the index holds for the changed records, so documents of deleted
	// services and of moved service_at_locations go. svcIDs already holds
	// every changed service, deleted ones included.
	var orgs, locs []string
	for _, c := range changes {
		switch c.Entity {
		case store.EntityOrganization:
			orgs = append(orgs, c.EntityID)
		case store.EntityLocation:
			locs = append(locs, c.EntityID)
		}
	}
	old := map[string]bool{}
	for _, q := range []struct {
		field string
		ids   []string
	}{{"service_id", svcIDs}, {"organization_id", orgs}, {"location_id", locs}} {
		if len(q.ids) == 0 {
			continue
		}
		ids, err := ix.DocIDs(ctx, q.field, q.ids)
		if err != nil {
			return err
		}
		for _, id := range ids {
			old[id] = true
		}
	}
	var docs []search.Document
	for start := 0; start < len(svcIDs); start += 250 {
		part := svcIDs[start:min(start+250, len(svcIDs))]
		loaded, err := s.st.ServicesByIDsShape(ctx, part, store.ShapeIndex)
		if err != nil {
			return err
		}
		for i := range loaded {
			docs = append(docs, search.Build(&loaded[i], tax, s.opts.Zone)...)
		}
	}
	for _, d := range docs {
		delete(old, d.ID)
	}
	del := make([]string, 0, len(old))
	for id := range old {
		del = append(del, id)
	}
	slices.Sort(del)
	s.changed(svcIDs, false)
	return ix.Apply(ctx, docs, del, changes[len(changes)-1].Seq)
}

// observe exports how far behind the index is.
func (s *Syncer) observe(ctx context.Context, ix *search.Index) {
	last, err := s.st.LastChangeSeq(ctx)
	if err == nil {
		s.m.OutboxLastSeq.Set(float64(last))
		s.m.OutboxBacklog.Set(float64(max(0, last-s.applied.Load())))
	}
	s.m.IndexLag.Set(0)
	if n, err := ix.Count(); err == nil {
		s.m.IndexDocuments.Set(float64(n))
	}
}

// DiskBytes is the size of the index at rest (see search.Index.DiskBytes).
func (s *Syncer) DiskBytes() (uint64, error) {
	sr, release, err := s.acquireAny()
	if err != nil {
		return 0, err
	}
	defer release()
	return sr.Index().DiskBytes()
}

// Check compares the index with the database: documents missing from the
// index, documents the database no longer has, and documents whose content
// differs. All empty means the index matches exactly.
type Check struct {
	Documents int
	Missing   []string
	Extra     []string
	Different []string
}

// OK reports an exact match.
func (c Check) OK() bool { return len(c.Missing)+len(c.Extra)+len(c.Different) == 0 }

// Verify builds every document from the database and compares it with the
// index.
func (s *Syncer) Verify(ctx context.Context) (Check, error) {
	sr, release, err := s.acquireAny()
	if err != nil {
		return Check{}, err
	}
	defer release()
	return Verify(ctx, s.st, sr.Index(), s.opts.Zone)
}

func (s *Syncer) acquireAny() (*search.Searcher, func(), error) {
	s.mu.RLock()
	if s.searcher == nil {
		s.mu.RUnlock()
		return nil, nil, apperr.E(apperr.Unavailable, "the search index is not open")
	}
	return s.searcher, s.mu.RUnlock, nil
}

// Verify compares ix with the documents the database gives.
func Verify(ctx context.Context, st *store.Store, ix *search.Index, zone string) (Check, error) {
	got, err := ix.Dump(ctx)
	if err != nil {
		return Check{}, err
	}
	tax, err := loadTaxonomy(ctx, st)
	if err != nil {
		return Check{}, err
	}
	var c Check
	err = st.StreamServices(ctx, store.Filter{}, store.ShapeIndex, func(svc *hsds.Service) error {
		for _, d := range search.Build(svc, tax, zone) {
			c.Documents++
			h, ok := got[d.ID]
			switch {
			case !ok:
				c.Missing = append(c.Missing, d.ID)
			case h != d.Hash:
				c.Different = append(c.Different, d.ID)
			}
			delete(got, d.ID)
		}
		return nil
	})
	if err != nil {
		return Check{}, err
	}
	for id := range got {
		c.Extra = append(c.Extra, id)
	}
	slices.Sort(c.Extra)
	return c, nil
}

package indexsync_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/importer"
	"github.com/linkage-org/linkage/internal/indexsync"
	"github.com/linkage-org/linkage/internal/indexsync/indexsynctest"
	"github.com/linkage-org/linkage/internal/search"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
	"github.com/linkage-org/linkage/seed"
)

func loadDemo(t testing.TB, st *store.Store) {
	t.Helper()
	for _, name := range seed.DemoFiles {
		if _, err := importer.ImportFS(context.Background(), st, seed.Demo(), name, importer.Options{Actor: "test"}); err != nil {
			t.Fatalf("import %s: %v", name, err)
		}
	}
}

func serviceIDs(t *testing.T, sy *indexsync.Syncer, q search.Query) map[string]bool {
	t.Helper()
	q.Size = 1000
	res, err := sy.Search(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, h := range res.Hits {
		out[h.ServiceID] = true
	}
	return out
}

func verify(t *testing.T, sy *indexsync.Syncer) {
	t.Helper()
	c, err := sy.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !c.OK() || c.Documents == 0 {
		t.Fatalf("index differs from the database: %d documents, missing %v, extra %v, different %v", c.Documents, c.Missing, c.Extra, c.Different)
	}
}

// TestSync_WritesReachIndex: an update and a delete reach the index through
// the outbox, and the index then matches the database exactly.
func TestSync_WritesReachIndex(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		loadDemo(t, st)
		sy := indexsynctest.Ready(t, st, indexsync.Options{})
		verify(t, sy)
		pantry := serviceIDs(t, sy, search.Query{Text: "kosher"})
		if len(pantry) == 0 {
			t.Fatal("no kosher service in the demo data")
		}
		var id string
		for id = range pantry {
			break
		}
		svc, err := st.ServiceByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		svc.Name = "Zanzibar Grocery Hub"
		// Write it back in the file shape: locations and organization are
		// referenced, not owned.
		for i := range svc.ServiceAtLocations {
			svc.ServiceAtLocations[i].Location = nil
		}
		svc.Organization, svc.Program, svc.Metadata = nil, nil, nil
		seq, err := st.Fixture(ctx, func(tx store.Fixture) error {
			return tx.WriteDocuments(ctx, &store.Documents{Services: []hsds.Service{svc}}, "update", "test")
		})
		if err != nil || seq == 0 {
			t.Fatalf("write: seq %d, %v", seq, err)
		}
		if got := serviceIDs(t, sy, search.Query{Text: "zanzibar"}); len(got) != 0 {
			t.Fatal("found before the index applied the change")
		}
		if err := sy.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		if got := serviceIDs(t, sy, search.Query{Text: "zanzibar"}); !got[id] || len(got) != 1 {
			t.Fatalf("renamed service not found: %v", got)
		}
		verify(t, sy)

		if _, err := st.Fixture(ctx, func(tx store.Fixture) error { return tx.DeleteService(ctx, id) }); err != nil {
			t.Fatal(err)
		}
		if err := sy.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		if got := serviceIDs(t, sy, search.Query{Text: "zanzibar"}); len(got) != 0 {
			t.Fatalf("deleted service still found: %v", got)
		}
		verify(t, sy)
	})
}

// TestSync_CategoriesFollowTaxonomy: the categories a search may filter on
// are the top-level codes, and a new top-level term is one as soon as the
// index has applied its change (a child term never is).
func TestSync_CategoriesFollowTaxonomy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		loadDemo(t, st)
		sy := indexsynctest.Ready(t, st, indexsync.Options{})
		cats, err := sy.Categories(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(cats, "BD") || slices.Contains(cats, "ZQ") || !slices.IsSorted(cats) {
			t.Fatalf("categories before: %v", cats)
		}
		terms := []hsds.TaxonomyTerm{
			{ID: uuid.NewString(), Code: "zq", Name: "Zoning questions", Description: "A new top-level term"},
		}
		terms = append(terms, hsds.TaxonomyTerm{ID: uuid.NewString(), Code: "zq-1", Name: "Permits", Description: "A child", ParentID: terms[0].ID})
		if _, err := st.Fixture(ctx, func(tx store.Fixture) error {
			return tx.WriteDocuments(ctx, &store.Documents{Terms: terms}, "create", "test")
		}); err != nil {
			t.Fatal(err)
		}
		if err := sy.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		after, err := sy.Categories(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := slices.Sorted(slices.Values(append(slices.Clone(cats), "ZQ"))); !slices.Equal(after, want) {
			t.Fatalf("categories after a new top-level term: %v, want %v", after, want)
		}
	})
}

// TestSync_RebuildWhenUnusable: a missing or damaged index is rebuilt; an
// intact one is reopened at its sequence.
func TestSync_RebuildWhenUnusable(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, store.SQLite)
	loadDemo(t, st)
	dir := t.TempDir()
	sy := indexsynctest.Ready(t, st, indexsync.Options{Dir: dir})
	seq := sy.Applied()
	if seq == 0 {
		t.Fatal("no sequence after the demo import")
	}
	if err := sy.Close(); err != nil {
		t.Fatal(err)
	}
	again := indexsync.New(st, indexsync.Options{Dir: dir, Synonyms: indexsynctest.Synonyms(t)})
	rebuild, err := again.Open(ctx)
	if err != nil || rebuild || again.Applied() != seq {
		t.Fatalf("reopen: rebuild %v, seq %d (want %d), %v", rebuild, again.Applied(), seq, err)
	}
	_ = again.Close()

	// Damage the index metadata.
	if err := os.WriteFile(filepath.Join(dir, "index", "index_meta.json"), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	broken := indexsync.New(st, indexsync.Options{Dir: dir, Synonyms: indexsynctest.Synonyms(t)})
	if rebuild, err := broken.Open(ctx); err != nil || !rebuild {
		t.Fatalf("damaged index: rebuild %v, %v", rebuild, err)
	}
	if err := broken.Rebuild(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := broken.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	verify(t, broken)
	_ = broken.Close()

	if err := os.RemoveAll(filepath.Join(dir, "index")); err != nil {
		t.Fatal(err)
	}
	gone := indexsync.New(st, indexsync.Options{Dir: dir})
	if rebuild, err := gone.Open(ctx); err != nil || !rebuild {
		t.Fatalf("missing index: rebuild %v, %v", rebuild, err)
	}
}

// TestSync_IndexBelongsToItsDatabase: a data directory reused for another
// database (the README's PostgreSQL steps after the SQLite demo, say) holds
// an index of records that database does not have; it is rebuilt, not
// served as current. So is an index ahead of its database's changes (the
// database restored from an older backup).
func TestSync_IndexBelongsToItsDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, demo *store.Store) {
		ctx := context.Background()
		loadDemo(t, demo)
		dir := t.TempDir()
		sy := indexsynctest.Ready(t, demo, indexsync.Options{Dir: dir})
		if len(serviceIDs(t, sy, search.Query{Text: "food"})) == 0 {
			t.Fatal("the demo index finds no food service")
		}
		if err := sy.Close(); err != nil {
			t.Fatal(err)
		}

		empty := storetest.Open(t, demo.Dialect())
		other := indexsync.New(empty, indexsync.Options{Dir: dir, Synonyms: indexsynctest.Synonyms(t)})
		rebuild, err := other.Open(ctx)
		if err != nil || !rebuild {
			t.Fatalf("index of another database: rebuild %v, %v", rebuild, err)
		}
		if err := other.Rebuild(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if err := other.CatchUp(ctx); err != nil {
			t.Fatal(err)
		}
		if got := serviceIDs(t, other, search.Query{Text: "food"}); len(got) != 0 {
			t.Fatalf("after the rebuild the empty database's index finds %d services", len(got))
		}
		if c, err := other.Verify(ctx); err != nil || !c.OK() || c.Documents != 0 {
			t.Fatalf("rebuilt index: %+v, %v", c, err)
		}
		_ = other.Close()

		// The same identity with fewer changes than the index has seen.
		id, err := demo.DatabaseID(ctx)
		if err != nil || id == "" {
			t.Fatalf("demo identity %q, %v", id, err)
		}
		again := indexsync.New(demo, indexsync.Options{Dir: dir, Synonyms: indexsynctest.Synonyms(t)})
		if rebuild, err := again.Open(ctx); err != nil || !rebuild {
			t.Fatalf("index of the empty database back on the demo: rebuild %v, %v", rebuild, err)
		}
		if err := again.Rebuild(ctx, nil); err != nil {
			t.Fatal(err)
		}
		_ = again.Close()
		if _, err := empty.DB().ExecContext(ctx, "UPDATE search_outbox_state SET database_id = $1 WHERE id = 1", id); err != nil {
			t.Fatal(err)
		}
		restored := indexsync.New(empty, indexsync.Options{Dir: dir, Synonyms: indexsynctest.Synonyms(t)})
		if rebuild, err := restored.Open(ctx); err != nil || !rebuild {
			t.Fatalf("index ahead of its database: rebuild %v, %v", rebuild, err)
		}
		_ = restored.Close()
	})
}

// TestSync_SlowTransaction: on PostgreSQL a transaction that took its outbox
// sequence and has not committed holds back every later writer, so an
// indexer reading "seq > cursor" can never step over it.
func TestSync_SlowTransaction(t *testing.T) {
	ctx := context.Background()
	url := storetest.URL(t, store.Postgres)
	hold := make(chan struct{})
	held := make(chan struct{}, 1)
	var once sync.Once
	slow, err := store.Open(ctx, url, storetest.Logger(), store.WithBeforeCommit(func() {
		once.Do(func() {
			held <- struct{}{}
			<-hold
		})
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	if err := slow.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	fast, err := store.Open(ctx, url, storetest.Logger())
	if err != nil {
		t.Fatal(err)
	}
	defer fast.Close()
	loadDemo(t, fast)
	sy := indexsynctest.Ready(t, fast, indexsync.Options{})

	orgA := storetest.Organization("slow", 1, "ZA")
	orgB := storetest.Organization("fast", 1, "ZB")
	orgA.Services[0].Name, orgB.Services[0].Name = "Quokka Slow Service", "Wombat Fast Service"
	slowDone := make(chan int64, 1)
	go func() {
		seq, err := slow.Fixture(ctx, func(tx store.Fixture) error {
			return tx.WriteDocuments(ctx, &store.Documents{Terms: []hsds.TaxonomyTerm{storetest.Term("ZA", "")}, Organizations: []hsds.Organization{orgA}}, "import", "test")
		})
		if err != nil {
			t.Error(err)
		}
		slowDone <- seq
	}()
	<-held // the slow transaction has its sequence and is not committed
	fastDone := make(chan int64, 1)
	go func() {
		seq, err := fast.Fixture(ctx, func(tx store.Fixture) error {
			return tx.WriteDocuments(ctx, &store.Documents{Terms: []hsds.TaxonomyTerm{storetest.Term("ZB", "")}, Organizations: []hsds.Organization{orgB}}, "import", "test")
		})
		if err != nil {
			t.Error(err)
		}
		fastDone <- seq
	}()
	// Whatever the indexer reads now, it must not pass the slow one.
	if err := sy.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if len(serviceIDs(t, sy, search.Query{Text: "wombat"})) != 0 {
		t.Fatal("the later transaction committed before the slow one")
	}
	close(hold)
	seqA, seqB := <-slowDone, <-fastDone
	if seqA == 0 || seqB <= seqA {
		t.Fatalf("sequences: slow %d, fast %d", seqA, seqB)
	}
	if err := sy.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if len(serviceIDs(t, sy, search.Query{Text: "quokka"})) != 1 || len(serviceIDs(t, sy, search.Query{Text: "wombat"})) != 1 {
		t.Fatal("a committed change is missing from the index")
	}
	verify(t, sy)
}

// TestSync_TwoProcesses: two indexers on one PostgreSQL database, each with
// its own index, both see an import, an update and a delete within 2 s.
func TestSync_TwoProcesses(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url := storetest.URL(t, store.Postgres)
	var replicas []*indexsync.Syncer
	var stores []*store.Store
	for i := 0; i < 2; i++ {
		st, err := store.Open(ctx, url, storetest.Logger())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		if err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		sy := indexsync.New(st, indexsync.Options{Dir: t.TempDir(), Synonyms: indexsynctest.Synonyms(t), Poll: 50 * time.Millisecond})
		rebuild, err := sy.Open(ctx)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { defer close(done); _ = sy.Run(ctx, rebuild) }()
		t.Cleanup(func() { cancel(); <-done; _ = sy.Close() })
		replicas, stores = append(replicas, sy), append(stores, st)
	}
	for _, sy := range replicas {
		wctx, stop := context.WithTimeout(ctx, 30*time.Second)
		if err := sy.WaitReady(wctx); err != nil {
			t.Fatalf("replica never ready: %v", err)
		}
		stop()
	}
	writer := stores[0]
	expect := func(what, text string, want int, seq int64) {
		t.Helper()
		for i, sy := range replicas {
			wctx, stop := context.WithTimeout(ctx, 2*time.Second)
			err := sy.WaitFor(wctx, seq)
			stop()
			if err != nil {
				t.Fatalf("%s: replica %d did not apply seq %d within 2 s (at %d)", what, i, seq, sy.Applied())
			}
			if got := len(serviceIDs(t, sy, search.Query{Text: text})); got != want {
				t.Fatalf("%s: replica %d finds %d %q services, want %d", what, i, got, text, want)
			}
		}
	}
	org := storetest.Organization("replicas", 2, "ZC")
	org.Services[0].Name, org.Services[1].Name = "Capybara Housing Help", "Capybara Food Help"
	seq, err := writer.Fixture(ctx, func(tx store.Fixture) error {
		return tx.WriteDocuments(ctx, &store.Documents{Terms: []hsds.TaxonomyTerm{storetest.Term("ZC", "")}, Organizations: []hsds.Organization{org}}, "import", "test")
	})
	if err != nil {
		t.Fatal(err)
	}
	expect("import", "capybara", 2, seq)

	svc := org.Services[1]
	svc.Name = "Axolotl Food Help"
	svc.OrganizationID = org.ID
	seq, err = writer.Fixture(ctx, func(tx store.Fixture) error {
		return tx.WriteDocuments(ctx, &store.Documents{Services: []hsds.Service{svc}}, "update", "test")
	})
	if err != nil {
		t.Fatal(err)
	}
	expect("update", "axolotl", 1, seq)
	expect("update", "capybara", 1, seq)

	seq, err = writer.Fixture(ctx, func(tx store.Fixture) error { return tx.DeleteService(ctx, org.Services[0].ID) })
	if err != nil {
		t.Fatal(err)
	}
	expect("delete", "capybara", 0, seq)
	for _, sy := range replicas {
		verify(t, sy)
	}
}

// TestRebuild_GCOnlyOffline: a server's rebuild leaves the collector as the
// process has it; only an offline rebuild (linkage reindex) tunes it, for
// its length.
func TestRebuild_GCOnlyOffline(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, store.SQLite)
	loadDemo(t, st)
	gcPercent := func() int {
		p := debug.SetGCPercent(-1)
		debug.SetGCPercent(p)
		return p
	}
	before := gcPercent()
	for _, c := range []struct {
		offline bool
		want    int
	}{{false, before}, {true, 300}} {
		sy := indexsync.New(st, indexsync.Options{Synonyms: indexsynctest.Synonyms(t), OfflineRebuild: c.offline})
		var during []int
		if err := sy.Rebuild(ctx, func(int, int) { during = append(during, gcPercent()) }); err != nil {
			t.Fatal(err)
		}
		_ = sy.Close()
		if len(during) == 0 || slices.ContainsFunc(during, func(p int) bool { return p != c.want }) {
			t.Errorf("offline %v: GC percent during the rebuild %v, want %d", c.offline, slices.Compact(during), c.want)
		}
		if after := gcPercent(); after != before {
			t.Errorf("offline %v: GC percent %d after the rebuild, %d before", c.offline, after, before)
		}
	}
}

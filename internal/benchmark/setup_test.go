package benchmark_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/hsdsio"
	"github.com/linkage-org/linkage/internal/indexsync"
	"github.com/linkage-org/linkage/internal/indexsync/indexsynctest"
	"github.com/linkage-org/linkage/internal/seal"
	"github.com/linkage-org/linkage/internal/seedgen"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest" // also registers the "pgx" database/sql driver
	"github.com/linkage-org/linkage/seed"
)

// fixtureSeed fixes the synthetic directory: every run imports the same data.
const fixtureSeed = 20260301

// sizes are the directory sizes (services) to measure, from
// LINKAGE_BENCH_SIZES ("10000,100000" unless set), in ascending order.
func sizes() ([]int, error) {
	v := os.Getenv("LINKAGE_BENCH_SIZES")
	if v == "" {
		v = "10000,100000"
	}
	var out []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("LINKAGE_BENCH_SIZES=%q: %q is not a positive number of services", v, f)
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// requests is how many timed requests each latency figure is computed from.
func requests() (int, error) {
	v := os.Getenv("LINKAGE_BENCH_REQUESTS")
	if v == "" {
		return 2000, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("LINKAGE_BENCH_REQUESTS=%q is not a positive number", v)
	}
	return n, nil
}

// fixture is one synthetic directory written as a JSON Lines file.
type fixture struct {
	path          string
	services      int
	organizations int
	serviceIDs    []string
}

// database is a migrated database made for a benchmark, with its store open.
type database struct {
	dialect string
	pgName  string // PostgreSQL database name; empty on SQLite
	file    string // SQLite file; empty on PostgreSQL
	url     string // what store.Open took
	st      *store.Store
	settled bool // vacuumed and analysed for the latency figures
}

// suite is what the benchmarks of one run share: the generated files, the
// databases kept for the latency figures, and the summary. Benchmarks run
// one at a time; the mutex only guards against a future b.RunParallel.
type suite struct {
	mu       sync.Mutex
	dir      string
	fixtures map[int]*fixture
	loaded   map[string]*database // dialect → database holding the latency size
	kept     []*database          // dropped when the run ends
	rows     []row
	indexes  map[*database]*indexsync.Syncer // one search index per kept database
	pgOnce   sync.Once
	pgErr    error
}

// row is one line of the summary table.
type row struct {
	key                          string // benchmark name + figure; a rerun replaces its row
	figure, dialect, size, value string
}

var bench = &suite{fixtures: map[int]*fixture{}, loaded: map[string]*database{}, indexes: map[*database]*indexsync.Syncer{}}

// searchIndex is the search index of d, built on disk on first use (the
// rebuild's time and the index's size are recorded then) and shared by the
// benchmarks after it.
func (s *suite) searchIndex(b *testing.B, d *database, size int) *indexsync.Syncer {
	b.Helper()
	s.mu.Lock()
	sy := s.indexes[d]
	s.mu.Unlock()
	if sy != nil {
		return sy
	}
	ctx := context.Background()
	dir := filepath.Join(s.dir, "index-"+d.dialect)
	// The rebuild measured is linkage reindex's, offline: it tunes the
	// collector as that command does (as every rebuild did before the
	// tuning left the server's), so the figure is the same as before.
	// serve's start-up rebuild, untuned, is BenchmarkServe's to time.
	sy = indexsync.New(d.st, indexsync.Options{Dir: dir, Synonyms: indexsynctest.Synonyms(b), OfflineRebuild: true})
	start := time.Now()
	if err := sy.Rebuild(ctx, nil); err != nil {
		b.Fatal(err)
	}
	took := time.Since(start)
	if err := sy.CatchUp(ctx); err != nil {
		b.Fatal(err)
	}
	n, err := sy.DiskBytes()
	if err != nil {
		b.Fatal(err)
	}
	bytes := int64(n)
	s.record(b, "index rebuild", d.dialect, size, fmt.Sprintf("%.1f s", took.Seconds()))
	s.record(b, "index size", d.dialect, size, fmt.Sprintf("%.0f MB, %.0f bytes/service", float64(bytes)/1e6, float64(bytes)/float64(size)))
	s.mu.Lock()
	s.indexes[d] = sy
	s.mu.Unlock()
	return sy
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "linkage-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	bench.dir = dir
	start := time.Now()
	code := m.Run()
	bench.printSummary(os.Stdout, time.Since(start))
	for _, sy := range bench.indexes {
		_ = sy.Close()
	}
	for _, d := range bench.kept {
		bench.drop(d)
	}
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// fixture returns the JSON Lines file of a directory of size services
// (taxonomy terms, then organizations with nested services), generating it
// on first use. Call it before the timed part of a benchmark.
func (s *suite) fixture(b testing.TB, size int) *fixture {
	b.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.fixtures[size]; ok {
		return f
	}
	terms, err := seed.Taxonomy()
	if err != nil {
		b.Fatal(err)
	}
	f := &fixture{path: filepath.Join(s.dir, fmt.Sprintf("synthetic-%d.jsonl", size))}
	out, err := os.Create(f.path)
	if err != nil {
		b.Fatal(err)
	}
	defer out.Close()
	bw := bufio.NewWriterSize(out, 1<<20)
	w := hsdsio.NewJSONLinesWriter(bw)
	for i := range terms {
		if err := w.Write(&terms[i]); err != nil {
			b.Fatal(err)
		}
	}
	err = seedgen.Generate(seedgen.Config{Services: size, Seed: fixtureSeed}, terms, func(o *hsds.Organization) error {
		f.organizations++
		for i := range o.Services {
			f.serviceIDs = append(f.serviceIDs, o.Services[i].ID)
		}
		return w.Write(o)
	})
	if err == nil {
		err = bw.Flush()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		b.Fatalf("generate %d services: %v", size, err)
	}
	f.services = len(f.serviceIDs)
	if f.services != size {
		b.Fatalf("generated %d services, want %d", f.services, size)
	}
	s.fixtures[size] = f
	return f
}

// requirePostgres skips b when no PostgreSQL server answers (fails under
// CI=true), with the reason in the output.
func (s *suite) requirePostgres(b *testing.B) {
	b.Helper()
	s.pgOnce.Do(func() {
		db, err := sql.Open("pgx", storetest.PostgresURL())
		if err != nil {
			s.pgErr = err
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.pgErr = db.PingContext(ctx)
	})
	if s.pgErr == nil {
		return
	}
	msg := fmt.Sprintf("PostgreSQL benchmarks skipped: no server at %s (%v); start PostgreSQL or set LINKAGE_TEST_POSTGRES_URL",
		redact(storetest.PostgresURL()), s.pgErr)
	if os.Getenv("CI") == "true" {
		b.Fatal(msg)
	}
	b.Skip(msg)
}

func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	return p.Redacted()
}

// newDatabase makes an empty, migrated database of dialect. It outlives the
// benchmark that made it only if kept; otherwise it is dropped by cleanup.
// (storetest.Open ties a database to one benchmark; the latency figures
// reuse the largest import, so this package manages its own.)
func (s *suite) newDatabase(b *testing.B, dialect string) *database {
	b.Helper()
	ctx := context.Background()
	var b6 [6]byte
	_, _ = rand.Read(b6[:])
	tag := hex.EncodeToString(b6[:])
	d := &database{dialect: dialect}
	var dbURL string
	switch dialect {
	case store.SQLite:
		d.file = filepath.Join(s.dir, "linkage-"+tag+".db")
		dbURL = "sqlite:" + d.file
	case store.Postgres:
		s.requirePostgres(b)
		d.pgName = "linkage_bench_" + tag
		if err := adminExec(ctx, "CREATE DATABASE "+d.pgName); err != nil {
			b.Fatalf("create benchmark database: %v", err)
		}
		u, err := url.Parse(storetest.PostgresURL())
		if err != nil {
			b.Fatal(err)
		}
		u.Path = "/" + d.pgName
		dbURL = u.String()
	default:
		b.Fatalf("unknown dialect %q", dialect)
	}
	d.url = dbURL
	st, err := store.Open(ctx, dbURL, storetest.Logger())
	if err != nil {
		s.drop(d)
		b.Fatalf("open %s database: %v", dialect, err)
	}
	d.st = st
	if err := st.Migrate(ctx); err != nil {
		s.drop(d)
		b.Fatalf("migrate %s database: %v", dialect, err)
	}
	return d
}

// keep makes d the database the latency figures of its dialect use, and
// reports whether it did (the first database offered for a dialect wins).
func (s *suite) keep(d *database) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loaded[d.dialect] != nil {
		return false
	}
	s.loaded[d.dialect] = d
	s.kept = append(s.kept, d)
	return true
}

// drop closes d's store and deletes its data.
func (s *suite) drop(d *database) {
	if d.st != nil {
		_ = d.st.Close()
	}
	switch {
	case d.pgName != "":
		_ = adminExec(context.Background(), "DROP DATABASE IF EXISTS "+d.pgName+" WITH (FORCE)")
	case d.file != "":
		for _, suffix := range []string{"", "-wal", "-shm"} {
			_ = os.Remove(d.file + suffix)
		}
	}
}

func adminExec(ctx context.Context, stmt string) error {
	db, err := sql.Open("pgx", storetest.PostgresURL())
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, stmt)
	return err
}

// size is how many bytes d takes on disk at rest. On SQLite the WAL is
// checkpointed into the file first: a large import leaves every page it
// wrote in the WAL, which would count them twice.
func (d *database) size(ctx context.Context) (int64, error) {
	if d.file != "" {
		if _, err := d.st.DB().ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			return 0, fmt.Errorf("checkpoint: %w", err)
		}
		var total int64
		for _, suffix := range []string{"", "-wal"} {
			fi, err := os.Stat(d.file + suffix)
			if err == nil {
				total += fi.Size()
			}
		}
		return total, nil
	}
	var n int64
	err := d.st.DB().QueryRowContext(ctx, "SELECT pg_database_size(current_database())").Scan(&n)
	return n, err
}

// record adds (or, when b reruns, replaces) one row of the summary.
func (s *suite) record(b *testing.B, figure, dialect string, size int, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := row{key: b.Name() + "\x00" + figure, figure: figure, dialect: dialect, size: strconv.Itoa(size), value: value}
	for i := range s.rows {
		if s.rows[i].key == r.key {
			s.rows[i] = r
			return
		}
	}
	s.rows = append(s.rows, r)
}

func (s *suite) printSummary(w io.Writer, took time.Duration) {
	if len(s.rows) == 0 {
		return
	}
	fmt.Fprintf(w, "\nLinkage benchmark summary (run took %s)\n\n", took.Round(time.Second))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tdialect\tservices\tvalue")
	fmt.Fprintln(tw, "------\t-------\t--------\t-----")
	for _, r := range s.rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.figure, r.dialect, r.size, r.value)
	}
	_ = tw.Flush()
	fmt.Fprintln(w)
}

// newKey creates a key of role (of agency, nil for an admin) in d.
func newKey(b *testing.B, d *database, agency *string, role auth.Role) string {
	b.Helper()
	ctx := context.Background()
	var key string
	_, err := d.st.Fixture(ctx, func(tx store.Fixture) error {
		k, err := tx.NewKey(ctx, agency, role, "benchmark")
		key = k.Key
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return key
}

// sealedStore opens the database at u again with a fresh data key, for
// the benchmarks that write cases, notes and referrals (sealed values).
func sealedStore(b *testing.B, u string) *store.Store {
	b.Helper()
	k, err := seal.NewKey()
	if err != nil {
		b.Fatal(err)
	}
	keys, err := seal.Parse(k)
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(context.Background(), u, storetest.Logger(), store.WithKeyring(keys))
	if err != nil {
		b.Fatal(err)
	}
	return st
}

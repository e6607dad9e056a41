// Package storetest gives each test its own migrated, empty database, on
// SQLite and on PostgreSQL, so every storage behaviour is proven on both.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for creating test databases

	"github.com/linkage-org/linkage/internal/store"
)

// DefaultPostgresURL is the server tests use unless LINKAGE_TEST_POSTGRES_URL says otherwise.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Dialects lists the databases every storage test runs on.
var Dialects = []string{store.SQLite, store.Postgres}

var (
	pgOnce sync.Once
	pgErr  error
)

// PostgresURL is the admin URL of the test server.
func PostgresURL() string {
	if u := os.Getenv("LINKAGE_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

// Ping tells whether the test server answers: nil, or why not. The tests
// and `make test`'s probe (pgprobe) both ask it, so they agree.
func Ping(ctx context.Context) error {
	db, err := sql.Open("pgx", PostgresURL())
	if err != nil {
		return err
	}
	defer db.Close()
	return db.PingContext(ctx)
}

// SkippedLine is the loud line printed when the PostgreSQL tests skip
// because Ping failed with err.
func SkippedLine(err error) string {
	return fmt.Sprintf("*** PostgreSQL tests SKIPPED: no server at %s (%v). Start PostgreSQL or set LINKAGE_TEST_POSTGRES_URL; CI=true makes this a failure. ***", Redacted(), err)
}

// Redacted is the test server's URL without its password, for messages.
func Redacted() string { return redact(PostgresURL()) }

// requirePostgres skips (or, under CI=true, fails) when no server answers.
func requirePostgres(t testing.TB) {
	t.Helper()
	pgOnce.Do(func() {
		pgErr = Ping(context.Background())
		if pgErr != nil && os.Getenv("CI") != "true" {
			fmt.Fprintf(os.Stderr, "\n%s\n\n", SkippedLine(pgErr))
		}
	})
	if pgErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is required when CI=true: %v", pgErr)
		}
		t.Skip("PostgreSQL not reachable; set LINKAGE_TEST_POSTGRES_URL")
	}
}

func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	return p.Redacted()
}

// URL creates an empty database of dialect for this test and returns its URL.
// The database is dropped when the test ends.
func URL(t testing.TB, dialect string) string {
	t.Helper()
	switch dialect {
	case store.SQLite:
		return "sqlite:" + filepath.Join(t.TempDir(), "linkage.db")
	case store.Postgres:
		requirePostgres(t)
		var b [6]byte
		_, _ = rand.Read(b[:])
		name := "linkage_test_" + hex.EncodeToString(b[:])
		admin, err := sql.Open("pgx", PostgresURL())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
			admin.Close()
			t.Fatalf("create test database: %v", err)
		}
		t.Cleanup(func() {
			_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
			admin.Close()
		})
		u, err := url.Parse(PostgresURL())
		if err != nil {
			t.Fatal(err)
		}
		u.Path = "/" + name
		return u.String()
	}
	t.Fatalf("unknown dialect %q", dialect)
	return ""
}

// Open returns a migrated, empty store of dialect, closed when the test ends.
func Open(t testing.TB, dialect string, opts ...store.Option) *store.Store {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, URL(t, dialect), Logger(), opts...)
	if err != nil {
		t.Fatalf("open %s store: %v", dialect, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s store: %v", dialect, err)
	}
	return s
}

// Logger discards logs, so test output shows only failures.
func Logger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Each runs fn as a subtest on every dialect, with a fresh store.
func Each(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(d, func(t *testing.T) {
			fn(t, Open(t, d))
		})
	}
}

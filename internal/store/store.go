// Package store is the only owner of the database: GORM on SQLite (the
// embedded default) or PostgreSQL, versioned migrations, and every read and
// write of the directory. Each write method is one transaction.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/seal"
)

// Dialects.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

//go:embed migrations
var migrations embed.FS

// Store is the directory database. A Store is its connection (the pool,
// or one transaction's, see txn.View) and a pointer to what every Store of
// one Open shares, so a view of a transaction copies one pointer and
// cannot miss a setting.
type Store struct {
	db *gorm.DB
	*shared
}

// shared is what the Stores of one Open have in common: settings fixed at
// Open, and state kept for the whole process.
type shared struct {
	sqlDB   *sql.DB
	dialect string
	path    string // SQLite file
	log     *slog.Logger
	queries atomic.Int64
	now     func() time.Time
	keys    *seal.Keyring // personal data at rest; nil refuses it
	// defaultTZ is the zone of agencies that name none (business days).
	defaultTZ string
	zones     sync.Map // agency id → zoneEntry
	// jobsHere are the import jobs this process runs (jobs.go).
	jobsHere sync.Map

	beforeCommit func()
}

// Option configures a Store.
type Option func(*Store)

// WithBeforeCommit runs fn in every write transaction after its outbox rows
// are written and before it commits (tests hold a transaction open there).
func WithBeforeCommit(fn func()) Option { return func(s *Store) { s.beforeCommit = fn } }

// WithKeyring seals personal data (cases, notes, webhook secrets) with k.
func WithKeyring(k *seal.Keyring) Option { return func(s *Store) { s.keys = k } }

// WithDefaultTZ is the IANA zone of agencies that name none.
func WithDefaultTZ(name string) Option { return func(s *Store) { s.defaultTZ = name } }

// WithClock injects the time source (tests fix it).
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// ParseURL tells the dialect of a database URL and the DSN its driver takes.
// "sqlite:PATH", "sqlite://PATH" and a bare path select SQLite;
// "postgres://" and "postgresql://" select PostgreSQL.
func ParseURL(url string) (dialect, dsn string, err error) {
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return Postgres, url, nil
	case strings.HasPrefix(url, "sqlite://"):
		return SQLite, strings.TrimPrefix(url, "sqlite://"), nil
	case strings.HasPrefix(url, "sqlite:"):
		return SQLite, strings.TrimPrefix(url, "sqlite:"), nil
	case url == "":
		return "", "", errors.New("database URL is empty")
	case strings.Contains(url, "://"):
		return "", "", fmt.Errorf("database URL %q: scheme must be sqlite: or postgres://", url)
	default:
		return SQLite, url, nil
	}
}

// Open connects to the database named by url. It does not migrate.
func Open(ctx context.Context, url string, log *slog.Logger, opts ...Option) (*Store, error) {
	dialect, dsn, err := ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	s := &Store{shared: &shared{dialect: dialect, log: log, now: time.Now}}
	for _, o := range opts {
		o(s)
	}
	cfg := &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		PrepareStmt:            false,
		NowFunc:                func() time.Time { return s.now().UTC() },
	}
	var d gorm.Dialector
	switch dialect {
	case SQLite:
		s.path = strings.SplitN(dsn, "?", 2)[0]
		if dir := filepath.Dir(dsn); dir != "" && dsn != ":memory:" {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("store: create database directory: %w", err)
			}
		}
		// WAL lets readers run beside the one writer; immediate transactions
		// take the write lock up front, so busy_timeout applies instead of
		// an upgrade deadlock; foreign keys are off in SQLite unless asked.
		// A 128 MiB page cache and in-memory temp storage keep a large
		// import's transaction from spilling to disk page by page (100,000
		// services: 72 s -> 42 s).
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		dsn += sep + "_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_pragma=temp_store(MEMORY)&_pragma=cache_size(-131072)&_txlock=immediate"
		d = sqlite.Open(dsn)
	case Postgres:
		d = postgres.Open(withSSDCosts(dsn))
	}
	db, err := gorm.Open(d, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: open %s database: %w", dialect, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("store: open %s database: %w", dialect, err)
	}
	if dialect == Postgres {
		sqlDB.SetMaxOpenConns(20)
		sqlDB.SetMaxIdleConns(10)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	} else {
		sqlDB.SetMaxOpenConns(8)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("store: connect to %s database: %w", dialect, err)
	}
	s.db, s.sqlDB = db, sqlDB
	s.countQueries()
	return s, nil
}

// countQueries registers GORM callbacks that count statements, so tests can
// prove that reads use a bounded number of queries.
func (s *Store) countQueries() {
	inc := func(*gorm.DB) { s.queries.Add(1) }
	cb := s.db.Callback()
	_ = cb.Query().After("gorm:query").Register("linkage:count_query", inc)
	_ = cb.Row().After("gorm:row").Register("linkage:count_row", inc)
	_ = cb.Raw().After("gorm:raw").Register("linkage:count_raw", inc)
	_ = cb.Create().After("gorm:create").Register("linkage:count_create", inc)
	_ = cb.Update().After("gorm:update").Register("linkage:count_update", inc)
	_ = cb.Delete().After("gorm:delete").Register("linkage:count_delete", inc)
}

// QueryCount is the number of statements run since Open.
func (s *Store) QueryCount() int64 { return s.queries.Load() }

// Dialect is SQLite or Postgres.
func (s *Store) Dialect() string { return s.dialect }

// DB exposes the pool for metrics (connection statistics).
func (s *Store) DB() *sql.DB { return s.sqlDB }

// Close closes the pool.
func (s *Store) Close() error { return s.sqlDB.Close() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.sqlDB.PingContext(ctx); err != nil {
		return apperr.Wrap(err, apperr.Unavailable, "database is not reachable")
	}
	return nil
}

// Migrate applies every migration not yet applied.
func (s *Store) Migrate(ctx context.Context) error {
	p, err := s.migrator()
	if err != nil {
		return err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	for _, r := range res {
		s.log.InfoContext(ctx, "migration applied", "version", r.Source.Version, "file", filepath.Base(r.Source.Path), "took", r.Duration)
	}
	return nil
}

// MigrationVersion reports the applied and the newest known version.
func (s *Store) MigrationVersion(ctx context.Context) (current, latest int64, err error) {
	p, err := s.migrator()
	if err != nil {
		return 0, 0, err
	}
	current, err = p.GetDBVersion(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("store: migration version: %w", err)
	}
	srcs := p.ListSources()
	if len(srcs) > 0 {
		latest = srcs[len(srcs)-1].Version
	}
	return current, latest, nil
}

func (s *Store) migrator() (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations/"+s.dialect)
	if err != nil {
		return nil, fmt.Errorf("store: migrations for %s: %w", s.dialect, err)
	}
	d := goose.DialectSQLite3
	var opts []goose.ProviderOption
	if s.dialect == Postgres {
		d = goose.DialectPostgres
		// Replicas starting together must not migrate at the same time: a
		// session advisory lock makes the others wait, then find nothing to do.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, fmt.Errorf("store: migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	} else if s.path != "" && s.path != ":memory:" {
		opts = append(opts, goose.WithSessionLocker(&fileLocker{path: s.path + ".migrate-lock", log: s.log}))
	}
	p, err := goose.NewProvider(d, s.sqlDB, sub, opts...)
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	return p, nil
}

// withSSDCosts asks PostgreSQL to price random reads as on SSD storage
// (random_page_cost 1.1, the usual advice) unless the URL sets it. At the
// default of 4 the planner read whole tables for the IN lists of a batch
// load: rebuilding the search index spent most of its time in sequential
// scans. pgx sends unknown URL parameters as session settings.
func withSSDCosts(dsn string) string {
	if strings.Contains(dsn, "random_page_cost") {
		return dsn
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "random_page_cost=1.1"
}

// mapErr turns driver errors into apperr kinds; the rest stay internal.
func mapErr(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	msg := fmt.Sprintf(format, args...)
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return apperr.Wrap(err, apperr.NotFound, "%s: not found", msg)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return apperr.Wrap(err, apperr.Unavailable, "%s: cancelled", msg)
	}
	e := strings.ToLower(err.Error())
	switch {
	case strings.Contains(e, "unique constraint"), strings.Contains(e, "duplicate key"):
		return apperr.Wrap(err, apperr.Conflict, "%s: a record with that id already exists", msg)
	case strings.Contains(e, "foreign key"):
		return apperr.Wrap(err, apperr.Unprocessable, "%s: a referenced record does not exist or is still referenced", msg)
	case strings.Contains(e, "not-null constraint"), strings.Contains(e, "not null constraint"), strings.Contains(e, "check constraint"):
		return apperr.Wrap(err, apperr.Unprocessable, "%s: a record lacks a value it needs or holds one that is not allowed", msg)
	}
	return fmt.Errorf("store: %s: %w", msg, err)
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/linkage-org/linkage/internal/config"
	"github.com/linkage-org/linkage/internal/eligibility"
	"github.com/linkage-org/linkage/internal/hsdsio"
	"github.com/linkage-org/linkage/internal/httpapi"
	"github.com/linkage-org/linkage/internal/importer"
	"github.com/linkage-org/linkage/internal/metrics"
	"github.com/linkage-org/linkage/internal/notify"
	"github.com/linkage-org/linkage/internal/referral"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/seed"
)

// openStore opens and migrates the database of cfg; extra are further
// store options (serve's clock).
func openStore(ctx context.Context, cfg config.Config, log *slog.Logger, extra ...store.Option) (*store.Store, error) {
	opts := append([]store.Option{store.WithDefaultTZ(cfg.DefaultTZ)}, extra...)
	keys, err := dataKeys(cfg, log)
	if err != nil {
		return nil, err
	}
	if keys != nil {
		opts = append(opts, store.WithKeyring(keys))
	}
	st, err := store.Open(ctx, cfg.DatabaseURL, log, opts...)
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		_ = st.Close()
		return nil, err
	}
	if err := ensureEligibilityTaxonomy(ctx, st, log); err != nil {
		_ = st.Close()
		return nil, err
	}
	return st, nil
}

// povertyGuidelines reads LINKAGE_POVERTY_GUIDELINES_FILE, or the shipped
// guidelines; a broken file stops the start with the reason.
func povertyGuidelines(cfg config.Config) (eligibility.Guidelines, error) {
	b := seed.PovertyGuidelines()
	if cfg.GuidelinesFile != "" {
		var err error
		if b, err = os.ReadFile(cfg.GuidelinesFile); err != nil {
			return eligibility.Guidelines{}, fmt.Errorf("LINKAGE_POVERTY_GUIDELINES_FILE: %w", err)
		}
	}
	g, err := eligibility.ParseGuidelines(b)
	if err != nil {
		return eligibility.Guidelines{}, fmt.Errorf("LINKAGE_POVERTY_GUIDELINES_FILE: %w", err)
	}
	return g, nil
}

// ensureEligibilityTaxonomy loads the eligibility taxonomy (seed/) when a
// term is missing, so every installation can hold structured eligibility.
func ensureEligibilityTaxonomy(ctx context.Context, st *store.Store, log *slog.Logger) error {
	terms, err := st.EligibilityTerms(ctx)
	if err != nil || len(terms) >= len(eligibility.Codes) {
		return err
	}
	if _, err := importer.ImportFS(ctx, st, seed.Eligibility(), "taxonomy.json", importer.Options{Actor: "linkage"}); err != nil {
		return fmt.Errorf("load the eligibility taxonomy: %w", err)
	}
	log.Info("eligibility taxonomy loaded", "terms", len(eligibility.Codes))
	return nil
}

func cmdMigrate(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flags("migrate", "Apply every pending database migration to LINKAGE_DATABASE_URL and exit.", stdout)
	if err := parse(fs, args); err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	cur, latest, err := st.MigrationVersion(ctx)
	if err != nil {
		return err
	}
	log.Info("database is migrated", "dialect", st.Dialect(), "version", cur, "latest", latest)
	return nil
}

func cmdServe(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flags("serve", "Run the HTTP API on LINKAGE_ADDR. Migrates the database first; with LINKAGE_DEMO=true an empty database gets the demo dataset.", stdout)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := requireSharedDataKey(cfg); err != nil {
		return err
	}
	// One clock for everything the server does: the store, the jobs and
	// the API read it.
	now := time.Now
	st, err := openStore(ctx, cfg, log, store.WithClock(now))
	if err != nil {
		return err
	}
	defer st.Close()
	importTemp, err := prepareServe(ctx, cfg, st, log, stdout)
	if err != nil {
		return err
	}
	go failAbandonedJobs(ctx, st, cfg, log)
	m := metrics.New()
	m.RegisterDB(st.DB(), st.Dialect())
	stopNotify := startNotify(ctx, cfg, st, log, m, now)
	defer stopNotify()
	sy, err := newSyncer(cfg, st, log, m, false)
	if err != nil {
		return err
	}
	defer sy.Close()
	rebuild, err := sy.Open(ctx)
	if err != nil {
		return indexBusy(err, cfg, "serve")
	}
	// The index catches up (or is rebuilt) in the background; /readyz says
	// not ready until it is current.
	syncCtx, stopSync := context.WithCancel(context.WithoutCancel(ctx))
	syncDone := make(chan error, 1)
	go func() { syncDone <- sy.Run(syncCtx, rebuild) }()
	defer func() {
		stopSync()
		if err := <-syncDone; err != nil {
			log.Error("search index", "err", err)
		}
	}()
	deps := httpapi.Deps{Store: st, Index: sy, Metrics: m, Logger: log, Ready: sy.Ready, Now: now, ImportTempDir: importTemp}
	e, err := newAPI(cfg, deps)
	if err != nil {
		return err
	}
	return serveHTTP(ctx, cfg, e, m, log, st.Dialect())
}

// newAPI is the HTTP API of deps (what serve has opened) with the
// settings of cfg.
func newAPI(cfg config.Config, d httpapi.Deps) (http.Handler, error) {
	var err error
	if d.Guidelines, err = povertyGuidelines(cfg); err != nil {
		return nil, err
	}
	d.BaseURL, d.CORSOrigins, d.TrustedProxies = cfg.BaseURL, cfg.CORSOrigins, cfg.TrustedProxies
	d.MaxBodyBytes, d.MaxJSONBytes = cfg.MaxBodyBytes, cfg.MaxJSONBytes
	d.RateLimits = httpapi.RateLimits{Anonymous: cfg.RateAnonymous, Key: cfg.RateKey, Portal: cfg.RatePortal}
	d.CapacityMaxAge, d.FollowUpRules, d.WebhookAllowPrivate = cfg.CapacityMaxAge, cfg.FollowUpRules, cfg.WebhookPrivate
	d.BarrierRules = referral.BarrierRules{ReferDays: cfg.BarrierReferDays, MinCount: cfg.ReportMinCount}
	d.RiskLead = cfg.RiskLead
	d.PageCache = cfg.PageCache
	d.ImportLimits = hsdsio.Limits{EntryBytes: cfg.ImportMaxEntry, TotalBytes: cfg.ImportMaxTotal}
	d.MetricsElsewhere = cfg.MetricsAddr != ""
	if d.Console, err = newConsole(cfg, d); err != nil {
		return nil, err
	}
	e, err := httpapi.New(d)
	if err != nil {
		return nil, err // a nil *echo.Echo in an http.Handler would not be nil
	}
	return e, nil
}

// prepareServe loads the demo (LINKAGE_DEMO) and the demo postcodes into
// an empty database and empties the import scratch folder, whose path it
// returns.
func prepareServe(ctx context.Context, cfg config.Config, st *store.Store, log *slog.Logger, stdout io.Writer) (string, error) {
	if cfg.Demo {
		if err := loadDemoIfEmpty(ctx, st, log); err != nil {
			return "", err
		}
		keys, err := ensureDemoAccess(ctx, st, cfg.DataDir)
		if err != nil {
			return "", err
		}
		if keys != "" {
			staff, err := ensureDemoStaff(ctx, st, cfg.DataDir)
			if err != nil {
				return "", fmt.Errorf("demo staff: %w", err)
			}
			showDemoKeys(stdout, log, cfg, keys+staff)
		}
	}
	if err := loadDemoPostcodes(ctx, st, log); err != nil {
		return "", err
	}
	// Import jobs sort tabular packages in the data dir, which has room
	// for an index (the container's /tmp is small or in memory); a
	// stopped server's leftovers go now.
	importTemp := filepath.Join(cfg.DataDir, "tmp")
	if err := os.MkdirAll(importTemp, 0o700); err != nil {
		return "", fmt.Errorf("create %s: %w", importTemp, err)
	}
	return importTemp, hsdsio.RemoveScratch(importTemp)
}

// failAbandonedJobs reports import jobs whose process died failed (their
// transaction never committed): at start, and every few seconds for other
// replicas' jobs, until ctx ends.
func failAbandonedJobs(ctx context.Context, st *store.Store, cfg config.Config, log *slog.Logger) {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		if n, err := st.FailAbandonedJobs(ctx, cfg.ImportStale); err != nil {
			log.Warn("checking import jobs", "err", err)
		} else if n > 0 {
			log.Warn("import jobs abandoned by a stopped server marked failed", "jobs", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// startNotify runs webhook deliveries and the periodic jobs feeding them
// (on one replica at a time: a PostgreSQL advisory lock) until the
// returned stop is called; they outlive ctx so a drain can finish.
func startNotify(ctx context.Context, cfg config.Config, st *store.Store, log *slog.Logger, m *metrics.Metrics, now func() time.Time) (stop func()) {
	// LINKAGE_STALE_AFTER=0 is off; notify.Config reads 0 as its default
	// and a negative threshold as off.
	staleAfter := cfg.StaleAfter
	if staleAfter == 0 {
		staleAfter = -1
	}
	nw := notify.New(st, log, now, notify.Config{RetryBase: cfg.WebhookRetry, StaleAfter: staleAfter, StaleReminder: cfg.StaleReminder, Poll: cfg.JobsPoll, AllowPrivate: cfg.WebhookPrivate})
	nw.OnAttempt = func(event string, ok bool) {
		m.WebhookAttempts.WithLabelValues(event, map[bool]string{true: "delivered", false: "failed"}[ok]).Inc()
	}
	nw.OnBacklog = func(n int64) { m.WebhookBacklog.Set(float64(n)) }
	notifyCtx, stopNotify := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { defer close(done); nw.Run(notifyCtx) }()
	return func() { stopNotify(); <-done }
}

// serveHTTP serves h on LINKAGE_ADDR (and the metrics on
// LINKAGE_METRICS_ADDR) until ctx ends, then lets in-flight requests
// finish for LINKAGE_SHUTDOWN_TIMEOUT.
func serveHTTP(ctx context.Context, cfg config.Config, h http.Handler, m *metrics.Metrics, log *slog.Logger, dialect string) error {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	servers := []*http.Server{srv}
	listeners := []net.Listener{ln}
	logAttrs := []any{"url", "http://" + ln.Addr().String(), "database", dialect, "openapi", cfg.BaseURL + "/openapi.json"}
	if cfg.OIDCIssuer != "" {
		logAttrs = append(logAttrs, "sso", cfg.OIDCIssuer) // the issuer only: the client secret is never logged
	}
	if cfg.MetricsAddr != "" {
		mln, msrv, err := metricsServer(cfg.MetricsAddr, m)
		if err != nil {
			ln.Close()
			return err
		}
		servers = append(servers, msrv)
		listeners = append(listeners, mln)
		logAttrs = append(logAttrs, "metrics", "http://"+mln.Addr().String()+"/metrics")
	}
	errc := make(chan error, len(servers))
	for i, s := range servers {
		go func() { errc <- s.Serve(listeners[i]) }()
	}
	log.Info("Linkage is serving", logAttrs...)
	select {
	case err := <-errc:
		for _, s := range servers {
			_ = s.Close()
		}
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	return shutdown(cfg, servers, errc, log)
}

// shutdown stops accepting and lets in-flight requests finish (SIGTERM).
// The metrics listener goes last, so a scrape can still watch the drain.
func shutdown(cfg config.Config, servers []*http.Server, errc <-chan error, log *slog.Logger) error {
	log.Info("shutting down", "grace", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	for _, s := range servers {
		if err := s.Shutdown(sctx); err != nil {
			return fmt.Errorf("shutdown: %w", err)
		}
	}
	for range servers {
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	log.Info("stopped")
	return nil
}

// metricsServer is the listener of LINKAGE_METRICS_ADDR: GET /metrics and
// nothing else, for Prometheus on a network the public cannot reach.
func metricsServer(addr string, m *metrics.Metrics) (net.Listener, *http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("listen on %s (LINKAGE_METRICS_ADDR): %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	return ln, &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second}, nil
}

// loadDemoIfEmpty imports the embedded demo dataset into a database with no
// organizations, so the first `make run` shows a realistic directory.
func loadDemoIfEmpty(ctx context.Context, st *store.Store, log *slog.Logger) error {
	counts, err := st.Counts(ctx)
	if err != nil {
		return err
	}
	if counts["organizations"] > 0 {
		return nil
	}
	return loadDemo(ctx, st, log)
}

func loadDemo(ctx context.Context, st *store.Store, log *slog.Logger) error {
	for _, name := range seed.DemoFiles {
		rep, err := importer.ImportFS(ctx, st, seed.Demo(), name, importer.Options{Actor: "linkage demo"})
		if err != nil {
			for _, p := range rep.Problems {
				log.Error("demo data problem", "problem", p.String())
			}
			return fmt.Errorf("load demo %s: %w", name, err)
		}
		log.Info("demo data loaded", "file", name, "organizations", rep.Organizations, "services", rep.Services, "taxonomy_terms", rep.Terms, "took", rep.Took.Round(time.Millisecond))
	}
	// The demo's eligibility is free text, as in most directories: the
	// extractor proposes structured criteria for agencies to confirm.
	if err := ensureEligibilityTaxonomy(ctx, st, log); err != nil {
		return err
	}
	rep, err := importer.ExtractEligibility(ctx, st, "linkage demo", false, nil)
	if err != nil {
		return err
	}
	log.Info("demo eligibility proposed", "services", rep.WithRules, "criteria", rep.Proposed)
	return nil
}

// showDemoKeys prints the demo keys for the person at the terminal. With
// JSON logs (a log pipeline, where stdout is collected too) or no terminal
// the keys stay in the data dir's demo-keys.txt, and only its name is
// logged: secrets never go into a log stream.
func showDemoKeys(stdout io.Writer, log *slog.Logger, cfg config.Config, keys string) {
	if cfg.LogFormat != "json" || isTerminal(stdout) {
		fmt.Fprint(stdout, keys)
		return
	}
	log.Info("demo keys written (not logged)", "file", filepath.Join(cfg.DataDir, demoKeysFile))
}

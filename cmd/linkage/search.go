package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/linkage-org/linkage/internal/config"
	"github.com/linkage-org/linkage/internal/gazetteer"
	"github.com/linkage-org/linkage/internal/indexsync"
	"github.com/linkage-org/linkage/internal/metrics"
	"github.com/linkage-org/linkage/internal/search"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/seed"
)

// loadSynonyms reads LINKAGE_SYNONYMS_FILE, or the shipped list.
func loadSynonyms(cfg config.Config) (*search.Synonyms, error) {
	b := seed.Synonyms()
	if cfg.SynonymsFile != "" {
		var err error
		if b, err = os.ReadFile(cfg.SynonymsFile); err != nil {
			return nil, fmt.Errorf("read synonyms: %w", err)
		}
	}
	syn, err := search.ParseSynonyms(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("synonyms %s: %w", cfg.SynonymsFile, err)
	}
	return syn, nil
}

// newSyncer makes the search index's Syncer; offline is linkage reindex,
// whose rebuild may tune the process's collector (serve never does).
func newSyncer(cfg config.Config, st *store.Store, log *slog.Logger, m *metrics.Metrics, offline bool) (*indexsync.Syncer, error) {
	syn, err := loadSynonyms(cfg)
	if err != nil {
		return nil, err
	}
	return indexsync.New(st, indexsync.Options{Dir: cfg.DataDir, Zone: cfg.DefaultTZ, Synonyms: syn, Logger: log,
		Metrics: m, Poll: cfg.IndexPoll, Retention: cfg.OutboxRetention, Batch: cfg.IndexBatch, RebuildBatch: cfg.RebuildBatch, OfflineRebuild: offline}), nil
}

func cmdReindex(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	fs := flags("reindex", "Rebuild the search index under LINKAGE_DATA_DIR from the database (a progress bar on a terminal). "+
		"With --check, compare the index with the database instead and exit 1 on any difference.", stdout)
	check := fs.Bool("check", false, "compare the index with the database; change nothing")
	if err := parse(fs, args); err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	sy, err := newSyncer(cfg, st, log, nil, true)
	if err != nil {
		return err
	}
	defer sy.Close()
	// Both ways open the index first: one a server holds is refused at once
	// (a rebuild beside it would swap its files away).
	again := "reindex"
	if *check {
		again = "reindex --check"
	}
	rebuild, err := sy.Open(ctx)
	if err != nil {
		return indexBusy(err, cfg, again)
	}
	if *check {
		if rebuild {
			return fmt.Errorf("the search index is missing, unreadable or of another mapping version; run linkage reindex")
		}
		c, err := sy.Verify(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "documents %d, missing %d, extra %d, different %d\n", c.Documents, len(c.Missing), len(c.Extra), len(c.Different))
		if !c.OK() {
			return fmt.Errorf("the search index differs from the database; run linkage reindex")
		}
		return nil
	}
	onProgress, finish := progress(stderr, "indexing")
	err = indexBusy(sy.Rebuild(ctx, onProgress), cfg, again)
	finish()
	if err != nil {
		return err
	}
	if err := sy.Drain(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "search index rebuilt at sequence %d\n", sy.Applied())
	return nil
}

// indexBusy explains a search index another process holds: which index,
// who probably holds it and what to do instead of waiting.
func indexBusy(err error, cfg config.Config, cmd string) error {
	if !errors.Is(err, search.ErrInUse) {
		return err
	}
	dir := filepath.Join(cfg.DataDir, "index")
	if cmd == "serve" {
		return fmt.Errorf("the search index in %s is in use by another process (another `linkage serve` with this LINKAGE_DATA_DIR?); "+
			"each server needs a data dir of its own (the index is per process), or stop the other one first", dir)
	}
	return fmt.Errorf("the search index in %s is in use by another process (a running `linkage serve` with this LINKAGE_DATA_DIR?). "+
		"Stop that server (SIGTERM) and run `linkage %s` again; or leave it running: it keeps its own index in step with the database, "+
		"GET /readyz answers 200 once it has caught up and GET /metrics shows linkage_search_outbox_backlog", dir, cmd)
}

func cmdImportPostcodes(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flags("import-postcodes", "Load postcode centroids from FILE in the US Census ZCTA Gazetteer format "+
		"(tab-separated with GEOID, INTPTLAT and INTPTLONG columns; e.g. 2023_Gaz_zcta_national.txt). "+
		"Existing codes are replaced; a file with any bad row loads nothing.", stdout)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := importPostcodes(ctx, st, f)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d postcodes loaded\n", n)
	return nil
}

func importPostcodes(ctx context.Context, st *store.Store, r io.Reader) (int, error) {
	cs, err := gazetteer.Read(r)
	if err != nil {
		return 0, err
	}
	pcs := make([]store.Postcode, len(cs))
	for i, c := range cs {
		pcs[i] = store.Postcode{Code: c.Code, Latitude: c.Lat, Longitude: c.Lon}
		if c.State != "" {
			s := c.State
			pcs[i].State = &s
		}
	}
	if err := st.UpsertPostcodes(ctx, pcs); err != nil {
		return 0, err
	}
	return len(pcs), nil
}

// loadDemoPostcodes gives an empty postcode table the demo region's
// centroids, so postcode search works on the demo data at once.
func loadDemoPostcodes(ctx context.Context, st *store.Store, log *slog.Logger) error {
	n, err := st.CountPostcodes(ctx)
	if err != nil || n > 0 {
		return err
	}
	n2, err := importPostcodes(ctx, st, bytes.NewReader(seed.DemoPostcodes()))
	if err != nil {
		return fmt.Errorf("load demo postcodes: %w", err)
	}
	log.Info("demo postcodes loaded", "postcodes", n2)
	return nil
}

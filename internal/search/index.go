package search

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"
	"github.com/blevesearch/bleve/v2/search/query"
)

// Reasons an index cannot be opened as it is; each means "rebuild it".
var (
	ErrMissing = errors.New("search index does not exist")
	ErrStale   = errors.New("search index was built with another mapping version")
	ErrCorrupt = errors.New("search index cannot be read")
)

var (
	keySeq     = []byte("linkage_seq")
	keyMapping = []byte("linkage_mapping_version")
	keyDB      = []byte("linkage_database_id")
)

// Index is one Bleve index of service_at_location documents.
type Index struct {
	b    bleve.Index
	path string
	plan *docPlan

	mu    sync.Mutex
	zones []string // distinct time zones, for open-now; nil until asked
}

// Merging. Bleve merges a growing index's segments as they come, by tiers
// of ten: in a rebuild of 100,000 services each document was merged two or
// three times, and the last merge to one segment, ten at a time, ran alone
// at the end. While a new index is built, its merger only joins segments
// smaller than FloorSegmentSize documents (one tier of a thousand never
// fills; 100,000 services leave about 50 segments), and Compact merges
// them all once, in one task: a sixth less CPU (docs/benchmarks.md). The
// options are saved with the index; Compact and Open set their own.
var (
	buildConfig = map[string]any{"scorchMergePlanOptions": map[string]any{
		"MaxSegmentsPerTier": 1000, "SegmentsPerMergeTask": 1000, "FloorSegmentSize": 2000,
	}}
	// No merge at all beside Compact's own: a tiered merge running beside a
	// forced one left an index Bleve could not reopen (its mapping lost).
	// The planner merges only segments under half MaxSegmentSize documents.
	compactConfig = map[string]any{"scorchMergePlanOptions": map[string]any{"MaxSegmentSize": 1}, "bolt_timeout": lockWait}
	// Options are read over Bleve's defaults: none given, the defaults.
	serveConfig = map[string]any{"scorchMergePlanOptions": map[string]any{}, "bolt_timeout": lockWait}
)

// Create makes a new empty index at path ("" keeps it in memory). An index
// on disk merges only its smallest segments until it is reopened with
// Open: it is meant to be filled, closed, compacted (see Compact) and
// opened.
func Create(path string) (*Index, error) {
	m, err := newMapping()
	if err != nil {
		return nil, err
	}
	var b bleve.Index
	if path == "" {
		// Scorch in memory, as on disk (NewMemOnly's is upside-down).
		b, err = bleve.NewUsing("", m, scorch.Name, scorch.Name, nil)
	} else {
		b, err = bleve.NewUsing(path, m, scorch.Name, scorch.Name, buildConfig)
	}
	if err != nil {
		return nil, fmt.Errorf("search: create index: %w", err)
	}
	if err := b.SetInternal(keyMapping, []byte(MappingVersion)); err != nil {
		_ = b.Close()
		return nil, fmt.Errorf("search: create index: %w", err)
	}
	return newIndex(b, path)
}

// Open opens the index at path. ErrMissing, ErrStale and ErrCorrupt (test
// with errors.Is) all mean the index must be rebuilt; ErrInUse that another
// process has it open (and must not lose it to a rebuild).
func Open(path string) (*Index, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, ErrMissing
	}
	b, err := bleve.OpenUsing(path, serveConfig)
	if err != nil {
		if err = lockErr(path, err); errors.Is(err, ErrInUse) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	v, err := b.GetInternal(keyMapping)
	if err != nil {
		_ = b.Close()
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if string(v) != MappingVersion {
		_ = b.Close()
		return nil, fmt.Errorf("%w (index %q, program %q)", ErrStale, v, MappingVersion)
	}
	return newIndex(b, path)
}

// newIndex wraps an open Bleve index with the document plan of its mapping;
// it closes b when the mapping cannot be planned.
func newIndex(b bleve.Index, path string) (*Index, error) {
	plan, err := newDocPlan(b.Mapping())
	if err != nil {
		_ = b.Close()
		return nil, err
	}
	return &Index{b: b, path: path, plan: plan}, nil
}

// Path is where the index lives ("" in memory).
func (ix *Index) Path() string { return ix.path }

// Close closes the index.
func (ix *Index) Close() error { return ix.b.Close() }

// Seq is the last outbox sequence applied to the index.
func (ix *Index) Seq() (int64, error) {
	v, err := ix.b.GetInternal(keySeq)
	if err != nil {
		return 0, fmt.Errorf("search: read sequence: %w", err)
	}
	if len(v) == 0 {
		return 0, nil
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: sequence %q", ErrCorrupt, v)
	}
	return n, nil
}

// Database is the identity of the database the index was built from (""
// for an index built before indexes recorded it).
func (ix *Index) Database() (string, error) {
	v, err := ix.b.GetInternal(keyDB)
	if err != nil {
		return "", fmt.Errorf("search: read database identity: %w", err)
	}
	return string(v), nil
}

// SetDatabase records the identity of the database the index is built from.
func (ix *Index) SetDatabase(id string) error {
	if err := ix.b.SetInternal(keyDB, []byte(id)); err != nil {
		return fmt.Errorf("search: record database identity: %w", err)
	}
	return nil
}

// Compact merges the segments of the closed index at path into one, in
// one pass over them all. A rebuild writes many small batches; every query
// pays per segment, so a freshly built index is merged before it serves.
// The index is compacted closed: only then are its last batches on disk
// (a merge takes persisted segments only), and no other merge runs.
func Compact(ctx context.Context, path string) error {
	b, err := bleve.OpenUsing(path, compactConfig)
	if err != nil {
		return fmt.Errorf("search: compact: %w", lockErr(path, err))
	}
	err = forceMerge(ctx, b)
	if err == nil {
		// The merge is in the index but not yet on disk, and Close does
		// not wait for that; a batch waits until the index holding it is.
		if err = b.SetInternal(keyMapping, []byte(MappingVersion)); err != nil {
			err = fmt.Errorf("search: compact: %w", err)
		}
	}
	if cerr := b.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("search: compact: %w", cerr)
	}
	return err
}

func forceMerge(ctx context.Context, b bleve.Index) error {
	adv, err := b.Advanced()
	if err != nil {
		return fmt.Errorf("search: compact: %w", err)
	}
	sc, ok := adv.(*scorch.Scorch)
	if !ok {
		return fmt.Errorf("search: compact: not a scorch index")
	}
	// Bleve's single-segment plan merges ten at a time, then the results
	// again; one task of every segment merges each document once.
	one := mergeplan.SingleSegmentMergePlanOptions
	one.SegmentsPerMergeTask = math.MaxInt32
	if err := sc.ForceMerge(ctx, &one); err != nil {
		return fmt.Errorf("search: compact: %w", err)
	}
	return nil
}

// DiskBytes is the size of the segment files the current snapshot uses: the
// index at rest. Files of segments merged away are deleted shortly after
// and are not counted.
func (ix *Index) DiskBytes() (uint64, error) {
	adv, err := ix.b.Advanced()
	if err != nil {
		return 0, fmt.Errorf("search: size: %w", err)
	}
	sc, ok := adv.(*scorch.Scorch)
	if !ok {
		return 0, fmt.Errorf("search: size: not a scorch index")
	}
	n, _ := sc.StatsMap()["num_bytes_used_disk_by_root"].(uint64)
	return n, nil
}

// Count is the number of documents.
func (ix *Index) Count() (uint64, error) {
	n, err := ix.b.DocCount()
	if err != nil {
		return 0, fmt.Errorf("search: count: %w", err)
	}
	return n, nil
}

// Apply indexes docs, deletes the documents with ids in del, and records seq
// as applied, all in one batch: after a crash the index holds either all of
// it or none of it.
func (ix *Index) Apply(ctx context.Context, docs []Document, del []string, seq int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	batch := ix.b.NewBatch()
	for _, id := range del {
		batch.Delete(id)
	}
	for i := range docs {
		docs[i].derive()
		if err := batch.IndexAdvanced(ix.plan.document(&docs[i])); err != nil {
			return fmt.Errorf("search: index %s: %w", docs[i].ID, err)
		}
	}
	if seq > 0 {
		batch.SetInternal(keySeq, []byte(strconv.FormatInt(seq, 10)))
	}
	if err := ix.b.Batch(batch); err != nil {
		return fmt.Errorf("search: apply batch: %w", err)
	}
	ix.mu.Lock()
	ix.zones = nil
	ix.mu.Unlock()
	return nil
}

// DocIDs returns the ids of the documents whose keyword field holds any of
// values (service_id, organization_id, location_id).
func (ix *Index) DocIDs(ctx context.Context, field string, values []string) ([]string, error) {
	var out []string
	for start := 0; start < len(values); start += 500 {
		part := values[start:min(start+500, len(values))]
		qs := make([]query.Query, len(part))
		for i, v := range part {
			qs[i] = termQ(field, v)
		}
		err := ix.eachHit(ctx, bleve.NewDisjunctionQuery(qs...), nil, func(id string, _ map[string]any) {
			out = append(out, id)
		})
		if err != nil {
			return nil, fmt.Errorf("search: documents by %s: %w", field, err)
		}
	}
	return out, nil
}

// Dump returns every document id with its content hash, for checking the
// index against the database.
func (ix *Index) Dump(ctx context.Context) (map[string]string, error) {
	out := make(map[string]string)
	err := ix.eachHit(ctx, bleve.NewMatchAllQuery(), []string{"h"}, func(id string, f map[string]any) {
		out[id] = str(f["h"])
	})
	if err != nil {
		return nil, fmt.Errorf("search: dump: %w", err)
	}
	return out, nil
}

// eachHit walks every match of q in id order, a thousand at a time
// (search-after paging, so memory stays flat), with the stored fields asked.
func (ix *Index) eachHit(ctx context.Context, q query.Query, fields []string, fn func(id string, fields map[string]any)) error {
	const page = 1000
	var after []string
	for {
		req := bleve.NewSearchRequestOptions(q, page, 0, false)
		req.SortBy([]string{"_id"})
		req.Fields = fields
		req.SearchAfter = after
		res, err := ix.b.SearchInContext(ctx, req)
		if err != nil {
			return err
		}
		for _, h := range res.Hits {
			fn(h.ID, h.Fields)
		}
		if len(res.Hits) < page {
			return nil
		}
		after = []string{res.Hits[len(res.Hits)-1].ID}
	}
}

// timeZones are the distinct zones of indexed documents, cached until the
// next write.
func (ix *Index) timeZones(ctx context.Context) ([]string, error) {
	ix.mu.Lock()
	z := ix.zones
	ix.mu.Unlock()
	if z != nil {
		return z, nil
	}
	req := bleve.NewSearchRequestOptions(bleve.NewMatchAllQuery(), 0, 0, false)
	req.AddFacet("tz", bleve.NewFacetRequest("tz", 500))
	res, err := ix.b.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("search: time zones: %w", err)
	}
	z = []string{}
	if f := res.Facets["tz"]; f != nil && f.Terms != nil {
		for _, t := range f.Terms.Terms() {
			z = append(z, t.Term)
		}
	}
	ix.mu.Lock()
	ix.zones = z
	ix.mu.Unlock()
	return z, nil
}

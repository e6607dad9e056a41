package search

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// Facets and the open-now count over the whole result set, by bitmaps:
// the search runs once more without scoring to collect its documents as a
// bitmap, and each facet value is the size of that bitmap's intersection
// with the value's posting list. Reading each hit's doc values instead
// cost more than the search itself (about 0.7 µs a hit; "food pantry" has
// 20,000 hits at 100,000 services).
//
// Posting lists are read per segment, which never changes once written,
// and kept by segment id; a new snapshot after a write only reads its new
// small segments. Document numbers are Bleve's internal ones: a segment's
// documents follow those of the segments before it in the snapshot (see
// scorch's introducer, which sums segment.Count()).

// bitmaps caches posting-list bitmaps by segment.
type bitmaps struct {
	mu   sync.Mutex
	segs map[uint64]map[string]*roaring.Bitmap // segment id -> field+"\x00"+term -> local doc numbers
}

// maxCachedTerms bounds the bitmaps kept per segment.
const maxCachedTerms = 1024

// snapshotView is one snapshot's segments, with their first global numbers.
type snapshotView struct {
	segs    []*scorch.SegmentSnapshot
	offsets []uint64
}

func viewOf(snap *scorch.IndexSnapshot) snapshotView {
	v := snapshotView{segs: snap.Segments()}
	var running uint64
	for _, ss := range v.segs {
		v.offsets = append(v.offsets, running)
		running += ss.Segment().Count()
	}
	return v
}

// termBitmap is the global bitmap of documents with term in field.
func (b *bitmaps) termBitmap(v snapshotView, field, term string) (*roaring.Bitmap, error) {
	out := roaring.New()
	for i, ss := range v.segs {
		local, err := b.local(ss, field, term)
		if err != nil {
			return nil, err
		}
		if local.IsEmpty() {
			continue
		}
		if v.offsets[i] == 0 {
			out.Or(local)
		} else {
			out.Or(roaring.AddOffset64(local, int64(v.offsets[i])))
		}
	}
	return out, nil
}

func (b *bitmaps) local(ss *scorch.SegmentSnapshot, field, term string) (*roaring.Bitmap, error) {
	key := field + "\x00" + term
	b.mu.Lock()
	if m := b.segs[ss.Id()]; m != nil {
		if bm, ok := m[key]; ok {
			b.mu.Unlock()
			return bm, nil
		}
	}
	b.mu.Unlock()
	bm := roaring.New()
	dict, err := ss.Segment().Dictionary(field)
	if err != nil {
		return nil, fmt.Errorf("search: dictionary of %s: %w", field, err)
	}
	pl, err := dict.PostingsList([]byte(term), nil, nil)
	if err != nil {
		return nil, fmt.Errorf("search: postings of %s: %w", field, err)
	}
	it := pl.Iterator(false, false, false, nil)
	if o, ok := it.(segment.OptimizablePostingsIterator); ok && o.ActualBitmap() != nil {
		bm = o.ActualBitmap().Clone()
	} else if ok {
		if n, one := o.DocNum1Hit(); one {
			bm.Add(uint32(n))
		}
	} else {
		for p, err := it.Next(); p != nil || err != nil; p, err = it.Next() {
			if err != nil {
				return nil, fmt.Errorf("search: postings of %s: %w", field, err)
			}
			bm.Add(uint32(p.Number()))
		}
	}
	b.mu.Lock()
	if b.segs == nil {
		b.segs = map[uint64]map[string]*roaring.Bitmap{}
	}
	// Open-now tokens change every 15 minutes: start a segment's cache
	// afresh rather than let it grow for as long as the segment lives.
	if b.segs[ss.Id()] == nil || len(b.segs[ss.Id()]) >= maxCachedTerms {
		b.segs[ss.Id()] = map[string]*roaring.Bitmap{}
	}
	b.segs[ss.Id()][key] = bm
	b.mu.Unlock()
	return bm, nil
}

// forget drops the segments no longer in v (merged away).
func (b *bitmaps) forget(v snapshotView) {
	live := make(map[uint64]bool, len(v.segs))
	for _, ss := range v.segs {
		live[ss.Id()] = true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for id := range b.segs {
		if !live[id] {
			delete(b.segs, id)
		}
	}
}

// facetCounts counts the documents matching q by facet value, and those
// open at now.
func (s *Searcher) facetCounts(ctx context.Context, q query.Query, now time.Time) (f *Facets, openCount int, err error) {
	ix, err := s.ix.b.Advanced()
	if err != nil {
		return nil, 0, fmt.Errorf("search: facets: %w", err)
	}
	r, err := ix.Reader()
	if err != nil {
		return nil, 0, fmt.Errorf("search: facets: %w", err)
	}
	defer r.Close()
	snap, isScorch := r.(*scorch.IndexSnapshot)
	if !isScorch {
		return nil, 0, fmt.Errorf("search: facets: the index is not a scorch index")
	}
	v := viewOf(snap)
	s.bitmaps.forget(v)

	hits, err := s.collect(ctx, r, q)
	if err != nil {
		return nil, 0, err
	}
	values, err := termsOf(r, "facets")
	if err != nil {
		return nil, 0, err
	}
	f = &Facets{Category: []FacetCount{}, Language: []FacetCount{}, Cost: []FacetCount{}}
	for _, val := range values {
		bm, err := s.bitmaps.termBitmap(v, "facets", val)
		if err != nil {
			return nil, 0, err
		}
		if n := int(hits.AndCardinality(bm)); n > 0 {
			addFacet(f, val, n)
		}
	}
	sortFacets(f)
	// Open now: the union of the open tokens' bitmaps (cached per segment
	// like the facet values), not a walk over every document open now.
	zones, err := s.ix.timeZones(ctx)
	if err != nil {
		return nil, 0, err
	}
	open := roaring.New()
	for _, z := range zones {
		loc, err := time.LoadLocation(z)
		if err != nil {
			continue // validated at write; an unknown zone cannot be open
		}
		for _, tok := range localSlots(now, loc) {
			bm, err := s.bitmaps.termBitmap(v, "open_z", tok)
			if err != nil {
				return nil, 0, err
			}
			open.Or(bm)
		}
	}
	return f, int(hits.AndCardinality(open)), nil
}

// termsOf lists the terms of field.
func termsOf(r index.IndexReader, field string) ([]string, error) {
	d, err := r.FieldDict(field)
	if err != nil {
		return nil, fmt.Errorf("search: terms of %s: %w", field, err)
	}
	defer d.Close()
	var out []string
	for {
		e, err := d.Next()
		if err != nil {
			return nil, fmt.Errorf("search: terms of %s: %w", field, err)
		}
		if e == nil {
			return out, nil
		}
		out = append(out, e.Term)
	}
}

// collect runs q without scoring on r and returns its documents.
func (s *Searcher) collect(ctx context.Context, r index.IndexReader, q query.Query) (*roaring.Bitmap, error) {
	sr, err := q.Searcher(ctx, r, s.ix.b.Mapping(), bsearch.SearcherOptions{Score: "none"})
	if err != nil {
		return nil, fmt.Errorf("search: facets: %w", err)
	}
	defer sr.Close()
	sctx := &bsearch.SearchContext{DocumentMatchPool: bsearch.NewDocumentMatchPool(sr.DocumentMatchPoolSize(), 0)}
	out := roaring.New()
	var buf []uint32
	for n := 0; ; n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		dm, err := sr.Next(sctx)
		if err != nil {
			return nil, fmt.Errorf("search: facets: %w", err)
		}
		if dm == nil {
			break
		}
		buf = append(buf, uint32(dm.IndexInternalID.Value()))
		sctx.DocumentMatchPool.Put(dm)
		if len(buf) == cap(buf) && len(buf) >= 4096 {
			out.AddMany(buf)
			buf = buf[:0]
		}
	}
	out.AddMany(buf)
	return out, nil
}

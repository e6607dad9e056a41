package search

import (
	"bytes"
	"context"
	"fmt"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// Filters as bitmaps. Every filter a search builds is a tree of term,
// prefix, range and boolean-field queries joined by AND and OR, plus the
// radius filter; each leaf is a posting list, and zap keeps posting lists
// as roaring bitmaps. So a filter is evaluated here with bitmap unions and
// intersections over posting lists cached per segment, instead of by
// Bleve's searchers, which walk documents one at a time and cost a term
// reader per leaf (a radius filter names up to 400 cells). The result is a
// docSet of one snapshot; the text query then only visits its documents
// (see textbits.go and filtered).

// snapshot is one open index snapshot with its segment layout and the
// searcher's caches.
type snapshot struct {
	s        *Searcher
	r        *scorch.IndexSnapshot
	v        snapshotView
	live     docSet                       // documents not deleted; built on first use
	fuzzy    map[string][]index.DictEntry // typo expansions asked of this snapshot
	analyzed map[string][]string          // text analysed, by analyzer and text
}

// docSet is a set of documents of one snapshot as one bitmap per segment,
// in the segment's own numbers: posting lists are per segment, so sets
// combine without renumbering, and are renumbered (global) only where
// Bleve's searchers need one bitmap. Its bitmaps may be cached ones: never
// change them.
type docSet []*roaring.Bitmap

// cardinality is the number of documents in d.
func (d docSet) cardinality() uint64 {
	var n uint64
	for _, bm := range d {
		n += bm.GetCardinality()
	}
	return n
}

// global is d in the snapshot's numbers.
func (e *snapshot) global(d docSet) *roaring.Bitmap {
	if len(d) == 1 {
		return d[0].Clone()
	}
	parts := make([]*roaring.Bitmap, 0, len(d))
	for i, bm := range d {
		if !bm.IsEmpty() {
			parts = append(parts, roaring.AddOffset64(bm, int64(e.v.offsets[i])))
		}
	}
	return roaring.FastOr(parts...)
}

// split is a global bitmap as a docSet.
func (e *snapshot) split(bm *roaring.Bitmap) docSet {
	out := make(docSet, len(e.v.segs))
	for i, ss := range e.v.segs {
		lo, n := e.v.offsets[i], ss.Segment().Count()
		if len(e.v.segs) == 1 {
			out[i] = bm
			continue
		}
		part := bm.Clone()
		part.RemoveRange(0, lo)
		part.RemoveRange(lo+n, 1<<32)
		out[i] = roaring.AddOffset64(part, -int64(lo))
	}
	return out
}

// liveDocs is every document of the snapshot that is not deleted.
func (e *snapshot) liveDocs() docSet {
	if e.live != nil {
		return e.live
	}
	e.live = make(docSet, len(e.v.segs))
	for i, ss := range e.v.segs {
		seg := roaring.New()
		seg.AddRange(0, ss.Segment().Count())
		if d := ss.Deleted(); d != nil && !d.IsEmpty() {
			seg.AndNot(d)
		}
		e.live[i] = seg
	}
	return e.live
}

// perSegment applies fn to each segment.
func (e *snapshot) perSegment(fn func(i int, ss *scorch.SegmentSnapshot) (*roaring.Bitmap, error)) (docSet, error) {
	out := make(docSet, len(e.v.segs))
	for i, ss := range e.v.segs {
		bm, err := fn(i, ss)
		if err != nil {
			return nil, err
		}
		out[i] = bm
	}
	return out, nil
}

// and intersects sets (a new set), starting in each segment from its
// smallest bitmap.
func and(sets ...docSet) docSet {
	out := make(docSet, len(sets[0]))
	for i := range out {
		small := 0
		for j, s := range sets {
			if s[i].GetCardinality() < sets[small][i].GetCardinality() {
				small = j
			}
		}
		out[i] = sets[small][i].Clone()
		for j, s := range sets {
			if out[i].IsEmpty() {
				break
			}
			if j != small {
				out[i].And(s[i])
			}
		}
	}
	return out
}

// or unites sets (a new set).
func or(n int, sets []docSet) docSet {
	out := make(docSet, n)
	parts := make([]*roaring.Bitmap, len(sets))
	for i := range out {
		for j, s := range sets {
			parts[j] = s[i]
		}
		out[i] = roaring.FastOr(parts...)
	}
	return out
}

// filter evaluates q to the live documents it matches.
func (e *snapshot) filter(ctx context.Context, q query.Query) (docSet, error) {
	d, err := e.bits(ctx, q)
	if err != nil {
		return nil, err
	}
	return and(d, e.liveDocs()), nil
}

// bits evaluates q to a set that may include deleted documents (filter
// trees have no negation, so one intersection with the live documents at
// the end is enough).
func (e *snapshot) bits(ctx context.Context, q query.Query) (docSet, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	switch q := q.(type) {
	case unscored:
		return e.bits(ctx, q.q)
	case *query.TermQuery:
		return e.term(q.FieldVal, q.Term)
	case *query.BoolFieldQuery:
		t := "F"
		if q.Bool {
			t = "T"
		}
		return e.term(q.FieldVal, t)
	case *query.PrefixQuery:
		return e.perSegment(func(_ int, ss *scorch.SegmentSnapshot) (*roaring.Bitmap, error) {
			return e.s.bitmaps.prefix(ss, q.FieldVal, q.Prefix)
		})
	case *query.TermRangeQuery:
		return e.rangeBits(q)
	case *query.MatchAllQuery:
		return e.liveDocs(), nil
	case *query.MatchNoneQuery:
		return e.empty(), nil
	case *query.DisjunctionQuery:
		if q.Min > 1 {
			break
		}
		parts := make([]docSet, 0, len(q.Disjuncts))
		for _, c := range q.Disjuncts {
			d, err := e.bits(ctx, c)
			if err != nil {
				return nil, err
			}
			parts = append(parts, d)
		}
		return or(len(e.v.segs), parts), nil
	case *query.ConjunctionQuery:
		if len(q.Conjuncts) == 0 {
			return e.liveDocs(), nil
		}
		parts := make([]docSet, 0, len(q.Conjuncts))
		for _, c := range q.Conjuncts {
			d, err := e.bits(ctx, c)
			if err != nil {
				return nil, err
			}
			parts = append(parts, d)
		}
		return and(parts...), nil
	case bitmapper:
		return q.bitmap(ctx, e)
	}
	// Anything else: Bleve's own searcher, walked once.
	bm, err := e.collect(ctx, q)
	if err != nil {
		return nil, err
	}
	return e.split(bm), nil
}

// term is the set of documents with term in field.
func (e *snapshot) term(field, term string) (docSet, error) {
	return e.perSegment(func(_ int, ss *scorch.SegmentSnapshot) (*roaring.Bitmap, error) {
		return e.s.bitmaps.local(ss, field, term)
	})
}

func (e *snapshot) empty() docSet {
	out := make(docSet, len(e.v.segs))
	for i := range out {
		out[i] = roaring.New()
	}
	return out
}

// bitmapper is a filter that evaluates itself on a snapshot.
type bitmapper interface {
	bitmap(ctx context.Context, e *snapshot) (docSet, error)
}

// rangeBits unions the posting lists of the terms in a term range. Ranges
// are not cached: their bounds change with every query (times).
func (e *snapshot) rangeBits(q *query.TermRangeQuery) (docSet, error) {
	lo, hi := []byte(q.Min), []byte(q.Max)
	var endExcl []byte
	if q.Max != "" {
		endExcl = append(bytes.Clone(hi), 0) // the smallest key after hi
	}
	incMin := q.InclusiveMin == nil || *q.InclusiveMin
	incMax := q.InclusiveMax != nil && *q.InclusiveMax
	keep := func(t []byte) bool {
		if q.Min != "" && !incMin && bytes.Equal(t, lo) {
			return false
		}
		if q.Max != "" && !incMax && bytes.Equal(t, hi) {
			return false
		}
		return true
	}
	return e.perSegment(func(_ int, ss *scorch.SegmentSnapshot) (*roaring.Bitmap, error) {
		return unionTerms(ss, q.FieldVal, lo, endExcl, keep)
	})
}

// unionTerms is the union of the posting lists of field's terms in
// [start, endExcl) that keep accepts, in one segment's numbers.
func unionTerms(ss *scorch.SegmentSnapshot, field string, start, endExcl []byte, keep func([]byte) bool) (*roaring.Bitmap, error) {
	dict, err := ss.Segment().Dictionary(field)
	if err != nil {
		return nil, fmt.Errorf("search: dictionary of %s: %w", field, err)
	}
	out := roaring.New()
	it := dict.AutomatonIterator(nil, start, endExcl)
	var pl segment.PostingsList
	for {
		de, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("search: terms of %s: %w", field, err)
		}
		if de == nil {
			return out, nil
		}
		if keep != nil && !keep([]byte(de.Term)) {
			continue
		}
		pl, err = dict.PostingsList([]byte(de.Term), nil, pl)
		if err != nil {
			return nil, fmt.Errorf("search: postings of %s: %w", field, err)
		}
		if err := orPostings(out, pl); err != nil {
			return nil, fmt.Errorf("search: postings of %s: %w", field, err)
		}
	}
}

// orPostings adds a posting list's documents to out.
func orPostings(out *roaring.Bitmap, pl segment.PostingsList) error {
	it := pl.Iterator(false, false, false, nil)
	if o, ok := it.(segment.OptimizablePostingsIterator); ok {
		if bm := o.ActualBitmap(); bm != nil {
			out.Or(bm)
			return nil
		}
		if n, one := o.DocNum1Hit(); one {
			out.Add(uint32(n))
			return nil
		}
	}
	for p, err := it.Next(); p != nil || err != nil; p, err = it.Next() {
		if err != nil {
			return err
		}
		out.Add(uint32(p.Number()))
	}
	return nil
}

// collect runs q without scoring on the snapshot and returns its documents.
func (e *snapshot) collect(ctx context.Context, q query.Query) (*roaring.Bitmap, error) {
	sr, err := q.Searcher(ctx, e.r, e.s.ix.b.Mapping(), bsearch.SearcherOptions{Score: "none"})
	if err != nil {
		return nil, fmt.Errorf("search: filter: %w", err)
	}
	defer sr.Close()
	sctx := &bsearch.SearchContext{DocumentMatchPool: bsearch.NewDocumentMatchPool(sr.DocumentMatchPoolSize(), 0)}
	out := roaring.New()
	for n := 0; ; n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		dm, err := sr.Next(sctx)
		if err != nil {
			return nil, fmt.Errorf("search: filter: %w", err)
		}
		if dm == nil {
			return out, nil
		}
		out.Add(uint32(dm.IndexInternalID.Value()))
		sctx.DocumentMatchPool.Put(dm)
	}
}

// openSnapshot opens the index's current snapshot; close it when done.
func (s *Searcher) openSnapshot() (*snapshot, error) {
	ix, err := s.ix.b.Advanced()
	if err != nil {
		return nil, fmt.Errorf("search: open snapshot: %w", err)
	}
	r, err := ix.Reader()
	if err != nil {
		return nil, fmt.Errorf("search: open snapshot: %w", err)
	}
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		_ = r.Close()
		return nil, fmt.Errorf("search: the index is not a scorch index")
	}
	v := viewOf(snap)
	s.bitmaps.forget(v)
	s.coords.forget(v)
	s.facetCol.forget(v)
	s.postings.forget(v)
	return &snapshot{s: s, r: snap, v: v}, nil
}

func (e *snapshot) Close() error { return e.r.Close() }

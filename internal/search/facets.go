package search

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	index "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// Facets and the open-now count over the whole result set: the search
// yields its result set as one bitmap per segment (see run). Facet values
// are counted from a column of each segment's values by document, decoded
// once (Bleve's facet builder decodes each hit's doc values per query:
// about 0.7 µs a hit, and "food pantry" has 20,000 hits at 100,000
// services); open-now intersects the set with the union of the open
// tokens' posting lists.
//
// Posting lists are read per segment, which never changes once written,
// and kept by segment id; a new snapshot after a write only reads its new
// small segments. Document numbers are Bleve's internal ones: a segment's
// documents follow those of the segments before it in the snapshot (see
// scorch's introducer, which sums segment.Count()).

// bitmaps caches posting-list bitmaps by segment.
type bitmaps struct {
	mu    sync.Mutex
	segs  map[uint64]map[string]*roaring.Bitmap // segment id -> field+"\x00"+term -> local doc numbers
	bytes uint64                                // their size in all
}

// maxBitmapBytes bounds the bitmaps kept, in all. Most are small (a radius
// search names up to 400 geohash cells; a rare word is a few documents),
// a common word's is up to a bit a document.
const maxBitmapBytes = 32 << 20

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

// prefix is the bitmap of a segment's documents with a term starting
// with prefix in field.
func (b *bitmaps) prefix(ss *scorch.SegmentSnapshot, field, prefix string) (*roaring.Bitmap, error) {
	return b.cached(ss, field+"\x00"+prefix+"\x00*", func() (*roaring.Bitmap, error) {
		start := []byte(prefix)
		return unionTerms(ss, field, start, prefixEnd(start), nil)
	})
}

// prefixEnd is the first key after every key starting with p (nil: none).
func prefixEnd(p []byte) []byte {
	end := bytes.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i]++; end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}

// local is the bitmap of a segment's documents with term in field.
func (b *bitmaps) local(ss *scorch.SegmentSnapshot, field, term string) (*roaring.Bitmap, error) {
	return b.cached(ss, field+"\x00"+term, func() (*roaring.Bitmap, error) {
		pl, err := postingsOf(ss, field, term)
		if err != nil {
			return nil, err
		}
		bm := roaring.New()
		if err := orPostings(bm, pl); err != nil {
			return nil, fmt.Errorf("search: postings of %s: %w", field, err)
		}
		return bm, nil
	})
}

// locals are the bitmaps of a segment's documents with each of terms.
func (b *bitmaps) locals(ss *scorch.SegmentSnapshot, field string, terms []string) ([]*roaring.Bitmap, error) {
	out := make([]*roaring.Bitmap, 0, len(terms)+1)
	for _, t := range terms {
		bm, err := b.local(ss, field, t)
		if err != nil {
			return nil, err
		}
		out = append(out, bm)
	}
	return out, nil
}

// cached returns the bitmap kept for key in a segment, loading it once.
func (b *bitmaps) cached(ss *scorch.SegmentSnapshot, key string, load func() (*roaring.Bitmap, error)) (*roaring.Bitmap, error) {
	b.mu.Lock()
	if m := b.segs[ss.Id()]; m != nil {
		if bm, ok := m[key]; ok {
			b.mu.Unlock()
			return bm, nil
		}
	}
	b.mu.Unlock()
	bm, err := load()
	if err != nil {
		return nil, err
	}
	size := bm.GetSizeInBytes()
	b.mu.Lock()
	// Open-now tokens change every 15 minutes and queries bring new words:
	// when full, start afresh rather than track use (the hot terms come
	// back at once).
	if b.segs == nil || b.bytes+size > maxBitmapBytes {
		b.segs, b.bytes = map[uint64]map[string]*roaring.Bitmap{}, 0
	}
	if b.segs[ss.Id()] == nil {
		b.segs[ss.Id()] = map[string]*roaring.Bitmap{}
	}
	if old := b.segs[ss.Id()][key]; old != nil {
		b.bytes -= old.GetSizeInBytes()
	}
	b.segs[ss.Id()][key] = bm
	b.bytes += size
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
	for id, m := range b.segs {
		if !live[id] {
			for _, bm := range m {
				b.bytes -= bm.GetSizeInBytes()
			}
			delete(b.segs, id)
		}
	}
}

// facetCounts counts docs (a result set of this snapshot) by facet value,
// and those open at now.
func (e *snapshot) facetCounts(ctx context.Context, docs docSet, now time.Time) (f *Facets, openCount int, err error) {
	counts := map[string]int{}
	for i, bm := range docs {
		if bm.IsEmpty() {
			continue
		}
		sf, err := e.s.facetCol.of(e.v.segs[i])
		if err != nil {
			return nil, 0, err
		}
		n := make([]int, len(sf.names))
		it := bm.Iterator()
		for it.HasNext() {
			d := it.Next()
			for _, v := range sf.vals[sf.start[d]:sf.start[d+1]] {
				n[v]++
			}
		}
		for v, c := range n {
			if c > 0 {
				counts[sf.names[v]] += c
			}
		}
	}
	f = &Facets{Category: []FacetCount{}, Language: []FacetCount{}, Cost: []FacetCount{}}
	for val, n := range counts {
		addFacet(f, val, n)
	}
	sortFacets(f)
	// Open now: the documents holding any of the tokens open at now, a
	// union kept per segment like a posting list (the same for every
	// search in the same quarter hour).
	toks, err := e.s.openTokens(ctx, now)
	if err != nil {
		return nil, 0, err
	}
	key := "open_z\x00" + strings.Join(toks, " ")
	for i, ss := range e.v.segs {
		open, err := e.s.bitmaps.cached(ss, key, func() (*roaring.Bitmap, error) {
			parts, err := e.s.bitmaps.locals(ss, "open_z", toks)
			if err != nil {
				return nil, err
			}
			return roaring.FastOr(parts...), nil
		})
		if err != nil {
			return nil, 0, err
		}
		openCount += int(docs[i].AndCardinality(open))
	}
	return f, openCount, nil
}

// segFacets are a segment's facet values by document: document d's are
// names[vals[start[d]:start[d+1]]]. Counting a result set walks its
// documents once, instead of intersecting it with every value's postings.
type segFacets struct {
	start []uint32
	vals  []uint32
	names []string
}

// decodeFacets reads the "facets" doc values of every document of seg.
func decodeFacets(seg segment.Segment) (*segFacets, error) {
	n := seg.Count()
	sf := &segFacets{start: make([]uint32, n+1)}
	dv, ok := seg.(segment.DocValueVisitable)
	if !ok {
		return sf, nil // an empty segment
	}
	ids := map[string]uint32{}
	fields := []string{"facets"}
	visit := index.DocValueVisitor(func(_ string, term []byte) {
		id, ok := ids[string(term)]
		if !ok {
			id = uint32(len(sf.names))
			ids[string(term)] = id
			sf.names = append(sf.names, string(term))
		}
		sf.vals = append(sf.vals, id)
	})
	var state segment.DocVisitState
	var err error
	for d := uint64(0); d < n; d++ {
		if state, err = dv.VisitDocValues(d, fields, visit, state); err != nil {
			return nil, fmt.Errorf("search: facet values: %w", err)
		}
		sf.start[d+1] = uint32(len(sf.vals))
	}
	return sf, nil
}

package search

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	index "github.com/blevesearch/bleve_index_api"
)

// Facets and the open-now count over the whole result set, by bitmaps:
// the search yields its result set as a bitmap (see run), and each facet
// value is the size of that bitmap's intersection with the value's posting
// list. Reading each hit's doc values instead
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
	mu    sync.Mutex
	segs  map[uint64]map[string]*roaring.Bitmap // segment id -> field+"\x00"+term -> local doc numbers
	bytes uint64                                // their size in all
}

// maxBitmapBytes bounds the bitmaps kept, in all. Most are small (a radius
// search names up to 400 geohash cells; a rare word is a few documents),
// a common word's is up to a bit a document.
const maxBitmapBytes = 48 << 20

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
		dict, err := ss.Segment().Dictionary(field)
		if err != nil {
			return nil, fmt.Errorf("search: dictionary of %s: %w", field, err)
		}
		pl, err := dict.PostingsList([]byte(term), nil, nil)
		if err != nil {
			return nil, fmt.Errorf("search: postings of %s: %w", field, err)
		}
		bm := roaring.New()
		if err := orPostings(bm, pl); err != nil {
			return nil, fmt.Errorf("search: postings of %s: %w", field, err)
		}
		return bm, nil
	})
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
	values, err := e.facetValues()
	if err != nil {
		return nil, 0, err
	}
	count := func(d docSet) int {
		n := 0
		for i, bm := range d {
			n += int(docs[i].AndCardinality(bm))
		}
		return n
	}
	f = &Facets{Category: []FacetCount{}, Language: []FacetCount{}, Cost: []FacetCount{}}
	for _, val := range values {
		d, err := e.term("facets", val)
		if err != nil {
			return nil, 0, err
		}
		if n := count(d); n > 0 {
			addFacet(f, val, n)
		}
	}
	sortFacets(f)
	// Open now: the union of the open tokens' bitmaps (cached per segment
	// like the facet values), not a walk over every document open now.
	zones, err := e.s.ix.timeZones(ctx)
	if err != nil {
		return nil, 0, err
	}
	var open []docSet
	for _, z := range zones {
		loc, err := time.LoadLocation(z)
		if err != nil {
			continue // validated at write; an unknown zone cannot be open
		}
		for _, tok := range localSlots(now, loc) {
			d, err := e.term("open_z", tok)
			if err != nil {
				return nil, 0, err
			}
			open = append(open, and(docs, d)) // small before they are joined
		}
	}
	return f, int(or(len(e.v.segs), open).cardinality()), nil
}

// facetValues are the terms of the facet field, read again only when the
// snapshot's segments change.
func (e *snapshot) facetValues() ([]string, error) {
	var key strings.Builder
	for _, ss := range e.v.segs {
		key.WriteString(strconv.FormatUint(ss.Id(), 36))
		key.WriteByte(',')
	}
	s := e.s
	s.facetMu.Lock()
	defer s.facetMu.Unlock()
	if s.facetKey == key.String() && s.facetVal != nil {
		return s.facetVal, nil
	}
	vals, err := termsOf(e.r, "facets")
	if err != nil {
		return nil, err
	}
	s.facetKey, s.facetVal = key.String(), vals
	return vals, nil
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

package search

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/blevesearch/bleve/v2/geo"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/numeric"
	index "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// Coordinates by document number. The radius filter's exact check and the
// distance sort read a document's point; reading it from the document
// (stored fields, decompressed per document) or Bleve's geo sort (doc
// values decoded per hit) cost about a microsecond a document. A segment
// never changes once written, so its points are decoded once, into arrays,
// and kept by segment id (about 16 bytes a document).

// columns caches a value derived from each segment (its points, its facet
// values by document), built once on first use: segments never change.
type columns[T any] struct {
	mu    sync.Mutex
	segs  map[uint64]*column[T]
	build func(segment.Segment) (T, error)
}

type column[T any] struct {
	once sync.Once
	v    T
	err  error
}

// of returns the column of one segment, building it on first use.
func (c *columns[T]) of(ss *scorch.SegmentSnapshot) (T, error) {
	c.mu.Lock()
	if c.segs == nil {
		c.segs = map[uint64]*column[T]{}
	}
	col := c.segs[ss.Id()]
	if col == nil {
		col = &column[T]{}
		c.segs[ss.Id()] = col
	}
	c.mu.Unlock()
	col.once.Do(func() { col.v, col.err = c.build(ss.Segment()) })
	return col.v, col.err
}

// forget drops the segments no longer in v (merged away).
func (c *columns[T]) forget(v snapshotView) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id := range c.segs {
		if !slices.ContainsFunc(v.segs, func(ss *scorch.SegmentSnapshot) bool { return ss.Id() == id }) {
			delete(c.segs, id)
		}
	}
}

// segPoints are one segment's points, NaN where a document has none.
type segPoints struct{ lat, lon []float64 }

// decodePoints reads the "geo" doc values of every document of seg.
func decodePoints(seg segment.Segment) (*segPoints, error) {
	lat, lon, err := decodeLatLon(seg)
	return &segPoints{lat, lon}, err
}

func decodeLatLon(seg segment.Segment) (lat, lon []float64, err error) {
	n := seg.Count()
	lat, lon = make([]float64, n), make([]float64, n)
	for i := range lat {
		lat[i], lon[i] = math.NaN(), math.NaN()
	}
	dv, ok := seg.(segment.DocValueVisitable)
	if !ok {
		return lat, lon, nil // an empty segment
	}
	fields := []string{"geo"}
	var cur uint64
	visit := index.DocValueVisitor(func(_ string, term []byte) {
		pc := numeric.PrefixCoded(term)
		if shift, err := pc.Shift(); err != nil || shift != 0 {
			return // a coarser precision of the same point
		}
		h, err := pc.Int64()
		if err != nil {
			return
		}
		lat[cur], lon[cur] = geo.MortonUnhashLat(uint64(h)), geo.MortonUnhashLon(uint64(h))
	})
	var state segment.DocVisitState
	for cur = 0; cur < n; cur++ {
		if state, err = dv.VisitDocValues(cur, fields, visit, state); err != nil {
			return nil, nil, fmt.Errorf("search: points: %w", err)
		}
	}
	return lat, lon, nil
}

// locate finds the segment of a global document number and its number
// there.
func (v snapshotView) locate(doc uint64) (seg int, local uint64) {
	i, _ := slices.BinarySearch(v.offsets, doc+1)
	return i - 1, doc - v.offsets[i-1]
}

// byDistance orders docs by distance from c (documents without a point
// last), ties in document order, and returns the page [from, from+size).
func (e *snapshot) byDistance(docs docSet, c Point, from, size int) ([]scoredDoc, error) {
	type hit struct {
		d   float64 // +Inf: no point
		doc uint64
	}
	hits := make([]hit, 0, docs.cardinality())
	for i, bm := range docs {
		pts, err := e.s.coords.of(e.v.segs[i])
		if err != nil {
			return nil, err
		}
		it := bm.Iterator()
		for it.HasNext() {
			d := it.Next()
			h := hit{d: math.Inf(1), doc: e.v.offsets[i] + uint64(d)}
			if lat := pts.lat[d]; !math.IsNaN(lat) {
				h.d = DistanceM(c, Point{Lat: lat, Lon: pts.lon[d]})
			}
			hits = append(hits, h)
		}
	}
	slices.SortFunc(hits, func(a, b hit) int {
		if c := cmp.Compare(a.d, b.d); c != 0 {
			return c
		}
		return cmp.Compare(a.doc, b.doc)
	})
	if from >= len(hits) {
		return nil, nil
	}
	hits = hits[from:min(len(hits), from+size)]
	out := make([]scoredDoc, len(hits))
	for i, h := range hits {
		out[i] = scoredDoc{doc: h.doc}
	}
	return out, nil
}

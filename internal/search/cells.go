package search

import (
	"context"
	"errors"
	"math"
	"strconv"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	index "github.com/blevesearch/bleve_index_api"
)

// Radius search without Bleve's geo-distance query, whose searcher walks
// numeric terms over the whole circle on every query: each document
// carries the geohash cells of its location at a few precisions as
// keywords; a query takes the cells that lie wholly inside the circle as
// they are, and checks the documents of the cells on its edge one by one
// against the exact distance.

// cellPrecisions are the geohash lengths indexed (about 156 km, 39 km,
// 4.9 km and 1.2 km wide cells).
var cellPrecisions = []int{3, 4, 5, 6}

// maxCells bounds the cells one query names.
const maxCells = 400

const base32 = "0123456789bcdefghjkmnpqrstuvwxyz"

// box is a cell's bounds.
type box struct{ minLat, maxLat, minLon, maxLon float64 }

// geohash encodes a point at precision n and returns the cell's bounds.
func geohash(lat, lon float64, n int) (string, box) {
	b := box{-90, 90, -180, 180}
	out := make([]byte, 0, n)
	even, bit, ch := true, 0, 0
	for len(out) < n {
		if even {
			mid := (b.minLon + b.maxLon) / 2
			if lon >= mid {
				ch |= 1 << (4 - bit)
				b.minLon = mid
			} else {
				b.maxLon = mid
			}
		} else {
			mid := (b.minLat + b.maxLat) / 2
			if lat >= mid {
				ch |= 1 << (4 - bit)
				b.minLat = mid
			} else {
				b.maxLat = mid
			}
		}
		even = !even
		if bit++; bit == 5 {
			out = append(out, base32[ch])
			bit, ch = 0, 0
		}
	}
	return string(out), b
}

// cellTokens are the indexed cells of a point.
func cellTokens(lat, lon float64) []string {
	out := make([]string, len(cellPrecisions))
	for i, p := range cellPrecisions {
		h, _ := geohash(lat, lon, p)
		out[i] = strconv.Itoa(p) + h
	}
	return out
}

// cellSize is the height and width in degrees of a cell of precision n.
func cellSize(n int) (dLat, dLon float64) {
	_, b := geohash(0, 0, n)
	return b.maxLat - b.minLat, b.maxLon - b.minLon
}

// cellBox is the bounds of a geohash.
func cellBox(code string) box {
	b := box{-90, 90, -180, 180}
	even := true
	for i := 0; i < len(code); i++ {
		v := indexByte(base32, code[i])
		for bit := 4; bit >= 0; bit-- {
			on := v>>bit&1 == 1
			if even {
				mid := (b.minLon + b.maxLon) / 2
				if on {
					b.minLon = mid
				} else {
					b.maxLon = mid
				}
			} else {
				mid := (b.minLat + b.maxLat) / 2
				if on {
					b.minLat = mid
				} else {
					b.maxLat = mid
				}
			}
			even = !even
		}
	}
	return b
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return 0
}

// classify says whether a cell lies outside the circle, wholly inside it,
// or on its edge.
func classify(c Point, r float64, b box) (outside, inside bool) {
	near := DistanceM(c, Point{Lat: clamp(c.Lat, b.minLat, b.maxLat), Lon: clamp(c.Lon, b.minLon, b.maxLon)})
	if near > r {
		return true, false
	}
	for _, p := range []Point{{b.minLat, b.minLon}, {b.minLat, b.maxLon}, {b.maxLat, b.minLon}, {b.maxLat, b.maxLon}} {
		if DistanceM(c, p) > r {
			return false, false
		}
	}
	return false, true
}

// circleCells covers the circle with geohash cells: coarse ones inside,
// edge cells refined to the finest indexed precision while the count stays
// under maxCells. It returns the cells wholly inside and those on the edge.
func circleCells(c Point, r float64) (inner, edge []string) {
	dLat := r / 111320
	dLon := r / (111320 * math.Max(0.01, math.Cos(c.Lat*math.Pi/180)))
	// Start at the finest precision whose grid over the bounding box is
	// small.
	prec := cellPrecisions[0]
	for _, p := range cellPrecisions {
		h, w := cellSize(p)
		if (2*dLat/h+2)*(2*dLon/w+2) <= maxCells/8 {
			prec = p
		}
	}
	h, w := cellSize(prec)
	seen := map[string]bool{}
	var todo []string
	for lat := c.Lat - dLat - h; lat <= c.Lat+dLat+h; lat += h {
		for lon := c.Lon - dLon - w; lon <= c.Lon+dLon+w; lon += w {
			if lat < -90 || lat > 90 {
				continue
			}
			code, _ := geohash(lat, normLon(lon), prec)
			if !seen[code] {
				seen[code] = true
				todo = append(todo, code)
			}
		}
	}
	finest := cellPrecisions[len(cellPrecisions)-1]
	for len(todo) > 0 {
		code := todo[0]
		todo = todo[1:]
		out, in := classify(c, r, cellBox(code))
		switch {
		case out:
		case in:
			inner = append(inner, strconv.Itoa(len(code))+code)
		case len(code) < finest && len(inner)+len(edge)+len(todo)+32 <= maxCells:
			for i := 0; i < len(base32); i++ {
				todo = append(todo, code+base32[i:i+1])
			}
		default:
			edge = append(edge, strconv.Itoa(len(code))+code)
		}
	}
	return inner, edge
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

func normLon(lon float64) float64 {
	for lon < -180 {
		lon += 360
	}
	for lon >= 180 {
		lon -= 360
	}
	return lon
}

// radiusQuery matches the documents within r metres of c: the documents
// of the cells wholly inside the circle, and those of its edge cells that
// pass the exact distance check.
type radiusQuery struct {
	c Point
	r float64
}

// Searcher refuses: the radius filter is only evaluated as a bitmap (see
// snapshot.bits), which needs the searcher's caches.
func (q radiusQuery) Searcher(context.Context, index.IndexReader, mapping.IndexMapping, bsearch.SearcherOptions) (bsearch.Searcher, error) {
	return nil, errors.New("search: the radius filter runs as a bitmap only")
}

func (q radiusQuery) bitmap(_ context.Context, e *snapshot) (docSet, error) {
	inner, edge := e.s.circles.cells(q.c, q.r)
	return e.perSegment(func(i int, ss *scorch.SegmentSnapshot) (*roaring.Bitmap, error) {
		in, err := e.s.bitmaps.locals(ss, "cells", inner)
		if err != nil {
			return nil, err
		}
		on, err := e.s.bitmaps.locals(ss, "cells", edge)
		if err != nil {
			return nil, err
		}
		pts, err := e.s.coords.of(ss)
		if err != nil {
			return nil, err
		}
		near := roaring.New()
		it := roaring.FastOr(on...).Iterator()
		for it.HasNext() {
			d := it.Next()
			if lat := pts.lat[d]; !math.IsNaN(lat) && DistanceM(q.c, Point{Lat: lat, Lon: pts.lon[d]}) <= q.r {
				near.Add(d)
			}
		}
		return roaring.FastOr(append(in, near)...), nil
	})
}

// circles remembers the cells of recent circles: searches come back to the
// same places (a postcode's centroid, a caseworker's office) and radii, and
// covering a circle costs thousands of distance checks.
type circles struct {
	mu sync.Mutex
	m  map[circle]covering
}

type circle struct {
	c Point
	r float64
}

type covering struct{ inner, edge []string }

// maxCircles bounds the coverings remembered.
const maxCircles = 4096

func (cs *circles) cells(c Point, r float64) (inner, edge []string) {
	k := circle{c, r}
	cs.mu.Lock()
	got, ok := cs.m[k]
	cs.mu.Unlock()
	if ok {
		return got.inner, got.edge
	}
	inner, edge = circleCells(c, r)
	cs.mu.Lock()
	if cs.m == nil || len(cs.m) >= maxCircles {
		cs.m = map[circle]covering{}
	}
	cs.m[k] = covering{inner, edge}
	cs.mu.Unlock()
	return inner, edge
}

package search

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/linkage-org/linkage/internal/hsds"
)

// Service areas ("which services serve this point?") without Bleve's
// geoshape fields, whose indexing is slow, large and not safe on several
// analysis workers. Each area polygon is covered by cells of a lat/lon
// quadtree, refined along its boundary up to a budget: cells wholly inside
// are indexed as "i" tokens and answer a query at once; cells the boundary
// crosses are "e" tokens whose polygons are tested point-in-polygon in Go.
// Polygons are keyed by a hash of their coordinates, so a polygon many
// services share (a county) is tested once per query.

// Quadtree levels: level z splits the world into 2^z x 2^z cells of
// 360/2^z degrees of longitude and 180/2^z of latitude. Level 17 cells are
// under 200 m tall.
const (
	maxAreaLevel = 17
	// areaCellBudget bounds the cells one polygon is indexed with.
	areaCellBudget = 48
	// maxAreaKeys bounds the distinct boundary polygons one query tests.
	maxAreaKeys = 10000
)

type ring = hsds.Ring       // [lon, lat] positions, closed or not
type polygon = hsds.Polygon // outer ring, then holes

// areaSet is what Build indexes for the service areas of a service.
type areaSet struct {
	keys  []string
	cells []string
	geo   string // JSON: key -> polygon, stored for the boundary test
}

// buildAreas reads the GeoJSON service areas; areas that are not polygons
// are skipped, as they cannot answer "does this area contain a point".
func buildAreas(areas []hsds.ServiceArea) areaSet {
	var out areaSet
	geo := map[string]polygon{}
	seen := map[string]bool{}
	for _, a := range areas {
		for _, p := range hsds.AreaPolygons(a) {
			b, _ := json.Marshal(p)
			sum := sha256.Sum256(b)
			key := hex.EncodeToString(sum[:8])
			if seen[key] {
				continue
			}
			seen[key] = true
			geo[key] = p
			out.keys = append(out.keys, key)
			out.cells = append(out.cells, coverPolygon(p)...)
		}
	}
	if len(geo) > 0 {
		b, _ := json.Marshal(geo)
		out.geo = string(b)
	}
	out.cells = slices.Compact(slices.Sorted(slices.Values(out.cells)))
	return out
}

// qcell is a quadtree cell.
type qcell struct {
	z    int
	x, y uint32
}

func (c qcell) bounds() box {
	n := float64(uint32(1) << c.z)
	w, h := 360/n, 180/n
	return box{minLon: -180 + float64(c.x)*w, maxLon: -180 + float64(c.x+1)*w, minLat: -90 + float64(c.y)*h, maxLat: -90 + float64(c.y+1)*h}
}

func (c qcell) token(kind byte) string {
	return string(kind) + strconv.Itoa(c.z) + "/" + strconv.FormatUint(uint64(c.x), 10) + "/" + strconv.FormatUint(uint64(c.y), 10)
}

func cellAt(lon, lat float64, z int) qcell {
	n := float64(uint32(1) << z)
	x := math.Floor((lon + 180) / 360 * n)
	y := math.Floor((lat + 90) / 180 * n)
	lim := n - 1
	return qcell{z: z, x: uint32(math.Max(0, math.Min(lim, x))), y: uint32(math.Max(0, math.Min(lim, y)))}
}

// coverPolygon returns p's tokens: the cells of the smallest level that
// still covers p's bounding box in at most 2x2 cells, split breadth-first
// along the boundary while the budget allows.
func coverPolygon(p polygon) []string {
	bb := box{minLat: 90, maxLat: -90, minLon: 180, maxLon: -180}
	for _, r := range p {
		for _, pt := range r {
			bb.minLon, bb.maxLon = math.Min(bb.minLon, pt[0]), math.Max(bb.maxLon, pt[0])
			bb.minLat, bb.maxLat = math.Min(bb.minLat, pt[1]), math.Max(bb.maxLat, pt[1])
		}
	}
	z := 0
	for z < maxAreaLevel {
		a, b := cellAt(bb.minLon, bb.minLat, z+1), cellAt(bb.maxLon, bb.maxLat, z+1)
		if b.x-a.x > 1 || b.y-a.y > 1 {
			break
		}
		z++
	}
	lo, hi := cellAt(bb.minLon, bb.minLat, z), cellAt(bb.maxLon, bb.maxLat, z)
	var queue []qcell
	for x := lo.x; x <= hi.x; x++ {
		for y := lo.y; y <= hi.y; y++ {
			queue = append(queue, qcell{z: z, x: x, y: y})
		}
	}
	var out []string
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		b := c.bounds()
		switch {
		case crossesBox(p, b):
			// Split while the cells already chosen, those waiting and the
			// four children fit the budget.
			if c.z < maxAreaLevel && len(out)+len(queue)+4 <= areaCellBudget {
				x, y := c.x*2, c.y*2
				queue = append(queue, qcell{c.z + 1, x, y}, qcell{c.z + 1, x + 1, y}, qcell{c.z + 1, x, y + 1}, qcell{c.z + 1, x + 1, y + 1})
			} else {
				out = append(out, c.token('e'))
			}
		case p.Contains((b.minLon+b.maxLon)/2, (b.minLat+b.maxLat)/2):
			out = append(out, c.token('i'))
		}
	}
	return out
}

// crossesBox says whether an edge of p passes through box b.
func crossesBox(p polygon, b box) bool {
	for _, r := range p {
		n := len(r)
		for i, j := 0, n-1; i < n; j, i = i, i+1 {
			if segmentHitsBox(r[j], r[i], b) {
				return true
			}
		}
	}
	return false
}

// segmentHitsBox clips segment a-b to box (Liang-Barsky).
func segmentHitsBox(a, b [2]float64, bx box) bool {
	x0, y0 := a[0], a[1]
	dx, dy := b[0]-x0, b[1]-y0
	t0, t1 := 0.0, 1.0
	for _, e := range [4][2]float64{{-dx, x0 - bx.minLon}, {dx, bx.maxLon - x0}, {-dy, y0 - bx.minLat}, {dy, bx.maxLat - y0}} {
		pp, q := e[0], e[1]
		if pp == 0 {
			if q < 0 {
				return false
			}
			continue
		}
		r := q / pp
		if pp < 0 {
			if r > t1 {
				return false
			}
			t0 = math.Max(t0, r)
		} else {
			if r < t0 {
				return false
			}
			t1 = math.Min(t1, r)
		}
	}
	return t0 <= t1
}

// pointTokens are the "i" and "e" tokens of every level's cell holding
// the point.
func pointTokens(lon, lat float64) (inside, edge []string) {
	for z := 0; z <= maxAreaLevel; z++ {
		c := cellAt(lon, lat, z)
		inside = append(inside, c.token('i'))
		edge = append(edge, c.token('e'))
	}
	return inside, edge
}

// areaCache keeps parsed polygons by key; a key names its coordinates, so
// an entry never goes stale.
type areaCache struct {
	mu sync.Mutex
	m  map[string]polygon
}

const areaCacheMax = 20000

func (c *areaCache) get(k string) (polygon, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.m[k]
	return p, ok
}

func (c *areaCache) put(k string, p polygon) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= areaCacheMax {
		c.m = map[string]polygon{}
	}
	c.m[k] = p
}

// servesFilter matches documents with a service area containing pt: the
// documents of cells wholly inside an area, and those whose boundary cell
// holds pt and whose polygon passes the exact test.
func (s *Searcher) servesFilter(ctx context.Context, pt Point) (query.Query, error) {
	inside, edge := pointTokens(pt.Lon, pt.Lat)
	edgeQ := anyTerm(fieldAreaCells, edge)
	req := bleve.NewSearchRequestOptions(unscored{edgeQ}, 0, 0, false)
	req.AddFacet("k", bleve.NewFacetRequest(fieldAreaKeys, maxAreaKeys))
	res, err := s.ix.b.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("search: service area candidates: %w", err)
	}
	var pass []string
	if f := res.Facets["k"]; f != nil && f.Terms != nil {
		for _, t := range f.Terms.Terms() {
			p, err := s.areaPolygon(ctx, t.Term)
			if err != nil {
				return nil, err
			}
			if p.Contains(pt.Lon, pt.Lat) {
				pass = append(pass, t.Term)
			}
		}
	}
	qs := []query.Query{anyTerm(fieldAreaCells, inside)}
	if len(pass) > 0 {
		qs = append(qs, anyTerm(fieldAreaKeys, pass))
	}
	return bleve.NewDisjunctionQuery(qs...), nil
}

// areaPolygon reads the polygon of key from one document holding it.
func (s *Searcher) areaPolygon(ctx context.Context, key string) (polygon, error) {
	if p, ok := s.areas.get(key); ok {
		return p, nil
	}
	req := bleve.NewSearchRequestOptions(unscored{termQ(fieldAreaKeys, key)}, 1, 0, false)
	req.Fields = []string{fieldAreaGeo}
	res, err := s.ix.b.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("search: service area %s: %w", key, err)
	}
	var p polygon
	if len(res.Hits) > 0 {
		var geo map[string]polygon
		if js, ok := res.Hits[0].Fields[fieldAreaGeo].(string); ok && json.Unmarshal([]byte(js), &geo) == nil {
			p = geo[key]
		}
	}
	if p != nil {
		s.areas.put(key, p) // a miss is not kept: the key may be indexed again
	}
	return p, nil
}

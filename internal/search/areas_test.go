package search

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/linkage-org/linkage/internal/hsds"
)

// randomPolygon is a star-shaped polygon around (lon, lat) of radius about
// r degrees, with a hole when hole is set.
func randomPolygon(rng *rand.Rand, lon, lat, r float64, hole bool) polygon {
	n := 5 + rng.IntN(40)
	var outer ring
	for i := range n {
		a := 2 * math.Pi * float64(i) / float64(n)
		rr := r * (0.4 + 0.6*rng.Float64())
		outer = append(outer, [2]float64{lon + rr*math.Cos(a), lat + rr*math.Sin(a)})
	}
	outer = append(outer, outer[0])
	p := polygon{outer}
	if hole {
		h := r * 0.2
		p = append(p, ring{{lon - h, lat - h}, {lon + h, lat - h}, {lon + h, lat + h}, {lon - h, lat + h}, {lon - h, lat - h}})
	}
	return p
}

func TestPolygonContains(t *testing.T) {
	sq := polygon{
		ring{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}},
		ring{{4, 4}, {6, 4}, {6, 6}, {4, 6}, {4, 4}},
	}
	for _, c := range []struct {
		lon, lat float64
		want     bool
	}{{1, 1, true}, {9, 5, true}, {5, 5, false}, {11, 5, false}, {-1, -1, false}, {5, 9.99, true}} {
		if got := sq.Contains(c.lon, c.lat); got != c.want {
			t.Errorf("contains(%v, %v) = %v, want %v", c.lon, c.lat, got, c.want)
		}
	}
}

// The covering never says "inside" for a point outside, never misses a
// point inside, and keeps to its budget.
func TestCoverPolygon(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		r := math.Pow(10, -2+3.3*rng.Float64())                   // 0.01 to 20 degrees
		lon, lat := -150+300*rng.Float64(), -60+120*rng.Float64() // valid coordinates only
		p := randomPolygon(rng, lon, lat, r, i%3 == 0)
		cover := coverPolygon(p)
		if len(cover) == 0 || len(cover) > areaCellBudget {
			t.Fatalf("polygon %d: %d cells, want 1..%d", i, len(cover), areaCellBudget)
		}
		set := map[string]bool{}
		for _, c := range cover {
			set[c] = true
		}
		for range 200 {
			x, y := lon+(2*rng.Float64()-1)*r*1.1, lat+(2*rng.Float64()-1)*r*1.1
			inside, edge := pointTokens(x, y)
			in := slices.ContainsFunc(inside, func(s string) bool { return set[s] })
			onEdge := slices.ContainsFunc(edge, func(s string) bool { return set[s] })
			exact := p.Contains(x, y)
			if in && !exact {
				t.Fatalf("polygon %d: point (%v, %v) is outside but its cell is indexed as inside", i, x, y)
			}
			if exact && !in && !onEdge {
				t.Fatalf("polygon %d: point (%v, %v) is inside but no cell of it is indexed", i, x, y)
			}
		}
	}
}

// Search by a point finds exactly the documents with an area containing
// it, with areas of their own, shared areas (tested once) and holes.
func TestSearch_Serves(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	county := randomPolygon(rng, -80.3, 25.7, 0.4, true)
	type docArea struct {
		id    string
		polys []polygon
	}
	var docs []Document
	var truth []docArea
	for i := range 300 {
		var polys []polygon
		switch i % 4 {
		case 0:
			polys = []polygon{county}
		case 1:
			polys = []polygon{randomPolygon(rng, -80.3+(rng.Float64()-0.5), 25.7+(rng.Float64()-0.5), 0.05+0.2*rng.Float64(), i%8 == 1)}
		case 2:
			polys = []polygon{county, randomPolygon(rng, -80.0, 26.2, 0.1, false)}
		}
		var areas []hsds.ServiceArea
		for k, p := range polys {
			b, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": p})
			areas = append(areas, hsds.ServiceArea{ID: fmt.Sprintf("a%d-%d", i, k), ExtentType: "geojson", Extent: string(b)})
		}
		if i%4 == 3 {
			// Not a polygon: no area to test, so never found by a point.
			areas = []hsds.ServiceArea{{ID: fmt.Sprintf("a%d", i), ExtentType: "postcode", Extent: "33125"}}
		}
		as := buildAreas(areas)
		d := Document{ID: fmt.Sprintf("d%03d", i), ServiceID: fmt.Sprintf("s%03d", i), Name: "service", Status: hsds.StatusActive,
			AreaKeys: as.keys, AreaCells: as.cells, AreaGeo: as.geo, HasArea: len(as.keys) > 0}
		d.finish()
		docs = append(docs, d)
		truth = append(truth, docArea{d.ID, polys})
	}
	s := newTestSearcher(t, nil, docs)
	ctx := context.Background()
	found := 0
	for range 150 {
		pt := Point{Lon: -80.3 + 1.6*(rng.Float64()-0.5), Lat: 25.8 + 1.6*(rng.Float64()-0.5)}
		var want []string
		for _, d := range truth {
			if slices.ContainsFunc(d.polys, func(p polygon) bool { return p.Contains(pt.Lon, pt.Lat) }) {
				want = append(want, d.id)
			}
		}
		res, err := s.Search(ctx, Query{Serves: &pt, Size: 1000, Sort: SortName})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, h := range res.Hits {
			got = append(got, h.ID)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("serves %v: got %d documents, want %d\n got %s\nwant %s", pt, len(got), len(want), strings.Join(got, " "), strings.Join(want, " "))
		}
		found += len(want)
	}
	if found < 500 {
		t.Fatalf("only %d matches over all points: the test does not exercise the index", found)
	}
	// With ServesOrUnknown, documents without an area are kept too.
	pt := Point{Lon: -80.3, Lat: 25.7}
	res, err := s.Search(ctx, Query{Serves: &pt, ServesOrUnknown: true, Size: 1000})
	if err != nil {
		t.Fatal(err)
	}
	unknown := 0
	for _, h := range res.Hits {
		var n int
		fmt.Sscanf(h.ID, "d%d", &n)
		if n%4 == 3 {
			unknown++
		}
	}
	if unknown != 75 {
		t.Fatalf("serves or unknown: %d documents without an area, want 75", unknown)
	}
}

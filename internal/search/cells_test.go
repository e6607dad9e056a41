package search

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestRadius_MatchesExactDistance: the cell filter finds exactly the
// documents within the radius, at several radii and places.
func TestRadius_MatchesExactDistance(t *testing.T) {
	ix, err := Create("")
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	s, err := NewSearcher(ix, nil)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 9))
	center := Point{Lat: 25.77, Lon: -80.19}
	var docs []Document
	for i := range 3000 {
		// Denser near the centre, out to about 120 km.
		lat := center.Lat + (rng.Float64()-0.5)*2*rng.Float64()
		lon := center.Lon + (rng.Float64()-0.5)*2*rng.Float64()
		docs = append(docs, Document{ID: fmt.Sprintf("d%04d", i), ServiceID: fmt.Sprintf("s%04d", i), Name: "x", Status: "active", Geo: []float64{lon, lat}})
	}
	if err := ix.Apply(context.Background(), docs, nil, 1); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		p Point
		r float64
	}{{center, 500}, {center, 3000}, {center, 10000}, {center, 47000},
		{Point{Lat: 26.1, Lon: -80.5}, 25000}, {center, 200000}}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%.0fm", c.r), func(t *testing.T) {
			var want []string
			for _, d := range docs {
				if DistanceM(c.p, Point{Lat: d.Geo[1], Lon: d.Geo[0]}) <= c.r {
					want = append(want, d.ID)
				}
			}
			res, err := s.Search(context.Background(), Query{Near: &c.p, RadiusM: c.r, Size: 3000, Sort: SortName})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, h := range res.Hits {
				got = append(got, h.ID)
			}
			slices.Sort(got)
			if res.Total != len(want) || !slices.Equal(got, want) {
				t.Errorf("found %d (total %d), want %d", len(got), res.Total, len(want))
			}
			inner, edge := circleCells(c.p, c.r)
			if len(inner)+len(edge) > maxCells {
				t.Errorf("%d cells", len(inner)+len(edge))
			}
		})
	}
}

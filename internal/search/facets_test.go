package search

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// Facet counts from posting-list bitmaps equal counts taken document by
// document, on an index of several segments with deletes and updates.
func TestFacets_MatchDocuments(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	words := []string{"kiwi", "plum", "lime"}
	cats := []string{"BD", "BH", "LN", "RP"}
	langs := []string{"en", "es", "ht", "zh"}
	costs := []string{CostFree, CostFee, CostSliding}
	mk := func(i int) Document {
		d := Document{ID: fmt.Sprintf("d%04d", i), ServiceID: fmt.Sprintf("s%04d", i), Status: "active", TZ: "America/New_York",
			Name: words[rng.IntN(3)] + " " + words[rng.IntN(3)], Cost: costs[rng.IntN(3)]}
		d.NameSort = d.Name
		for _, c := range cats {
			if rng.IntN(3) == 0 {
				d.Categories = append(d.Categories, c)
			}
		}
		for _, l := range langs {
			if rng.IntN(2) == 0 {
				d.Languages = append(d.Languages, l)
			}
		}
		if rng.IntN(2) == 0 {
			d.Open = []string{"h34"} // Tuesday 10:00-11:00
		}
		d.finish()
		return d
	}
	s := newTestSearcher(t, nil, []Document{})
	ctx := context.Background()
	live := map[string]Document{}
	seq := int64(1)
	for b := range 6 { // one segment per batch
		var batch []Document
		for i := range 100 {
			d := mk(b*100 + i)
			batch = append(batch, d)
			live[d.ID] = d
		}
		seq++
		if err := s.ix.Apply(ctx, batch, nil, seq); err != nil {
			t.Fatal(err)
		}
	}
	var del []string
	var upd []Document
	for i := 0; i < 600; i += 7 {
		id := fmt.Sprintf("d%04d", i)
		if i%2 == 0 {
			del = append(del, id)
			delete(live, id)
		} else {
			d := mk(i)
			upd = append(upd, d)
			live[id] = d
		}
	}
	seq++
	if err := s.ix.Apply(ctx, upd, del, seq); err != nil {
		t.Fatal(err)
	}
	ny, _ := time.LoadLocation("America/New_York")
	now := time.Date(2026, 12, 1, 10, 30, 0, 0, ny) // a Tuesday
	for _, c := range []struct {
		q     Query
		match func(Document) bool
	}{
		{Query{Text: "kiwi"}, func(d Document) bool { return strings.Contains(d.Name, "kiwi") }},
		{Query{Text: "plum lime"}, func(d Document) bool { return strings.Contains(d.Name, "plum") || strings.Contains(d.Name, "lime") }},
		{Query{Categories: []string{"BD"}}, func(d Document) bool { return slices.Contains(d.Categories, "BD") }},
		{Query{Text: "lime", Languages: []string{"es"}}, func(d Document) bool {
			return strings.Contains(d.Name, "lime") && slices.Contains(d.Languages, "es")
		}},
		{Query{}, func(Document) bool { return true }},
	} {
		c.q.Facets, c.q.Now, c.q.Size = true, now, 10
		res, err := s.Search(ctx, c.q)
		if err != nil {
			t.Fatal(err)
		}
		want := &Facets{Category: []FacetCount{}, Language: []FacetCount{}, Cost: []FacetCount{}}
		counts := map[string]int{}
		total, open := 0, 0
		for _, d := range live {
			if !c.match(d) {
				continue
			}
			total++
			if len(d.Open) > 0 {
				open++
			}
			counts[facetCost+":"+d.Cost]++
			for _, x := range d.Categories {
				counts[facetCategory+":"+x]++
			}
			for _, x := range d.Languages {
				counts[facetLanguage+":"+x]++
			}
		}
		for k, n := range counts {
			addFacet(want, k, n)
		}
		sortFacets(want)
		want.OpenNow = FacetOpen{True: open, False: total - open}
		if total < 50 {
			t.Fatalf("%+v: only %d matching documents; the test is too small", c.q.Text, total)
		}
		if res.Total != total {
			t.Errorf("%q %v %v: total %d, want %d", c.q.Text, c.q.Categories, c.q.Languages, res.Total, total)
		}
		if fmt.Sprint(*res.Facets) != fmt.Sprint(*want) {
			t.Errorf("%q %v %v: facets\n got %+v\nwant %+v", c.q.Text, c.q.Categories, c.q.Languages, *res.Facets, *want)
		}
	}
}

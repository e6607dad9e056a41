package search

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2"

	"github.com/linkage-org/linkage/seed"
)

// TestRun_MatchesBleve: the engine (filters as bitmaps, text scored only on
// candidates through candidateReader) answers exactly what Bleve's own
// search of the text query answers once the filters are applied by hand:
// the same documents, in the same order, with the same scores, and the same
// totals and facets, on an index of several segments with deleted and
// updated documents. The filters are checked against the documents
// themselves, not against the engine's filter code.
func TestRun_MatchesBleve(t *testing.T) {
	syn, err := ParseSynonyms(bytes.NewReader(seed.Synonyms()))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(11, 12))
	vocab := []string{"food", "pantry", "rent", "help", "legal", "aid", "shelter", "housing", "dental", "care",
		"child", "counseling", "job", "training", "meals", "senior", "utility", "bill", "clinic", "lawyer"}
	cats := []string{"BD", "BH", "LN", "RP"}
	langs := []string{"en", "es", "zh"}
	center := Point{Lat: 40.71, Lon: -74.0}
	words := func(n int) string {
		w := make([]string, n)
		for i := range w {
			w[i] = vocab[rng.IntN(len(vocab))]
		}
		return strings.Join(w, " ")
	}
	mk := func(i int) Document {
		d := Document{ID: fmt.Sprintf("d%04d", i), ServiceID: fmt.Sprintf("s%04d", i), Status: "active",
			Name: words(1 + rng.IntN(3)), Description: words(3 + rng.IntN(20)), Cost: CostFree}
		if rng.IntN(8) == 0 {
			d.Status = "inactive"
		}
		d.NameSort = d.Name
		d.Categories = []string{cats[rng.IntN(len(cats))]}
		d.Languages = []string{langs[rng.IntN(len(langs))]}
		if rng.IntN(10) > 0 {
			d.LocationID = "l" + d.ID
			d.Geo = []float64{center.Lon + (rng.Float64()-0.5)*0.6, center.Lat + (rng.Float64()-0.5)*0.6}
		}
		d.finish()
		return d
	}
	s := newTestSearcher(t, syn, []Document{})
	ctx := context.Background()
	live := map[string]Document{}
	seq := int64(1)
	for b := range 5 { // a segment per batch
		var batch []Document
		for i := range 150 {
			d := mk(b*150 + i)
			batch = append(batch, d)
			live[d.ID] = d
		}
		var del []string
		if b > 0 {
			for range 20 {
				id := fmt.Sprintf("d%04d", rng.IntN(b*150))
				if _, ok := live[id]; ok && !slices.Contains(del, id) {
					del = append(del, id)
					delete(live, id)
				}
			}
			for range 20 { // updates: a new version of an older document
				n := rng.IntN(b * 150)
				if _, ok := live[fmt.Sprintf("d%04d", n)]; ok {
					d := mk(n)
					batch = append(batch, d)
					live[d.ID] = d
				}
			}
		}
		seq++
		if err := s.ix.Apply(ctx, batch, del, seq); err != nil {
			t.Fatal(err)
		}
	}

	for i := range 150 {
		q := Query{Text: words(1 + rng.IntN(2)), Size: 7, From: []int{0, 0, 5}[rng.IntN(3)], Facets: true}
		if rng.IntN(6) == 0 {
			q.Text = q.Text[:len(q.Text)-1] + "x" // a typo, or a word still being typed
		}
		if rng.IntN(2) == 0 {
			q.Categories = []string{cats[rng.IntN(len(cats))]}
		}
		if rng.IntN(3) == 0 {
			q.Languages = []string{langs[rng.IntN(len(langs))]}
		}
		if rng.IntN(2) == 0 {
			q.Near, q.RadiusM = &center, 2000+rng.Float64()*20000
		}
		keep := func(d Document) bool {
			if d.Status != "active" {
				return false
			}
			if q.Categories != nil && !slices.Contains(d.Categories, q.Categories[0]) {
				return false
			}
			if q.Languages != nil && !slices.Contains(d.Languages, q.Languages[0]) {
				return false
			}
			if q.Near != nil {
				return d.Geo != nil && DistanceM(*q.Near, Point{Lat: d.Geo[1], Lon: d.Geo[0]}) <= q.RadiusM
			}
			return true
		}
		t.Run(fmt.Sprintf("%d/%s", i, q.Text), func(t *testing.T) {
			scored, _, err := s.build(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			res, err := s.ix.b.SearchInContext(ctx, bleve.NewSearchRequestOptions(scored, len(live)*2, 0, false))
			if err != nil {
				t.Fatal(err)
			}
			type hit struct {
				id    string
				score float64
			}
			var want []hit
			cat := map[string]int{}
			for _, h := range res.Hits {
				d, ok := live[h.ID]
				if !ok {
					t.Fatalf("Bleve found %s, deleted", h.ID)
				}
				if keep(d) {
					want = append(want, hit{h.ID, h.Score})
					cat[d.Categories[0]]++
				}
			}
			got, err := s.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if got.Total != len(want) {
				t.Fatalf("total %d, want %d", got.Total, len(want))
			}
			page := want[min(q.From, len(want)):min(q.From+q.Size, len(want))]
			if len(got.Hits) != len(page) {
				t.Fatalf("%d hits, want %d", len(got.Hits), len(page))
			}
			for j, h := range got.Hits {
				if h.ID != page[j].id || math.Abs(h.Score-page[j].score) > 1e-9*page[j].score {
					t.Errorf("hit %d: %s %.6f, want %s %.6f", j, h.ID, h.Score, page[j].id, page[j].score)
				}
			}
			gotCat := map[string]int{}
			for _, c := range got.Facets.Category {
				gotCat[c.Value] = c.Count
			}
			if fmt.Sprint(gotCat) != fmt.Sprint(cat) {
				t.Errorf("category facet %v, want %v", gotCat, cat)
			}
		})
	}
}

// TestRun_FilterOnly: without text, the result set is every live document
// passing the filters, paged in full without gaps or repeats, and sorted
// by distance it is in order of the exact distance.
func TestRun_FilterOnly(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	center := Point{Lat: 25.77, Lon: -80.19}
	s := newTestSearcher(t, nil, []Document{})
	ctx := context.Background()
	live := map[string]Document{}
	for b := range 4 {
		var batch []Document
		for i := range 200 {
			d := Document{ID: fmt.Sprintf("d%04d", b*200+i), ServiceID: "s", Name: "x", NameSort: "x", Status: "active",
				Categories: []string{[]string{"BD", "BH"}[rng.IntN(2)]}}
			if rng.IntN(10) > 0 {
				d.Geo = []float64{center.Lon + (rng.Float64()-0.5)*0.8, center.Lat + (rng.Float64()-0.5)*0.8}
			}
			d.finish()
			batch = append(batch, d)
		}
		var del []string // of earlier batches
		for id := range live {
			if rng.IntN(15) == 0 && len(del) < 25 {
				del = append(del, id)
			}
		}
		for _, id := range del {
			delete(live, id)
		}
		for _, d := range batch {
			live[d.ID] = d
		}
		if err := s.ix.Apply(ctx, batch, del, int64(b+2)); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []Query{
		{Categories: []string{"BD"}},
		{Categories: []string{"BH"}, Near: &center, RadiusM: 15000, Sort: SortDistance},
		{Near: &center, Sort: SortDistance}, // no radius: documents without a point last
	} {
		var want []string
		for id, d := range live {
			if q.Categories == nil || slices.Contains(d.Categories, q.Categories[0]) {
				if q.RadiusM == 0 || d.Geo != nil && DistanceM(center, Point{Lat: d.Geo[1], Lon: d.Geo[0]}) <= q.RadiusM {
					want = append(want, id)
				}
			}
		}
		var got []string
		var dists []float64
		for from := 0; ; from += 37 {
			q.From, q.Size = from, 37
			res, err := s.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if res.Total != len(want) {
				t.Fatalf("total %d, want %d", res.Total, len(want))
			}
			for _, h := range res.Hits {
				got = append(got, h.ID)
				d := math.Inf(1)
				if g := live[h.ID].Geo; g != nil {
					d = DistanceM(center, Point{Lat: g[1], Lon: g[0]})
				}
				dists = append(dists, d)
			}
			if len(res.Hits) < 37 {
				break
			}
		}
		if q.Sort == SortDistance && !slices.IsSorted(dists) {
			t.Errorf("%+v: not in order of distance", q)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%+v: %d documents, want %d", q, len(got), len(want))
		}
	}
}

package search

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2/index/scorch"
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

// Name and update order come from doc values alone (the fields are not
// indexed for search).
func TestSearch_SortByNameAndUpdated(t *testing.T) {
	var docs []Document
	names := []string{"delta", "alpha", "echo", "charlie", "bravo"}
	// 1,700,000,000 is 22:13:20 UTC: d4 falls on the next day.
	for i, n := range names {
		d := Document{ID: fmt.Sprintf("d%d", i), ServiceID: fmt.Sprintf("s%d", i), Name: n, NameSort: n, Status: "active",
			Updated: float64(1_700_000_000 + 1000*i + 3000*(i/4))}
		d.finish()
		docs = append(docs, d)
	}
	s := newTestSearcher(t, nil, docs)
	ids := func(q Query) []string {
		q.Size = 10
		res, err := s.Search(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, h := range res.Hits {
			out = append(out, h.ID)
		}
		return out
	}
	if got, want := ids(Query{Sort: SortName}), []string{"d1", "d4", "d3", "d0", "d2"}; !slices.Equal(got, want) {
		t.Errorf("by name: %v, want %v", got, want)
	}
	if got, want := ids(Query{Sort: SortUpdated}), []string{"d4", "d3", "d2", "d1", "d0"}; !slices.Equal(got, want) {
		t.Errorf("by update, newest first: %v, want %v", got, want)
	}
	for _, c := range []struct {
		after int64
		want  []string
	}{
		{1_700_002_000, []string{"d2", "d3", "d4"}}, // the same second counts
		{1_700_002_001, []string{"d3", "d4"}},
		{1_699_999_999, []string{"d0", "d1", "d2", "d3", "d4"}},
		{1_700_007_000, []string{"d4"}},                         // the next day, exactly
		{1_700_007_001, nil},                                    // after everything
		{1_699_900_000, []string{"d0", "d1", "d2", "d3", "d4"}}, // a day before
	} {
		at := time.Unix(c.after, 0)
		got := ids(Query{UpdatedAfter: &at, Sort: SortUpdated})
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("updated at or after %d: %v, want %v", c.after, got, c.want)
		}
	}
}

// DiskBytes counts the segments in use: after a merge, no more than the
// directory holds, and more than nothing.
func TestDiskBytes(t *testing.T) {
	dir := t.TempDir() + "/ix"
	ix := buildCompacted(t, dir, 3, 200, func(b, i int) Document {
		return Document{ID: fmt.Sprintf("d%d-%d", b, i), ServiceID: "s", Name: "service number " + fmt.Sprint(i), Status: "active"}
	})
	n, err := ix.DiskBytes()
	if err != nil {
		t.Fatal(err)
	}
	var onDisk int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				onDisk += fi.Size()
			}
		}
		return nil
	})
	if n == 0 || int64(n) > onDisk {
		t.Fatalf("DiskBytes = %d, directory holds %d", n, onDisk)
	}
}

// has_capacity keeps fresh reports of available places; older reports are
// unknown; fresh capacity ranks first among equal matches.
func TestSearch_Capacity(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	mk := func(id, avail string, reported time.Time) Document {
		d := Document{ID: id, ServiceID: id, Name: "emergency shelter beds", Status: "active", Cap: avail}
		if avail != "" {
			d.CapKey = updatedKey(float64(reported.Unix()))
		}
		d.finish()
		return d
	}
	s := newTestSearcher(t, nil, []Document{
		mk("full", "no", now.Add(-time.Hour)),
		mk("unknown", "", time.Time{}),
		mk("old", "yes", now.Add(-72*time.Hour)),
		mk("fresh", "yes", now.Add(-time.Hour)),
	})
	ids := func(q Query) []string {
		q.Now, q.Size = now, 10
		res, err := s.Search(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, h := range res.Hits {
			out = append(out, h.ID)
		}
		return out
	}
	if got := ids(Query{HasCapacity: true}); !slices.Equal(got, []string{"fresh"}) {
		t.Errorf("has capacity, 48 h: %v, want [fresh]", got)
	}
	got := ids(Query{HasCapacity: true, CapacityMaxAge: 100 * time.Hour})
	slices.Sort(got)
	if !slices.Equal(got, []string{"fresh", "old"}) {
		t.Errorf("has capacity, 100 h: %v, want [fresh old]", got)
	}
	if got := ids(Query{Text: "shelter"}); len(got) != 4 || got[0] != "fresh" {
		t.Errorf("equal matches: %v, want fresh first", got)
	}
}

// segmentCount is how many segments the index's current snapshot holds.
func segmentCount(t *testing.T, ix *Index) uint64 {
	t.Helper()
	adv, err := ix.b.Advanced()
	if err != nil {
		t.Fatal(err)
	}
	st := adv.(*scorch.Scorch).StatsMap()
	return st["num_root_filesegments"].(uint64) + st["num_root_memorysegments"].(uint64)
}

// A new index is filled, closed, compacted and opened, as a rebuild does:
// the result is one segment holding every document and the last sequence
// applied.
func TestCompact_OneSegment(t *testing.T) {
	const batches, per = 25, 20
	ix := buildCompacted(t, t.TempDir()+"/ix", batches, per, func(b, i int) Document {
		return Document{ID: fmt.Sprintf("d%d-%d", b, i), ServiceID: fmt.Sprint("s", b), Name: "shelter " + fmt.Sprint(b), Status: "active"}
	})
	if n := segmentCount(t, ix); n != 1 {
		t.Fatalf("%d segments after Compact, want 1", n)
	}
	if n, err := ix.Count(); err != nil || n != batches*per {
		t.Fatalf("count %d (%v), want %d", n, err, batches*per)
	}
	if seq, err := ix.Seq(); err != nil || seq != batches {
		t.Fatalf("seq %d (%v), want %d", seq, err, batches)
	}
	ids, err := ix.DocIDs(context.Background(), "service_id", []string{"s7"})
	if err != nil || len(ids) != per {
		t.Fatalf("service s7 has %d documents (%v), want %d", len(ids), err, per)
	}
}

// buildCompacted fills a new index at dir as a rebuild does, batch b
// applied as sequence b+1, then closes, compacts and reopens it (closed
// when the test ends).
func buildCompacted(t *testing.T, dir string, batches, per int, doc func(b, i int) Document) *Index {
	t.Helper()
	ctx := context.Background()
	ix, err := Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	for b := range batches {
		var docs []Document
		for i := range per {
			d := doc(b, i)
			d.finish()
			docs = append(docs, d)
		}
		if err := ix.Apply(ctx, docs, nil, int64(b+1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if err := Compact(ctx, dir); err != nil {
		t.Fatal(err)
	}
	if ix, err = Open(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix
}

// The open-now facet counts at the open_at instant when one is given, as
// the filter does, not at the search's own.
func TestFacets_OpenAtInstant(t *testing.T) {
	mk := func(id string, open []string) Document {
		d := Document{ID: id, ServiceID: id, Name: id, NameSort: id, Status: "active", TZ: "America/New_York", Open: open}
		d.finish()
		return d
	}
	s := newTestSearcher(t, nil, []Document{mk("tuesday", []string{"h34"}), mk("never", nil)}) // Tuesday 10:00-11:00
	ny, _ := time.LoadLocation("America/New_York")
	tuesday := time.Date(2026, 12, 1, 10, 30, 0, 0, ny)
	sunday := time.Date(2026, 12, 6, 3, 0, 0, 0, ny)
	for _, c := range []struct {
		q    Query
		want FacetOpen
	}{
		{Query{Now: sunday}, FacetOpen{True: 0, False: 2}},
		{Query{Now: tuesday}, FacetOpen{True: 1, False: 1}},
		{Query{Now: sunday, OpenAt: &tuesday}, FacetOpen{True: 1, False: 0}},
		{Query{Now: tuesday, OpenAt: &sunday}, FacetOpen{True: 0, False: 0}},
	} {
		c.q.Facets = true
		res, err := s.Search(context.Background(), c.q)
		if err != nil {
			t.Fatal(err)
		}
		if res.Facets.OpenNow != c.want {
			t.Errorf("now %s, open at %v: open-now facet %+v, want %+v", c.q.Now, c.q.OpenAt, res.Facets.OpenNow, c.want)
		}
	}
}

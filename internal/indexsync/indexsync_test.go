package indexsync_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/linkage-org/linkage/internal/importer"
	"github.com/linkage-org/linkage/internal/indexsync"
	"github.com/linkage-org/linkage/internal/search"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
	"github.com/linkage-org/linkage/seed"
)

func loadDemo(t testing.TB, st *store.Store) {
	t.Helper()
	for _, name := range seed.DemoFiles {
		if _, err := importer.ImportFS(context.Background(), st, seed.Demo(), name, importer.Options{Actor: "test"}); err != nil {
			t.Fatalf("import %s: %v", name, err)
		}
	}
}

func synonyms(t testing.TB) *search.Synonyms {
	t.Helper()
	syn, err := search.ParseSynonyms(bytes.NewReader(seed.Synonyms()))
	if err != nil {
		t.Fatal(err)
	}
	return syn
}

func TestSmoke(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, store.SQLite)
	loadDemo(t, st)
	sy := indexsync.New(st, indexsync.Options{Dir: t.TempDir(), Synonyms: synonyms(t)})
	rebuild, err := sy.Open(ctx)
	if err != nil || !rebuild {
		t.Fatal(rebuild, err)
	}
	if err := sy.Rebuild(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := sy.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	chk, err := sy.Verify(ctx)
	if err != nil || !chk.OK() {
		t.Fatalf("%+v %v", chk, err)
	}
	t.Logf("docs %d", chk.Documents)
}

func TestPrint(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, store.SQLite)
	loadDemo(t, st)
	sy := indexsync.New(st, indexsync.Options{Synonyms: synonyms(t)})
	if err := sy.Rebuild(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := sy.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"help paying rent", "food bank", "shleter", "lawyer for eviction", "GED", "couns", `"legal aid`} {
		res, err := sy.Search(ctx, search.Query{Text: q, Size: 5, Facets: true})
		if err != nil {
			t.Fatal(err)
		}
		svcs, _ := st.ServicesByIDs(ctx, ids(res.Hits))
		t.Logf("%q: %d", q, res.Total)
		for i, s := range svcs {
			t.Logf("   %.2f %s", res.Hits[i].Score, s.Name)
		}
		t.Logf("   %+v", res.Facets)
	}
	pt := search.Point{Lat: 25.7617, Lon: -80.1918}
	res, err := sy.Search(ctx, search.Query{Near: &pt, RadiusM: 3000, Size: 3})
	t.Logf("near: %d %v %v", res.Total, res.Hits, err)
	res, err = sy.Search(ctx, search.Query{Serves: &pt, Size: 3})
	t.Logf("serves: %d %v", res.Total, err)
	far := search.Point{Lat: 40, Lon: -80}
	res, err = sy.Search(ctx, search.Query{Serves: &far, Size: 3})
	t.Logf("serves far: %d %v", res.Total, err)
	res, err = sy.Search(ctx, search.Query{Codes: []string{"BD*"}, Size: 3})
	t.Logf("BD*: %d %v", res.Total, err)
}

func ids(h []search.Hit) []string {
	var out []string
	for _, x := range h {
		out = append(out, x.ServiceID)
	}
	return out
}

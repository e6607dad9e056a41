package httpapi_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/indexsync"
	"github.com/linkage-org/linkage/internal/indexsync/indexsynctest"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// TestSearch_PageCacheFollowsIndex: search pages are hydrated through a
// cache, and a change made by another process (written to the database,
// not through this server) shows on the page exactly when this server's
// index applies it: before, page and index agree on the old record; after,
// on the new one. Organization and location changes reach the services
// they are nested in.
func TestSearch_PageCacheFollowsIndex(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) { pageCacheFollowsIndex(t, demoStore(t, d)) })
	}
}

func pageCacheFollowsIndex(t *testing.T, st *store.Store) {
	ctx := context.Background()
	sy := indexsynctest.Ready(t, st, indexsync.Options{})
	e := serveEnv(t, st, sy, 1<<20)
	query := "q=" + url.QueryEscape("food") + "&organization_id=" + orgFoodBank + "&per_page=50"
	first := e.search(t, query)
	if len(first.Contents) == 0 || first.Contents[0].Service == nil || first.Contents[0].Location == nil {
		t.Fatalf("no food bank result with a location: %+v", first)
	}
	it := first.Contents[0]
	svcID, locID := it.ServiceID, it.LocationID
	// Searching again reads the cache; the page is the same.
	if again := e.search(t, query); len(again.Contents) != len(first.Contents) || again.Contents[0].Service.Name != it.Service.Name {
		t.Fatalf("second search differs: %+v", again.Contents[0])
	}

	records := func(docs *store.Documents) {
		t.Helper()
		if _, err := st.Fixture(ctx, func(tx store.Fixture) error { return tx.WriteRecords(ctx, docs, nil) }); err != nil {
			t.Fatal(err)
		}
	}
	find := func() searchItem {
		t.Helper()
		for _, x := range e.search(t, query).Contents {
			if x.ID == it.ID {
				return x
			}
		}
		t.Fatalf("%s left the results", it.ID)
		return searchItem{}
	}

	// A service renamed by another process.
	svc, err := st.ServiceByID(ctx, svcID)
	if err != nil {
		t.Fatal(err)
	}
	oldName := svc.Name
	svc.Name = oldName + " (Eastside)"
	for i := range svc.ServiceAtLocations {
		svc.ServiceAtLocations[i].Location = nil
	}
	svc.Organization, svc.Program, svc.Metadata = nil, nil, nil
	if _, err := st.Fixture(ctx, func(tx store.Fixture) error {
		return tx.WriteDocuments(ctx, &store.Documents{Services: []hsds.Service{svc}}, "update", "another process")
	}); err != nil {
		t.Fatal(err)
	}
	if got := find().Service.Name; got != oldName {
		t.Errorf("before the index applied the rename the page shows %q, want %q as the index has", got, oldName)
	}
	if err := sy.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if got := find().Service.Name; got != svc.Name {
		t.Errorf("after the index applied the rename the page shows %q, want %q", got, svc.Name)
	}

	// Its organization renamed: every service of it is dropped.
	org, err := st.OrganizationByID(ctx, orgFoodBank, store.ShapeFull)
	if err != nil {
		t.Fatal(err)
	}
	org.Name += " of the Keys"
	org.Services, org.Locations, org.Metadata = nil, nil, nil
	records(&store.Documents{Organizations: []hsds.Organization{org}})
	if err := sy.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if got := find().Service.Organization; got == nil || got.Name != org.Name {
		t.Errorf("after an organization rename the page shows %+v, want %q", got, org.Name)
	}

	// Its location renamed.
	loc, err := st.LocationByID(ctx, locID)
	if err != nil {
		t.Fatal(err)
	}
	loc.Name += " Annex"
	loc.Metadata = nil
	records(&store.Documents{Locations: []hsds.Location{loc}})
	if err := sy.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if got := find().Location; got == nil || got.Name != loc.Name {
		t.Errorf("after a location rename the page shows %+v, want %q", got, loc.Name)
	}
}

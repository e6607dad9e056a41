package hydrate

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/hsds"
)

// table stands for the database: rows by id, and the ids each read asked for.
type table struct {
	rows  map[string]hsds.ServiceAtLocation
	reads [][]string
	// during runs inside a read, after the rows are taken (a change landing
	// while a page is being read).
	during func()
}

func (tb *table) load(_ context.Context, ids []string) ([]hsds.ServiceAtLocation, error) {
	tb.reads = append(tb.reads, slices.Clone(ids))
	var out []hsds.ServiceAtLocation
	for _, id := range ids {
		if r, ok := tb.rows[id]; ok {
			out = append(out, r)
		}
	}
	if tb.during != nil {
		tb.during()
		tb.during = nil
	}
	return out, nil
}

func newTable() *table {
	tb := &table{rows: map[string]hsds.ServiceAtLocation{}}
	for _, x := range []struct{ id, svc, name string }{{"a1", "A", "Pantry"}, {"a2", "A", "Pantry"}, {"b1", "B", "Shelter"}, {"c1", "C", "Clinic"}} {
		tb.rows[x.id] = hsds.ServiceAtLocation{ID: x.id, ServiceID: x.svc, Service: &hsds.Service{ID: x.svc, Name: x.name}}
	}
	return tb
}

func ids(sals []hsds.ServiceAtLocation) []string {
	var out []string
	for _, s := range sals {
		out = append(out, s.ID)
	}
	return out
}

func mustLoad(t *testing.T, c *Cache, tb *table, want []string, missed int, ask ...string) []hsds.ServiceAtLocation {
	t.Helper()
	got, n, err := c.Load(context.Background(), ask, tb.load)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(got), want) || n != missed {
		t.Fatalf("Load(%v) = %v with %d read, want %v with %d", ask, ids(got), n, want, missed)
	}
	return got
}

func TestCache_HitsKeepOrderAndLeaveOutMissing(t *testing.T) {
	c, err := New(10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	tb := newTable()
	mustLoad(t, c, tb, []string{"b1", "a1"}, 3, "b1", "zz", "a1")
	mustLoad(t, c, tb, []string{"a1", "c1", "b1"}, 2, "a1", "c1", "zz", "b1") // zz is asked again: never found, never kept
	if want := [][]string{{"b1", "zz", "a1"}, {"c1", "zz"}}; !slices.EqualFunc(tb.reads, want, slices.Equal) {
		t.Errorf("reads %v, want %v", tb.reads, want)
	}
}

func TestCache_InvalidateDropsOnlyThatService(t *testing.T) {
	c, _ := New(10, time.Minute)
	tb := newTable()
	mustLoad(t, c, tb, []string{"a1", "a2", "b1"}, 3, "a1", "a2", "b1")
	tb.rows["a1"].Service.Name = "Pantry (moved)" // shared pointer: the table's row changes in place
	tb.rows["a2"] = hsds.ServiceAtLocation{ID: "a2", ServiceID: "A", Service: &hsds.Service{ID: "A", Name: "Pantry (moved)"}}
	c.Invalidate([]string{"A", "nowhere"})
	got := mustLoad(t, c, tb, []string{"a1", "a2", "b1"}, 2, "a1", "a2", "b1")
	if got[1].Service.Name != "Pantry (moved)" {
		t.Errorf("a2 after invalidation: %q", got[1].Service.Name)
	}
	if c.Len() != 3 {
		t.Errorf("Len %d, want 3", c.Len())
	}
}

// A change applied while a page is read must not leave the page's
// (possibly older) rows in the cache.
func TestCache_ReadRacingAChangeIsNotKept(t *testing.T) {
	c, _ := New(10, time.Minute)
	tb := newTable()
	tb.during = func() { c.Invalidate([]string{"A"}) }
	mustLoad(t, c, tb, []string{"a1", "b1"}, 2, "a1", "b1")
	if c.Len() != 0 {
		t.Fatalf("%d entries kept from a read an invalidation overtook", c.Len())
	}
	mustLoad(t, c, tb, []string{"a1", "b1"}, 2, "a1", "b1")
	mustLoad(t, c, tb, []string{"a1", "b1"}, 0, "a1", "b1")
}

func TestCache_TTL(t *testing.T) {
	c, _ := New(10, time.Minute)
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return now }
	tb := newTable()
	mustLoad(t, c, tb, []string{"a1"}, 1, "a1")
	now = now.Add(59 * time.Second)
	mustLoad(t, c, tb, []string{"a1"}, 0, "a1")
	now = now.Add(2 * time.Second)
	mustLoad(t, c, tb, []string{"a1"}, 1, "a1")
}

// Evicted entries leave the per-service sets too: invalidating a service
// whose entries were evicted is harmless, and the sets do not grow.
func TestCache_EvictionAndClear(t *testing.T) {
	c, _ := New(2, time.Minute)
	tb := newTable()
	mustLoad(t, c, tb, []string{"a1", "a2", "b1", "c1"}, 4, "a1", "a2", "b1", "c1")
	if c.Len() != 2 || len(c.bySvc) != 2 || c.bySvc["A"] != nil {
		t.Fatalf("after eviction: %d entries, sets %v", c.Len(), c.bySvc)
	}
	c.Invalidate([]string{"A", "B"})
	if c.Len() != 1 || len(c.bySvc) != 1 {
		t.Fatalf("after invalidation: %d entries, sets %v", c.Len(), c.bySvc)
	}
	c.Clear()
	if c.Len() != 0 || len(c.bySvc) != 0 {
		t.Fatalf("after Clear: %d entries, sets %v", c.Len(), c.bySvc)
	}
}

func TestCache_LoadErrorKeepsNothing(t *testing.T) {
	c, _ := New(10, time.Minute)
	boom := errors.New("database gone")
	_, _, err := c.Load(context.Background(), []string{"a1"}, func(context.Context, []string) ([]hsds.ServiceAtLocation, error) { return nil, boom })
	if !errors.Is(err, boom) || c.Len() != 0 {
		t.Fatalf("err %v, %d entries", err, c.Len())
	}
}

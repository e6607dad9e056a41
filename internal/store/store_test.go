package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

func seed(t *testing.T, s *store.Store, docs *store.Documents) {
	t.Helper()
	_, err := s.Fixture(context.Background(), func(tx store.Fixture) error {
		return tx.WriteDocuments(context.Background(), docs, "import", "test")
	})
	if err != nil {
		t.Fatalf("write documents: %v", err)
	}
}

func testDocs() *store.Documents {
	return &store.Documents{
		Terms:         []hsds.TaxonomyTerm{storetest.Term("BH", ""), storetest.Term("BH-1800", "BH"), storetest.Term("BD", "")},
		Organizations: []hsds.Organization{storetest.Organization("a", 3, "BH-1800"), storetest.Organization("b", 2, "BD")},
	}
}

func TestStore_Migrate(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			s := storetest.Open(t, d)
			cur, latest, err := s.MigrationVersion(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if cur != latest || latest < 1 {
				t.Fatalf("migrated to %d, newest is %d", cur, latest)
			}
			// Applying again is a no-op, not an error.
			if err := s.Migrate(context.Background()); err != nil {
				t.Fatalf("second migrate: %v", err)
			}
		})
	}
}

func TestStore_WriteDocuments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		docs := testDocs()
		seed(t, s, docs)

		t.Run("OK", func(t *testing.T) {
			want := docs.Organizations[0].Services[1]
			got, err := s.ServiceByID(ctx, want.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Organization == nil || got.Organization.ID != want.OrganizationID {
				t.Fatalf("organization not nested: %+v", got.Organization)
			}
			if len(got.ServiceAtLocations) != 1 || got.ServiceAtLocations[0].Location == nil ||
				len(got.ServiceAtLocations[0].Location.Addresses) != 1 || len(got.ServiceAtLocations[0].Schedules) != 1 {
				t.Fatalf("service_at_location not fully nested: %s", js(got.ServiceAtLocations))
			}
			if len(got.Phones) != 1 || len(got.Phones[0].Languages) != 1 || got.Phones[0].Languages[0].Code != "ht" {
				t.Fatalf("phone languages lost: %s", js(got.Phones))
			}
			if len(got.Attributes) != 1 || got.Attributes[0].TaxonomyTerm == nil || got.Attributes[0].TaxonomyTerm.Code != "BH-1800" ||
				got.Attributes[0].TaxonomyTerm.TaxonomyDetail == nil {
				t.Fatalf("attribute term not nested: %s", js(got.Attributes))
			}
			if *got.MinimumAge != 18 || got.CostOptions[0].Currency != "USD" || got.ServiceAreas[0].Extent == "" {
				t.Fatalf("fields lost: %s", js(got))
			}
			if len(got.Metadata) != 1 || got.Metadata[0].LastActionType != "import" {
				t.Fatalf("want one import metadata row, got %s", js(got.Metadata))
			}
		})

		t.Run("ReplaceChildren", func(t *testing.T) {
			svc, err := s.ServiceByID(ctx, docs.Organizations[0].Services[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			svc.Organization, svc.Metadata = nil, nil
			svc.Phones = []hsds.Phone{{ID: storetest.ID("new-phone"), Number: "786-555-0199"}}
			svc.Languages = nil
			svc.Normalize()
			seed(t, s, &store.Documents{Services: []hsds.Service{svc}})
			got, err := s.ServiceByID(ctx, svc.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Phones) != 1 || got.Phones[0].Number != "786-555-0199" || len(got.Languages) != 0 {
				t.Fatalf("children not replaced: phones %s languages %s", js(got.Phones), js(got.Languages))
			}
			if len(got.Metadata) != 2 {
				t.Fatalf("metadata is history and must be kept: %s", js(got.Metadata))
			}
		})

		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := s.ServiceByID(ctx, storetest.ID("missing"))
			if !apperr.Is(err, apperr.NotFound) {
				t.Fatalf("want NotFound, got %v", err)
			}
		})

		t.Run("ListFilters", func(t *testing.T) {
			all, total, err := s.ListServices(ctx, store.Filter{}, store.Paging{Number: 1, Size: 2}, store.ShapeList)
			if err != nil {
				t.Fatal(err)
			}
			if total != 5 || len(all) != 2 {
				t.Fatalf("want total 5 and a page of 2, got %d and %d", total, len(all))
			}
			// A parent term selects services tagged with its children.
			_, n, err := s.ListServices(ctx, store.Filter{TaxonomyTermID: storetest.ID("term:BH")}, store.Paging{Number: 1, Size: 50}, store.ShapeList)
			if err != nil || n != 3 {
				t.Fatalf("term BH with descendants: want 3, got %d (%v)", n, err)
			}
			_, n, err = s.ListServices(ctx, store.Filter{OrganizationID: storetest.ID("org:b")}, store.Paging{Number: 1, Size: 50}, store.ShapeList)
			if err != nil || n != 2 {
				t.Fatalf("organization b: want 2, got %d (%v)", n, err)
			}
			_, n, err = s.ListServices(ctx, store.Filter{OrganizationID: storetest.ID("org:b"), TaxonomyTermID: storetest.ID("term:BH")}, store.Paging{Number: 1, Size: 50}, store.ShapeList)
			if err != nil || n != 0 {
				t.Fatalf("filters combine with AND: want 0, got %d (%v)", n, err)
			}
		})
	})
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Replicas that start together migrate one at a time: none fails.
func TestStore_ConcurrentMigrate(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			url := storetest.URL(t, d)
			ctx := context.Background()
			errs := make(chan error, 3)
			for range 3 {
				go func() {
					s, err := store.Open(ctx, url, storetest.Logger())
					if err != nil {
						errs <- err
						return
					}
					defer s.Close()
					errs <- s.Migrate(ctx)
				}()
			}
			for range 3 {
				if err := <-errs; err != nil {
					t.Fatalf("concurrent migrate: %v", err)
				}
			}
		})
	}
}

// A running import job whose runner stopped reporting is failed; a live
// one is left alone. A process never fails a job it runs itself, however
// old its heartbeat (a long import can keep the database from taking one),
// while another replica judges it by its heartbeat.
func TestFailAbandonedJobs(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
			clock := store.WithClock(func() time.Time { return now })
			url := storetest.URL(t, d)
			open := func() *store.Store {
				s, err := store.Open(ctx, url, storetest.Logger(), clock)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = s.Close() })
				return s
			}
			gone, here, other := open(), open(), open()
			if err := here.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			dead := &store.ImportJob{ID: uuid.NewString(), Filename: "a.jsonl"}
			if err := gone.CreateJob(ctx, dead); err != nil {
				t.Fatal(err)
			}
			gone.Close() // its process stopped
			mine := &store.ImportJob{ID: uuid.NewString(), Filename: "b.jsonl"}
			if err := here.CreateJob(ctx, mine); err != nil {
				t.Fatal(err)
			}
			now = now.Add(31 * time.Second)
			fresh := &store.ImportJob{ID: uuid.NewString(), Filename: "c.jsonl"}
			if err := other.CreateJob(ctx, fresh); err != nil {
				t.Fatal(err)
			}
			n, err := here.FailAbandonedJobs(ctx, 30*time.Second)
			if err != nil || n != 1 {
				t.Fatalf("failed %d jobs (%v), want 1", n, err)
			}
			j, err := here.JobByID(ctx, dead.ID, "")
			if err != nil || j.State != store.JobFailed || j.Error == "" || j.FinishedAt == nil {
				t.Fatalf("abandoned job: %+v %v", j, err)
			}
			for _, id := range []string{mine.ID, fresh.ID} {
				if j, _ := here.JobByID(ctx, id, ""); j.State != store.JobRunning {
					t.Fatalf("live job %s: %s", id, j.State)
				}
			}
			// Another replica sees only the silent heartbeat of here's job.
			if n, err := other.FailAbandonedJobs(ctx, 30*time.Second); err != nil || n != 1 {
				t.Fatalf("another replica failed %d jobs (%v), want 1", n, err)
			}
			if j, _ := here.JobByID(ctx, mine.ID, ""); j.State != store.JobFailed {
				t.Fatalf("a silent job of another replica: %s", j.State)
			}
		})
	}
}

// A job's heartbeat runs on a connection of its own: with every other
// connection of the pool taken, beats still record progress.
func TestKeepJobAlive(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			var mu sync.Mutex
			now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
			s := storetest.Open(t, d, store.WithClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now }))
			job := &store.ImportJob{ID: uuid.NewString(), Filename: "a.jsonl"}
			if err := s.CreateJob(ctx, job); err != nil {
				t.Fatal(err)
			}
			calls := make(chan int)
			stop := make(chan struct{})
			var warned []error
			ended := make(chan error, 1)
			go func() {
				n := 0
				ended <- s.KeepJobAlive(ctx, job.ID, 50*time.Millisecond, func() (int, int) {
					n++
					select {
					case calls <- n:
					case <-stop:
					}
					return n, 100
				}, stop, func(err error) { warned = append(warned, err) })
			}()
			<-calls // the heartbeat holds its connection
			const pool = 4
			s.DB().SetMaxOpenConns(pool)
			var held []*sql.Conn
			for range pool - 1 {
				c, err := s.DB().Conn(ctx)
				if err != nil {
					t.Fatal(err)
				}
				held = append(held, c)
			}
			mu.Lock()
			now = now.Add(time.Hour)
			mu.Unlock()
			for range 3 { // each call comes after the previous beat was written
				<-calls
			}
			// Beats 2 and 3 were written with the pool taken; stopping
			// may cancel the fourth.
			close(stop)
			if err := <-ended; err != nil {
				t.Fatal(err)
			}
			for _, c := range held {
				c.Close()
			}
			if len(warned) > 0 {
				t.Fatalf("beats failed: %v", warned)
			}
			j, err := s.JobByID(ctx, job.ID, "")
			if err != nil || j.RecordsTotal != 100 || j.RecordsDone < 3 || !j.HeartbeatAt.Equal(now) {
				t.Fatalf("after the beats: %+v %v", j, err)
			}
		})
	}
}

package store_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// clock is a time source a test moves.
type clock struct {
	mu sync.Mutex
	at time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.at }

func (c *clock) add(d time.Duration) { c.mu.Lock(); c.at = c.at.Add(d); c.mu.Unlock() }

// writeFixture is a store holding testDocs with agency A managing
// organization a and agency B organization b.
type writeFixture struct {
	s          *store.Store
	clk        *clock
	admin      store.Actor
	agA, agB   store.Actor
	orgA, orgB string
}

func newWriteFixture(t *testing.T, d string) *writeFixture {
	t.Helper()
	clk := &clock{at: time.Date(2026, 5, 4, 10, 30, 15, 0, time.UTC)}
	s := storetest.Open(t, d, store.WithClock(clk.Now))
	seed(t, s, testDocs())
	f := &writeFixture{s: s, clk: clk, orgA: storetest.ID("org:a"), orgB: storetest.ID("org:b"),
		admin: store.Actor{Principal: auth.Principal{Role: auth.Admin, KeyID: uuid.NewString()}, RequestID: "req-1"}}
	for _, x := range []struct {
		actor *store.Actor
		org   string
	}{{&f.agA, f.orgA}, {&f.agB, f.orgB}} {
		var ag store.Agency
		_, err := s.Fixture(context.Background(), func(tx store.Fixture) error {
			var err error
			ag, err = tx.CreateAgency(context.Background(), "Agency of "+x.org, []string{x.org})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		*x.actor = store.Actor{Principal: auth.Principal{Role: auth.Agency, KeyID: uuid.NewString(), AgencyID: ag.ID, Organizations: []string{x.org}}}
	}
	return f
}

// eachWrite runs fn on a new writeFixture of every dialect.
func eachWrite(t *testing.T, fn func(t *testing.T, f *writeFixture)) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) { fn(t, newWriteFixture(t, d)) })
	}
}

// etag is the version a read of v names.
func etag(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return store.ETag(b)
}

func wantKind(t *testing.T, err error, k apperr.Kind) {
	t.Helper()
	if apperr.KindOf(err) != k {
		t.Fatalf("error %v (kind %v), want kind %v", err, apperr.KindOf(err), k)
	}
}

func TestStore_PutService(t *testing.T) {
	eachWrite(t, func(t *testing.T, f *writeFixture) {
		ctx := context.Background()
		id := uuid.NewString()
		body := `{"name":"Night shelter","description":"Beds for the night","status":"active","organization_id":"` + f.orgA + `"}`

		t.Run("OK", func(t *testing.T) {
			w, err := f.s.PutService(ctx, f.agA, id, []byte(body), store.PutOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !w.Created || w.Seq == 0 || w.Record.Name != "Night shelter" || w.Record.Organization == nil {
				t.Fatalf("created %v, seq %d, record %+v", w.Created, w.Seq, w.Record)
			}
			if w.Record.LastModified == nil || !w.Record.LastModified.Equal(f.clk.Now()) {
				t.Fatalf("last_modified %v, want the store's clock %v", w.Record.LastModified, f.clk.Now())
			}
			hist, _, err := f.s.History(ctx, "service", id, store.Paging{Number: 1, Size: 10})
			if err != nil || len(hist) != 1 || hist[0].LastActionType != "create" || !strings.Contains(hist[0].UpdatedBy, f.agA.Principal.AgencyID) {
				t.Fatalf("history %+v, %v", hist, err)
			}
			audit, _, err := f.s.AuditLog(ctx, store.AuditFilter{ResourceID: id}, store.Paging{Number: 1, Size: 10})
			if err != nil || len(audit) != 1 || audit[0].Action != "create" || audit[0].Role != "agency" {
				t.Fatalf("audit %+v, %v", audit, err)
			}
		})
		t.Run("Replace", func(t *testing.T) {
			cur, err := f.s.ServiceByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			f.clk.add(time.Hour)
			repl := strings.Replace(body, "Night shelter", "Night shelter (winter)", 1)
			w, err := f.s.PutService(ctx, f.agA, id, []byte(repl), store.PutOptions{IfMatch: etag(t, cur)})
			if err != nil {
				t.Fatal(err)
			}
			if w.Created || w.Record.Name != "Night shelter (winter)" || !w.Record.LastModified.Equal(f.clk.Now()) {
				t.Fatalf("created %v, record %+v", w.Created, w.Record)
			}
			hist, _, _ := f.s.History(ctx, "service", id, store.Paging{Number: 1, Size: 10})
			if len(hist) != 2 || hist[0].FieldName != "name" || hist[0].PreviousValue != "Night shelter" {
				t.Fatalf("history %+v", hist)
			}
		})
		t.Run("ErrPrecondition", func(t *testing.T) {
			_, err := f.s.PutService(ctx, f.agA, id, []byte(body), store.PutOptions{})
			wantKind(t, err, apperr.PreconditionRequired)
			_, err = f.s.PutService(ctx, f.agA, id, []byte(body), store.PutOptions{IfMatch: `"stale"`})
			wantKind(t, err, apperr.PreconditionFailed)
			_, err = f.s.PutService(ctx, f.agA, id, []byte(body), store.PutOptions{IfNoneMatch: "*"})
			wantKind(t, err, apperr.PreconditionFailed)
			_, err = f.s.PutService(ctx, f.agA, uuid.NewString(), []byte(body), store.PutOptions{IfMatch: `"any"`})
			wantKind(t, err, apperr.PreconditionFailed)
		})
		t.Run("ErrOtherAgency", func(t *testing.T) {
			cur, _ := f.s.ServiceByID(ctx, id)
			_, err := f.s.PutService(ctx, f.agB, id, []byte(body), store.PutOptions{IfMatch: etag(t, cur)})
			wantKind(t, err, apperr.Forbidden)
			_, err = f.s.DeleteService(ctx, f.agB, id, etag(t, cur))
			wantKind(t, err, apperr.Forbidden)
			// B's own service may not take a child of A's.
			a0, err := f.s.ServiceByID(ctx, storetest.ID("svc:a:0"))
			if err != nil {
				t.Fatal(err)
			}
			b0, _ := f.s.ServiceByID(ctx, storetest.ID("svc:b:0"))
			steal := `{"name":"B's","description":"d","status":"active","organization_id":"` + f.orgB + `","phones":[{"id":"` + a0.Phones[0].ID + `","number":"305-555-0199"}]}`
			_, err = f.s.PutService(ctx, f.agB, b0.ID, []byte(steal), store.PutOptions{IfMatch: etag(t, b0)})
			wantKind(t, err, apperr.Forbidden)
			e, _ := apperr.As(err)
			if len(e.Fields) == 0 || e.Fields[0].Pointer != "/phones/0" || !strings.Contains(err.Error(), "does not manage") {
				t.Fatalf("refusal %v, fields %+v: want a pointer at /phones/0", err, e.Fields)
			}
			if after, _ := f.s.ServiceByID(ctx, a0.ID); len(after.Phones) != 1 || after.Phones[0].ID != a0.Phones[0].ID {
				t.Fatalf("A's phone moved: %+v", after.Phones)
			}
		})
		t.Run("ErrNotWriter", func(t *testing.T) {
			cw := store.Actor{Principal: auth.Principal{Role: auth.Caseworker, AgencyID: f.agA.Principal.AgencyID, Organizations: []string{f.orgA}}}
			_, err := f.s.PutService(ctx, cw, uuid.NewString(), []byte(body), store.PutOptions{})
			wantKind(t, err, apperr.Forbidden)
			_, err = f.s.PutService(ctx, store.Actor{}, uuid.NewString(), []byte(body), store.PutOptions{})
			wantKind(t, err, apperr.Unauthenticated)
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			_, err := f.s.PutService(ctx, f.agA, uuid.NewString(), []byte(`{"name":"x","description":"d","status":"active","organization_id":"`+f.orgA+`","program_id":"`+uuid.NewString()+`"}`), store.PutOptions{})
			wantKind(t, err, apperr.Unprocessable)
			if e, _ := apperr.As(err); len(e.Fields) != 1 || e.Fields[0].Pointer != "/program_id" {
				t.Fatalf("fields %+v, want /program_id", e.Fields)
			}
			_, err = f.s.PutService(ctx, f.agA, uuid.NewString(), []byte(`{"nickname":"x"}`), store.PutOptions{})
			wantKind(t, err, apperr.Invalid)
		})
	})
}

func TestStore_PatchOrganization(t *testing.T) {
	eachWrite(t, func(t *testing.T, f *writeFixture) {
		ctx := context.Background()
		t.Run("OK", func(t *testing.T) {
			cur, err := f.s.OrganizationByID(ctx, f.orgA, store.ShapeFull)
			if err != nil {
				t.Fatal(err)
			}
			w, err := f.s.PutOrganization(ctx, f.agA, f.orgA, []byte(`{"description":"Now open on Sundays","email":null}`), store.PutOptions{Patch: true, IfMatch: etag(t, cur)})
			if err != nil {
				t.Fatal(err)
			}
			if w.Created || w.Record.Description != "Now open on Sundays" || w.Record.Email != "" || w.Record.Name != cur.Name || len(w.Record.Services) != len(cur.Services) {
				t.Fatalf("patched %+v", w.Record)
			}
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := f.s.PutOrganization(ctx, f.admin, uuid.NewString(), []byte(`{"name":"x"}`), store.PutOptions{Patch: true})
			wantKind(t, err, apperr.NotFound)
		})
		t.Run("NewOrganizationManaged", func(t *testing.T) {
			id := uuid.NewString()
			w, err := f.s.PutOrganization(ctx, f.agB, id, []byte(`{"name":"B's new branch","description":"Opened by B"}`), store.PutOptions{})
			if err != nil || !w.Created {
				t.Fatalf("created %v, %v", w.Created, err)
			}
			orgs, err := f.s.AgencyOrganizations(ctx, f.agB.Principal.AgencyID)
			if err != nil || len(orgs) != 2 {
				t.Fatalf("agency B manages %v (%v), want its new organization too", orgs, err)
			}
		})
	})
}

func TestStore_DeleteLocation(t *testing.T) {
	eachWrite(t, func(t *testing.T, f *writeFixture) {
		ctx := context.Background()
		locID := storetest.ID("loc:b")
		t.Run("ErrInUse", func(t *testing.T) {
			l, _ := f.s.LocationByID(ctx, locID)
			_, err := f.s.DeleteLocation(ctx, f.agB, locID, etag(t, l))
			wantKind(t, err, apperr.Conflict)
		})
		t.Run("OK", func(t *testing.T) {
			f.clk.add(time.Minute) // history sorts by time
			// A location with listings is in use: delete them first.
			for _, n := range []string{"svc:b:0", "svc:b:1"} {
				sal, err := f.s.ServiceAtLocationByID(ctx, storetest.ID("sal:"+storetest.ID(n)))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.s.DeleteServiceAtLocation(ctx, f.agB, sal.ID, ""); apperr.KindOf(err) != apperr.PreconditionRequired {
					t.Fatalf("delete without If-Match: %v", err)
				}
				if _, err := f.s.DeleteServiceAtLocation(ctx, f.agB, sal.ID, etag(t, sal)); err != nil {
					t.Fatal(err)
				}
			}
			l, _ := f.s.LocationByID(ctx, locID)
			seq, err := f.s.DeleteLocation(ctx, f.agB, locID, etag(t, l))
			if err != nil || seq == 0 {
				t.Fatalf("seq %d, %v", seq, err)
			}
			_, err = f.s.LocationByID(ctx, locID)
			wantKind(t, err, apperr.NotFound)
			hist, _, _ := f.s.History(ctx, "location", locID, store.Paging{Number: 1, Size: 1})
			if len(hist) != 1 || hist[0].LastActionType != "delete" {
				t.Fatalf("history %+v", hist)
			}
		})
	})
}

func TestStore_ReportCapacity(t *testing.T) {
	eachWrite(t, func(t *testing.T, f *writeFixture) {
		ctx := context.Background()
		svc, capID := storetest.ID("svc:a:1"), uuid.NewString()
		max := 40.0
		t.Run("OK", func(t *testing.T) {
			w, err := f.s.ReportCapacity(ctx, f.agA, svc, capID, hsds.ServiceCapacity{Available: 12, Maximum: &max, Unit: &hsds.Unit{Name: "beds"}})
			if err != nil {
				t.Fatal(err)
			}
			if !w.Created || len(w.Record.Capacities) != 1 || !w.Record.Capacities[0].Updated.Equal(f.clk.Now().Truncate(time.Second)) {
				t.Fatalf("created %v, capacities %+v, want updated %v", w.Created, w.Record.Capacities, f.clk.Now())
			}
			f.clk.add(90 * time.Minute)
			w, err = f.s.ReportCapacity(ctx, f.agA, svc, capID, hsds.ServiceCapacity{Available: 3, Maximum: &max, UnitID: hsds.UnitID("beds")})
			if err != nil {
				t.Fatal(err)
			}
			c := w.Record.Capacities
			if w.Created || len(c) != 1 || c[0].Available != 3 || !c[0].Updated.Equal(f.clk.Now().Truncate(time.Second)) {
				t.Fatalf("second report: created %v, %+v", w.Created, c)
			}
		})
		t.Run("ErrOtherAgency", func(t *testing.T) {
			_, err := f.s.ReportCapacity(ctx, f.agB, svc, capID, hsds.ServiceCapacity{Available: 0, UnitID: hsds.UnitID("beds")})
			wantKind(t, err, apperr.Forbidden)
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			_, err := f.s.ReportCapacity(ctx, f.agA, svc, capID, hsds.ServiceCapacity{ID: uuid.NewString(), UnitID: hsds.UnitID("beds")})
			wantKind(t, err, apperr.Unprocessable)
			_, err = f.s.ReportCapacity(ctx, f.agA, svc, uuid.NewString(), hsds.ServiceCapacity{Available: 1, UnitID: uuid.NewString()})
			if e, _ := apperr.As(err); apperr.KindOf(err) != apperr.Unprocessable || len(e.Fields) == 0 || e.Fields[0].Pointer != "/unit_id" {
				t.Fatalf("unknown unit: %v, want a 422 at /unit_id (the report, not the service)", err)
			}
		})
	})
}

func TestStore_VerifyService(t *testing.T) {
	eachWrite(t, func(t *testing.T, f *writeFixture) {
		ctx := context.Background()
		f.clk.add(30 * 24 * time.Hour)
		w, err := f.s.VerifyService(ctx, f.agA, storetest.ID("svc:a:2"), " ops@example.org ")
		if err != nil {
			t.Fatal(err)
		}
		if w.Record.AssuredDate != f.clk.Now().Format(time.DateOnly) || w.Record.AssurerEmail != "ops@example.org" {
			t.Fatalf("assured %q by %q, want %s", w.Record.AssuredDate, w.Record.AssurerEmail, f.clk.Now().Format(time.DateOnly))
		}
		hist, _, _ := f.s.History(ctx, "service", w.Record.ID, store.Paging{Number: 1, Size: 5})
		if len(hist) == 0 || hist[0].LastActionType != "verify" {
			t.Fatalf("history %+v", hist)
		}
		_, err = f.s.VerifyService(ctx, f.agA, w.Record.ID, "nobody")
		wantKind(t, err, apperr.Unprocessable)
		_, err = f.s.VerifyService(ctx, f.agB, w.Record.ID, "ops@example.org")
		wantKind(t, err, apperr.Forbidden)
	})
}

func TestStore_WriteAsOperator(t *testing.T) {
	eachWrite(t, func(t *testing.T, f *writeFixture) {
		ctx := context.Background()
		op := store.OperatorActor("cli", "run-1")
		id := uuid.NewString()
		if _, err := f.s.PutLocation(ctx, op, id, []byte(`{"name":"Depot","location_type":"physical","organization_id":"`+f.orgB+`"}`), store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		audit, _, err := f.s.AuditLog(ctx, store.AuditFilter{ResourceID: id}, store.Paging{Number: 1, Size: 5})
		if err != nil || len(audit) != 1 || audit[0].Role != "operator" || audit[0].ClientAddr != "cli" {
			t.Fatalf("audit %+v, %v", audit, err)
		}
	})
}

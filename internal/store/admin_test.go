package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

var adminNow = time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)

func clockAt() time.Time { return adminNow }

func adminActor() store.Actor {
	return store.Actor{Principal: auth.Principal{KeyID: uuid.NewString(), Role: auth.Admin}, ClientAddr: "192.0.2.1", RequestID: "req-1"}
}

// auditOf is the audit log of resource id, newest first.
func auditOf(t *testing.T, s *store.Store, id string) []store.AuditEntry {
	t.Helper()
	es, _, err := s.AuditLog(context.Background(), store.AuditFilter{ResourceID: id}, store.Paging{Number: 1, Size: 50})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// Creating and updating an agency writes it and its audit line in one
// step; an organization another agency manages refuses the whole change.
func TestStore_AgencyWorkflows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		seed(t, s, testDocs())
		admin := adminActor()
		orgA, orgB := storetest.ID("org:a"), storetest.ID("org:b")
		name, tz := "Food Network", "America/Chicago"
		a, err := s.CreateAgency(ctx, admin, store.AgencyChange{Name: &name, OrganizationIDs: &[]string{orgA}, TZ: &tz})
		if err != nil || a.Name != name || a.TZ != tz || len(a.OrganizationIDs) != 1 {
			t.Fatalf("create agency: %+v %v", a, err)
		}
		es := auditOf(t, s, a.ID)
		if len(es) != 1 || es[0].Action != "create" || es[0].Role != "admin" || *es[0].KeyID != admin.Principal.KeyID ||
			es[0].ClientAddr != "192.0.2.1" || es[0].RequestID != "req-1" || es[0].Detail != "organization_ids,tz" || es[0].AgencyID != nil {
			t.Fatalf("audit of the creation: %+v", es)
		}

		other := "Other"
		_, err = s.CreateAgency(ctx, admin, store.AgencyChange{Name: &other, OrganizationIDs: &[]string{orgA}})
		if apperr.KindOf(err) != apperr.Conflict {
			t.Fatalf("an organization of another agency: %v, want a conflict", err)
		}
		if all, _ := s.Agencies(ctx); len(all) != 1 {
			t.Fatalf("the refused agency was written: %+v", all)
		}

		renamed := "Food Network of Palmetto"
		u, err := s.UpdateAgency(ctx, admin, a.ID, store.AgencyChange{Name: &renamed, OrganizationIDs: &[]string{orgA, orgB}})
		if err != nil || u.Name != renamed || len(u.OrganizationIDs) != 2 || u.TZ != tz {
			t.Fatalf("update agency: %+v %v", u, err)
		}
		if es := auditOf(t, s, a.ID); len(es) != 2 || es[0].Action != "update" || es[0].Detail != "name,organization_ids" {
			t.Fatalf("audit of the update: %+v", es)
		}
		missing := []string{storetest.ID("org:none")}
		if _, err := s.UpdateAgency(ctx, admin, a.ID, store.AgencyChange{Name: &other, OrganizationIDs: &missing}); apperr.KindOf(err) != apperr.Unprocessable {
			t.Fatalf("an organization that does not exist: %v", err)
		}
		if got, _ := s.AgencyByID(ctx, a.ID); got.Name != renamed || len(auditOf(t, s, a.ID)) != 2 {
			t.Fatalf("a refused update changed %+v", got)
		}
		if _, err := s.UpdateAgency(ctx, admin, uuid.NewString(), store.AgencyChange{Name: &other}); apperr.KindOf(err) != apperr.NotFound {
			t.Fatalf("update of no agency: %v", err)
		}
	})
}

// A key is created with its audit line (the operator's names the key's
// agency), its secret shown once; revoking it keeps the first time.
func TestStore_KeyWorkflows(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			s := storetest.Open(t, d, store.WithClock(clockAt))
			name := "Navigators"
			a, err := s.CreateAgency(ctx, store.OperatorActor("cli", "cli"), store.AgencyChange{Name: &name})
			if err != nil {
				t.Fatal(err)
			}
			if es := auditOf(t, s, a.ID); len(es) != 1 || es[0].Role != "operator" || es[0].AgencyID == nil || *es[0].AgencyID != a.ID {
				t.Fatalf("the operator's agency: %+v", es)
			}
			k, err := s.CreateKey(ctx, store.OperatorActor("cli", "cli"), &a.ID, auth.Caseworker, "desk")
			if err != nil || !auth.WellFormed(k.Key) || k.Role != "caseworker" || !k.CreatedAt.Equal(adminNow) {
				t.Fatalf("create key: %+v %v", k, err)
			}
			got, err := s.KeyByHash(ctx, auth.Hash(k.Key))
			if err != nil || got.ID != k.ID || *got.AgencyID != a.ID {
				t.Fatalf("the key by its secret: %+v %v", got, err)
			}
			es := auditOf(t, s, k.ID)
			if len(es) != 1 || es[0].Action != "create" || es[0].ResourceType != "api_key" || es[0].Detail != "role=caseworker" ||
				es[0].Role != "operator" || es[0].ClientAddr != "cli" || es[0].AgencyID == nil || *es[0].AgencyID != a.ID {
				t.Fatalf("audit of the key: %+v", es)
			}
			if _, err := s.CreateKey(ctx, adminActor(), ptr(uuid.NewString()), auth.Agency, "x"); apperr.KindOf(err) != apperr.NotFound {
				t.Fatalf("a key of no agency: %v", err)
			}

			if err := s.TouchKey(ctx, k.ID); err != nil {
				t.Fatal(err)
			}
			admin := adminActor()
			r, err := s.RevokeKey(ctx, admin, a.ID, k.ID)
			if err != nil || r.RevokedAt == nil || !r.RevokedAt.Equal(adminNow) || r.LastUsedAt == nil || !r.LastUsedAt.Equal(adminNow) {
				t.Fatalf("revoke: %+v %v", r, err)
			}
			if _, err := s.RevokeKey(ctx, admin, uuid.NewString(), k.ID); apperr.KindOf(err) != apperr.NotFound {
				t.Fatalf("revoke through another agency: %v", err)
			}
			if es := auditOf(t, s, k.ID); len(es) != 2 || es[0].Action != "revoke" || es[0].Role != "admin" || es[0].AgencyID != nil {
				t.Fatalf("audit of the revocation: %+v", es)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// Agencies and keys set up together land together, or not at all.
func TestStore_SetUpAccess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		demo := store.OperatorActor("demo", "demo")
		bad := []store.AgencyChange{storetest.NewAgency("A"), storetest.NewAgency("B", storetest.ID("org:none"))}
		if _, _, err := s.SetUpAccess(ctx, demo, bad, []store.KeySpec{storetest.NewKey(-1, auth.Admin, "admin")}); err == nil {
			t.Fatal("an agency of an organization that does not exist was set up")
		}
		if all, _ := s.Agencies(ctx); len(all) != 0 {
			t.Fatalf("a failed set-up left %+v", all)
		}
		as, ks, err := s.SetUpAccess(ctx, demo, []store.AgencyChange{storetest.NewAgency("A")},
			[]store.KeySpec{storetest.NewKey(-1, auth.Admin, "admin"), storetest.NewKey(0, auth.Portal, "portal")})
		if err != nil || len(as) != 1 || len(ks) != 2 || ks[0].AgencyID != nil || *ks[1].AgencyID != as[0].ID {
			t.Fatalf("set up: %+v %+v %v", as, ks, err)
		}
		if es := auditOf(t, s, ks[1].ID); len(es) != 1 || es[0].ClientAddr != "demo" || *es[0].AgencyID != as[0].ID {
			t.Fatalf("audit of the portal key: %+v", es)
		}
	})
}

// An import writes all its batches in one transaction: a producer that
// fails, or a batch the database refuses, leaves nothing written. Records
// may name records of a later batch.
func TestStore_ImportDocuments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		docs := testDocs()
		operator := store.OperatorActor("cli", "")
		batches := func(extra ...*store.Documents) func(write func(*store.Documents) error) error {
			return func(write func(*store.Documents) error) error {
				// Organizations, whose services name the terms, first.
				for _, d := range append([]*store.Documents{{Organizations: docs.Organizations}, {Terms: docs.Terms}}, extra...) {
					if err := write(d); err != nil {
						return err
					}
				}
				return nil
			}
		}
		stop := errors.New("stop")
		err := s.ImportDocuments(ctx, operator, "test", func(write func(*store.Documents) error) error {
			if err := batches()(write); err != nil {
				return err
			}
			return stop
		})
		if !errors.Is(err, stop) {
			t.Fatalf("a failed producer: %v", err)
		}
		emptyStore(t, s)
		orphan := storetest.Organization("c", 1, "BH")
		orphan.Services[0].Attributes[0].TaxonomyTermID = storetest.ID("term:none")
		if err := s.ImportDocuments(ctx, operator, "test", batches(&store.Documents{Organizations: []hsds.Organization{orphan}})); err == nil {
			t.Fatal("a record naming a term nobody has was imported")
		}
		emptyStore(t, s)
		if err := s.ImportDocuments(ctx, operator, "test", batches()); err != nil {
			t.Fatal(err)
		}
		counts, err := s.Counts(ctx)
		if err != nil || counts["services"] != 5 || counts["organizations"] != 2 || counts["taxonomy_terms"] != 3 {
			t.Fatalf("after the import: %v %v", counts, err)
		}
	})
}

// An agency's import may not take over another agency's records.
func TestStore_ImportDocuments_Ownership(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		seed(t, s, testDocs())
		ags, _ := storetest.Access{Agencies: []store.AgencyChange{storetest.NewAgency("A", storetest.ID("org:a")),
			storetest.NewAgency("B", storetest.ID("org:b"))}}.SetUp(t, s)
		actor := store.Actor{Principal: auth.Principal{KeyID: uuid.NewString(), Role: auth.Agency, AgencyID: ags[1],
			Organizations: []string{storetest.ID("org:b")}}}
		if actor.MayWriteAll() || !store.OperatorActor("cli", "").MayWriteAll() {
			t.Fatal("MayWriteAll")
		}
		orgA := testDocs().Organizations[0]
		orgA.Name = "Taken over"
		err := s.ImportDocuments(ctx, actor, "", func(write func(*store.Documents) error) error {
			return write(&store.Documents{Organizations: []hsds.Organization{orgA}})
		})
		if err == nil {
			t.Fatal("agency B imported agency A's organization")
		}
		vs, err := s.CheckOwnershipFor(ctx, &store.Documents{Organizations: []hsds.Organization{orgA}}, actor)
		if err != nil || len(vs) == 0 {
			t.Fatalf("ownership check before the import: %+v %v", vs, err)
		}
	})
}

// A job's end is recorded with its audit line.
func TestStore_FinishJob(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		job := &store.ImportJob{ID: uuid.NewString(), Filename: "a.jsonl"}
		if err := s.CreateJob(ctx, job); err != nil {
			t.Fatal(err)
		}
		actor := adminActor()
		actor.ClientAddr, actor.RequestID = "job", job.ID
		job.State, job.RecordsTotal, job.RecordsDone = store.JobSucceeded, 3, 3
		if err := s.FinishJob(ctx, actor, job, "state=succeeded"); err != nil {
			t.Fatal(err)
		}
		j, err := s.JobByID(ctx, job.ID, "")
		if err != nil || j.State != store.JobSucceeded || j.FinishedAt == nil || j.RecordsDone != 3 {
			t.Fatalf("finished job: %+v %v", j, err)
		}
		es := auditOf(t, s, job.ID)
		if len(es) != 1 || es[0].Action != "import" || es[0].ResourceType != "import_job" || es[0].ClientAddr != "job" ||
			es[0].RequestID != job.ID || es[0].Detail != "state=succeeded" {
			t.Fatalf("audit of the job: %+v", es)
		}
	})
}

func emptyStore(t *testing.T, s *store.Store) {
	t.Helper()
	counts, err := s.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for table, n := range counts {
		if n != 0 {
			t.Fatalf("%s holds %d rows after a failed import", table, n)
		}
	}
}

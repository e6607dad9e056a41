package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/referral"
	"github.com/linkage-org/linkage/internal/store"
)

func TestStore_Needs(t *testing.T) {
	eachReferralEnv(t, func(t *testing.T, e *referralEnv) {
		ctx := context.Background()
		food, housing := e.cs.Needs[0].ID, e.cs.Needs[1].ID
		ref, _ := e.refer(t, store.Idempotency{}) // refers the food need; version 2
		t.Run("Add", func(t *testing.T) {
			idem := store.Idempotency{Key: "need-1", Request: []byte(`{"domain":"legal"}`)}
			cs, id, replayed, err := e.s.AddNeed(ctx, e.sender, e.cs.ID, referral.Need{Domain: "legal", Note: "Hearing"}, store.NeedChange{Match: ifMatch(2)}, idem)
			if err != nil || replayed || cs.Version != 3 || len(cs.Needs) != 3 || cs.Needs[2].ID != id || cs.Needs[2].Status != referral.NeedIdentified {
				t.Fatalf("add: %+v %v %v", cs, replayed, err)
			}
			if got := audits(t, e.s, id); !slices.Equal(got, []string{"create case=" + e.cs.ID + ",domain,status,note"}) {
				t.Errorf("audit %q", got)
			}
			again, id2, replayed, err := e.s.AddNeed(ctx, e.sender, e.cs.ID, referral.Need{Domain: "legal"}, store.NeedChange{Match: ifMatch(2)}, idem)
			if err != nil || !replayed || id2 != id || len(again.Needs) != 3 {
				t.Errorf("replay: %s %v %v", id2, replayed, err)
			}
			if _, _, _, err := e.s.AddNeed(ctx, e.sender, e.cs.ID, referral.Need{Domain: "pets"}, store.NeedChange{}, store.Idempotency{}); apperr.KindOf(err) != apperr.Unprocessable {
				t.Errorf("bad domain: %v, want Unprocessable", err)
			}
		})
		t.Run("Update", func(t *testing.T) {
			met := func(n referral.Need) (referral.Need, error) { n.Status = referral.NeedMetStatus; return n, nil }
			cs, err := e.s.UpdateNeed(ctx, e.sender, e.cs.ID, housing, store.NeedChange{Match: ifMatch(3), Patch: met, Fields: []string{"status"}})
			if err != nil || cs.Version != 4 || len(cs.Needs) != 3 || cs.Needs[1].Status != referral.NeedMetStatus || cs.Needs[0].Status != referral.NeedInProgress {
				t.Fatalf("update: %+v %v", cs, err)
			}
			if _, err := e.s.UpdateNeed(ctx, e.sender, e.cs.ID, housing, store.NeedChange{Match: ifMatch(3), Patch: met}); apperr.KindOf(err) != apperr.PreconditionFailed {
				t.Errorf("stale: %v, want PreconditionFailed", err)
			}
			if _, err := e.s.UpdateNeed(ctx, e.receiver, e.cs.ID, housing, store.NeedChange{Patch: met}); apperr.KindOf(err) != apperr.NotFound {
				t.Errorf("another agency: %v, want NotFound", err)
			}
		})
		t.Run("Delete", func(t *testing.T) {
			_, err := e.s.DeleteNeed(ctx, e.sender, e.cs.ID, food, store.NeedChange{Match: ifMatch(4)})
			if apperr.KindOf(err) != apperr.Conflict || !strings.Contains(err.Error(), ref.ID) {
				t.Errorf("delete a referred need: %v, want Conflict naming %s", err, ref.ID)
			}
			cs, err := e.s.DeleteNeed(ctx, e.sender, e.cs.ID, housing, store.NeedChange{Match: ifMatch(4)})
			if err != nil || cs.Version != 5 || len(cs.Needs) != 2 || cs.Needs[0].ID != food {
				t.Fatalf("delete: %+v %v", cs, err)
			}
			if _, err := e.s.DeleteNeed(ctx, e.sender, e.cs.ID, housing, store.NeedChange{}); apperr.KindOf(err) != apperr.NotFound {
				t.Errorf("deleted twice: %v, want NotFound", err)
			}
		})
		t.Run("CaseUpdateKeepsLinkedNeeds", func(t *testing.T) {
			drop := func(cur store.CaseInput) (store.CaseInput, error) { cur.Needs = cur.Needs[1:]; return cur, nil }
			if _, err := e.s.UpdateCase(ctx, e.sender, e.cs.ID, store.CaseUpdate{Patch: drop}); apperr.KindOf(err) != apperr.Conflict {
				t.Errorf("a case update dropping a referred need: %v, want Conflict", err)
			}
			v, err := e.s.ReadReferral(ctx, e.sender, ref.ID)
			if err != nil || v.NeedID == nil || *v.NeedID != food {
				t.Errorf("referral need after a refused drop: %+v %v", v.NeedID, err)
			}
		})
	})
}

func TestStore_NeedAfterMove(t *testing.T) {
	eachReferralEnv(t, func(t *testing.T, e *referralEnv) {
		ctx := context.Background()
		status := func() string {
			cs, err := e.s.CaseByID(ctx, e.cs.ID, e.sender.Principal.AgencyID)
			if err != nil {
				t.Fatal(err)
			}
			return cs.Needs[0].Status
		}
		move := func(id string, by store.Actor, m store.ReferralMove) {
			t.Helper()
			if _, err := e.s.MoveReferral(ctx, by, id, m, referral.Rules{}); err != nil {
				t.Fatalf("move %s: %v", m.To, err)
			}
		}
		a, _ := e.refer(t, store.Idempotency{})
		b, _ := e.refer(t, store.Idempotency{})
		move(a.ID, e.receiver, store.ReferralMove{To: referral.Declined, Reason: "no_capacity"})
		if got := status(); got != referral.NeedInProgress {
			t.Errorf("need with another referral open = %s, want in_progress", got)
		}
		move(b.ID, e.sender, store.ReferralMove{To: referral.Cancelled})
		if got := status(); got != referral.NeedIdentified {
			t.Errorf("need after every referral ended unsuccessfully = %s, want identified", got)
		}
		c, _ := e.refer(t, store.Idempotency{})
		move(c.ID, e.receiver, store.ReferralMove{To: referral.Accepted})
		move(c.ID, e.receiver, store.ReferralMove{To: referral.Completed, Outcome: "service_provided"})
		d, _ := e.refer(t, store.Idempotency{})
		move(d.ID, e.receiver, store.ReferralMove{To: referral.Declined, Reason: "no_capacity"})
		if got := status(); got != referral.NeedInProgress {
			t.Errorf("need with a completed referral awaiting follow-up = %s, want in_progress", got)
		}
		if _, err := e.s.RecordFollowUp(ctx, e.sender, c.ID, "yes", ""); err != nil {
			t.Fatal(err)
		}
		if got := status(); got != referral.NeedMetStatus {
			t.Errorf("need after a follow-up of need met = %s, want met", got)
		}
	})
}

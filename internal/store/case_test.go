package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/referral"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

func TestStore_CreateCase(t *testing.T) {
	eachReferralEnv(t, func(t *testing.T, e *referralEnv) {
		ctx := context.Background()
		t.Run("OK", func(t *testing.T) {
			cs := e.cs // created by the env
			if cs.Version != 1 || cs.Status != store.CaseOpen || len(cs.Needs) != 2 || cs.Needs[0].ID == "" || cs.Needs[0].Status != referral.NeedIdentified {
				t.Errorf("created %+v", cs)
			}
			if got := audits(t, e.s, cs.ID); !slices.Equal(got, []string{"create client,needs,consent,assessment"}) {
				t.Errorf("audit %q", got)
			}
			read, err := e.s.ReadCase(ctx, e.sender, cs.ID)
			if err != nil || read.Client.GivenName != "Maria" || read.Needs[0].Note != "Runs out by the 20th" {
				t.Errorf("read back %+v %v", read, err)
			}
			if got := audits(t, e.s, cs.ID); len(got) != 2 || got[1] != "read client,needs,consent,assessment" {
				t.Errorf("audit after the read %q", got)
			}
		})
		t.Run("Replay", func(t *testing.T) {
			idem := store.Idempotency{Key: "case-1", Request: []byte(`{"client":{}}`)}
			first, replayed, err := e.s.CreateCase(ctx, e.sender, testCase(), idem)
			if err != nil || replayed {
				t.Fatal(err, replayed)
			}
			again, replayed, err := e.s.CreateCase(ctx, e.sender, testCase(), idem)
			if err != nil || !replayed || again.ID != first.ID {
				t.Errorf("replay: %s %v %v, want %s", again.ID, replayed, err, first.ID)
			}
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			in := testCase()
			in.Client = nil
			if _, _, err := e.s.CreateCase(ctx, e.sender, in, store.Idempotency{}); apperr.KindOf(err) != apperr.Unprocessable {
				t.Errorf("a case without a client: %v, want Unprocessable", err)
			}
		})
		t.Run("ErrOtherAgency", func(t *testing.T) {
			if _, err := e.s.ReadCase(ctx, e.receiver, e.cs.ID); apperr.KindOf(err) != apperr.NotFound {
				t.Errorf("another agency's case: %v, want NotFound", err)
			}
		})
	})
}

// ifMatch is a precondition like the API's If-Match: the version read.
func ifMatch(want int) func(int) error {
	return func(v int) error {
		if v != want {
			return apperr.E(apperr.PreconditionFailed, "the case is at version %d", v)
		}
		return nil
	}
}

func TestStore_UpdateCase(t *testing.T) {
	eachReferralEnv(t, func(t *testing.T, e *referralEnv) {
		ctx := context.Background()
		closeIt := func(cur store.CaseInput) (store.CaseInput, error) {
			cur.Status = store.CaseClosed
			cur.Needs = cur.Needs[:1]
			return cur, nil
		}
		t.Run("OK", func(t *testing.T) {
			cs, err := e.s.UpdateCase(ctx, e.sender, e.cs.ID, store.CaseUpdate{Match: ifMatch(1), Patch: closeIt, Fields: []string{"status", "needs"}})
			if err != nil {
				t.Fatal(err)
			}
			if cs.Version != 2 || cs.Status != store.CaseClosed || len(cs.Needs) != 1 || cs.Needs[0].ID != e.cs.Needs[0].ID {
				t.Errorf("updated %+v", cs)
			}
			if got := audits(t, e.s, cs.ID); got[len(got)-1] != "update needs,status" {
				t.Errorf("audit %q", got)
			}
		})
		t.Run("ErrPreconditionFailed", func(t *testing.T) {
			_, err := e.s.UpdateCase(ctx, e.sender, e.cs.ID, store.CaseUpdate{Match: ifMatch(1), Patch: closeIt})
			if apperr.KindOf(err) != apperr.PreconditionFailed {
				t.Errorf("a stale If-Match: %v, want PreconditionFailed", err)
			}
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			_, err := e.s.UpdateCase(ctx, e.sender, e.cs.ID, store.CaseUpdate{Match: ifMatch(2), Patch: func(cur store.CaseInput) (store.CaseInput, error) {
				cur.Needs = append(cur.Needs, referral.Need{ID: storetest.ID("need of no case"), Domain: "food"})
				return cur, nil
			}})
			if apperr.KindOf(err) != apperr.Unprocessable {
				t.Errorf("a need id of no case: %v, want Unprocessable", err)
			}
			cs, _ := e.s.CaseByID(ctx, e.cs.ID, e.sender.Principal.AgencyID)
			if cs.Version != 2 {
				t.Errorf("a refused change wrote version %d", cs.Version)
			}
		})
		t.Run("ErrOtherAgency", func(t *testing.T) {
			_, err := e.s.UpdateCase(ctx, e.receiver, e.cs.ID, store.CaseUpdate{Patch: closeIt})
			if apperr.KindOf(err) != apperr.NotFound {
				t.Errorf("another agency's case: %v, want NotFound", err)
			}
		})
	})
}

func TestStore_CreateWebhook(t *testing.T) {
	eachReferralEnv(t, func(t *testing.T, e *referralEnv) {
		ctx := context.Background()
		in := store.WebhookInput{URL: "https://hooks.example.org/linkage", Events: []string{"referral.created"}, Active: true}
		w, secret, err := e.s.CreateWebhook(ctx, e.receiver, in)
		if err != nil {
			t.Fatal(err)
		}
		if w.ID == "" || w.AgencyID != e.receiver.Principal.AgencyID || len(secret) < 20 || secret[:6] != "whsec_" {
			t.Errorf("created %+v with secret %q", w, secret)
		}
		if got := audits(t, e.s, w.ID); !slices.Equal(got, []string{"create url,events"}) {
			t.Errorf("audit %q", got)
		}
		// A referral to the receiver now queues its event.
		e.refer(t, store.Idempotency{})
		if n, _ := e.s.PendingDeliveries(ctx); n != 1 {
			t.Errorf("%d deliveries pending, want referral.created", n)
		}
		off := false
		if w, err = e.s.UpdateWebhook(ctx, e.receiver, w.ID, store.WebhookUpdate{Active: &off}); err != nil || w.Active {
			t.Errorf("deactivate: %+v %v", w, err)
		}
		for i := 1; i < store.MaxWebhooks; i++ {
			if _, _, err := e.s.CreateWebhook(ctx, e.receiver, in); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := e.s.CreateWebhook(ctx, e.receiver, in); apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("webhook %d: %v, want Conflict", store.MaxWebhooks+1, err)
		}
		if err := e.s.DeleteWebhook(ctx, e.sender, w.ID); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("another agency's delete: %v, want NotFound", err)
		}
		if err := e.s.DeleteWebhook(ctx, e.receiver, w.ID); err != nil {
			t.Error(err)
		}
	})
}

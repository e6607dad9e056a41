package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/referral"
	"github.com/linkage-org/linkage/internal/seal"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// referralEnv is a store with a sending agency (its caseworker), a
// receiving agency that manages one organization (its agency key), one
// service of that organization and an open case of the sender's.
type referralEnv struct {
	s                *store.Store
	clock            *testClock
	sender, receiver store.Actor
	serviceID        string
	cs               store.Case
}

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// eachReferralEnv runs fn on a fresh referralEnv of every dialect.
func eachReferralEnv(t *testing.T, fn func(t *testing.T, e *referralEnv)) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) { fn(t, newReferralEnv(t, d)) })
	}
}

func newReferralEnv(t *testing.T, dialect string) *referralEnv {
	t.Helper()
	k, _ := seal.NewKey()
	keys, err := seal.Parse(k)
	if err != nil {
		t.Fatal(err)
	}
	clk := &testClock{t: time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC)} // a Wednesday
	s := storetest.Open(t, dialect, store.WithKeyring(keys), store.WithClock(clk.Now), store.WithDefaultTZ("America/New_York"))
	org := storetest.Organization("r", 1, "BH-1800")
	seed(t, s, &store.Documents{Terms: []hsds.TaxonomyTerm{storetest.Term("BH", ""), storetest.Term("BH-1800", "BH")}, Organizations: []hsds.Organization{org}})
	e := &referralEnv{s: s, clock: clk, serviceID: org.Services[0].ID}
	senderID, receiverID := storetest.ID("agency sender"), storetest.ID("agency receiver")
	for _, id := range []string{senderID, receiverID} {
		if _, err := s.DB().Exec(`INSERT INTO agencies (id, name, created_at) VALUES ($1, $2, $3)`, id, "Agency "+id[:4], clk.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.DB().Exec(`INSERT INTO agency_organizations (organization_id, agency_id) VALUES ($1, $2)`, org.ID, receiverID); err != nil {
		t.Fatal(err)
	}
	e.sender = store.Actor{Principal: auth.Principal{AgencyID: senderID, Role: auth.Caseworker, KeyID: storetest.ID("key sender")}, ClientAddr: "192.0.2.1", RequestID: "req-1"}
	e.receiver = store.Actor{Principal: auth.Principal{AgencyID: receiverID, Role: auth.Agency, KeyID: storetest.ID("key receiver")}, ClientAddr: "192.0.2.2", RequestID: "req-2"}
	e.cs, _, err = s.CreateCase(context.Background(), e.sender, testCase(), store.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func testCase() store.CaseInput {
	return store.CaseInput{
		Client:  &referral.Client{GivenName: "Maria", FamilyName: "Lopez", BirthDate: "1988-04-12", Phone: "843-555-0142", PreferredLanguage: "es"},
		Needs:   []referral.Need{{Domain: "food", Note: "Runs out by the 20th"}, {Domain: "housing"}},
		Consent: &referral.Consent{Scope: []string{"name", "contact", "needs"}, GivenOn: "2026-11-30", ExpiresOn: "2027-11-29"},
	}
}

// audits lists the audit rows of one resource as "action detail", oldest first.
func audits(t *testing.T, s *store.Store, resourceID string) []string {
	t.Helper()
	rows, err := s.DB().Query(`SELECT action, detail FROM audit_log WHERE resource_id = $1 ORDER BY id`, resourceID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a, d string
		if err := rows.Scan(&a, &d); err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.TrimSpace(a+" "+d))
	}
	return out
}

func count(t *testing.T, s *store.Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *referralEnv) refer(t *testing.T, idem store.Idempotency) (store.ReferralView, bool) {
	t.Helper()
	v, replayed, err := e.s.CreateReferral(context.Background(), e.sender, store.ReferralInput{CaseID: e.cs.ID, ServiceID: e.serviceID, Need: "food", Note: "Call after 5pm"}, idem, referral.Rules{})
	if err != nil {
		t.Fatalf("create referral: %v", err)
	}
	return v, replayed
}

func TestStore_CreateReferral(t *testing.T) {
	eachReferralEnv(t, func(t *testing.T, e *referralEnv) {
		ctx := context.Background()
		t.Run("OK", func(t *testing.T) {
			v, replayed := e.refer(t, store.Idempotency{})
			switch {
			case replayed, v.Status != referral.Sent, v.SentAt == nil, v.Version != 1:
				t.Fatalf("created %+v (replayed %v), want a sent referral, version 1", v.Referral, replayed)
			case !v.Sender() || v.Client == nil || v.Client.GivenName != "Maria" || !slices.Equal(v.Share, []string{"name", "contact", "needs"}):
				t.Errorf("the sender's view: party %v, client %+v, share %v", v.Party, v.Client, v.Share)
			case !sentTasks(v.FollowUps, e.receiver.Principal.AgencyID, e.sender.Principal.AgencyID):
				t.Errorf("follow-ups %+v, want the receiver's response task and the sender's check-in at its deadline", v.FollowUps)
			}
			cs, err := e.s.CaseByID(ctx, e.cs.ID, e.sender.Principal.AgencyID)
			if err != nil || cs.Needs[0].Status != referral.NeedInProgress {
				t.Errorf("the referred need: %+v %v, want in_progress", cs.Needs, err)
			}
			if got := audits(t, e.s, v.ID); !slices.Equal(got, []string{"create status=sent,share=name+contact+needs"}) {
				t.Errorf("audit %q", got)
			}
			if n := count(t, e.s, `SELECT COUNT(*) FROM referral_events WHERE referral_id = $1`, v.ID); n != 1 {
				t.Errorf("%d events, want the created one", n)
			}
		})
		t.Run("Replay", func(t *testing.T) {
			idem := store.Idempotency{Key: "maria-food-1", Request: []byte(`{"need":"food"}`)}
			first, _ := e.refer(t, idem)
			again, replayed := e.refer(t, idem)
			if !replayed || again.ID != first.ID || count(t, e.s, `SELECT COUNT(*) FROM referrals WHERE case_id = $1`, e.cs.ID) != 2 {
				t.Errorf("replay: %s (replayed %v), want %s and no new referral", again.ID, replayed, first.ID)
			}
			if got := audits(t, e.s, first.ID); len(got) != 2 || got[1] != "read client,note" {
				t.Errorf("audit after the replay %q, want the creation and the replay's read", got)
			}
			_, _, err := e.s.CreateReferral(ctx, e.sender, store.ReferralInput{CaseID: e.cs.ID, ServiceID: e.serviceID, Need: "food"},
				store.Idempotency{Key: idem.Key, Request: []byte(`{"need":"housing"}`)}, referral.Rules{})
			if apperr.KindOf(err) != apperr.Unprocessable {
				t.Errorf("the key with another request: %v, want Unprocessable", err)
			}
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			_, _, err := e.s.CreateReferral(ctx, e.sender, store.ReferralInput{CaseID: e.cs.ID, ServiceID: e.serviceID, Need: "legal"}, store.Idempotency{Key: "k2", Request: []byte("x")}, referral.Rules{})
			var ae *apperr.Error
			if apperr.KindOf(err) != apperr.Unprocessable || !errors.As(err, &ae) || len(ae.Fields) == 0 || ae.Fields[0].Pointer != "/need" {
				t.Fatalf("a need the case lacks: %v, want 422 on /need", err)
			}
			// The failed creation took no key: the same key creates now.
			if _, replayed := e.refer(t, store.Idempotency{Key: "k2", Request: []byte("x")}); replayed {
				t.Errorf("a key of a failed creation replayed")
			}
		})
	})
}

func TestStore_MoveReferral(t *testing.T) {
	eachReferralEnv(t, func(t *testing.T, e *referralEnv) {
		ctx := context.Background()
		r, _ := e.refer(t, store.Idempotency{})
		t.Run("OK", func(t *testing.T) {
			v, err := e.s.MoveReferral(ctx, e.receiver, r.ID, store.ReferralMove{To: referral.Accepted, Note: "We will call her"}, referral.Rules{})
			switch {
			case err != nil:
				t.Fatal(err)
			case v.Status != referral.Accepted || v.Version != 2 || v.AcceptedAt == nil || v.RespondedAt == nil:
				t.Errorf("moved %+v", v.Referral)
			case v.Sender() || v.CaseID == "" || !slices.Equal(v.AllowedMoves, []referral.Status{referral.Waitlisted, referral.InProgress, referral.Completed, referral.ClosedUnsuccessful}):
				t.Errorf("the receiver's view: party %v, allowed %v", v.Party, v.AllowedMoves)
			}
			if got := audits(t, e.s, r.ID); !slices.Equal(got[1:], []string{"transition accepted", "read client,note"}) {
				t.Errorf("audit %q", got)
			}
		})
		t.Run("ErrConflict", func(t *testing.T) {
			_, err := e.s.MoveReferral(ctx, e.receiver, r.ID, store.ReferralMove{To: referral.Sent}, referral.Rules{})
			if apperr.KindOf(err) != apperr.Conflict || !strings.Contains(err.Error(), "allowed moves: waitlisted, in_progress, completed, closed_unsuccessful") {
				t.Errorf("a move the table refuses: %v, want a Conflict naming the allowed moves", err)
			}
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			_, err := e.s.MoveReferral(ctx, e.receiver, r.ID, store.ReferralMove{To: referral.Declined}, referral.Rules{})
			if apperr.KindOf(err) != apperr.Unprocessable {
				t.Errorf("a decline without a reason: %v, want Unprocessable", err)
			}
		})
		t.Run("ErrOtherAgency", func(t *testing.T) {
			other := e.receiver
			other.Principal.AgencyID = storetest.ID("agency nobody")
			if _, err := e.s.MoveReferral(ctx, other, r.ID, store.ReferralMove{To: referral.Completed, Outcome: "service_provided"}, referral.Rules{}); apperr.KindOf(err) != apperr.NotFound {
				t.Errorf("another agency's move: %v, want NotFound", err)
			}
		})
	})
}

func TestStore_AddReferralNote(t *testing.T) {
	eachReferralEnv(t, func(t *testing.T, e *referralEnv) {
		ctx := context.Background()
		r, _ := e.refer(t, store.Idempotency{})
		ev, err := e.s.AddReferralNote(ctx, e.receiver, r.ID, "  Left a voicemail  ")
		if err != nil {
			t.Fatal(err)
		}
		if ev.Kind != store.EventNote || ev.NoteText != "Left a voicemail" || ev.Side != "receiver" || ev.ID == 0 {
			t.Errorf("note event %+v", ev)
		}
		if got := audits(t, e.s, r.ID); got[len(got)-1] != "note note" {
			t.Errorf("audit %q", got)
		}
		events, total, err := e.s.ReferralEvents(ctx, e.sender, r.ID, store.Paging{Number: 1, Size: 10})
		if err != nil || total != 2 || events[1].NoteText != "Left a voicemail" {
			t.Errorf("history %+v (%d) %v", events, total, err)
		}
		if _, err := e.s.AddReferralNote(ctx, e.receiver, r.ID, " "); apperr.KindOf(err) != apperr.Unprocessable {
			t.Errorf("an empty note: %v, want Unprocessable", err)
		}
	})
}

func TestStore_RecordFollowUp(t *testing.T) {
	eachReferralEnv(t, func(t *testing.T, e *referralEnv) {
		ctx := context.Background()
		r, _ := e.refer(t, store.Idempotency{})
		if _, err := e.s.RecordFollowUp(ctx, e.sender, r.ID, "yes", ""); apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("a follow-up of an open referral: %v, want Conflict", err)
		}
		for _, m := range []store.ReferralMove{{To: referral.Accepted}, {To: referral.Completed, Outcome: "service_provided"}} {
			if _, err := e.s.MoveReferral(ctx, e.receiver, r.ID, m, referral.Rules{}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.s.RecordFollowUp(ctx, e.receiver, r.ID, "yes", ""); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("the receiver's follow-up: %v, want Forbidden", err)
		}
		e.clock.Add(14 * 24 * time.Hour)
		v, err := e.s.RecordFollowUp(ctx, e.sender, r.ID, "yes", "Has food again")
		if err != nil {
			t.Fatal(err)
		}
		if v.FollowUpAnswer != "yes" || v.FollowUpNote != "Has food again" || v.FollowUpAt == nil || !v.FollowUpAt.Equal(e.clock.Now()) {
			t.Errorf("follow-up %q %q %v", v.FollowUpAnswer, v.FollowUpNote, v.FollowUpAt)
		}
		for _, f := range v.FollowUps {
			if f.Kind == string(referral.ClientFollowUp) && f.DoneAt == nil {
				t.Errorf("the client follow-up task is still open: %+v", f)
			}
		}
		cs, err := e.s.CaseByID(ctx, e.cs.ID, e.sender.Principal.AgencyID)
		if err != nil || cs.Needs[0].Status != referral.NeedMetStatus {
			t.Errorf("the need after the answer: %+v %v", cs.Needs, err)
		}
		if got := audits(t, e.s, r.ID); !slices.Equal(got[len(got)-2:], []string{"followup need_met", "read client,note"}) {
			t.Errorf("audit %q", got)
		}
		if _, err := e.s.RecordFollowUp(ctx, e.sender, r.ID, "no", ""); apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("a second follow-up: %v, want Conflict", err)
		}
	})
}

func TestStore_ReferralReport(t *testing.T) {
	eachReferralEnv(t, func(t *testing.T, e *referralEnv) {
		ctx := context.Background()
		r, _ := e.refer(t, store.Idempotency{})
		now := e.clock.Now()
		for _, a := range []store.Actor{e.sender, e.receiver} {
			groups, err := e.s.ReferralReport(ctx, a, "agency", now.Add(-time.Hour), now.Add(time.Hour))
			if err != nil || len(groups) != 1 || groups[0].Key != r.ReceiverAgencyID || groups[0].Sent != 1 || groups[0].Name == "" {
				t.Errorf("%s's report: %+v %v", a.Principal.Role, groups, err)
			}
		}
		other := e.receiver
		other.Principal.AgencyID = storetest.ID("agency nobody")
		if groups, err := e.s.ReferralReport(ctx, other, "service", now.Add(-time.Hour), now.Add(time.Hour)); err != nil || len(groups) != 0 {
			t.Errorf("a third agency's report: %+v %v, want nothing of others'", groups, err)
		}
	})
}

// sentTasks says whether fs are a sent referral's tasks: the receiver's
// response and the sender's check-in, due at the same moment.
func sentTasks(fs []store.FollowUp, receiver, sender string) bool {
	by := map[string]store.FollowUp{}
	for _, f := range fs {
		by[f.Kind] = f
	}
	r, ok1 := by[string(referral.Response)]
	c, ok2 := by[string(referral.CheckIn)]
	return len(fs) == 2 && ok1 && ok2 && r.AssigneeAgencyID == receiver && c.AssigneeAgencyID == sender && r.DueAt.Equal(c.DueAt)
}

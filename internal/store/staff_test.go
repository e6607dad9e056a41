package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// staffFixture is a store on the clock with one agency and one person of
// it who can sign in with password pw.
func staffFixture(t *testing.T, dialect string, clk *clock) (*store.Store, store.Person) {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, dialect, store.WithClock(clk.Now))
	var agency store.Agency
	if _, err := st.Fixture(ctx, func(tx store.Fixture) error {
		var err error
		agency, err = tx.CreateAgency(ctx, "Navigators", nil)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	name, email, role := "Dana Reyes", "dana@nav.example", string(auth.Caseworker)
	op := store.OperatorActor("test", "test")
	p, err := st.CreatePerson(ctx, op, agency.ID, store.PersonInput{Name: &name, Email: &email, Role: &role})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetPasswordDirect(ctx, op, p.ID, "a long enough password"); err != nil {
		t.Fatal(err)
	}
	return st, p
}

// TestSessions checks the console's sessions on both databases: idle and
// absolute timeouts, use keeping a session alive, sign-out, a person made
// inactive, and a password reset ending every session.
func TestSessions(t *testing.T) {
	lim := store.SessionLimits{Idle: 30 * time.Minute, Absolute: 12 * time.Hour}
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			clk := &clock{at: time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC)}
			st, p := staffFixture(t, d, clk)
			alive := func(token string) bool {
				_, err := st.SessionByToken(ctx, token, lim)
				if err != nil && apperr.KindOf(err) != apperr.Unauthenticated {
					t.Fatal(err)
				}
				return err == nil
			}
			idle, _ := st.CreateSession(ctx, p.ID)
			used, _ := st.CreateSession(ctx, p.ID)
			if idle == used || !alive(idle) {
				t.Fatal("two sessions share a token, or a new one is not alive")
			}
			for range 25 { // used every 25 minutes for 10 hours
				clk.add(25 * time.Minute)
				if !alive(used) {
					t.Fatalf("a session used every 25 minutes died at %s", clk.Now())
				}
			}
			if alive(idle) {
				t.Error("a session idle for 10 hours is alive")
			}
			clk.add(2*time.Hour + time.Minute)
			if alive(used) {
				t.Error("a session older than 12 hours is alive")
			}

			out, _ := st.CreateSession(ctx, p.ID)
			if err := st.EndSession(ctx, out); err != nil || alive(out) {
				t.Errorf("a signed-out session is alive (%v)", err)
			}
			off, _ := st.CreateSession(ctx, p.ID)
			inactive := false
			op := store.OperatorActor("test", "test")
			if _, err := st.UpdatePerson(ctx, op, p.AgencyID, p.ID, store.PersonInput{Active: &inactive}); err != nil {
				t.Fatal(err)
			}
			if alive(off) {
				t.Error("the session of a person made inactive is alive")
			}
			active := true
			if _, err := st.UpdatePerson(ctx, op, p.AgencyID, p.ID, store.PersonInput{Active: &active}); err != nil {
				t.Fatal(err)
			}
			kept, _ := st.CreateSession(ctx, p.ID)
			link, err := st.IssuePasswordReset(ctx, op, p.AgencyID, p.ID, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.ResetPassword(ctx, link.Token, "another long password"); err != nil {
				t.Fatal(err)
			}
			if alive(kept) {
				t.Error("a session from before a password reset is alive")
			}
			if _, err := st.ResetPassword(ctx, link.Token, "a third long password"); apperr.KindOf(err) != apperr.NotFound {
				t.Errorf("a used link: %v, want NotFound", err)
			}
		})
	}
}

// TestSignInLock checks that failures in a row lock an account for a
// while, and that a success clears the count.
func TestSignInLock(t *testing.T) {
	lock := store.SignInLock{After: 3, For: 15 * time.Minute}
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			clk := &clock{at: time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC)}
			st, _ := staffFixture(t, d, clk)
			fail := func() store.Staff {
				s, err := st.StaffByEmail(ctx, "DANA@nav.example ")
				if err != nil {
					t.Fatal(err)
				}
				if err := st.RecordSignIn(ctx, s, false, "192.0.2.1", lock); err != nil {
					t.Fatal(err)
				}
				s, _ = st.StaffByEmail(ctx, "dana@nav.example")
				return s
			}
			fail()
			s := fail()
			if s.LockedUntil != nil {
				t.Fatal("locked after 2 failures; the lock is after 3")
			}
			if err := st.RecordSignIn(ctx, s, true, "192.0.2.1", lock); err != nil {
				t.Fatal(err)
			}
			fail()
			fail()
			if s := fail(); s.LockedUntil == nil || !s.LockedUntil.After(clk.Now()) {
				t.Errorf("3 failures in a row after a success: locked until %v, want a time after now", s.LockedUntil)
			}
			if s, _ := st.StaffByEmail(ctx, "dana@nav.example"); !s.CheckPassword("a long enough password") || s.CheckPassword("not it") {
				t.Error("CheckPassword does not tell the password from another")
			}
		})
	}
}

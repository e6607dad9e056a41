package httpapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/linkage-org/linkage/internal/store/storetest"
)

// needOf is the need id of c, or nil.
func needOf(c caseOut, id string) *struct{ ID, Domain, Status, Note string } {
	for i := range c.Needs {
		if c.Needs[i].ID == id {
			return &c.Needs[i]
		}
	}
	return nil
}

// needStatus reads need id of case caseID as the sender's caseworker.
func (r *refEnv) needStatus(caseID, id string) string {
	r.t.Helper()
	var c caseOut
	if res := r.send("GET", "/cases/"+caseID, "", r.caseworker); res.status != 200 {
		r.t.Fatalf("GET case: %d %s", res.status, res.body)
	} else {
		res.json(r.t, &c)
	}
	if n := needOf(c, id); n != nil {
		return n.Status
	}
	return ""
}

// refNeed refers the case's need needID to svc as the sender's caseworker.
func (r *refEnv) refNeed(caseID, needID, svc string) referralOut {
	r.t.Helper()
	res := r.send("POST", "/referrals", fmt.Sprintf(`{"case_id": %q, "service_id": %q, "need_id": %q}`, caseID, svc, needID), r.caseworker)
	if res.status != 201 {
		r.t.Fatalf("POST /referrals: %d %s", res.status, res.body)
	}
	var out referralOut
	res.json(r.t, &out)
	return out
}

func TestCaseNeeds_OneAtATime(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d)
			c, ref := r.refer(svcPantry, "") // refers the food need
			food, housing := c.Needs[0].ID, c.Needs[1].ID
			etag := func() string { return r.send("GET", "/cases/"+c.ID, "", r.caseworker).header.Get("ETag") }
			needs := "/cases/" + c.ID + "/needs"

			// Add one: the others stay, the referral still points at food.
			res := r.send("POST", needs, `{"domain": "legal", "note": "Hearing on the 16th"}`, r.caseworker, "If-Match", etag(), "Idempotency-Key", "need-1")
			var added caseOut
			res.json(t, &added)
			if res.status != 201 || len(added.Needs) != 3 || added.Needs[2].Domain != "legal" || added.Needs[2].Status != "identified" ||
				res.header.Get("Location") != needs+"/"+added.Needs[2].ID || res.header.Get("ETag") != fmt.Sprintf(`"case-v%d"`, added.Version) {
				t.Fatalf("add need: %d %s", res.status, res.body)
			}
			legal := added.Needs[2].ID
			if raw := rawRow(t, r.store, "case_needs", legal); strings.Contains(raw, "16th") {
				t.Errorf("need note in clear: %s", raw)
			}
			// A retry under the key adds nothing (its stale If-Match notwithstanding).
			again := r.send("POST", needs, `{"domain": "legal", "note": "Hearing on the 16th"}`, r.caseworker, "If-Match", `"case-v1"`, "Idempotency-Key", "need-1")
			var replay caseOut
			again.json(t, &replay)
			if again.status != 201 || again.header.Get("Idempotent-Replayed") != "true" || len(replay.Needs) != 3 {
				t.Errorf("replayed add: %d %s", again.status, again.body)
			}

			// Patch one: only its fields change.
			res = r.send("PATCH", needs+"/"+housing, `{"status": "in_progress", "note": "Behind on rent"}`, r.caseworker,
				"If-Match", etag(), "Content-Type", "application/merge-patch+json")
			var patched caseOut
			res.json(t, &patched)
			if h := needOf(patched, housing); res.status != 200 || len(patched.Needs) != 3 || h == nil || h.Status != "in_progress" || h.Note != "Behind on rent" || h.Domain != "housing" {
				t.Fatalf("patch need: %d %s", res.status, res.body)
			}
			if f := needOf(patched, food); f == nil || f.Status != "in_progress" {
				t.Errorf("food need after patching housing: %+v", f)
			}

			// Preconditions: 428 without If-Match, 412 stale, on every route.
			for _, tt := range []struct{ method, path, body string }{
				{"POST", needs, `{"domain": "food"}`}, {"PATCH", needs + "/" + legal, `{"status": "met"}`}, {"DELETE", needs + "/" + legal, ""},
			} {
				if res := r.send(tt.method, tt.path, tt.body, r.caseworker); res.status != 428 {
					t.Errorf("%s %s without If-Match: %d %s", tt.method, tt.path, res.status, res.body)
				}
				if res := r.send(tt.method, tt.path, tt.body, r.caseworker, "If-Match", `"case-v1"`); res.status != 412 {
					t.Errorf("%s %s stale: %d %s", tt.method, tt.path, res.status, res.body)
				}
			}
			// Bad input and unknown needs.
			if res := r.send("PATCH", needs+"/"+legal, `{"domain": "pets"}`, r.caseworker, "If-Match", etag()); res.status != 422 || !strings.Contains(string(res.body), "/domain") {
				t.Errorf("bad domain: %d %s", res.status, res.body)
			}
			if res := r.send("PATCH", needs+"/00000000-0000-4000-8000-000000000000", `{"status": "met"}`, r.caseworker, "If-Match", etag()); res.status != 404 {
				t.Errorf("unknown need: %d %s", res.status, res.body)
			}
			if res := r.send("DELETE", needs+"/not-a-uuid", "", r.caseworker, "If-Match", etag()); res.status != 404 {
				t.Errorf("need id not a UUID: %d %s", res.status, res.body)
			}

			// A need with referrals stays: 409 naming the referral, here and in a case PATCH.
			if res := r.send("DELETE", needs+"/"+food, "", r.caseworker, "If-Match", etag()); res.status != 409 || !strings.Contains(string(res.body), ref.ID) {
				t.Errorf("delete a referred need: %d %s", res.status, res.body)
			}
			body := fmt.Sprintf(`{"needs": [{"id": %q, "domain": "housing"}]}`, housing)
			if res := r.send("PATCH", "/cases/"+c.ID, body, r.caseworker, "If-Match", etag()); res.status != 409 || !strings.Contains(string(res.body), ref.ID) {
				t.Errorf("case PATCH dropping a referred need: %d %s", res.status, res.body)
			}
			// Delete one without referrals: the others and the referral stay.
			res = r.send("DELETE", needs+"/"+legal, "", r.caseworker, "If-Match", etag())
			var after caseOut
			res.json(t, &after)
			if res.status != 200 || len(after.Needs) != 2 || needOf(after, legal) != nil || needOf(after, food) == nil {
				t.Errorf("delete need: %d %s", res.status, res.body)
			}
			var seen struct {
				NeedID *string `json:"need_id"`
			}
			r.send("GET", "/referrals/"+ref.ID, "", r.caseworker).json(t, &seen)
			if seen.NeedID == nil || *seen.NeedID != food {
				t.Errorf("referral need_id = %v, want %s", seen.NeedID, food)
			}
			if n := countRows(t, r.store, "case_needs"); n != 2 {
				t.Errorf("%d need rows, want 2", n)
			}

			// Another agency's caseworker: 404 on every route.
			for _, tt := range []struct{ method, path, body string }{
				{"POST", needs, `{"domain": "food"}`}, {"PATCH", needs + "/" + housing, `{"status": "met"}`}, {"DELETE", needs + "/" + housing, ""},
			} {
				if res := r.send(tt.method, tt.path, tt.body, r.cwC, "If-Match", etag()); res.status != 404 {
					t.Errorf("%s %s as another agency: %d %s", tt.method, tt.path, res.status, res.body)
				}
			}
		})
	}
}

func TestCaseNeeds_BackToIdentified(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d)
			c := r.newCase(r.caseworker)
			food := c.Needs[0].ID

			// Its only referral declined: the need is identified again.
			one := r.refNeed(c.ID, food, svcPantry)
			if st := r.needStatus(c.ID, food); st != "in_progress" {
				t.Fatalf("need after sending = %s", st)
			}
			if st, _, msg := r.move(one.ID, r.keyA, `{"to": "declined", "reason": "no_capacity"}`); st != 200 {
				t.Fatalf("decline: %d %s", st, msg)
			}
			if st := r.needStatus(c.ID, food); st != "identified" {
				t.Errorf("need after its only referral was declined = %s, want identified", st)
			}

			// Two referrals: one cancelled, the other still open keeps it in progress.
			a, b := r.refNeed(c.ID, food, svcPantry), r.refNeed(c.ID, food, svcSNAP)
			if st, _, msg := r.move(a.ID, r.caseworker, `{"to": "cancelled", "reason": "client moved"}`); st != 200 {
				t.Fatalf("cancel: %d %s", st, msg)
			}
			if st := r.needStatus(c.ID, food); st != "in_progress" {
				t.Errorf("need with another referral open = %s, want in_progress", st)
			}
			// The last one closed unsuccessfully: identified again.
			for _, to := range []string{`{"to": "accepted"}`, `{"to": "closed_unsuccessful", "reason": "no_capacity"}`} {
				if st, _, msg := r.move(b.ID, r.keyA, to); st != 200 {
					t.Fatalf("move %s: %d %s", to, st, msg)
				}
			}
			if st := r.needStatus(c.ID, food); st != "identified" {
				t.Errorf("need after every referral ended unsuccessfully = %s, want identified", st)
			}
			// A completed referral with a follow-up of need met: met, and a
			// later unsuccessful referral does not undo it.
			done := r.refNeed(c.ID, food, svcPantry)
			for _, to := range []string{`{"to": "accepted"}`, `{"to": "completed", "outcome": "service_provided"}`} {
				if st, _, msg := r.move(done.ID, r.keyA, to); st != 200 {
					t.Fatalf("move %s: %d %s", to, st, msg)
				}
			}
			if res := r.send("POST", "/referrals/"+done.ID+"/followup", `{"need_met": "yes"}`, r.caseworker); res.status != 200 {
				t.Fatalf("followup: %d %s", res.status, res.body)
			}
			late := r.refNeed(c.ID, food, svcSNAP)
			if st, _, msg := r.move(late.ID, r.keyA, `{"to": "declined", "reason": "no_capacity"}`); st != 200 {
				t.Fatalf("decline: %d %s", st, msg)
			}
			if st := r.needStatus(c.ID, food); st != "met" {
				t.Errorf("met need after a later decline = %s, want met", st)
			}
		})
	}
}

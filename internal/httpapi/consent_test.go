package httpapi_test

import (
	"strings"
	"testing"

	"github.com/linkage-org/linkage/internal/store/storetest"
)

// Revoking consent withdraws from the receiving agency everything the
// client shared through a referral, the sender's notes included, and the
// receiver is told why; the sending side keeps its own record.
func TestReferrals_RevokedConsentHidesNotes(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d)
			c, ref := r.refer(svcSNAP, "") // note "Please call in Spanish"
			const senderNote, receiverNote = "Client prefers mornings", "Called, left a message"
			for _, n := range []struct{ key, text string }{{r.caseworker, senderNote}, {r.keyA, receiverNote}} {
				if res := r.send("POST", "/referrals/"+ref.ID+"/notes", `{"note": "`+n.text+`"}`, n.key); res.status != 201 {
					t.Fatalf("add note: %d %s", res.status, res.body)
				}
			}
			type view struct {
				Note    string    `json:"note"`
				Consent string    `json:"consent_status"`
				Client  *struct{} `json:"client"`
			}
			read := func(key string) (view, string) {
				t.Helper()
				res := r.send("GET", "/referrals/"+ref.ID, "", key)
				if res.status != 200 {
					t.Fatalf("GET referral: %d %s", res.status, res.body)
				}
				var v view
				res.json(t, &v)
				return v, string(res.body)
			}
			events := func(key string) string {
				t.Helper()
				res := r.send("GET", "/referrals/"+ref.ID+"/events", "", key)
				if res.status != 200 {
					t.Fatalf("GET events: %d %s", res.status, res.body)
				}
				return string(res.body)
			}

			// Under consent the receiver reads the note and the sender's notes.
			if v, body := read(r.keyA); v.Note != "Please call in Spanish" || v.Consent != "active" || v.Client == nil {
				t.Fatalf("receiver under consent: %s", body)
			}
			if ev := events(r.keyA); !strings.Contains(ev, "Please call in Spanish") || !strings.Contains(ev, senderNote) || !strings.Contains(ev, receiverNote) {
				t.Fatalf("receiver's events under consent: %s", ev)
			}

			// The client's own follow-up answer is the sender's alone, as
			// in the referral view, consent or not.
			for _, to := range []string{`{"to": "accepted"}`, `{"to": "completed", "outcome": "service_provided"}`} {
				if st, _, msg := r.move(ref.ID, r.keyA, to); st != 200 {
					t.Fatalf("move %s: %d %s", to, st, msg)
				}
			}
			const followUpNote = "Got groceries for two weeks"
			if res := r.send("POST", "/referrals/"+ref.ID+"/followup", `{"need_met": "yes", "note": "`+followUpNote+`"}`, r.caseworker); res.status != 200 {
				t.Fatalf("follow-up: %d %s", res.status, res.body)
			}
			if ev := events(r.keyA); strings.Contains(ev, followUpNote) || !strings.Contains(ev, `"note_withheld":true`) {
				t.Errorf("receiver's events show the client's follow-up note: %s", ev)
			}
			if ev := events(r.caseworker); !strings.Contains(ev, followUpNote) {
				t.Errorf("sender's events lack the client's follow-up note: %s", ev)
			}

			cur := r.send("GET", "/cases/"+c.ID, "", r.caseworker)
			res := r.send("PATCH", "/cases/"+c.ID, `{"consent": {"revoked_on": "2026-12-02"}}`, r.caseworker,
				"Content-Type", "application/merge-patch+json", "If-Match", cur.header.Get("ETag"))
			if res.status != 200 {
				t.Fatalf("revoke consent: %d %s", res.status, res.body)
			}

			// The receiver: no note, no client, no sender's notes; told why.
			v, body := read(r.keyA)
			if v.Consent != "revoked" || v.Note != "" || v.Client != nil || strings.Contains(body, "Spanish") {
				t.Errorf("receiver after revocation: %s", body)
			}
			ev := events(r.keyA)
			if strings.Contains(ev, "Spanish") || strings.Contains(ev, senderNote) || !strings.Contains(ev, `"note_withheld":true`) {
				t.Errorf("receiver's events after revocation still show the sender's notes: %s", ev)
			}
			if !strings.Contains(ev, receiverNote) {
				t.Errorf("receiver's events after revocation lost its own note: %s", ev)
			}
			// The sender keeps its record, and sees the consent is revoked.
			if v, body := read(r.caseworker); v.Note != "Please call in Spanish" || v.Consent != "revoked" {
				t.Errorf("sender after revocation: %s", body)
			}
			if ev := events(r.caseworker); !strings.Contains(ev, "Please call in Spanish") || !strings.Contains(ev, senderNote) || !strings.Contains(ev, receiverNote) ||
				strings.Contains(ev, "note_withheld") {
				t.Errorf("sender's events after revocation: %s", ev)
			}
		})
	}
}

// What the client agreed to is a record: a consent is withdrawn by
// revoking it, never erased or un-revoked, and never dated in the future;
// sharing again takes the client's new consent.
func TestCases_ConsentStaysOnRecord(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d)
			c, ref := r.refer(svcPantry, "")
			version := func() int {
				var cur caseOut
				r.send("GET", "/cases/"+c.ID, "", r.caseworker).json(t, &cur)
				return cur.Version
			}
			if st, _, msg := r.patchCase(c.ID, version(), `{"consent": {"given_on": "2026-12-09"}}`); st != 422 || !strings.Contains(msg, "/consent/given_on") {
				t.Errorf("a consent given tomorrow: %d %s", st, msg)
			}
			if st, _, msg := r.patchCase(c.ID, version(), `{"consent": null}`); st != 422 || !strings.Contains(msg, "revoked_on to withdraw") {
				t.Errorf("erasing the consent: %d %s", st, msg)
			}
			if st, _, msg := r.patchCase(c.ID, version(), `{"consent": {"revoked_on": "2026-12-02"}}`); st != 200 {
				t.Fatalf("revoke: %d %s", st, msg)
			}
			receiverSees := func() bool {
				var v struct {
					Client *struct {
						GivenName string `json:"given_name"`
					}
				}
				r.send("GET", "/referrals/"+ref.ID, "", r.keyA).json(t, &v)
				return v.Client != nil && v.Client.GivenName == "Maria"
			}
			if receiverSees() {
				t.Fatalf("the receiver sees the client after the revocation")
			}
			if st, _, msg := r.patchCase(c.ID, version(), `{"consent": {"revoked_on": null}}`); st != 422 || !strings.Contains(msg, "/consent/revoked_on") {
				t.Errorf("un-revoking: %d %s", st, msg)
			}
			if receiverSees() {
				t.Errorf("the refused change showed the client again")
			}
			// The client consents again today: a new consent.
			if st, _, msg := r.patchCase(c.ID, version(), `{"consent": {"given_on": "2026-12-02", "revoked_on": null}}`); st != 200 {
				t.Fatalf("a new consent: %d %s", st, msg)
			}
			if !receiverSees() {
				t.Errorf("the receiver does not see the client under the new consent")
			}
		})
	}
}

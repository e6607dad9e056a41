package httpapi_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/httpapi"
	"github.com/linkage-org/linkage/internal/indexsync"
	"github.com/linkage-org/linkage/internal/indexsync/indexsynctest"
	"github.com/linkage-org/linkage/internal/notify"
	"github.com/linkage-org/linkage/internal/seal"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// Demo services the referral tests refer to.
const (
	svcPantry   = "afe0674c-cce0-5490-9f2d-0a9f0d8104c1" // Mobile Food Pantry (food bank, two locations)
	svcSNAP     = "daab84cb-6e24-5dc0-992d-04099c16c817" // SNAP Application Help (food bank)
	svcDisaster = "6bf4af79-0c7b-5ade-bb01-b04c12b6f0a7" // Disaster Food Response (inactive)
	svcCrisis   = "e00845c1-a84c-5b0e-bcf8-b5d5b60af3ef" // 988 line (crisis center, agency B)
)

// testClock is a clock the tests move; nothing sleeps.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// refEnv is an access env whose store seals personal data and whose clock
// the test moves. Agency B's caseworker refers to agency A's services;
// agency C is a third agency with keys of both working roles.
type refEnv struct {
	*access
	clock                   *testClock
	keys                    *seal.Keyring
	cwA, agencyC, keyC, cwC string
}

func newReferrals(t *testing.T, dialect string, with ...func(*httpapi.Deps)) *refEnv {
	t.Helper()
	// Wednesday 2 December 2026, 15:00 UTC (10:00 in New York).
	clk := &testClock{t: time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC)}
	k, _ := seal.NewKey()
	keys, err := seal.Parse(k)
	if err != nil {
		t.Fatal(err)
	}
	st := demoStore(t, dialect, store.WithKeyring(keys), store.WithClock(clk.Now), store.WithDefaultTZ("America/New_York"))
	e := serveEnv(t, st, indexsynctest.Running(t, st, indexsync.Options{}), 1<<20, append([]func(*httpapi.Deps){func(d *httpapi.Deps) { d.Now = clk.Now }}, with...)...)
	r := &refEnv{access: newAccessOn(t, e), clock: clk, keys: keys}
	// The third agency and the keys come from the admin API, as an
	// operator would make them.
	var ag struct{ ID string }
	if res := r.send("POST", "/agencies", `{"name":"Third Agency"}`, r.admin); res.status != 201 {
		t.Fatalf("create agency: %d %s", res.status, res.body)
	} else {
		res.json(t, &ag)
	}
	r.agencyC = ag.ID
	for _, k := range []struct {
		agency string
		role   auth.Role
		out    *string
	}{{r.agencyA, auth.Caseworker, &r.cwA}, {r.agencyC, auth.Agency, &r.keyC}, {r.agencyC, auth.Caseworker, &r.cwC}} {
		res := r.send("POST", "/agencies/"+k.agency+"/keys", `{"role":"`+string(k.role)+`","name":"test key"}`, r.admin)
		var key struct{ Key string }
		res.json(t, &key)
		if res.status != 201 || key.Key == "" {
			t.Fatalf("create %s key: %d %s", k.role, res.status, res.body)
		}
		*k.out = key.Key
	}
	return r
}

const caseJSON = `{"client": {"given_name": "Maria", "family_name": "Lopez", "birth_date": "1988-04-12", "phone": "843-555-0142",
 "email": "maria@example.org", "preferred_language": "es", "postal_code": "29401", "household_size": 3},
 "needs": [{"domain": "food", "note": "Runs out of food by the 20th"}, {"domain": "housing"}],
 "consent": {"scope": ["name", "contact", "language", "needs"], "given_on": "2026-11-30", "expires_on": "2027-11-29"}}`

type caseOut struct {
	ID      string `json:"id"`
	Version int    `json:"version"`
	Client  struct {
		GivenName string `json:"given_name"`
		BirthDate string `json:"birth_date"`
	} `json:"client"`
	Needs []struct{ ID, Domain, Status, Note string } `json:"needs"`
}

type referralOut struct {
	ID           string   `json:"id"`
	CaseID       *string  `json:"case_id"`
	Status       string   `json:"status"`
	Side         string   `json:"side"`
	AllowedMoves []string `json:"allowed_moves"`
	Share        []string `json:"share"`
	Note         string   `json:"note"`
	LocationID   *string  `json:"location_id"`
	ReceiverID   string   `json:"receiver_agency_id"`
	Client       *struct {
		GivenName  string `json:"given_name"`
		FamilyName string `json:"family_name"`
		Phone      string `json:"phone"`
		BirthDate  string `json:"birth_date"`
		PostalCode string `json:"postal_code"`
	} `json:"client"`
	Followups []struct {
		Kind    string     `json:"kind"`
		DueAt   time.Time  `json:"due_at"`
		DoneAt  *time.Time `json:"done_at"`
		Overdue bool       `json:"overdue"`
	} `json:"followups"`
}

func (r *refEnv) newCase(key string) caseOut {
	r.t.Helper()
	res := r.send("POST", "/cases", caseJSON, key)
	if res.status != 201 {
		r.t.Fatalf("POST /cases: %d %s", res.status, res.body)
	}
	var c caseOut
	res.json(r.t, &c)
	return c
}

// refer makes a case with cwB and refers it to svc.
func (r *refEnv) refer(svc string, extra string) (caseOut, referralOut) {
	r.t.Helper()
	c := r.newCase(r.caseworker)
	body := fmt.Sprintf(`{"case_id": %q, "service_id": %q, "need": "food", "note": "Please call in Spanish"%s}`, c.ID, svc, extra)
	res := r.send("POST", "/referrals", body, r.caseworker)
	if res.status != 201 {
		r.t.Fatalf("POST /referrals: %d %s", res.status, res.body)
	}
	var out referralOut
	res.json(r.t, &out)
	return c, out
}

func (r *refEnv) move(id, key, body string) (int, referralOut, string) {
	r.t.Helper()
	res := r.send("POST", "/referrals/"+id+"/transitions", body, key)
	var out referralOut
	if res.status == 200 {
		res.json(r.t, &out)
	}
	return res.status, out, string(res.body)
}

func openTasks(r referralOut) []string {
	var out []string
	for _, f := range r.Followups {
		if f.DoneAt == nil {
			out = append(out, f.Kind)
		}
	}
	slices.Sort(out)
	return out
}

func TestReferrals_Lifecycle(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d)
			ctx := context.Background()

			// A case: its personal data is sealed at rest.
			c := r.newCase(r.caseworker)
			if c.Client.GivenName != "Maria" || len(c.Needs) != 2 || c.Needs[0].Note == "" || c.Needs[0].Status != "identified" {
				t.Fatalf("case = %+v", c)
			}
			raw := rawRow(t, r.store, "cases", c.ID)
			for _, secret := range []string{"Maria", "Lopez", "843-555", "maria@example.org", "1988-04-12"} {
				if strings.Contains(raw, secret) {
					t.Errorf("cases row holds %q in clear: %s", secret, raw)
				}
			}
			if note := rawRow(t, r.store, "case_needs", c.Needs[0].ID); strings.Contains(note, "20th") {
				t.Errorf("need note in clear: %s", note)
			}

			// Refer, with an Idempotency-Key: a retry answers the first
			// referral and creates nothing.
			body := fmt.Sprintf(`{"case_id": %q, "service_id": %q, "need": "food", "note": "Please call in Spanish", "share": ["name", "contact"]}`, c.ID, svcPantry)
			first := r.send("POST", "/referrals", body, r.caseworker, "Idempotency-Key", "ref-1")
			if first.status != 201 {
				t.Fatalf("POST /referrals: %d %s", first.status, first.body)
			}
			var ref referralOut
			first.json(t, &ref)
			again := r.send("POST", "/referrals", body, r.caseworker, "Idempotency-Key", "ref-1")
			var ref2 referralOut
			again.json(t, &ref2)
			if again.status != 201 || ref2.ID != ref.ID || again.header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("retry: %d %s (first %s)", again.status, ref2.ID, ref.ID)
			}
			if n := countRows(t, r.store, "referrals"); n != 1 {
				t.Errorf("%d referrals after a retry, want 1", n)
			}
			other := strings.Replace(body, "Please call", "Please email", 1)
			if res := r.send("POST", "/referrals", other, r.caseworker, "Idempotency-Key", "ref-1"); res.status != 422 {
				t.Errorf("same key, other body: %d %s", res.status, res.body)
			}
			// Another agency's key with the same Idempotency-Key is its own.
			if res := r.send("POST", "/cases", caseJSON, r.cwC, "Idempotency-Key", "ref-1"); res.status != 201 {
				t.Errorf("agency C reusing agency B's key: %d %s", res.status, res.body)
			}
			if ref.Status != "sent" || ref.ReceiverID != r.agencyA || ref.Side != "sender" || !slices.Equal(ref.AllowedMoves, []string{"cancelled"}) {
				t.Errorf("created referral = %+v", ref)
			}
			if !slices.Equal(openTasks(ref), []string{"checkin", "response"}) {
				t.Errorf("tasks after sent = %v", openTasks(ref))
			}
			// Response due 2 business days later: Wednesday → Friday.
			if due := ref.Followups[0].DueAt; !due.Equal(time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC)) {
				t.Errorf("response due %s, want Friday 4 December 15:00 UTC", due)
			}

			// The receiver sees what the consent shares, nothing more.
			res := r.send("GET", "/referrals/"+ref.ID, "", r.keyA)
			var seen referralOut
			res.json(t, &seen)
			if res.status != 200 || seen.Client == nil || seen.Client.GivenName != "Maria" || seen.Client.Phone == "" ||
				seen.Client.BirthDate != "" || seen.Client.PostalCode != "" || seen.CaseID != nil || seen.Side != "receiver" {
				t.Errorf("receiver's view: %d %s", res.status, res.body)
			}
			if seen.Note != "Please call in Spanish" {
				t.Errorf("receiver does not see the note: %q", seen.Note)
			}
			// Its worklist shows the response task; three days on it is overdue.
			list := func(key, query string) []map[string]any {
				res := r.send("GET", "/followups"+query, "", key)
				if res.status != 200 {
					t.Fatalf("GET /followups%s: %d %s", query, res.status, res.body)
				}
				var page struct{ Contents []map[string]any }
				res.json(t, &page)
				return page.Contents
			}
			if got := list(r.keyA, "?assignee=agency"); len(got) != 1 || got[0]["kind"] != "response" || got[0]["overdue"] != false {
				t.Errorf("receiver worklist = %v", got)
			}
			if got := list(r.keyA, "?overdue=true"); len(got) != 0 {
				t.Errorf("overdue before the due date: %v", got)
			}
			r.clock.Add(3 * 24 * time.Hour) // Saturday
			if got := list(r.keyA, "?overdue=true"); len(got) != 1 || got[0]["overdue"] != true {
				t.Errorf("overdue worklist on Saturday = %v", got)
			}
			// The caseworker's check-in fell due with the receiver's answer.
			if got := list(r.caseworker, "?overdue=true"); len(got) != 1 || got[0]["kind"] != "checkin" || got[0]["title"] != "Make sure Mobile Food Pantry answers the referral" {
				t.Errorf("the caseworker's overdue check-in: %v", got)
			}

			// The sender cannot answer for the receiver: 409 naming its moves.
			if st, _, msg := r.move(ref.ID, r.caseworker, `{"to": "accepted"}`); st != 409 || !strings.Contains(msg, "cancelled") {
				t.Errorf("sender accepting: %d %s", st, msg)
			}
			// The sending agency's agency key reads but does not move.
			if st, _, msg := r.move(ref.ID, r.keyB, `{"to": "cancelled"}`); st != 403 {
				t.Errorf("sender's agency key cancelling: %d %s", st, msg)
			}
			// Accept with an appointment: the response task closes, the
			// check-in is due a day after the appointment, the outcome in 30 days.
			appt := r.clock.Now().Add(48 * time.Hour).UTC()
			st, acc, msg := r.move(ref.ID, r.keyA, fmt.Sprintf(`{"to": "accepted", "appointment_at": %q, "note": "Tuesday 10am"}`, appt.Format(time.RFC3339)))
			if st != 200 || acc.Status != "accepted" || !slices.Equal(openTasks(acc), []string{"checkin", "outcome"}) {
				t.Fatalf("accept: %d %s", st, msg)
			}
			for _, f := range acc.Followups {
				switch {
				case f.Kind == "checkin" && f.DoneAt == nil && !f.DueAt.Equal(appt.Add(24*time.Hour)):
					t.Errorf("check-in due %s, want a day after the appointment %s", f.DueAt, appt)
				case f.Kind == "outcome" && !f.DueAt.Equal(r.clock.Now().Add(30*24*time.Hour).Truncate(time.Microsecond)):
					t.Errorf("outcome due %s", f.DueAt)
				}
			}
			if got := list(r.caseworker, "?assignee=me"); len(got) != 1 || got[0]["kind"] != "checkin" {
				t.Errorf("caseworker worklist = %v", got)
			}
			// A note from the caseworker is the check-in.
			if res := r.send("POST", "/referrals/"+ref.ID+"/notes", `{"note": "Client confirmed the time"}`, r.caseworker); res.status != 201 {
				t.Errorf("note: %d %s", res.status, res.body)
			}
			if got := list(r.caseworker, "?assignee=me"); len(got) != 0 {
				t.Errorf("check-in still open after the caseworker's note: %v", got)
			}
			// Bad moves.
			for _, tt := range []struct {
				body string
				want int
			}{
				{`{"to": "completed"}`, 422},                                  // no outcome
				{`{"to": "declined", "reason": "no_capacity"}`, 409},          // accepted cannot be declined
				{`{"to": "flying"}`, 422},                                     // unknown status
				{`{"to": "in_progress", "outcome": "service_provided"}`, 422}, // outcome only on completed
				{`{"to": "in_progress", "surprise": 1}`, 400},                 // unknown field
			} {
				if st, _, msg := r.move(ref.ID, r.keyA, tt.body); st != tt.want {
					t.Errorf("move %s: %d %s, want %d", tt.body, st, msg, tt.want)
				}
			}
			if st, _, msg := r.move(ref.ID, r.cwA, `{"to": "in_progress"}`); st != 200 {
				t.Fatalf("in_progress by the receiver's caseworker: %d %s", st, msg)
			}
			st, done, msg := r.move(ref.ID, r.keyA, `{"to": "completed", "outcome": "service_provided"}`)
			if st != 200 || !slices.Equal(openTasks(done), []string{"client_followup"}) || len(done.AllowedMoves) != 0 {
				t.Fatalf("complete: %d %s", st, msg)
			}
			// Terminal states are final.
			if st, _, msg := r.move(ref.ID, r.caseworker, `{"to": "cancelled"}`); st != 409 || !strings.Contains(msg, "final") {
				t.Errorf("cancel after completion: %d %s", st, msg)
			}
			// Closing the loop: the client's answer updates the case need.
			if res := r.send("POST", "/referrals/"+ref.ID+"/followup", `{"need_met": "yes", "note": "Got groceries twice"}`, r.keyA); res.status != 403 {
				t.Errorf("receiver recording the client follow-up: %d", res.status)
			}
			if res := r.send("POST", "/referrals/"+ref.ID+"/followup", `{"need_met": "yes", "note": "Got groceries twice"}`, r.caseworker); res.status != 200 {
				t.Fatalf("follow-up: %d %s", res.status, res.body)
			}
			if res := r.send("POST", "/referrals/"+ref.ID+"/followup", `{"need_met": "no"}`, r.caseworker); res.status != 409 {
				t.Errorf("second follow-up: %d", res.status)
			}
			var after caseOut
			r.send("GET", "/cases/"+c.ID, "", r.caseworker).json(t, &after)
			if after.Needs[0].Domain != "food" || after.Needs[0].Status != "met" || after.Needs[1].Status != "identified" {
				t.Errorf("case needs after the follow-up = %+v", after.Needs)
			}

			// The history: every change, who made it, in order.
			res = r.send("GET", "/referrals/"+ref.ID+"/events", "", r.keyA)
			var events struct {
				Contents []struct {
					Kind, From, To, Side, Note string
					AgencyID                   *string `json:"agency_id"`
				}
			}
			res.json(t, &events)
			var trail []string
			for _, e := range events.Contents {
				trail = append(trail, e.Kind+":"+e.From+">"+e.To+"/"+e.Side)
			}
			want := []string{"created:>sent/sender", "status:sent>accepted/receiver", "note:accepted>accepted/sender",
				"status:accepted>in_progress/receiver", "status:in_progress>completed/receiver", "followup:completed>completed/sender"}
			if !slices.Equal(trail, want) {
				t.Errorf("events = %v\nwant %v", trail, want)
			}
			if len(events.Contents) > 1 && (events.Contents[1].Note != "Tuesday 10am" || events.Contents[1].AgencyID == nil || *events.Contents[1].AgencyID != r.agencyA) {
				t.Errorf("accept event = %+v", events.Contents[1])
			}
			if raw := rawRows(t, r.store, "referral_events", "referral_id", ref.ID); strings.Contains(raw, "Tuesday") {
				t.Errorf("event notes in clear: %s", raw)
			}

			// Outcome report, JSON and CSV, for the receiver.
			res = r.send("GET", "/reports/referrals?group_by=service", "", r.keyA)
			var rep struct {
				Groups []struct {
					Key                       string
					Sent, Accepted, Completed int
					AcceptanceRate            *float64 `json:"acceptance_rate"`
					NeedMetRate               *float64 `json:"need_met_rate"`
					MedianResponse            *float64 `json:"median_hours_to_first_response"`
				}
			}
			res.json(t, &rep)
			if res.status != 200 || len(rep.Groups) != 1 || rep.Groups[0].Key != svcPantry || rep.Groups[0].Sent != 1 || rep.Groups[0].Completed != 1 ||
				rep.Groups[0].AcceptanceRate == nil || *rep.Groups[0].AcceptanceRate != 1 || rep.Groups[0].NeedMetRate == nil || *rep.Groups[0].NeedMetRate != 1 ||
				rep.Groups[0].MedianResponse == nil || *rep.Groups[0].MedianResponse != 72 {
				t.Errorf("report: %d %s", res.status, res.body)
			}
			res = r.send("GET", "/reports/referrals?group_by=need&format=csv", "", r.caseworker)
			recs, err := csv.NewReader(strings.NewReader(string(res.body))).ReadAll()
			if err != nil || len(recs) != 2 || recs[1][0] != "food" || recs[1][2] != "1" {
				t.Errorf("CSV report: %v %q", err, res.body)
			}
			res = r.send("GET", "/reports/referrals", "", r.keyC)
			rep.Groups = nil
			res.json(t, &rep)
			if len(rep.Groups) != 0 {
				t.Errorf("a third agency sees figures of others: %s", res.body)
			}

			// Every read of personal data is in the audit log, without the data.
			entries, _, err := r.store.AuditLog(ctx, store.AuditFilter{ResourceType: "case", ResourceID: c.ID}, store.Paging{Number: 1, Size: 100})
			if err != nil {
				t.Fatal(err)
			}
			reads := 0
			for _, e := range entries {
				if e.Action == "read" {
					reads++
				}
				if strings.Contains(e.Detail, "Maria") {
					t.Errorf("audit entry holds personal data: %+v", e)
				}
			}
			if reads == 0 {
				t.Errorf("no audited read of case %s: %+v", c.ID, entries)
			}
			entries, _, _ = r.store.AuditLog(ctx, store.AuditFilter{ResourceType: "referral", ResourceID: ref.ID}, store.Paging{Number: 1, Size: 100})
			readers := map[string]bool{}
			for _, e := range entries {
				if e.Action == "read" && e.AgencyID != nil {
					readers[*e.AgencyID] = true
				}
			}
			if !readers[r.agencyA] || !readers[r.agencyB] {
				t.Errorf("referral reads audited for agencies %v, want A and B", readers)
			}
		})
	}
}

func rawRow(t *testing.T, st *store.Store, table, id string) string {
	t.Helper()
	return rawRows(t, st, table, "id", id)
}

// rawRows is every column of the rows of table where col = v, as text: what
// someone with the database file would see.
func rawRows(t *testing.T, st *store.Store, table, col, v string) string {
	t.Helper()
	rows, err := st.DB().Query("SELECT * FROM "+table+" WHERE "+col+" = $1", v)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	n := 0
	for rows.Next() {
		n++
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			fmt.Fprintf(&b, "%s|", v)
		}
		b.WriteString("\n")
	}
	if n == 0 {
		t.Fatalf("no %s row with %s = %s", table, col, v)
	}
	return b.String()
}

func countRows(t *testing.T, st *store.Store, table string) int {
	t.Helper()
	var n int
	if err := st.DB().QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestReferrals_Notifications: an agency subscribes through the API; the
// referral lifecycle, an overdue follow-up and a stale listing each reach
// its endpoint as signed events, through the outbox and the worker.
func TestReferrals_Notifications(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d, func(d *httpapi.Deps) { d.WebhookAllowPrivate = true })
			ctx := context.Background()
			type got struct{ typ, referral, status string }
			var mu sync.Mutex
			var events []got
			var secret string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				body, _ := io.ReadAll(req.Body)
				sig := req.Header.Get(notify.SignatureHeader)
				ts, _ := strconv.ParseInt(strings.TrimPrefix(strings.Split(sig, ",")[0], "t="), 10, 64)
				mu.Lock()
				defer mu.Unlock()
				if notify.Sign(secret, time.Unix(ts, 0), body) != sig {
					t.Errorf("bad signature %q", sig)
				}
				var env struct {
					Type string
					Data map[string]any
				}
				_ = json.Unmarshal(body, &env)
				if strings.Contains(string(body), "Maria") {
					t.Errorf("a webhook carries personal data: %s", body)
				}
				ref, _ := env.Data["referral_id"].(string)
				if ref == "" {
					ref, _ = env.Data["service_id"].(string)
				}
				st, _ := env.Data["status"].(string)
				if k, ok := env.Data["kind"].(string); ok {
					st = k
				}
				events = append(events, got{env.Type, ref, st})
			}))
			defer srv.Close()
			res := r.send("POST", "/webhooks", fmt.Sprintf(`{"url": %q, "events": ["referral.created", "referral.status_changed", "referral.note_added", "followup.overdue", "listing.stale"]}`, srv.URL), r.keyA)
			var hook struct{ ID, Secret string }
			res.json(t, &hook)
			if res.status != 201 || !strings.HasPrefix(hook.Secret, "whsec_") {
				t.Fatalf("create webhook: %d %s", res.status, res.body)
			}
			secret = hook.Secret

			w := notify.New(r.store, storetest.Logger(), r.clock.Now, notify.Config{RetryBase: time.Minute, AllowPrivate: true, StaleAfter: 180 * 24 * time.Hour, KeepLog: 365 * 24 * time.Hour})
			run := func() {
				t.Helper()
				if _, err := w.RunOnce(ctx); err != nil {
					t.Fatal(err)
				}
			}
			_, ref := r.refer(svcPantry, "")
			if st, _, msg := r.move(ref.ID, r.keyA, `{"to": "received"}`); st != 200 {
				t.Fatal(st, msg)
			}
			r.send("POST", "/referrals/"+ref.ID+"/notes", `{"note": "We will call Maria tomorrow"}`, r.caseworker)
			run()
			r.clock.Add(5 * 24 * time.Hour) // the referral was received, not answered: no response task is open
			if st, _, msg := r.move(ref.ID, r.keyA, `{"to": "accepted"}`); st != 200 {
				t.Fatal(st, msg)
			}
			r.clock.Add(31 * 24 * time.Hour) // the outcome is now overdue
			run()
			run() // a second round sends nothing twice
			mu.Lock()
			var trail []string
			for _, e := range events {
				if e.typ != "listing.stale" {
					trail = append(trail, e.typ+":"+e.status)
				}
			}
			stale := 0
			for _, e := range events {
				if e.typ == "listing.stale" {
					stale++
				}
			}
			mu.Unlock()
			want := []string{"referral.created:sent", "referral.status_changed:received", "referral.note_added:received",
				"referral.status_changed:accepted", "followup.overdue:outcome"}
			if !slices.Equal(trail, want) {
				t.Errorf("events = %v\nwant %v", trail, want)
			}
			var ds struct {
				Contents []struct {
					State     string
					Attempts  int
					EventType string `json:"event_type"`
				}
			}
			r.send("GET", "/webhooks/"+hook.ID+"/deliveries", "", r.keyA).json(t, &ds)
			referralEvents := 0
			for _, d := range ds.Contents {
				if d.EventType != "listing.stale" {
					referralEvents++
				}
			}
			if referralEvents != len(want) {
				t.Errorf("delivery log has %d referral entries, want %d", referralEvents, len(want))
			}
			for _, d := range ds.Contents {
				if d.State != "delivered" || d.Attempts != 1 {
					t.Errorf("delivery %+v", d)
				}
			}
			// 186 days on, every listing of agency A is stale (the test
			// loaded them at its start, and nothing confirmed them): each is
			// announced once, however many rounds run.
			r.clock.Add(150 * 24 * time.Hour)
			run()
			run()
			mu.Lock()
			stale = 0
			perService := map[string]int{}
			for _, e := range events {
				if e.typ == "listing.stale" {
					stale++
					perService[e.referral]++
				}
			}
			mu.Unlock()
			for svc, n := range perService {
				if n != 1 {
					t.Errorf("listing.stale for %s sent %d times", svc, n)
				}
			}
			if _, ok := perService[svcPantry]; !ok {
				t.Errorf("no listing.stale for agency A's %s: %v", svcPantry, perService)
			}
			if _, ok := perService[svcCrisis]; ok {
				t.Errorf("agency A was told of agency B's listing")
			}
			if stale == 0 {
				t.Errorf("no listing.stale event after 180 days")
			}
		})
	}
}

// TestReferrals_Edges: drafts, consent, case edits, and every kind of bad
// input, each answered with the right status and nothing written.
func TestReferrals_Edges(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d)

			// A draft is the sender's alone until it is sent.
			_, draft := r.refer(svcPantry, `, "draft": true`)
			if draft.Status != "draft" || len(draft.Followups) != 0 || !slices.Equal(draft.AllowedMoves, []string{"sent", "cancelled"}) {
				t.Errorf("draft = %+v", draft)
			}
			if res := r.send("GET", "/referrals/"+draft.ID, "", r.keyA); res.status != 404 {
				t.Errorf("receiver reading a draft: %d", res.status)
			}
			if res := r.send("GET", "/referrals?direction=received", "", r.keyA); strings.Contains(string(res.body), draft.ID) {
				t.Errorf("a draft is in the receiver's list")
			}
			if st, _, _ := r.move(draft.ID, r.keyA, `{"to": "accepted"}`); st != 404 {
				t.Errorf("receiver moving a draft: %d", st)
			}
			st, sent, msg := r.move(draft.ID, r.caseworker, `{"to": "sent"}`)
			if st != 200 || sent.Status != "sent" || !slices.Equal(openTasks(sent), []string{"checkin", "response"}) {
				t.Fatalf("sending a draft: %d %s", st, msg)
			}
			if res := r.send("GET", "/referrals/"+draft.ID, "", r.keyA); res.status != 200 {
				t.Errorf("receiver reading a sent referral: %d", res.status)
			}

			// Revoking consent hides the client from the receiver at once.
			c, ref := r.refer(svcSNAP, "")
			var seen referralOut
			r.send("GET", "/referrals/"+ref.ID, "", r.keyA).json(t, &seen)
			if seen.Client == nil {
				t.Fatalf("receiver sees no client under consent")
			}
			patch := func(body string, hdr ...string) response {
				return r.send("PATCH", "/cases/"+c.ID, body, r.caseworker, append([]string{"Content-Type", "application/merge-patch+json"}, hdr...)...)
			}
			if res := patch(`{"status": "closed"}`); res.status != 428 {
				t.Errorf("PATCH without If-Match: %d", res.status)
			}
			if res := patch(`{"status": "closed"}`, "If-Match", `"case-v1"`); res.status != 412 {
				t.Errorf("PATCH with a stale ETag: %d %s", res.status, res.body)
			}
			cur := r.send("GET", "/cases/"+c.ID, "", r.caseworker)
			etag := cur.header.Get("ETag")
			res := patch(`{"consent": {"revoked_on": "2026-12-02"}}`, "If-Match", etag)
			if res.status != 200 {
				t.Fatalf("revoke consent: %d %s", res.status, res.body)
			}
			seen = referralOut{}
			r.send("GET", "/referrals/"+ref.ID, "", r.keyA).json(t, &seen)
			if seen.Client != nil {
				t.Errorf("receiver still sees the client after consent was revoked: %+v", seen.Client)
			}
			// With no consent in force, a referral can share nothing.
			body := fmt.Sprintf(`{"case_id": %q, "service_id": %q, "need": "food", "share": ["name"]}`, c.ID, svcSNAP)
			if res := r.send("POST", "/referrals", body, r.caseworker); res.status != 422 || !strings.Contains(string(res.body), "/share") {
				t.Errorf("sharing without consent: %d %s", res.status, res.body)
			}
			if res := r.send("POST", "/referrals", strings.Replace(body, `"share": ["name"]`, `"share": [], "contact_mode": "client_will_contact"`, 1), r.caseworker); res.status != 201 {
				t.Errorf("sharing nothing without consent: %d %s", res.status, res.body)
			}

			// Needs keep their ids through an edit; an unknown id is refused.
			var cs caseOut
			cur = r.send("GET", "/cases/"+c.ID, "", r.caseworker)
			cur.json(t, &cs)
			res = patch(fmt.Sprintf(`{"needs": [{"id": %q, "domain": "food", "status": "met"}, {"domain": "legal"}]}`, cs.Needs[0].ID), "If-Match", cur.header.Get("ETag"))
			var edited caseOut
			res.json(t, &edited)
			if res.status != 200 || len(edited.Needs) != 2 || edited.Needs[0].ID != cs.Needs[0].ID || edited.Needs[1].Domain != "legal" || edited.Version != cs.Version+1 {
				t.Errorf("edit needs: %d %s", res.status, res.body)
			}
			res = patch(`{"needs": [{"id": "00000000-0000-4000-8000-000000000000", "domain": "food"}]}`, "If-Match", res.header.Get("ETag"))
			if res.status != 422 || !strings.Contains(string(res.body), "/needs/0/id") {
				t.Errorf("unknown need id: %d %s", res.status, res.body)
			}

			// Bad input: the right status, a pointer to the field, nothing written.
			before := countRows(t, r.store, "referrals")
			beforeCases := countRows(t, r.store, "cases")
			c2 := r.newCase(r.caseworker)
			beforeCases++
			for _, tt := range []struct {
				name, path, body string
				hdr              []string
				want             int
				pointer          string
			}{
				{"case without a client", "/cases", `{"needs": []}`, nil, 422, "/client"},
				{"case with a bad email and need", "/cases", `{"client": {"given_name": "A", "family_name": "B", "email": "nope"}, "needs": [{"domain": "pets"}]}`, nil, 422, "/needs/0/domain"},
				{"case with an unknown field", "/cases", `{"client": {"given_name": "A", "family_name": "B", "ssn": "1"}}`, nil, 400, ""},
				{"case with a bad consent", "/cases", `{"client": {"given_name": "A", "family_name": "B"}, "consent": {"scope": ["everything"], "given_on": "2026-02-30"}}`, nil, 422, "/consent/given_on"},
				{"not JSON", "/cases", `{"client": `, nil, 400, ""},
				{"bad Idempotency-Key", "/cases", caseJSON, []string{"Idempotency-Key", "has spaces in it"}, 400, ""},
				{"referral to an inactive service", "/referrals", fmt.Sprintf(`{"case_id": %q, "service_id": %q, "need": "food"}`, c2.ID, svcDisaster), nil, 422, "/service_id"},
				{"referral to a service no agency answers", "/referrals", fmt.Sprintf(`{"case_id": %q, "service_id": "2dadddc1-182c-5ea9-a51b-028584ac99c0", "need": "food"}`, c2.ID), nil, 422, "/service_id"},
				{"referral to another service's location", "/referrals", fmt.Sprintf(`{"case_id": %q, "service_id": %q, "location_id": "9fde555e-38cd-5290-9393-d25bf6fde852", "need": "food"}`, c2.ID, svcSNAP), nil, 422, "/location_id"},
				{"referral for a need the case lacks", "/referrals", fmt.Sprintf(`{"case_id": %q, "service_id": %q, "need": "legal"}`, c2.ID, svcSNAP), nil, 422, "/need"},
				{"referral with a bad priority and ids", "/referrals", `{"case_id": "x", "service_id": "y", "need": "food", "priority": "asap"}`, nil, 422, "/priority"},
				{"referral sharing beyond consent", "/referrals", fmt.Sprintf(`{"case_id": %q, "service_id": %q, "need": "food", "share": ["birth_date"]}`, c2.ID, svcSNAP), nil, 422, "/share/0"},
				{"referral with a note too long", "/referrals", fmt.Sprintf(`{"case_id": %q, "service_id": %q, "need": "food", "note": %q}`, c2.ID, svcSNAP, strings.Repeat("x", 4001)), nil, 422, "/note"},
				{"referral from a missing case", "/referrals", fmt.Sprintf(`{"case_id": "00000000-0000-4000-8000-000000000000", "service_id": %q, "need": "food"}`, svcSNAP), nil, 422, "/case_id"},
			} {
				res := r.send("POST", tt.path, tt.body, r.caseworker, tt.hdr...)
				if res.status != tt.want || !strings.HasPrefix(res.header.Get("Content-Type"), "application/problem+json") ||
					(tt.pointer != "" && !strings.Contains(string(res.body), `"pointer":"`+tt.pointer+`"`)) {
					t.Errorf("%s: %d %s; want %d naming %s", tt.name, res.status, res.body, tt.want, tt.pointer)
				}
			}
			if n := countRows(t, r.store, "referrals"); n != before {
				t.Errorf("bad referrals wrote rows: %d → %d", before, n)
			}
			if n := countRows(t, r.store, "cases"); n != beforeCases {
				t.Errorf("bad cases wrote rows: %d → %d", beforeCases, n)
			}
			for _, q := range []string{"?status=lost", "?direction=sideways", "?from=yesterday", "?case_id=12", "?format=ndjson", "?search=maria", "?nonsense=1"} {
				if res := r.send("GET", "/referrals"+q, "", r.caseworker); res.status != 400 {
					t.Errorf("GET /referrals%s: %d", q, res.status)
				}
			}
			for _, q := range []string{"?assignee=boss", "?overdue=maybe", "?overdue=true&done=true", "?due_before=soon"} {
				if res := r.send("GET", "/followups"+q, "", r.caseworker); res.status != 400 {
					t.Errorf("GET /followups%s: %d", q, res.status)
				}
			}
			for _, q := range []string{"?group_by=color", "?format=xml", "?from=2026-12-01&to=2026-11-01"} {
				if res := r.send("GET", "/reports/referrals"+q, "", r.keyA); res.status != 400 {
					t.Errorf("GET /reports/referrals%s: %d", q, res.status)
				}
			}
			// due_before narrows a worklist; done=true lists finished tasks.
			var page struct{ Contents []map[string]any }
			r.send("GET", "/followups?assignee=agency&due_before=2026-12-03", "", r.keyA).json(t, &page)
			if len(page.Contents) != 0 {
				t.Errorf("tasks due before 3 December: %v", page.Contents)
			}
			page.Contents = nil
			r.send("GET", "/followups?assignee=agency&due_before=2026-12-10", "", r.keyA).json(t, &page)
			if len(page.Contents) < 2 {
				t.Errorf("tasks due before 10 December: %d", len(page.Contents))
			}
		})
	}
}

// TestReferrals_NoDataKey: without LINKAGE_DATA_KEY the directory serves,
// and cases say plainly why they cannot.
func TestReferrals_NoDataKey(t *testing.T) {
	a := newAccess(t, storetest.Dialects[0])
	res := a.send("POST", "/cases", caseJSON, a.caseworker)
	if res.status != 503 || !strings.Contains(string(res.body), "LINKAGE_DATA_KEY") {
		t.Errorf("POST /cases without a data key: %d %s", res.status, res.body)
	}
	if res := a.send("GET", "/services?per_page=1", "", ""); res.status != 200 {
		t.Errorf("the directory without a data key: %d", res.status)
	}
}

// TestReferrals_Concurrent: two retries of one creation racing each other
// make one referral; two answers racing on one referral make one move, and
// the loser is told what the referral now allows.
func TestReferrals_Concurrent(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d)
			c := r.newCase(r.caseworker)
			body := fmt.Sprintf(`{"case_id": %q, "service_id": %q, "need": "food"}`, c.ID, svcSNAP)
			var wg sync.WaitGroup
			results := make([]response, 6)
			for i := range results {
				wg.Add(1)
				go func() {
					defer wg.Done()
					results[i] = r.send("POST", "/referrals", body, r.caseworker, "Idempotency-Key", "race-1")
				}()
			}
			wg.Wait()
			ids := map[string]bool{}
			for _, res := range results {
				var out referralOut
				if res.status != 201 {
					t.Errorf("racing retry: %d %s", res.status, res.body)
					continue
				}
				res.json(t, &out)
				ids[out.ID] = true
			}
			if len(ids) != 1 || countRows(t, r.store, "referrals") != 1 {
				t.Fatalf("racing retries made %d referrals (%d rows)", len(ids), countRows(t, r.store, "referrals"))
			}
			var id string
			for k := range ids {
				id = k
			}
			statuses := make([]int, 2)
			moves := []string{`{"to": "accepted"}`, `{"to": "declined", "reason": "no_capacity"}`}
			for i := range moves {
				wg.Add(1)
				go func() {
					defer wg.Done()
					statuses[i], _, _ = r.move(id, []string{r.keyA, r.cwA}[i], moves[i])
				}()
			}
			wg.Wait()
			slices.Sort(statuses)
			if !slices.Equal(statuses, []int{200, 409}) {
				t.Errorf("racing answers: %v, want one 200 and one 409", statuses)
			}
			var events struct{ Contents []struct{ Kind string } }
			r.send("GET", "/referrals/"+id+"/events", "", r.keyA).json(t, &events)
			if len(events.Contents) != 2 {
				t.Errorf("%d events after one creation and one move", len(events.Contents))
			}
		})
	}
}

// TestReferrals_AgencyZone: an agency's own time zone decides its
// business days (set by an admin; a bad zone is a 422). An agency that
// names none shows, and works in, the default zone, and follows it.
func TestReferrals_AgencyZone(t *testing.T) {
	for _, dialect := range storetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			r := newReferrals(t, dialect)
			const dflt = `"tz":"America/New_York"`
			if res := r.send("GET", "/agencies/"+r.agencyA, "", r.admin); res.status != 200 || !strings.Contains(string(res.body), dflt) {
				t.Errorf("an agency without a zone: %d %s", res.status, res.body)
			}
			if res := r.send("POST", "/agencies", `{"name": "New Agency"}`, r.admin); res.status != 201 || !strings.Contains(string(res.body), dflt) {
				t.Errorf("a new agency without a zone: %d %s", res.status, res.body)
			}
			if res := r.send("PATCH", "/agencies/"+r.agencyA, `{"tz": "Mars/Olympus"}`, r.admin); res.status != 422 {
				t.Errorf("a bad zone: %d %s", res.status, res.body)
			}
			// Friday 20:00 in Honolulu is Saturday 06:00 UTC (01:00 in New York).
			// Two business days on is Tuesday 20:00 in Honolulu (Wednesday 06:00
			// UTC); counted in New York, the default zone, it would have been
			// Tuesday 01:00 there (Tuesday 06:00 UTC).
			if res := r.send("PATCH", "/agencies/"+r.agencyA, `{"tz": "Pacific/Honolulu"}`, r.admin); res.status != 200 || !strings.Contains(string(res.body), `"tz":"Pacific/Honolulu"`) {
				t.Fatalf("set zone: %d %s", res.status, res.body)
			}
			r.clock.t = time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)
			_, ref := r.refer(svcSNAP, "")
			if due := ref.Followups[0].DueAt; !due.Equal(time.Date(2026, 12, 9, 6, 0, 0, 0, time.UTC)) {
				t.Errorf("response due %s, want Tuesday 20:00 in Honolulu (Wednesday 06:00 UTC)", due)
			}
			var list struct{ Contents []struct{ ID, TZ string } }
			r.send("GET", "/agencies", "", r.admin).json(t, &list)
			for _, a := range list.Contents {
				if want := map[bool]string{true: "Pacific/Honolulu", false: "America/New_York"}[a.ID == r.agencyA]; a.TZ != want {
					t.Errorf("GET /agencies: agency %s tz %q, want %q", a.ID, a.TZ, want)
				}
			}
			if res := r.send("PATCH", "/agencies/"+r.agencyA, `{"tz": ""}`, r.admin); res.status != 200 || !strings.Contains(string(res.body), dflt) {
				t.Errorf("back to the default zone: %d %s", res.status, res.body)
			}
		})
	}
}

package httpapi_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/httpapi"
	"github.com/linkage-org/linkage/internal/notify"
	"github.com/linkage-org/linkage/internal/referral"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

type caseloadOut struct {
	ID         string         `json:"id"`
	ClientName string         `json:"client_name"`
	OpenNeeds  int            `json:"open_needs"`
	ByDomain   map[string]int `json:"open_needs_by_domain"`
	NextDue    *struct {
		ID    string    `json:"id"`
		Title string    `json:"title"`
		DueAt time.Time `json:"due_at"`
		Kind  string    `json:"kind"`
	} `json:"next_due"`
	Overdue int `json:"overdue"`
}

func (r *refEnv) caseload(path, key string, want int) []caseloadOut {
	r.t.Helper()
	res := r.send("GET", path, "", key)
	if res.status != want {
		r.t.Fatalf("GET %s: %d %s", path, res.status, res.body)
	}
	var p struct{ Contents []caseloadOut }
	if want == 200 {
		res.json(r.t, &p)
	}
	return p.Contents
}

// TestCaseload: a caseworker's open cases, overdue first, then by the next
// task due, with open needs; an agency key and a supervisor's view by key
// id; another agency's caseworker is not found.
func TestCaseload(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d)
			ctx := context.Background()
			quiet := r.newCase(r.caseworker)
			soon := r.newCase(r.caseworker)
			referred, ref := r.refer(svcPantry, "")
			closed := r.newCase(r.caseworker)
			if res := r.send("PATCH", "/cases/"+closed.ID, `{"status": "closed"}`, r.caseworker, "If-Match", `"case-v1"`); res.status != 200 {
				t.Fatalf("close case: %d %s", res.status, res.body)
			}
			at := func(d time.Duration) string { return r.clock.Now().Add(d).UTC().Format(time.RFC3339) }
			task := func(caseID, title, due string) string {
				tk, res := r.newTask(r.caseworker, fmt.Sprintf(`{"title": %q, "due_at": %q, "case_id": %q}`, title, due, caseID))
				if res.status != 201 {
					t.Fatalf("POST /tasks: %d %s", res.status, res.body)
				}
				return tk.ID
			}
			overdue := task(soon.ID, "Call about the deposit", at(time.Hour))
			task(soon.ID, "Bring the lease", at(50*time.Hour))
			later := task(referred.ID, "Ask about the pantry hours", at(72*time.Hour))
			if st, _, msg := r.move(ref.ID, r.keyA, `{"to": "accepted"}`); st != 200 {
				t.Fatal(st, msg)
			}
			r.clock.Add(2 * time.Hour)

			got := r.caseload("/caseload", r.caseworker, 200)
			if len(got) != 3 {
				t.Fatalf("caseload has %d cases, want 3 (the closed one left out): %+v", len(got), got)
			}
			if got[0].ID != soon.ID || got[0].Overdue != 1 || got[0].NextDue == nil || got[0].NextDue.ID != overdue || got[0].NextDue.Title != "Call about the deposit" {
				t.Errorf("first = %+v, want the case with the overdue task", got[0])
			}
			if got[1].ID != referred.ID || got[1].NextDue == nil || got[1].NextDue.ID != later || got[1].Overdue != 0 {
				t.Errorf("second = %+v, want the referred case with its task before the check-in", got[1])
			}
			if got[2].ID != quiet.ID || got[2].NextDue != nil || got[2].OpenNeeds != 2 || got[2].ByDomain["food"] != 1 || got[2].ByDomain["housing"] != 1 {
				t.Errorf("third = %+v, want the quiet case with two open needs", got[2])
			}
			for _, c := range got {
				if c.ClientName != "Maria Lopez" {
					t.Errorf("case %s client_name %q", c.ID, c.ClientName)
				}
			}
			log, _, err := r.store.AuditLog(ctx, store.AuditFilter{ResourceType: "case", ResourceID: quiet.ID}, store.Paging{Number: 1, Size: 100})
			if err != nil {
				t.Fatal(err)
			}
			audited := false
			for _, e := range log {
				audited = audited || (e.Action == "read" && e.Detail == "client name (caseload)")
			}
			if !audited {
				t.Errorf("caseload read of %s not audited", quiet.ID)
			}

			// The agency key sees the agency's; a supervisor's view names the key.
			if all := r.caseload("/caseload", r.keyB, 200); len(all) != 3 {
				t.Errorf("agency caseload has %d cases", len(all))
			}
			if cw := r.caseload("/caseload?caseworker="+r.keyID(r.caseworker), r.keyB, 200); len(cw) != 3 || cw[0].ID != soon.ID {
				t.Errorf("caseworker view = %+v", cw)
			}
			if none := r.caseload("/caseload?caseworker="+r.keyID(r.keyB), r.caseworker, 200); len(none) != 0 {
				t.Errorf("the agency key opened no case, got %+v", none)
			}
			r.caseload("/caseload?caseworker="+r.keyID(r.cwC), r.keyB, 404)
			r.caseload("/caseload?caseworker=nobody", r.keyB, 404)
			if other := r.caseload("/caseload", r.cwC, 200); len(other) != 0 {
				t.Errorf("another agency's caseworker sees %+v", other)
			}
		})
	}
}

type barrierOut struct {
	MinCount int `json:"min_count"`
	Groups   []struct {
		Key            string `json:"key"`
		Name           string `json:"name"`
		Need, Area     string
		Identified     *int `json:"identified"`
		NeverReferred  *int `json:"never_referred"`
		ReferredNotMet *int `json:"referred_not_met"`
		Met            *int `json:"met"`
		Suppressed     bool `json:"suppressed"`
		TopReasons     []struct {
			Code  string `json:"code"`
			Count int    `json:"count"`
		} `json:"top_reasons"`
	} `json:"groups"`
}

func intp(p *int) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprint(*p)
}

// TestBarrierReport: needs never referred, referred and never met, and met,
// by need and area (the cases' postal code 29401 is area 294), small counts
// suppressed, no case ids, in JSON and CSV;
// an agency sees its own cases, an admin all.
func TestBarrierReport(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d, func(d *httpapi.Deps) { d.BarrierRules = referral.BarrierRules{ReferDays: 14, MinCount: 2} })
			c1, ref1 := r.refer(svcPantry, "")
			_, ref2 := r.refer(svcSNAP, "")
			c3, ref3 := r.refer(svcPantry, "")
			fresh := r.newCase(r.caseworker)
			for _, ref := range []string{ref1.ID, ref2.ID} {
				if st, _, msg := r.move(ref, r.keyA, `{"to": "declined", "reason": "no_capacity"}`); st != 200 {
					t.Fatal(st, msg)
				}
			}
			if st, _, msg := r.move(ref3.ID, r.keyA, `{"to": "accepted"}`); st != 200 {
				t.Fatal(st, msg)
			}
			etag := r.send("GET", "/cases/"+c3.ID, "", r.caseworker).header.Get("ETag")
			if res := r.send("PATCH", "/cases/"+c3.ID+"/needs/"+c3.Needs[0].ID, `{"status": "met"}`, r.caseworker, "If-Match", etag); res.status != 200 {
				t.Fatalf("need met: %d %s", res.status, res.body)
			}
			r.clock.Add(15 * 24 * time.Hour)
			_ = r.newCase(r.caseworker) // identified today: not yet a barrier
			to := "?to=" + r.clock.Now().Add(time.Hour).UTC().Format(time.RFC3339)

			res := r.send("GET", "/reports/barriers"+to, "", r.caseworker)
			var rep barrierOut
			res.json(t, &rep)
			if res.status != 200 || rep.MinCount != 2 || len(rep.Groups) != 2 {
				t.Fatalf("GET /reports/barriers: %d %s", res.status, res.body)
			}
			for _, id := range []string{c1.ID, c3.ID, fresh.ID, ref1.ID} {
				if strings.Contains(string(res.body), id) {
					t.Errorf("the report names %s", id)
				}
			}
			// Whole days: a second's difference in to asks the same report.
			var period struct{ From, To time.Time }
			res.json(t, &period)
			if d := 24 * time.Hour; !period.From.Equal(period.From.Truncate(d)) || !period.To.Equal(period.To.Truncate(d)) || !period.To.After(r.clock.Now()) {
				t.Errorf("the report's period is not whole days: %v to %v", period.From, period.To)
			}
			food, housing := rep.Groups[0], rep.Groups[1]
			// Food: 5 identified; the two declined ones referred and not met;
			// the fresh case's 15-day-old need never referred (1: suppressed);
			// one met (1: suppressed).
			if food.Key != "food/294" || food.Name != "food in 294" || food.Area != "294" || intp(food.Identified) != "5" || intp(food.ReferredNotMet) != "2" ||
				intp(food.NeverReferred) != "null" || intp(food.Met) != "null" || !food.Suppressed ||
				len(food.TopReasons) != 1 || food.TopReasons[0].Code != "no_capacity" || food.TopReasons[0].Count != 2 {
				t.Errorf("food = %+v (identified %s, not met %s, never %s, met %s)", food, intp(food.Identified), intp(food.ReferredNotMet), intp(food.NeverReferred), intp(food.Met))
			}
			// Housing: never referred in the four cases 15 days old.
			if housing.Key != "housing/294" || intp(housing.Identified) != "5" || intp(housing.NeverReferred) != "4" || intp(housing.ReferredNotMet) != "0" ||
				intp(housing.Met) != "0" || housing.Suppressed {
				t.Errorf("housing = %+v (identified %s, never %s)", housing, intp(housing.Identified), intp(housing.NeverReferred))
			}

			// CSV: every group named; a suppressed count is an empty cell.
			res = r.send("GET", "/reports/barriers"+to+"&format=csv", "", r.keyB)
			rows, err := csv.NewReader(bytes.NewReader(res.body)).ReadAll()
			if err != nil || res.status != 200 || len(rows) != 3 || rows[0][1] != "name" {
				t.Fatalf("CSV: %d %v %s", res.status, err, res.body)
			}
			if rows[1][1] != "food in 294" || rows[1][6] != "2" || rows[1][5] != "" || rows[1][8] != "true" || rows[1][9] != "no_capacity=2" ||
				rows[2][1] != "housing in 294" {
				t.Errorf("CSV rows = %v", rows[1:])
			}

			// Another agency counts its own cases (none); an admin counts all.
			var other barrierOut
			r.send("GET", "/reports/barriers"+to, "", r.keyC).json(t, &other)
			if len(other.Groups) != 0 {
				t.Errorf("another agency sees %+v", other.Groups)
			}
			var all barrierOut
			r.send("GET", "/reports/barriers"+to, "", r.admin).json(t, &all)
			if len(all.Groups) != 2 || intp(all.Groups[0].Identified) != "5" {
				t.Errorf("admin sees %+v", all.Groups)
			}
			// The period bounds the cases by when they opened.
			var before barrierOut
			r.send("GET", "/reports/barriers?to=2026-12-01", "", r.caseworker).json(t, &before)
			if len(before.Groups) != 0 {
				t.Errorf("before the cases opened: %+v", before.Groups)
			}
			if res := r.send("GET", "/reports/barriers?group_by=need", "", r.caseworker); res.status != 400 {
				t.Errorf("group_by: %d", res.status)
			}
		})
	}
}

// TestStaleReminders: listing.stale is sent when a listing goes stale,
// to a subscription made afterwards as soon as it subscribes, and again
// each LINKAGE_STALE_REMINDER while the listing stays stale; the clock
// moves, nothing sleeps.
func TestStaleReminders(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d, func(d *httpapi.Deps) { d.WebhookAllowPrivate = true })
			ctx := context.Background()
			var mu sync.Mutex
			got := map[string]map[string]int{} // hook path → "service reminder" → count
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				body, _ := io.ReadAll(req.Body)
				var env struct {
					Type string
					Data map[string]any
				}
				_ = json.Unmarshal(body, &env)
				mu.Lock()
				defer mu.Unlock()
				if got[req.URL.Path] == nil {
					got[req.URL.Path] = map[string]int{}
				}
				svc, _ := env.Data["service_id"].(string)
				got[req.URL.Path][fmt.Sprintf("%s %v", svc, env.Data["reminder"])]++
			}))
			defer srv.Close()
			subscribe := func(path string) {
				res := r.send("POST", "/webhooks", fmt.Sprintf(`{"url": %q, "events": ["listing.stale"]}`, srv.URL+path), r.keyA)
				if res.status != 201 {
					t.Fatalf("subscribe: %d %s", res.status, res.body)
				}
			}
			w := notify.New(r.store, storetest.Logger(), r.clock.Now, notify.Config{RetryBase: time.Minute, AllowPrivate: true,
				StaleAfter: 180 * 24 * time.Hour, StaleReminder: 24 * time.Hour, KeepLog: 365 * 24 * time.Hour})
			run := func() {
				t.Helper()
				if _, err := w.RunOnce(ctx); err != nil {
					t.Fatal(err)
				}
			}
			count := func(path string, reminder bool) (n int) {
				mu.Lock()
				defer mu.Unlock()
				return got[path][fmt.Sprintf("%s %v", svcPantry, reminder)]
			}
			subscribe("/early")
			r.clock.Add(181 * 24 * time.Hour)
			run()
			run()
			if count("/early", false) != 1 || count("/early", true) != 0 {
				t.Fatalf("first notice: %v", got)
			}
			// A subscription made now hears at once what the first heard;
			// the first is not told twice.
			r.clock.Add(12 * time.Hour)
			subscribe("/late")
			run()
			if count("/late", true) != 1 || count("/late", false) != 0 || count("/early", true) != 0 {
				t.Errorf("on subscription, before 24 h: %v", got)
			}
			// A day after the first notice, the reminder reaches both.
			r.clock.Add(13 * time.Hour)
			run()
			run()
			if count("/early", true) != 1 || count("/late", true) != 2 {
				t.Errorf("after 25 h each subscription has its reminder: %v", got)
			}
			mu.Lock()
			for path, m := range got {
				for k := range m {
					if strings.HasPrefix(k, svcCrisis) {
						t.Errorf("%s heard of agency B's listing", path)
					}
				}
			}
			mu.Unlock()

			// Confirming the listing ends the spell: no more reminders.
			if res := r.send("POST", "/services/"+svcPantry+"/verify", `{"assurer_email": "listings@foodbank.example.org"}`, r.keyA); res.status != 200 {
				t.Fatalf("verify: %d %s", res.status, res.body)
			}
			r.clock.Add(25 * time.Hour)
			run()
			if count("/early", true) != 1 {
				t.Errorf("a reminder after the listing was confirmed: %v", got)
			}
		})
	}
}

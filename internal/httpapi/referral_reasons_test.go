package httpapi_test

import (
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
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// An old reason alias is accepted for both moves and is stored, shown in
// the history and reported by its one name.
func TestReferrals_ReasonAlias(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d)
			_, declined := r.refer(svcPantry, "")
			_, closed := r.refer(svcSNAP, "")
			var seen struct{ Reason string }
			st, _, msg := r.move(declined.ID, r.keyA, `{"to": "declined", "reason": "lost_contact"}`)
			if st != 200 {
				t.Fatalf("decline with lost_contact: %d %s", st, msg)
			}
			_ = json.Unmarshal([]byte(msg), &seen)
			if seen.Reason != "client_unreachable" {
				t.Errorf("declined reason = %q, want client_unreachable: %s", seen.Reason, msg)
			}
			if st, _, msg := r.move(closed.ID, r.keyA, `{"to": "accepted"}`); st != 200 {
				t.Fatal(st, msg)
			}
			if st, _, msg = r.move(closed.ID, r.keyA, `{"to": "closed_unsuccessful", "reason": "client_unreachable"}`); st != 200 {
				t.Fatalf("close with client_unreachable: %d %s", st, msg)
			}
			if st, _, msg := r.move(declined.ID, r.keyA, `{"to": "declined", "reason": "moved_away"}`); st != 409 && st != 422 {
				t.Errorf("unknown reason: %d %s", st, msg)
			}
			var evs struct {
				Contents []struct{ Kind, Reason string }
			}
			r.send("GET", "/referrals/"+declined.ID+"/events", "", r.caseworker).json(t, &evs)
			if n := len(evs.Contents); n == 0 || evs.Contents[n-1].Reason != "client_unreachable" {
				t.Errorf("history: %+v", evs.Contents)
			}
			if raw := rawRow(t, r.store, "referrals", declined.ID); strings.Contains(raw, "lost_contact") {
				t.Errorf("the alias is stored: %s", raw)
			}
			var rep struct {
				Groups []struct {
					Decline map[string]int `json:"decline_reasons"`
					Close   map[string]int `json:"closed_unsuccessful_reasons"`
				}
			}
			r.clock.Add(time.Hour) // the report ends now, exclusive
			res := r.send("GET", "/reports/referrals?group_by=sender", "", r.keyA)
			res.json(t, &rep)
			if res.status != 200 || len(rep.Groups) != 1 || rep.Groups[0].Decline["client_unreachable"] != 1 || rep.Groups[0].Close["client_unreachable"] != 1 {
				t.Errorf("report: %d %s", res.status, res.body)
			}
		})
	}
}

// A referral created as sent has no previous status, in its webhook or its
// history; a draft sent later says draft on both.
func TestReferrals_CreatedPreviousStatus(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d, func(d *httpapi.Deps) { d.WebhookAllowPrivate = true })
			var mu sync.Mutex
			created := map[string]map[string]any{}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				body, _ := io.ReadAll(req.Body)
				var env struct {
					Type string
					Data map[string]any
				}
				_ = json.Unmarshal(body, &env)
				if env.Type == "referral.created" {
					mu.Lock()
					created[fmt.Sprint(env.Data["referral_id"])] = env.Data
					mu.Unlock()
				}
			}))
			defer srv.Close()
			if res := r.send("POST", "/webhooks", fmt.Sprintf(`{"url": %q, "events": ["referral.created"]}`, srv.URL), r.keyA); res.status != 201 {
				t.Fatalf("create webhook: %d %s", res.status, res.body)
			}
			_, sent := r.refer(svcPantry, "")
			_, draft := r.refer(svcSNAP, `, "draft": true`)
			if st, _, msg := r.move(draft.ID, r.caseworker, `{"to": "sent"}`); st != 200 {
				t.Fatal(st, msg)
			}
			w := notify.New(r.store, storetest.Logger(), r.clock.Now, notify.Config{RetryBase: time.Minute, AllowPrivate: true, StaleAfter: 180 * 24 * time.Hour, KeepLog: 365 * 24 * time.Hour})
			if _, err := w.RunOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if data, ok := created[sent.ID]; !ok {
				t.Errorf("no referral.created for %s: %v", sent.ID, created)
			} else if prev, has := data["previous_status"]; has {
				t.Errorf("created as sent, previous_status = %v", prev)
			}
			if data := created[draft.ID]; data["previous_status"] != "draft" {
				t.Errorf("sent from a draft: %v", data)
			}
			for id, want := range map[string][]string{sent.ID: {"created:->sent"}, draft.ID: {"created:->draft", "status:draft->sent"}} {
				var evs struct {
					Contents []struct{ Kind, From, To string }
				}
				r.send("GET", "/referrals/"+id+"/events", "", r.caseworker).json(t, &evs)
				var got []string
				for _, e := range evs.Contents {
					got = append(got, e.Kind+":"+e.From+"->"+e.To)
				}
				if strings.Join(got, ",") != strings.Join(want, ",") {
					t.Errorf("history of %s = %v, want %v", id, got, want)
				}
			}
		})
	}
}

// The report groups by sending agency and by caseworker, in JSON and CSV,
// every group named; a caseworker's key name is its own agency's to see.
func TestReferrals_ReportBySenderAndCaseworker(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d)
			r.refer(svcPantry, "")
			r.refer(svcSNAP, "")
			r.clock.Add(time.Hour) // the report ends now, exclusive
			type group struct{ Key, Name string }
			report := func(key, groupBy string) []group {
				t.Helper()
				var rep struct {
					Groups []struct {
						Key, Name string
						Sent      int
					}
				}
				res := r.send("GET", "/reports/referrals?group_by="+groupBy, "", key)
				res.json(t, &rep)
				if res.status != 200 {
					t.Fatalf("group_by=%s: %d %s", groupBy, res.status, res.body)
				}
				var out []group
				for _, g := range rep.Groups {
					if g.Sent != 2 {
						t.Errorf("group_by=%s %+v: sent %d, want 2", groupBy, g, g.Sent)
					}
					out = append(out, group{g.Key, g.Name})
				}
				return out
			}
			tests := []struct {
				key, groupBy string
				want         group
			}{
				{r.keyA, "sender", group{r.agencyB, "Crisis Services"}},
				{r.caseworker, "sender", group{r.agencyB, "Crisis Services"}},
				{r.keyA, "caseworker", group{"agency:" + r.agencyB, "caseworkers of Crisis Services"}},
				{r.caseworker, "caseworker", group{"", "caseworker key"}},
				{r.admin, "caseworker", group{"", "caseworker key"}},
				{r.keyA, "need", group{"food", "food"}},
				{r.keyA, "agency", group{r.agencyA, "Food Network"}},
			}
			for _, tt := range tests {
				got := report(tt.key, tt.groupBy)
				if len(got) != 1 || got[0].Name != tt.want.Name || (tt.want.Key != "" && got[0].Key != tt.want.Key) || got[0].Key == "" {
					t.Errorf("group_by=%s: %+v, want %+v", tt.groupBy, got, tt.want)
				}
			}
			for _, g := range []string{"service", "agency", "need", "sender", "caseworker"} {
				res := r.send("GET", "/reports/referrals?format=csv&group_by="+g, "", r.keyA)
				recs, err := csv.NewReader(strings.NewReader(string(res.body))).ReadAll()
				if err != nil || len(recs) < 2 || recs[0][0] != g {
					t.Fatalf("CSV by %s: %v %q", g, err, res.body)
				}
				for _, rec := range recs[1:] {
					if rec[1] == "" {
						t.Errorf("CSV by %s: empty name in %v", g, rec)
					}
				}
			}
			if got := report(r.keyC, "caseworker"); len(got) != 0 {
				t.Errorf("a third agency sees others' caseworkers: %v", got)
			}
		})
	}
}

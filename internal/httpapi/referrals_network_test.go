package httpapi_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// Demo services no agency of the referral tests manages, and one agency C
// takes over for the forward tests.
const (
	svcRentalAid   = "be893de6-51f3-5f69-b57a-bcce259b6faa" // Emergency Rental Assistance (community action; no agency)
	orgShelter     = "1b0abca8-a476-532d-b54d-334abfdfcebb" // Hope Harbor Shelter
	svcFamilyShelt = "4a3b0b4c-4407-5798-8538-bcb9fd1382b7" // Family Shelter (Hope Harbor)
)

// listItem is an item of GET /referrals.
type listItem struct {
	ID          string     `json:"id"`
	Priority    string     `json:"priority"`
	Status      string     `json:"status"`
	DueAt       *time.Time `json:"due_at"`
	ClientName  *string    `json:"client_display_name"`
	NoteExcerpt string     `json:"note_excerpt"`
	ContactMode *string    `json:"contact_mode"`
	InNetwork   bool       `json:"in_network"`
	Receiver    *string    `json:"receiver_agency_id"`
	Need        string     `json:"need"`
	Sender      struct {
		ID, Name string
	} `json:"sender_agency"`
}

func (r *refEnv) list(key, query string) []listItem {
	r.t.Helper()
	res := r.send("GET", "/referrals"+query, "", key)
	if res.status != 200 {
		r.t.Fatalf("GET /referrals%s: %d %s", query, res.status, res.body)
	}
	var page struct{ Contents []listItem }
	res.json(r.t, &page)
	return page.Contents
}

func ids(items []listItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

// post refers case c with body's extra members and wants status.
func (r *refEnv) post(c caseOut, svc, extra string, want int) (referralOut, string) {
	r.t.Helper()
	body := fmt.Sprintf(`{"case_id": %q, "service_id": %q%s}`, c.ID, svc, extra)
	res := r.send("POST", "/referrals", body, r.caseworker)
	if res.status != want {
		r.t.Fatalf("POST /referrals %s: %d %s, want %d", extra, res.status, res.body, want)
	}
	var out referralOut
	if res.status == 201 {
		res.json(r.t, &out)
	}
	return out, string(res.body)
}

// deliveries lists the webhook events queued for agency, as type and data.
func deliveries(t *testing.T, st *store.Store, agency string) []struct {
	Type string
	Data map[string]any
} {
	t.Helper()
	rows, err := st.DB().Query(`SELECT d.payload FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE w.agency_id = $1 ORDER BY d.id`, agency)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []struct {
		Type string
		Data map[string]any
	}
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			t.Fatal(err)
		}
		var e struct {
			Type string
			Data map[string]any
		}
		if err := json.Unmarshal([]byte(p), &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func (r *refEnv) subscribeAll(key string) {
	r.t.Helper()
	body := `{"url": "https://hooks.example.org/x", "events": ["referral.created", "referral.status_changed", "referral.note_added", "referral.forwarded", "followup.overdue"]}`
	if res := r.send("POST", "/webhooks", body, key); res.status != 201 {
		r.t.Fatalf("subscribe: %d %s", res.status, res.body)
	}
}

// TestReferrals_Urgency: an urgent referral is due by the end of the
// receiver's business day, and the receiver's queue puts it first.
func TestReferrals_Urgency(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d)
			// Wednesday 10:00 in New York (the agencies' zone).
			_, routine := r.refer(svcPantry, "")
			_, urgent1 := r.refer(svcPantry, `, "priority": "urgent"`)
			due := func(ref referralOut) time.Time {
				for _, f := range ref.Followups {
					if f.Kind == "response" {
						return f.DueAt
					}
				}
				t.Fatalf("no response task: %+v", ref.Followups)
				return time.Time{}
			}
			if got, want := due(routine), time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC); !got.Equal(want) {
				t.Errorf("routine response due %s, want %s (2 business days)", got, want)
			}
			if got, want := due(urgent1), time.Date(2026, 12, 2, 22, 0, 0, 0, time.UTC); !got.Equal(want) {
				t.Errorf("urgent response due %s, want %s (17:00 the same day in New York)", got, want)
			}
			// Sent after 17:00: the end of the next business day.
			r.clock.Add(8 * time.Hour) // Wednesday 18:00 in New York
			_, late := r.refer(svcPantry, `, "priority": "urgent"`)
			if got, want := due(late), time.Date(2026, 12, 3, 22, 0, 0, 0, time.UTC); !got.Equal(want) {
				t.Errorf("urgent response sent after hours due %s, want %s", got, want)
			}
			// Friday 10:00: an urgent referral due after the routine one.
			r.clock.Add(40 * time.Hour)
			_, urgent2 := r.refer(svcPantry, `, "priority": "urgent"`)

			received := r.list(r.keyA, "")
			if want := []string{urgent1.ID, late.ID, urgent2.ID, routine.ID}; !slices.Equal(ids(received), want) {
				t.Errorf("received queue (default: priority, then due) = %v, want %v", ids(received), want)
			}
			if got := ids(r.list(r.keyA, "?sort=due")); !slices.Equal(got, []string{urgent1.ID, late.ID, routine.ID, urgent2.ID}) {
				t.Errorf("sort=due = %v", got)
			}
			if got := ids(r.list(r.caseworker, "?sort=priority")); !slices.Equal(got, ids(received)) {
				t.Errorf("the sender's list by priority = %v, want %v", got, ids(received))
			}
			if got := ids(r.list(r.caseworker, "")); got[0] != urgent2.ID {
				t.Errorf("the sender's list (default: newest first) = %v", got)
			}
			for _, it := range received {
				if it.DueAt == nil {
					t.Errorf("item %s has no due time", it.ID)
				}
			}
			// A finished urgent referral goes below the open ones, and
			// status=open leaves it out.
			_, done := r.refer(svcPantry, `, "priority": "urgent"`)
			for _, m := range []string{`{"to": "accepted"}`, `{"to": "completed", "outcome": "service_provided"}`} {
				if st, _, msg := r.move(done.ID, r.keyA, m); st != 200 {
					t.Fatalf("finish %s: %d %s", m, st, msg)
				}
			}
			if got := ids(r.list(r.keyA, "")); !slices.Equal(got, append(ids(received), done.ID)) {
				t.Errorf("queue with a finished referral = %v", got)
			}
			if got := ids(r.list(r.keyA, "?status=open")); !slices.Equal(got, ids(received)) {
				t.Errorf("status=open = %v", got)
			}
			if it := received[0]; !it.DueAt.Equal(due(urgent1)) || it.Priority != "urgent" {
				t.Errorf("first item = %+v", it)
			}
			// Accepted, the next deadline is the outcome, 30 days on.
			if st, _, msg := r.move(urgent1.ID, r.keyA, `{"to": "accepted"}`); st != 200 {
				t.Fatal(st, msg)
			}
			for _, it := range r.list(r.keyA, "?status=accepted") {
				if want := r.clock.Now().Add(30 * 24 * time.Hour); !it.DueAt.Equal(want) {
					t.Errorf("accepted item due %v, want the outcome %v", it.DueAt, want)
				}
			}
			if res := r.send("GET", "/referrals?sort=soonest", "", r.keyA); res.status != 400 || !strings.Contains(string(res.body), "sort") {
				t.Errorf("a bad sort: %d %s", res.status, res.body)
			}
		})
	}
}

// TestReferrals_OutOfNetwork: a referral to a service no agency manages is
// recorded as made outside Linkage, and its loop runs on the caseworker's
// side.
func TestReferrals_OutOfNetwork(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d)
			r.subscribeAll(r.keyA)
			r.subscribeAll(r.keyB)
			c := r.newCase(r.caseworker)

			// Search and service reads say who takes referrals.
			if res := r.send("GET", "/services/"+svcRentalAid, "", ""); res.status != 200 || res.header.Get("Linkage-Accepts-Referrals") != "false" {
				t.Errorf("unmanaged service read: %d %q", res.status, res.header.Get("Linkage-Accepts-Referrals"))
			}
			if res := r.send("GET", "/services/"+svcPantry, "", ""); res.header.Get("Linkage-Accepts-Referrals") != "true" {
				t.Errorf("managed service read: %q", res.header.Get("Linkage-Accepts-Referrals"))
			}
			var svc struct {
				ServiceAtLocations []struct{ ID string } `json:"service_at_locations"`
			}
			r.send("GET", "/services/"+svcPantry, "", "").json(t, &svc)
			if len(svc.ServiceAtLocations) == 0 {
				t.Fatalf("the pantry has no service_at_locations")
			}
			if res := r.send("GET", "/service_at_locations/"+svc.ServiceAtLocations[0].ID, "", ""); res.header.Get("Linkage-Accepts-Referrals") != "true" {
				t.Errorf("managed service_at_location read: %d %q", res.status, res.header.Get("Linkage-Accepts-Referrals"))
			}
			if strings.Contains(string(r.send("GET", "/services/"+svcPantry, "", "").body), "accepts_referrals") {
				t.Errorf("the HSDS service body carries accepts_referrals")
			}
			if res := r.send("GET", "/services/"+svcDisaster, "", ""); res.header.Get("Linkage-Accepts-Referrals") != "false" {
				t.Errorf("inactive managed service read: %q", res.header.Get("Linkage-Accepts-Referrals"))
			}
			var page struct {
				Contents []struct {
					ServiceID        string `json:"service_id"`
					AcceptsReferrals bool   `json:"accepts_referrals"`
				}
			}
			r.send("GET", "/search?q=rental+assistance&per_page=50", "", "").json(t, &page)
			r.send("GET", "/search?q=food+pantry&per_page=50", "", "").json(t, &page)
			seen := map[string]bool{}
			for _, it := range page.Contents {
				seen[it.ServiceID] = it.AcceptsReferrals
			}
			var p2 struct {
				Contents []struct {
					ServiceID        string `json:"service_id"`
					AcceptsReferrals bool   `json:"accepts_referrals"`
				}
			}
			r.send("GET", "/search?q=rental+assistance&per_page=50", "", "").json(t, &p2)
			for _, it := range p2.Contents {
				seen[it.ServiceID] = it.AcceptsReferrals
			}
			if v, ok := seen[svcRentalAid]; !ok || v {
				t.Errorf("search: rental aid accepts_referrals = %v (found %v)", v, ok)
			}
			if v, ok := seen[svcPantry]; !ok || !v {
				t.Errorf("search: pantry accepts_referrals = %v (found %v)", v, ok)
			}

			// No method: a 422 that says how to record it.
			_, msg := r.post(c, svcRentalAid, `, "need": "housing"`, 422)
			for _, want := range []string{"/service_id", "out-of-network", "phone", "warm_handoff", "self_referral"} {
				if !strings.Contains(msg, want) {
					t.Errorf("422 without a method does not say %q: %s", want, msg)
				}
			}
			r.post(c, svcRentalAid, `, "need": "housing", "method": "linkage"`, 422)
			r.post(c, svcRentalAid, `, "need": "housing", "method": "carrier_pigeon"`, 422)
			r.post(c, svcRentalAid, `, "need": "housing", "method": "phone", "contact_mode": "share_contact"`, 422)
			r.post(c, svcPantry, `, "need": "food", "appointment_at": "2026-12-08T15:00:00Z"`, 422)

			// Recorded: no receiving agency; the check-in is the caseworker's.
			appt := time.Date(2026, 12, 8, 15, 0, 0, 0, time.UTC)
			ref, _ := r.post(c, svcRentalAid, fmt.Sprintf(`, "need": "housing", "priority": "urgent", "method": "warm_handoff", "appointment_at": %q, "note": "Eviction on the 16th"`, appt.Format(time.RFC3339)), 201)
			var raw struct {
				Receiver    *string    `json:"receiver_agency_id"`
				InNetwork   bool       `json:"in_network"`
				Method      string     `json:"method"`
				ContactMode *string    `json:"contact_mode"`
				Appointment *time.Time `json:"appointment_at"`
				Followups   []struct {
					Kind             string
					AssigneeAgencyID string    `json:"assignee_agency_id"`
					AssigneeKeyID    *string   `json:"assignee_key_id"`
					DueAt            time.Time `json:"due_at"`
				}
			}
			r.send("GET", "/referrals/"+ref.ID, "", r.caseworker).json(t, &raw)
			if raw.Receiver != nil || raw.InNetwork || raw.Method != "warm_handoff" || raw.ContactMode != nil || raw.Appointment == nil || !raw.Appointment.Equal(appt) {
				t.Errorf("out-of-network referral = %+v", raw)
			}
			if len(raw.Followups) != 1 || raw.Followups[0].Kind != "checkin" || raw.Followups[0].AssigneeAgencyID != r.agencyB ||
				raw.Followups[0].AssigneeKeyID == nil || !raw.Followups[0].DueAt.Equal(appt.Add(24*time.Hour)) {
				t.Errorf("follow-ups = %+v, want one check-in for the caseworker a day after the appointment", raw.Followups)
			}
			// Without an appointment: urgent, the next business day; routine, two.
			c2 := r.newCase(r.caseworker)
			phone, _ := r.post(c2, svcRentalAid, `, "need": "housing", "method": "phone"`, 201)
			if len(phone.Followups) != 1 || !phone.Followups[0].DueAt.Equal(time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC)) {
				t.Errorf("routine out-of-network check-in = %+v", phone.Followups)
			}
			self, _ := r.post(c2, svcRentalAid, `, "need": "housing", "method": "self_referral", "priority": "urgent"`, 201)
			if len(self.Followups) != 1 || !self.Followups[0].DueAt.Equal(time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC)) {
				t.Errorf("urgent out-of-network check-in = %+v", self.Followups)
			}
			// An in-network service may be recorded out of network too.
			byPhone, _ := r.post(c2, svcPantry, `, "need": "food", "method": "phone"`, 201)

			// Never in any agency's received list.
			for _, key := range []string{r.keyA, r.keyB, r.cwA, r.keyC} {
				for _, it := range r.list(key, "?direction=received&per_page=100") {
					if it.ID == ref.ID || it.ID == phone.ID || it.ID == byPhone.ID {
						t.Errorf("an out-of-network referral is in a received list: %+v", it)
					}
				}
			}
			sent := r.list(r.caseworker, "?direction=sent&per_page=100")
			if !slices.Contains(ids(sent), ref.ID) {
				t.Errorf("the sender's list lacks the out-of-network referral")
			}
			// Others do not see it.
			for _, key := range []string{r.keyA, r.cwA, r.keyC, r.cwC} {
				if res := r.send("GET", "/referrals/"+ref.ID, "", key); res.status != 404 {
					t.Errorf("another agency reads an out-of-network referral: %d", res.status)
				}
			}

			// The caseworker records the moves a receiver would.
			if res := r.send("GET", "/referrals/"+ref.ID, "", r.caseworker); !strings.Contains(string(res.body), `"accepted"`) {
				t.Errorf("the caseworker may not record the receiver's moves: %s", res.body)
			}
			if st, _, msg := r.move(ref.ID, r.keyB, `{"to": "accepted"}`); st != 403 {
				t.Errorf("the sending agency's agency key moving it: %d %s", st, msg)
			}
			for _, m := range []string{`{"to": "accepted", "appointment_at": "2026-12-09T15:00:00Z"}`, `{"to": "in_progress"}`, `{"to": "completed", "outcome": "service_provided"}`} {
				if st, _, msg := r.move(ref.ID, r.caseworker, m); st != 200 {
					t.Fatalf("caseworker move %s: %d %s", m, st, msg)
				}
			}
			if st, _, msg := r.move(phone.ID, r.caseworker, `{"to": "closed_unsuccessful", "reason": "client_unreachable"}`); st != 409 {
				t.Errorf("closing unsuccessfully from sent: %d %s", st, msg)
			}
			if st, _, msg := r.move(phone.ID, r.caseworker, `{"to": "declined", "reason": "no_capacity"}`); st != 200 {
				t.Errorf("recording a decline: %d %s", st, msg)
			}
			// The loop closes on the caseworker's side.
			var done referralOut
			r.send("GET", "/referrals/"+ref.ID, "", r.caseworker).json(t, &done)
			if got := openTasks(done); !slices.Equal(got, []string{"client_followup"}) {
				t.Errorf("open tasks after completion = %v", got)
			}
			if res := r.send("POST", "/referrals/"+ref.ID+"/followup", `{"need_met": "yes"}`, r.caseworker); res.status != 200 {
				t.Fatalf("follow-up: %d %s", res.status, res.body)
			}
			var cs caseOut
			r.send("GET", "/cases/"+c.ID, "", r.caseworker).json(t, &cs)
			for _, n := range cs.Needs {
				if n.Domain == "housing" && n.Status != "met" {
					t.Errorf("housing need after the out-of-network loop = %s, want met", n.Status)
				}
			}
			// No tasks landed on another agency's worklist.
			res := r.send("GET", "/followups?assignee=agency", "", r.keyA)
			if strings.Contains(string(res.body), ref.ID) || strings.Contains(string(res.body), phone.ID) {
				t.Errorf("agency A has tasks of out-of-network referrals: %s", res.body)
			}

			// No receiver-side notices: agency A hears of nothing; agency B
			// hears only its own status changes.
			for _, e := range deliveries(t, r.store, r.agencyA) {
				if id, _ := e.Data["referral_id"].(string); id == ref.ID || id == byPhone.ID {
					t.Errorf("agency A was told of an out-of-network referral: %+v", e)
				}
			}
			for _, e := range deliveries(t, r.store, r.agencyB) {
				if id, _ := e.Data["referral_id"].(string); id == ref.ID && (e.Type == "referral.created" || e.Data["receiver_agency_id"] != nil) {
					t.Errorf("out-of-network notice %+v", e)
				}
			}

			// Reports count them, by network, sender and service (the
			// period ends now, exclusive: an hour on).
			r.clock.Add(time.Hour)
			var rep struct {
				Groups []struct {
					Key, Name       string
					Sent, Completed int
				}
			}
			r.send("GET", "/reports/referrals?group_by=network", "", r.caseworker).json(t, &rep)
			byKey := map[string]int{}
			for _, g := range rep.Groups {
				byKey[g.Key] = g.Sent
				if g.Name == "" {
					t.Errorf("unnamed group %+v", g)
				}
			}
			if byKey["out_of_network"] != 4 || byKey["in_network"] != 0 {
				t.Errorf("report by network = %v, want 4 out of network", byKey)
			}
			rep.Groups = nil
			r.send("GET", "/reports/referrals?group_by=agency", "", r.caseworker).json(t, &rep)
			if len(rep.Groups) != 1 || rep.Groups[0].Key != "out_of_network" || !strings.Contains(rep.Groups[0].Name, "out of network") {
				t.Errorf("report by receiving agency = %+v", rep.Groups)
			}
			rep.Groups = nil
			r.send("GET", "/reports/referrals?group_by=sender", "", r.caseworker).json(t, &rep)
			if len(rep.Groups) != 1 || rep.Groups[0].Key != r.agencyB || rep.Groups[0].Sent != 4 {
				t.Errorf("report by sender = %+v", rep.Groups)
			}
			rep.Groups = nil
			r.send("GET", "/reports/referrals?group_by=service", "", r.caseworker).json(t, &rep)
			for _, g := range rep.Groups {
				if g.Key == svcRentalAid && (g.Sent != 3 || g.Completed != 1) {
					t.Errorf("report by service: %+v", g)
				}
			}
			rep.Groups = nil
			r.send("GET", "/reports/referrals?group_by=network", "", r.keyA).json(t, &rep)
			if len(rep.Groups) != 0 {
				t.Errorf("agency A counts another agency's out-of-network referrals: %+v", rep.Groups)
			}
		})
	}
}

// TestReferrals_ReceivedItems: the receiving agency's list shows, within
// the client's consent, who the client is, the need, the note's start and
// the sender.
func TestReferrals_ReceivedItems(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d)
			c := r.newCase(r.caseworker)
			long := strings.Repeat("The family needs food for three children this week, ", 5)
			named, _ := r.post(c, svcPantry, fmt.Sprintf(`, "need": "food", "share": ["name", "contact"], "note": %q`, long), 201)
			anon, _ := r.post(c, svcSNAP, `, "need": "food", "share": ["contact"], "note": "Short note"`, 201)
			// Contact mode: share_contact needs contact in the share.
			_, msg := r.post(c, svcSNAP, `, "need": "food", "share": ["name"]`, 422)
			if !strings.Contains(msg, "/contact_mode") || !strings.Contains(msg, "client_will_contact") || !strings.Contains(msg, "share_contact") {
				t.Errorf("no contact mode without contact: %s", msg)
			}
			r.post(c, svcSNAP, `, "need": "food", "share": ["name"], "contact_mode": "share_contact"`, 422)
			r.post(c, svcSNAP, `, "need": "food", "contact_mode": "by_owl"`, 422)
			calls, _ := r.post(c, svcSNAP, `, "need": "food", "share": ["name"], "contact_mode": "client_will_contact"`, 201)

			items := map[string]listItem{}
			for _, it := range r.list(r.keyA, "?per_page=50") {
				items[it.ID] = it
			}
			n := items[named.ID]
			if n.ClientName == nil || *n.ClientName != "Maria Lopez" || n.Need != "food" || n.Priority != "routine" ||
				n.Sender.ID != r.agencyB || n.Sender.Name != "Crisis Services" || n.DueAt == nil {
				t.Errorf("named item = %+v", n)
			}
			if got := []rune(n.NoteExcerpt); len(got) > 141 || len(got) < 100 || !strings.HasPrefix(long, strings.TrimSuffix(n.NoteExcerpt, "…")) || !strings.HasSuffix(n.NoteExcerpt, "…") {
				t.Errorf("note excerpt (%d runes) = %q", len(got), n.NoteExcerpt)
			}
			if a := items[anon.ID]; a.ClientName != nil || a.NoteExcerpt != "Short note" || a.ContactMode == nil || *a.ContactMode != "share_contact" {
				t.Errorf("item sharing no name = %+v", a)
			}
			if w := items[calls.ID]; w.ContactMode == nil || *w.ContactMode != "client_will_contact" || w.ClientName == nil {
				t.Errorf("client-will-contact item = %+v", w)
			}
			// The sending agency's agency key holds no cases: it sees the
			// client as the share does; the caseworker sees its own client.
			for _, tt := range []struct {
				who, key string
				want     bool
			}{{"agency key", r.keyB, false}, {"caseworker", r.caseworker, true}} {
				for _, it := range r.list(tt.key, "?direction=sent&per_page=50") {
					if it.ID == anon.ID && (it.ClientName != nil) != tt.want {
						t.Errorf("sent list item sharing no name, as the %s: %+v", tt.who, it)
					}
				}
			}
			// The receiver's read of the referral says the mode too.
			var seen struct {
				ContactMode string `json:"contact_mode"`
			}
			r.send("GET", "/referrals/"+calls.ID, "", r.keyA).json(t, &seen)
			if seen.ContactMode != "client_will_contact" {
				t.Errorf("receiver reads contact_mode %q", seen.ContactMode)
			}
			// The list's personal data is an audited read.
			entries, _, err := r.store.AuditLog(t.Context(), store.AuditFilter{ResourceType: "referral", ResourceID: named.ID}, store.Paging{Number: 1, Size: 100})
			if err != nil {
				t.Fatal(err)
			}
			audited := false
			for _, e := range entries {
				audited = audited || e.Action == "read" && e.Detail == "list" && e.AgencyID != nil && *e.AgencyID == r.agencyA
				if strings.Contains(e.Detail, "Maria") {
					t.Errorf("audit holds personal data: %+v", e)
				}
			}
			if !audited {
				t.Errorf("the list read is not audited: %+v", entries)
			}

			// Consent revoked: the list shows no name and no note.
			cur := r.send("GET", "/cases/"+c.ID, "", r.caseworker)
			if res := r.send("PATCH", "/cases/"+c.ID, `{"consent": {"revoked_on": "2026-12-02"}}`, r.caseworker, "If-Match", cur.header.Get("ETag"), "Content-Type", "application/merge-patch+json"); res.status != 200 {
				t.Fatalf("revoke: %d %s", res.status, res.body)
			}
			for _, it := range r.list(r.keyA, "?per_page=50") {
				if it.ClientName != nil || it.NoteExcerpt != "" {
					t.Errorf("after revocation the receiver's list shows %+v", it)
				}
			}
			// The sender still sees its own client.
			for _, it := range r.list(r.caseworker, "?per_page=50") {
				if it.ClientName == nil || *it.ClientName != "Maria Lopez" {
					t.Errorf("the sender's list item = %+v", it)
				}
			}
			// Another agency lists nothing of it.
			if got := r.list(r.keyC, "?direction=received"); len(got) != 0 {
				t.Errorf("agency C lists %+v", got)
			}
		})
	}
}

// TestReferrals_SenderAgency: a receiving agency reads who referred.
func TestReferrals_SenderAgency(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d)
			if res := r.send("GET", "/agencies/"+r.agencyB, "", r.keyA); res.status != 404 {
				t.Errorf("before any referral: %d", res.status)
			}
			c := r.newCase(r.caseworker)
			// A draft links no one.
			r.post(c, svcPantry, `, "need": "food", "draft": true`, 201)
			if res := r.send("GET", "/agencies/"+r.agencyB, "", r.keyA); res.status != 404 {
				t.Errorf("after a draft: %d", res.status)
			}
			r.post(c, svcPantry, `, "need": "food"`, 201)
			for _, key := range []string{r.keyA, r.cwA} {
				res := r.send("GET", "/agencies/"+r.agencyB, "", key)
				var ag struct {
					ID, Name string
					Contacts []struct {
						OrganizationID string `json:"organization_id"`
						Name, Email    string
						Phones         []string
					}
				}
				res.json(t, &ag)
				if res.status != 200 || ag.ID != r.agencyB || ag.Name != "Crisis Services" {
					t.Errorf("receiver reads the sender: %d %s", res.status, res.body)
				}
				if len(ag.Contacts) != 1 || ag.Contacts[0].OrganizationID != orgCrisis || ag.Contacts[0].Name != "Palmetto Crisis Center" ||
					ag.Contacts[0].Email == "" && len(ag.Contacts[0].Phones) == 0 {
					t.Errorf("the sender's contacts = %+v", ag.Contacts)
				}
				if strings.Contains(string(res.body), "key") {
					t.Errorf("the sender read shows keys: %s", res.body)
				}
			}
			if res := r.send("GET", "/agencies/"+r.agencyA, "", r.caseworker); res.status != 200 {
				t.Errorf("the sender reads the receiver: %d", res.status)
			}
			for _, key := range []string{r.keyC, r.cwC} {
				if res := r.send("GET", "/agencies/"+r.agencyB, "", key); res.status != 404 {
					t.Errorf("an unrelated agency reads the sender: %d", res.status)
				}
			}
			if res := r.send("GET", "/agencies/"+r.agencyA, "", r.portal); res.status != 404 {
				t.Errorf("the sender's portal key reads the receiver: %d", res.status)
			}
			// Keys and audit stay the agency's own.
			if res := r.send("GET", "/agencies/"+r.agencyB+"/keys", "", r.keyA); res.status == 200 {
				t.Errorf("the receiver lists the sender's keys")
			}
		})
	}
}

// TestReferrals_Forward: a receiver that cannot serve the client passes the
// referral on; the sender keeps the loop.
func TestReferrals_Forward(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d)
			if res := r.send("PATCH", "/agencies/"+r.agencyC, fmt.Sprintf(`{"organization_ids": [%q]}`, orgShelter), r.admin); res.status != 200 {
				t.Fatalf("give agency C the shelter: %d %s", res.status, res.body)
			}
			r.subscribeAll(r.keyA)
			r.subscribeAll(r.keyB)
			r.subscribeAll(r.keyC)
			c := r.newCase(r.caseworker)
			orig, _ := r.post(c, svcPantry, `, "need": "housing", "priority": "urgent", "note": "Eviction on the 16th", "share": ["name", "contact", "needs"]`, 201)
			fwd := func(key, body string, hdr ...string) response {
				return r.send("POST", "/referrals/"+orig.ID+"/forward", body, key, hdr...)
			}
			body := fmt.Sprintf(`{"service_id": %q, "note": "We have no beds; the shelter can"}`, svcFamilyShelt)
			// Not the sender, not a stranger; not out of the network.
			if res := fwd(r.caseworker, body); res.status != 403 {
				t.Errorf("sender forwarding: %d %s", res.status, res.body)
			}
			if res := fwd(r.keyC, body); res.status != 404 {
				t.Errorf("stranger forwarding: %d", res.status)
			}
			if res := fwd(r.keyA, fmt.Sprintf(`{"service_id": %q}`, svcRentalAid)); res.status != 422 || !strings.Contains(string(res.body), "/service_id") {
				t.Errorf("forward out of network: %d %s", res.status, res.body)
			}
			if res := fwd(r.keyA, fmt.Sprintf(`{"service_id": %q}`, svcPantry)); res.status != 422 {
				t.Errorf("forward to the same service: %d %s", res.status, res.body)
			}
			if res := fwd(r.keyA, `{}`); res.status != 422 {
				t.Errorf("forward to nothing: %d %s", res.status, res.body)
			}
			// A plain decline cannot claim to be a forward.
			if st, _, msg := r.move(orig.ID, r.keyA, `{"to": "declined", "reason": "forwarded"}`); st != 422 {
				t.Errorf("decline as forwarded: %d %s", st, msg)
			}
			n := countRows(t, r.store, "referrals")

			res := fwd(r.keyA, body, "Idempotency-Key", "fwd-1")
			var out struct {
				Status, Reason string
				ForwardedTo    *string  `json:"forwarded_to"`
				AllowedMoves   []string `json:"allowed_moves"`
			}
			res.json(t, &out)
			if res.status != 200 || out.Status != "declined" || out.Reason != "forwarded" || out.ForwardedTo == nil || len(out.AllowedMoves) != 0 {
				t.Fatalf("forward: %d %s", res.status, res.body)
			}
			again := fwd(r.keyA, body, "Idempotency-Key", "fwd-1")
			var out2 struct {
				ForwardedTo *string `json:"forwarded_to"`
			}
			again.json(t, &out2)
			if again.status != 200 || again.header.Get("Idempotent-Replayed") != "true" || out2.ForwardedTo == nil || *out2.ForwardedTo != *out.ForwardedTo {
				t.Errorf("replay: %d %s", again.status, again.body)
			}
			if got := countRows(t, r.store, "referrals"); got != n+1 {
				t.Errorf("%d referrals after a forward and its replay, want %d", got, n+1)
			}
			if res := fwd(r.keyA, body); res.status != 409 {
				t.Errorf("forwarding a forwarded referral: %d %s", res.status, res.body)
			}
			newID := *out.ForwardedTo

			// The new referral: same case, need, share, priority, sender key.
			var first, next struct {
				ID, Status, Priority, Need string
				NeedID                     *string  `json:"need_id"`
				CaseID                     *string  `json:"case_id"`
				SenderKeyID                *string  `json:"sender_key_id"`
				Receiver                   *string  `json:"receiver_agency_id"`
				Sender                     string   `json:"sender_agency_id"`
				Share                      []string `json:"share"`
				ContactMode                string   `json:"contact_mode"`
				ForwardedFrom              *string  `json:"forwarded_from"`
				ForwardedTo                *string  `json:"forwarded_to"`
				Note                       string
			}
			r.send("GET", "/referrals/"+orig.ID, "", r.caseworker).json(t, &first)
			if res := r.send("GET", "/referrals/"+newID, "", r.caseworker); res.status != 200 {
				t.Fatalf("sender reads the new referral: %d %s", res.status, res.body)
			} else {
				res.json(t, &next)
			}
			if first.ForwardedTo == nil || *first.ForwardedTo != newID || next.ForwardedFrom == nil || *next.ForwardedFrom != orig.ID {
				t.Errorf("links: original forwarded_to %v, new forwarded_from %v", first.ForwardedTo, next.ForwardedFrom)
			}
			if next.Status != "sent" || next.Priority != "urgent" || next.Need != "housing" || next.NeedID == nil || first.NeedID == nil || *next.NeedID != *first.NeedID ||
				*next.CaseID != c.ID || next.SenderKeyID == nil || first.SenderKeyID == nil || *next.SenderKeyID != *first.SenderKeyID ||
				next.Sender != r.agencyB || next.Receiver == nil || *next.Receiver != r.agencyC || !slices.Equal(next.Share, first.Share) ||
				next.ContactMode != "share_contact" || next.Note != "Eviction on the 16th" {
				t.Errorf("new referral = %+v\noriginal = %+v", next, first)
			}
			// The new receiver has it, with its own (urgent) response task;
			// the forwarding agency is no party to it.
			got := r.list(r.keyC, "")
			if len(got) != 1 || got[0].ID != newID || got[0].ClientName == nil || got[0].Sender.ID != r.agencyB || got[0].DueAt == nil {
				t.Errorf("agency C's queue = %+v", got)
			}
			if res := r.send("GET", "/referrals/"+newID, "", r.keyA); res.status != 404 {
				t.Errorf("the forwarding agency reads the new referral: %d", res.status)
			}
			if res := r.send("GET", "/agencies/"+r.agencyB, "", r.keyC); res.status != 200 {
				t.Errorf("the new receiver reads the sender: %d", res.status)
			}
			// The original's tasks closed; the need stays in progress.
			var o referralOut
			r.send("GET", "/referrals/"+orig.ID, "", r.keyA).json(t, &o)
			if len(openTasks(o)) != 0 {
				t.Errorf("original's open tasks = %v", openTasks(o))
			}
			var cs caseOut
			r.send("GET", "/cases/"+c.ID, "", r.caseworker).json(t, &cs)
			for _, nd := range cs.Needs {
				if nd.Domain == "housing" && nd.Status != "in_progress" {
					t.Errorf("housing need after the forward = %s", nd.Status)
				}
			}
			// The forward note is on the original's history, for the sender.
			if ev := r.send("GET", "/referrals/"+orig.ID+"/events", "", r.caseworker); !strings.Contains(string(ev.body), "the shelter can") {
				t.Errorf("the sender does not see why: %s", ev.body)
			}

			// The sender is told; the new receiver gets referral.created.
			var told, created bool
			for _, e := range deliveries(t, r.store, r.agencyB) {
				if e.Type == "referral.forwarded" && e.Data["referral_id"] == orig.ID && e.Data["forwarded_to"] == newID && e.Data["receiver_agency_id"] == r.agencyC {
					told = true
				}
			}
			for _, e := range deliveries(t, r.store, r.agencyC) {
				created = created || e.Type == "referral.created" && e.Data["referral_id"] == newID
				if e.Type == "referral.forwarded" {
					t.Errorf("the new receiver hears referral.forwarded: %+v", e)
				}
			}
			if !told || !created {
				t.Errorf("referral.forwarded to the sender: %v; referral.created to the new receiver: %v", told, created)
			}

			// The new receiver may forward on, within the network.
			if res := r.send("POST", "/referrals/"+newID+"/forward", fmt.Sprintf(`{"service_id": %q}`, svcCrisis), r.cwC); res.status != 200 {
				t.Errorf("second forward by the new receiver's caseworker: %d %s", res.status, res.body)
			}
			// A finished referral is not forwarded.
			_, done := r.refer(svcPantry, "")
			r.move(done.ID, r.keyA, `{"to": "declined", "reason": "no_capacity"}`)
			if res := r.send("POST", "/referrals/"+done.ID+"/forward", body, r.keyA); res.status != 409 {
				t.Errorf("forwarding a declined referral: %d", res.status)
			}
		})
	}
}

package httpapi_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// taskOut is a worklist item as the tests read it.
type taskOut struct {
	ID         string  `json:"id"`
	Kind       string  `json:"kind"`
	Title      string  `json:"title"`
	CaseID     *string `json:"case_id"`
	ClientName *string `json:"client_name"`
	Need       *struct {
		ID     string `json:"id"`
		Domain string `json:"domain"`
	} `json:"need"`
	Priority string     `json:"priority"`
	DueAt    time.Time  `json:"due_at"`
	DoneAt   *time.Time `json:"done_at"`
	Overdue  bool       `json:"overdue"`
	Referral *struct {
		ID          string `json:"id"`
		Status      string `json:"status"`
		ServiceName string `json:"service_name"`
	} `json:"referral"`
	AssigneeKeyID *string `json:"assignee_key_id"`
	HasNote       bool    `json:"has_note"`
	Note          *string `json:"note"`
	Version       int     `json:"version"`
}

// tasks reads a worklist page.
func (r *refEnv) tasks(path, key string) []taskOut {
	r.t.Helper()
	res := r.send("GET", path, "", key)
	if res.status != 200 {
		r.t.Fatalf("GET %s: %d %s", path, res.status, res.body)
	}
	var p struct{ Contents []taskOut }
	res.json(r.t, &p)
	return p.Contents
}

// keyID is the id of key, from GET /me.
func (r *refEnv) keyID(key string) string {
	r.t.Helper()
	var me struct {
		KeyID string `json:"key_id"`
	}
	r.send("GET", "/me", "", key).json(r.t, &me)
	return me.KeyID
}

// newTask adds a task as key and returns it.
func (r *refEnv) newTask(key, body string, hdr ...string) (taskOut, response) {
	r.t.Helper()
	res := r.send("POST", "/tasks", body, key, hdr...)
	var out taskOut
	if res.status == 201 {
		res.json(r.t, &out)
	}
	return out, res
}

func kinds(ts []taskOut) map[string]int {
	out := map[string]int{}
	for _, t := range ts {
		out[t.Kind]++
	}
	return out
}

// TestTasks_WorklistAfterReferrals: right after three referrals are sent
// the receiver has their response tasks; once accepted, the sender's
// caseworker has three check-ins, each with its case, client, need and
// referral, and the receiver its outcomes with the client's name only
// where the referral shares it.
func TestTasks_WorklistAfterReferrals(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d)
			ctx := context.Background()
			c1, ref1 := r.refer(svcPantry, "")
			c2, ref2 := r.refer(svcSNAP, "")
			_, ref3 := r.refer(svcPantry, `, "share": ["language"], "contact_mode": "client_will_contact"`)

			// Sent: the receiver answers; each response task names the sender.
			recv := r.tasks("/tasks?assignee=agency", r.keyA)
			if k := kinds(recv); k["response"] != 3 || len(recv) != 3 {
				t.Fatalf("receiver worklist after sending = %v", k)
			}
			for _, it := range recv {
				if it.Title != "Answer the referral from Crisis Services" || it.CaseID != nil || it.Referral == nil || it.Referral.Status != "sent" {
					t.Errorf("response task = %+v", it)
				}
				named := it.ClientName != nil && *it.ClientName == "Maria Lopez"
				if shares := it.Referral.ID != ref3.ID; named != shares {
					t.Errorf("referral %s: client_name %v (shares the name: %v)", it.Referral.ID, it.ClientName, shares)
				}
			}
			for _, ref := range []referralOut{ref1, ref2, ref3} {
				if st, _, msg := r.move(ref.ID, r.keyA, `{"to": "accepted"}`); st != 200 {
					t.Fatal(st, msg)
				}
			}

			// Accepted: three check-ins for the referring caseworker.
			mine := r.tasks("/tasks", r.caseworker)
			if k := kinds(mine); k["checkin"] != 3 || len(mine) != 3 {
				t.Fatalf("sender worklist after acceptance = %v", k)
			}
			cases := map[string]bool{c1.ID: false, c2.ID: false}
			for _, it := range mine {
				if it.CaseID == nil || it.ClientName == nil || *it.ClientName != "Maria Lopez" || it.Need == nil || it.Need.Domain != "food" ||
					it.Referral == nil || it.Referral.Status != "accepted" || it.Priority != "routine" || it.Overdue {
					t.Errorf("check-in = %+v", it)
					continue
				}
				if want := "Check in with the client about " + it.Referral.ServiceName; it.Title != want {
					t.Errorf("title %q, want %q", it.Title, want)
				}
				if _, ok := cases[*it.CaseID]; ok {
					cases[*it.CaseID] = true
				}
			}
			if !cases[c1.ID] || !cases[c2.ID] {
				t.Errorf("check-ins do not name the cases: %v", cases)
			}
			// One query for the tasks and one per related table, whatever
			// the page holds: three items cost what one does.
			count := func(path string) int64 {
				before := r.store.QueryCount()
				r.tasks(path, r.caseworker)
				return r.store.QueryCount() - before
			}
			if one, three := count("/tasks?per_page=1"), count("/tasks"); three > one+1 {
				t.Errorf("a page of 3 took %d queries, a page of 1 took %d: the worklist must not read per item", three, one)
			}
			// /followups is the same list.
			if alias := r.tasks("/followups", r.caseworker); len(alias) != 3 || alias[0].ID != mine[0].ID || alias[0].Title != mine[0].Title {
				t.Errorf("GET /followups = %+v", alias)
			}
			outcomes := r.tasks("/tasks?assignee=agency", r.keyA)
			if k := kinds(outcomes); k["outcome"] != 3 || len(outcomes) != 3 {
				t.Errorf("receiver worklist after acceptance = %v", k)
			}

			// Showing a name is an audited read of the case.
			log, _, err := r.store.AuditLog(ctx, store.AuditFilter{ResourceType: "case", ResourceID: c1.ID}, store.Paging{Number: 1, Size: 100})
			if err != nil {
				t.Fatal(err)
			}
			reads := map[string]int{}
			for _, e := range log {
				if e.Action == "read" {
					reads[e.Detail+" by "+deref(e.AgencyID)]++
				}
			}
			if reads["client name (worklist) by "+r.agencyB] == 0 || reads["client name (worklist) by "+r.agencyA] == 0 {
				t.Errorf("worklist reads of case %s audited as %v", c1.ID, reads)
			}
		})
	}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// TestTasks_Own: a caseworker adds, sorts, changes, finishes and deletes
// tasks of their own; the rules and the lifecycle's tasks hold.
func TestTasks_Own(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d)
			c, ref := r.refer(svcPantry, "")
			housing := c.Needs[1].ID
			due := r.clock.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)

			body := fmt.Sprintf(`{"title": "Call the landlord", "due_at": %q, "case_id": %q, "need_id": %q, "priority": "urgent", "note": "After 2 pm"}`, due, c.ID, housing)
			task, res := r.newTask(r.caseworker, body, "Idempotency-Key", "task-1")
			if res.status != 201 || task.Kind != "task" || task.Title != "Call the landlord" || task.Priority != "urgent" || task.Need == nil ||
				task.Need.ID != housing || task.Need.Domain != "housing" || task.Note == nil || *task.Note != "After 2 pm" || !task.HasNote ||
				task.ClientName == nil || *task.ClientName != "Maria Lopez" || task.CaseID == nil || *task.CaseID != c.ID ||
				task.AssigneeKeyID == nil || *task.AssigneeKeyID != r.keyID(r.caseworker) ||
				res.header.Get("ETag") != `"task-v1"` || res.header.Get("Location") != "/tasks/"+task.ID {
				t.Fatalf("POST /tasks: %d %s %v", res.status, res.body, res.header)
			}
			again, res := r.newTask(r.caseworker, body, "Idempotency-Key", "task-1")
			if res.status != 201 || again.ID != task.ID || res.header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("replay: %d %s", res.status, res.body)
			}

			// A routine task due at the same time sorts after the urgent one;
			// both come before the check-in that is weeks away... once accepted.
			if st, _, msg := r.move(ref.ID, r.keyA, `{"to": "accepted"}`); st != 200 {
				t.Fatal(st, msg)
			}
			routine, res := r.newTask(r.caseworker, fmt.Sprintf(`{"title": "Send the lease copy", "due_at": %q, "referral_id": %q}`, due, ref.ID))
			if res.status != 201 || routine.Referral == nil || routine.Referral.ID != ref.ID || routine.Need == nil || routine.Need.Domain != "food" {
				t.Fatalf("referral task: %d %s", res.status, res.body)
			}
			// The sender's task on the referral is its own: the referral's
			// follow-ups (which the receiver reads) hold the lifecycle's only.
			for _, key := range []string{r.keyA, r.caseworker} {
				if res := r.send("GET", "/referrals/"+ref.ID, "", key); res.status != 200 || strings.Contains(string(res.body), routine.ID) {
					t.Errorf("GET /referrals/%s shows the sender's own task: %d %s", ref.ID, res.status, res.body)
				}
			}
			list := r.tasks("/tasks", r.caseworker)
			if len(list) != 3 || list[0].ID != task.ID || list[1].ID != routine.ID || list[2].Kind != "checkin" {
				t.Errorf("worklist order = %+v", list)
			}
			if u := r.tasks("/tasks?priority=urgent", r.caseworker); len(u) != 1 || u[0].ID != task.ID {
				t.Errorf("priority=urgent = %+v", u)
			}
			if u := r.tasks("/tasks?case_id="+c.ID+"&due_before="+r.clock.Now().Add(72*time.Hour).UTC().Format(time.RFC3339), r.caseworker); len(u) != 2 {
				t.Errorf("case_id and due_before = %+v", u)
			}
			if u := r.tasks("/tasks?overdue=true", r.caseworker); len(u) != 0 {
				t.Errorf("overdue before the due time = %+v", u)
			}

			// Bad tasks: every problem named, nothing revealed of others.
			other := r.newCase(r.cwC)
			for _, bad := range []struct{ body, pointer string }{
				{fmt.Sprintf(`{"due_at": %q, "case_id": %q}`, due, c.ID), "/title"},
				{fmt.Sprintf(`{"title": %q, "due_at": %q, "case_id": %q}`, strings.Repeat("x", 201), due, c.ID), "/title"},
				{fmt.Sprintf(`{"title": "x", "case_id": %q}`, c.ID), "/due_at"},
				{fmt.Sprintf(`{"title": "x", "due_at": %q}`, due), "/case_id"},
				{fmt.Sprintf(`{"title": "x", "due_at": %q, "case_id": %q, "referral_id": %q}`, due, c.ID, ref.ID), "/referral_id"},
				{fmt.Sprintf(`{"title": "x", "due_at": %q, "case_id": %q}`, due, other.ID), "/case_id"},
				{fmt.Sprintf(`{"title": "x", "due_at": %q, "case_id": %q, "need_id": %q}`, due, c.ID, other.Needs[0].ID), "/need_id"},
				{fmt.Sprintf(`{"title": "x", "due_at": %q, "case_id": %q, "priority": "soon"}`, due, c.ID), "/priority"},
				{fmt.Sprintf(`{"title": "x", "due_at": %q, "case_id": %q, "note": %q}`, due, c.ID, strings.Repeat("n", 4001)), "/note"},
				{fmt.Sprintf(`{"title": "x", "due_at": %q, "case_id": %q, "assignee_key_id": %q}`, due, c.ID, r.keyID(r.cwC)), "/assignee_key_id"},
			} {
				res := r.send("POST", "/tasks", bad.body, r.caseworker)
				if res.status != 422 || !strings.Contains(string(res.body), `"pointer":"`+bad.pointer+`"`) || strings.Contains(string(res.body), "Third Agency") {
					t.Errorf("POST /tasks %.80s: %d %s", bad.body, res.status, res.body)
				}
			}

			// Assigned to the agency key: the agency's list, not the caseworker's.
			shared, res := r.newTask(r.caseworker, fmt.Sprintf(`{"title": "Book the interpreter", "due_at": %q, "case_id": %q, "assignee_key_id": %q}`, due, c.ID, r.keyID(r.keyB)))
			if res.status != 201 {
				t.Fatalf("assigned task: %d %s", res.status, res.body)
			}
			if mine := r.tasks("/tasks", r.caseworker); len(mine) != 3 {
				t.Errorf("caseworker sees %d tasks, want 3 (not the agency key's)", len(mine))
			}
			if all := r.tasks("/tasks?assignee=agency", r.caseworker); len(all) != 4 {
				t.Errorf("assignee=agency has %d tasks, want 4", len(all))
			}
			if agency := r.tasks("/tasks?assignee=me", r.keyB); len(agency) != 1 || agency[0].ID != shared.ID {
				t.Errorf("the agency key's own tasks = %+v", agency)
			}

			// PATCH: If-Match, then done; a lifecycle task is finished by its move.
			path := "/tasks/" + task.ID
			if res := r.send("PATCH", path, `{"done": true}`, r.caseworker); res.status != 428 {
				t.Errorf("PATCH without If-Match: %d", res.status)
			}
			if res := r.send("PATCH", path, `{"done": true}`, r.caseworker, "If-Match", `"task-v9"`); res.status != 412 {
				t.Errorf("PATCH with a stale ETag: %d", res.status)
			}
			res = r.send("PATCH", path, `{"done": true, "note": ""}`, r.caseworker, "If-Match", `"task-v1"`)
			var done taskOut
			res.json(t, &done)
			if res.status != 200 || done.DoneAt == nil || done.Version != 2 || done.HasNote || res.header.Get("ETag") != `"task-v2"` {
				t.Errorf("PATCH done: %d %s", res.status, res.body)
			}
			if fin := r.tasks("/tasks?done=true", r.caseworker); len(fin) != 1 || fin[0].ID != task.ID {
				t.Errorf("done=true = %+v", fin)
			}
			checkin := r.tasks("/tasks?priority=routine", r.caseworker)[1]
			if checkin.Kind != "checkin" {
				t.Fatalf("want the check-in, got %+v", checkin)
			}
			cpath := "/tasks/" + checkin.ID
			res = r.send("PATCH", cpath, `{"done": true}`, r.caseworker, "If-Match", `"task-v1"`)
			if res.status != 409 || !strings.Contains(string(res.body), "/notes") {
				t.Errorf("PATCH a check-in done: %d %s", res.status, res.body)
			}
			if res := r.send("PATCH", cpath, `{"priority": "urgent"}`, r.caseworker, "If-Match", `"task-v1"`); res.status != 200 {
				t.Errorf("PATCH a check-in's priority: %d %s", res.status, res.body)
			}
			if res := r.send("DELETE", cpath, "", r.caseworker, "If-Match", `"task-v2"`); res.status != 409 {
				t.Errorf("DELETE a check-in: %d %s", res.status, res.body)
			}
			// The referral's note closes the check-in, as the 409 said.
			r.send("POST", "/referrals/"+ref.ID+"/notes", `{"note": "Maria went on Tuesday"}`, r.caseworker)
			if res := r.send("GET", cpath, "", r.caseworker); res.status != 200 || !strings.Contains(string(res.body), `"done_at":"`) {
				t.Errorf("check-in after the note: %d %s", res.status, res.body)
			}

			// Overdue once the clock passes the due time.
			r.clock.Add(72 * time.Hour)
			if od := r.tasks("/tasks?overdue=true", r.caseworker); len(od) != 1 || od[0].ID != routine.ID || !od[0].Overdue {
				t.Errorf("overdue = %+v", od)
			}

			// DELETE an own task.
			if res := r.send("DELETE", "/tasks/"+routine.ID, "", r.caseworker, "If-Match", `"task-v1"`); res.status != 204 {
				t.Errorf("DELETE: %d %s", res.status, res.body)
			}
			if res := r.send("GET", "/tasks/"+routine.ID, "", r.caseworker); res.status != 404 {
				t.Errorf("GET a deleted task: %d", res.status)
			}
			if res := r.send("GET", "/tasks?case_id="+other.ID, "", r.caseworker); res.status != 404 {
				t.Errorf("GET /tasks?case_id=<another agency's case>: %d", res.status)
			}
		})
	}
}

// TestTasks_People: a task assigned to a staff person is on the worklist of
// every key acting for them; a person of another agency cannot be named;
// a person's caseload holds the cases opened with their key.
func TestTasks_People(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d)
			ana := r.addPerson(r.agencyB, r.admin, "Ana Ruiz", "ana@navigators.example", "caseworker")
			kim := r.addPerson(r.agencyC, r.admin, "Kim Lee", "kim@third.example", "caseworker")
			var key struct{ Key string }
			res := r.send("POST", "/agencies/"+r.agencyB+"/keys", `{"role": "caseworker", "name": "Ana's key", "person_id": "`+ana.ID+`"}`, r.admin)
			if res.json(t, &key); res.status != 201 {
				t.Fatalf("Ana's key: %d %s", res.status, res.body)
			}
			hers := r.newCase(key.Key)
			mine := r.newCase(r.caseworker)
			due := r.clock.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)

			task, res := r.newTask(r.caseworker, fmt.Sprintf(`{"title": "Cover the home visit", "due_at": %q, "case_id": %q, "assignee_person_id": %q}`, due, mine.ID, ana.ID))
			if res.status != 201 || task.AssigneeKeyID != nil || !strings.Contains(string(res.body), `"assignee_person_id":"`+ana.ID+`"`) {
				t.Fatalf("assign to Ana: %d %s", res.status, res.body)
			}
			has := func(ts []taskOut, id string) bool {
				for _, x := range ts {
					if x.ID == id {
						return true
					}
				}
				return false
			}
			if !has(r.tasks("/tasks", key.Key), task.ID) {
				t.Errorf("Ana's key does not see the task assigned to her")
			}
			if has(r.tasks("/tasks", r.caseworker), task.ID) {
				t.Errorf("the assigning caseworker still has the task")
			}
			var acting struct{ Contents []taskOut }
			r.send("GET", "/tasks", "", r.caseworker, "Linkage-Acting-Person", ana.ID).json(t, &acting)
			if !has(acting.Contents, task.ID) {
				t.Errorf("a key acting for Ana does not see her task")
			}
			res = r.send("POST", "/tasks", fmt.Sprintf(`{"title": "x", "due_at": %q, "case_id": %q, "assignee_person_id": %q}`, due, mine.ID, kim.ID), r.caseworker)
			if res.status != 422 || !strings.Contains(string(res.body), "/assignee_person_id") || strings.Contains(string(res.body), "Kim") {
				t.Errorf("a person of another agency: %d %s", res.status, res.body)
			}

			// Caseloads: by person, by her key, and the other caseworker's own.
			for _, c := range []struct {
				path, key, want string
			}{{"/caseload?caseworker=" + ana.ID, r.keyB, hers.ID}, {"/caseload", key.Key, hers.ID}, {"/caseload", r.caseworker, mine.ID}} {
				got := r.caseload(c.path, c.key, 200)
				if len(got) != 1 || got[0].ID != c.want {
					t.Errorf("GET %s: %+v, want case %s", c.path, got, c.want)
				}
			}
			r.caseload("/caseload?caseworker="+kim.ID, r.keyB, 404)
		})
	}
}

// TestTasks_OutOfNetworkAndRisks: an out-of-network referral's check-in and
// a dated risk's task are on the caseworker's worklist like the others; a
// risk's task is finished by PATCH, never deleted.
func TestTasks_OutOfNetworkAndRisks(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d)
			c := r.newCase(r.caseworker)
			ref, _ := r.post(c, svcRentalAid, `, "need": "housing", "method": "phone"`, 201)
			etag := r.send("GET", "/cases/"+c.ID, "", r.caseworker).header.Get("ETag")
			if res := r.send("PATCH", "/cases/"+c.ID, `{"assessment": {"risks": [{"kind": "eviction", "date": "2026-12-16"}]}}`, r.caseworker, "If-Match", etag); res.status != 200 {
				t.Fatalf("PATCH the case's risks: %d %s", res.status, res.body)
			}
			items := r.tasks("/tasks", r.caseworker)
			var checkin, risk *taskOut
			for i := range items {
				switch items[i].Kind {
				case "checkin":
					checkin = &items[i]
				case "risk":
					risk = &items[i]
				}
			}
			if checkin == nil || checkin.Referral == nil || checkin.Referral.ID != ref.ID || checkin.Title != "Check in with the client about "+checkin.Referral.ServiceName ||
				checkin.ClientName == nil || *checkin.ClientName != "Maria Lopez" {
				t.Errorf("out-of-network check-in = %+v", checkin)
			}
			if risk == nil || risk.Priority != "urgent" || risk.Title == "" || risk.CaseID == nil || *risk.CaseID != c.ID || risk.ClientName == nil {
				t.Fatalf("risk task = %+v in %+v", risk, items)
			}
			// The check-in that the client connected (2 business days) comes
			// before the eviction's task (2 business days before the 16th).
			if len(items) != 2 || items[0].ID != checkin.ID || !items[0].DueAt.Before(items[1].DueAt) || !risk.DueAt.Before(time.Date(2026, 12, 16, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("worklist order = %+v", items)
			}
			path := "/tasks/" + risk.ID
			if res := r.send("DELETE", path, "", r.caseworker, "If-Match", fmt.Sprintf(`"task-v%d"`, risk.Version)); res.status != 409 || !strings.Contains(string(res.body), "done") {
				t.Errorf("DELETE a risk's task: %d %s", res.status, res.body)
			}
			if res := r.send("PATCH", path, `{"done": true}`, r.caseworker, "If-Match", fmt.Sprintf(`"task-v%d"`, risk.Version)); res.status != 200 {
				t.Errorf("PATCH a risk's task done: %d %s", res.status, res.body)
			}
		})
	}
}

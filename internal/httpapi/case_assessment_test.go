package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/store/storetest"
)

// The Monday-morning client: 34, Spanish-speaking, two children, $1,800 a
// month, an eviction on the 16th (a Wednesday).
const mondayCase = `{"client": {"given_name": "María", "family_name": "Pérez-Soto", "birth_date": "1992-03-14", "preferred_language": "es", "postal_code": "33125"},
 "needs": [{"domain": "housing"}, {"domain": "food"}],
 "consent": {"scope": ["name", "contact", "language", "needs"], "given_on": "2026-11-30"},
 "assessment": {"income": 1800, "income_period": "month", "household_size": 3, "children_ages": [6, 9], "insurance": ["Medicaid"],
  "languages": ["es"], "county": "Miami-Dade", "state": "fl", "urgency": "urgent",
  "risks": [{"kind": "eviction", "date": "2026-12-16", "note": "Notice served"}, {"kind": "safety", "note": "Ex-partner"}]}}`

type assessedCase struct {
	ID         string `json:"id"`
	Version    int    `json:"version"`
	Status     string `json:"status"`
	Assessment struct {
		Income       *float64 `json:"income"`
		Insurance    []string `json:"insurance"`
		State        string   `json:"state"`
		County       string   `json:"county"`
		Urgency      string   `json:"urgency"`
		ChildrenAges []int    `json:"children_ages"`
		Risks        []struct{ ID, Kind, Date, Note string }
	} `json:"assessment"`
	Needs []struct{ ID, Domain string } `json:"needs"`
}

func (r *refEnv) mondayCase() assessedCase {
	r.t.Helper()
	res := r.send("POST", "/cases", mondayCase, r.caseworker)
	if res.status != 201 {
		r.t.Fatalf("POST /cases: %d %s", res.status, res.body)
	}
	var c assessedCase
	res.json(r.t, &c)
	return c
}

// patchCase merge-patches case id as the sender's caseworker.
func (r *refEnv) patchCase(id string, version int, body string) (int, assessedCase, string) {
	r.t.Helper()
	res := r.send("PATCH", "/cases/"+id, body, r.caseworker, "If-Match", fmt.Sprintf(`"case-v%d"`, version), "Content-Type", "application/merge-patch+json")
	var c assessedCase
	if res.status == 200 {
		res.json(r.t, &c)
	}
	return res.status, c, string(res.body)
}

func TestCases_Assessment(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d)
			c := r.mondayCase()
			a := c.Assessment
			if a.Income == nil || *a.Income != 1800 || a.State != "FL" || len(a.Insurance) != 1 || a.Insurance[0] != "medicaid" || a.Urgency != "urgent" ||
				len(a.Risks) != 2 || a.Risks[0].ID == "" || a.Risks[0].Date != "2026-12-16" || a.Risks[1].Kind != "safety" {
				t.Fatalf("assessment as stored: %+v", a)
			}
			// Sealed at rest; the area is the one clear value.
			raw := rawRow(t, r.store, "cases", c.ID)
			for _, clear := range []string{"1800", "Medicaid", "medicaid", "Notice served", "eviction", "Ex-partner"} {
				if strings.Contains(raw, clear) {
					t.Errorf("%q in clear in the cases row", clear)
				}
			}
			if !strings.Contains(raw, "|miami-dade|") {
				t.Errorf("area not miami-dade: %s", raw)
			}
			var got assessedCase
			r.send("GET", "/cases/"+c.ID, "", r.caseworker).json(t, &got)
			if got.Assessment.County != "Miami-Dade" || len(got.Assessment.ChildrenAges) != 2 {
				t.Errorf("GET: %+v", got.Assessment)
			}

			// A merge patch changes one fact and keeps the rest; risks are
			// replaced whole, kept by id.
			body := fmt.Sprintf(`{"assessment": {"income": 2100, "county": null, "risks": [{"id": %q, "kind": "eviction", "date": "2026-12-18"}]}}`, a.Risks[0].ID)
			st, p, msg := r.patchCase(c.ID, c.Version, body)
			if st != 200 || *p.Assessment.Income != 2100 || p.Assessment.County != "" || p.Assessment.Urgency != "urgent" ||
				len(p.Assessment.Risks) != 1 || p.Assessment.Risks[0].ID != a.Risks[0].ID || p.Assessment.Risks[0].Date != "2026-12-18" {
				t.Fatalf("patch assessment: %d %s", st, msg)
			}
			// Without the county the area is the postal code's first three characters.
			if raw := rawRow(t, r.store, "cases", c.ID); !strings.Contains(raw, "|331|") {
				t.Errorf("area not 331 after the county went: %s", raw)
			}

			// Field mistakes name the field, in the contract's check and the server's.
			for body, ptr := range map[string]string{
				`{"assessment": {"income": -5, "income_period": "month"}}`:                                      "/assessment/income",
				`{"assessment": {"income": 5, "income_period": null}}`:                                          "/assessment/income_period",
				`{"assessment": {"urgency": "soon"}}`:                                                           "/assessment/urgency",
				`{"assessment": {"gender": "x"}}`:                                                               "/assessment/gender",
				`{"assessment": {"children_ages": [40]}}`:                                                       "/assessment/children_ages/0",
				`{"assessment": {"risks": [{"kind": "eviction"}]}}`:                                             "/assessment/risks/0/date",
				`{"assessment": {"risks": [{"kind": "flood", "date": "2026-12-01"}]}}`:                          "/assessment/risks/0/kind",
				`{"assessment": {"risks": [{"kind": "other", "date": "16th"}]}}`:                                "/assessment/risks/0/date",
				`{"assessment": {"risks": [{"id": "00000000-0000-4000-8000-000000000009", "kind": "crisis"}]}}`: "/assessment/risks/0/id",
				`{"assessment": {"shoe_size": 9}}`:                                                              "/assessment/shoe_size",
				`{"assessment": {"income": "lots"}}`:                                                            "/assessment/income",
				`{"client": {"income": 1800}}`:                                                                  "/client/income",
				`{"assessment": {"risks": [{"kind": "crisis", "when": "now"}]}}`:                                "/assessment/risks/0",
			} {
				var cur assessedCase
				r.send("GET", "/cases/"+c.ID, "", r.caseworker).json(t, &cur)
				st, _, msg := r.patchCase(c.ID, cur.Version, body)
				if (st != 422 && st != 400) || !strings.Contains(msg, `"pointer":"`+ptr) || strings.Contains(msg, "allOf") {
					t.Errorf("%s: %d %s, want a field error at %s", body, st, clipBody([]byte(msg)), ptr)
				}
			}
			if res := r.send("POST", "/cases", `{"client": {"given_name": "A", "family_name": "B", "income": 1800}}`, r.caseworker); res.status != 400 ||
				!strings.Contains(string(res.body), `"pointer":"/client/income"`) || strings.Contains(string(res.body), "allOf") {
				t.Errorf("POST /cases with income in client: %d %s", res.status, res.body)
			}

			// The receiving agency never sees the assessment.
			ref := r.send("POST", "/referrals", fmt.Sprintf(`{"case_id": %q, "service_id": %q, "need": "food"}`, c.ID, svcPantry), r.caseworker)
			var refOut referralOut
			ref.json(t, &refOut)
			if ref.status != 201 {
				t.Fatalf("refer: %d %s", ref.status, ref.body)
			}
			for _, key := range []string{r.keyA, r.cwA} {
				res := r.send("GET", "/referrals/"+refOut.ID, "", key)
				for _, secret := range []string{"2100", "medicaid", "2026-12-18", "assessment", "urgent\"", "children"} {
					if strings.Contains(string(res.body), secret) {
						t.Errorf("receiver sees %q: %s", secret, res.body)
					}
				}
			}
		})
	}
}

func TestCases_SearchFromAssessment(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d)
			c := r.mondayCase()
			type sources struct {
				Sources *struct{ Case, Request []string } `json:"profile_sources"`
				Total   int                               `json:"total_items"`
			}
			res := r.send("POST", "/search", fmt.Sprintf(`{"q": "food", "case_id": %q}`, c.ID), r.caseworker)
			var only sources
			res.json(t, &only)
			if res.status != 200 || only.Sources == nil || len(only.Sources.Request) != 0 ||
				!strings.Contains(strings.Join(only.Sources.Case, ","), "income") || !strings.Contains(strings.Join(only.Sources.Case, ","), "county") {
				t.Fatalf("search from the case: %d %s", res.status, clipBody(res.body))
			}
			// The request adds and overrides facts.
			res = r.send("POST", "/search", fmt.Sprintf(`{"q": "food", "case_id": %q, "client": {"veteran": true, "income": 500, "income_period": "month"}}`, c.ID), r.caseworker)
			var both sources
			res.json(t, &both)
			src := both.Sources
			if res.status != 200 || src == nil || strings.Join(src.Request, ",") != "income,income_period,veteran" ||
				strings.Contains(strings.Join(src.Case, ","), "income") || !strings.Contains(strings.Join(src.Case, ","), "birth_date") {
				t.Fatalf("search from the case with facts: %d %s", res.status, clipBody(res.body))
			}
			// null removes a case's fact for this search.
			res = r.send("POST", "/search", fmt.Sprintf(`{"q": "food", "case_id": %q, "client": {"income": null, "income_period": null, "county": null}}`, c.ID), r.caseworker)
			var removed sources
			res.json(t, &removed)
			if cs := strings.Join(removed.Sources.Case, ","); res.status != 200 || strings.Contains(cs, "income") || strings.Contains(cs, "county") || !strings.Contains(cs, "birth_date") {
				t.Errorf("null over the case's facts: %d %s", res.status, clipBody(res.body))
			}
			// An age from the request replaces the case's birth date, not a contradiction.
			res = r.send("POST", "/search", fmt.Sprintf(`{"q": "food", "case_id": %q, "client": {"age": 70}}`, c.ID), r.caseworker)
			if res.status != 200 || strings.Contains(string(res.body), `"birth_date"`) {
				t.Errorf("age over the case's birth date: %d %s", res.status, clipBody(res.body))
			}
			// A request fact that contradicts the case's names the field.
			res = r.send("POST", "/search", fmt.Sprintf(`{"q": "food", "case_id": %q, "client": {"household_size": 2}}`, c.ID), r.caseworker)
			if res.status != 400 || !strings.Contains(string(res.body), "/client/household_size") {
				t.Errorf("contradicting fact: %d %s", res.status, clipBody(res.body))
			}
			// The profile's facts judge: an income far above the line is unmet where a line applies.
			if only.Total == 0 {
				t.Errorf("no results from the case")
			}
			// Reading the case for the search is audited.
			if n := countAudit(t, r, "read", "case", c.ID); n < 3 {
				t.Errorf("%d audited reads of the case, want at least 3", n)
			}
		})
	}
}

func countAudit(t *testing.T, r *refEnv, action, typ, id string) int {
	t.Helper()
	var n int
	err := r.store.DB().QueryRow("SELECT COUNT(*) FROM audit_log WHERE action = $1 AND resource_type = $2 AND resource_id = $3", action, typ, id).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// riskTask is a risk's task as the followups table holds it.
type riskTask struct {
	id, title, priority, assigneeAgency string
	assigneeKey                         *string
	due                                 time.Time
	done                                bool
}

func riskTasks(t *testing.T, r *refEnv, caseID string) map[string]riskTask {
	t.Helper()
	rows, err := r.store.DB().Query(`SELECT id, source_id, title, priority, assignee_agency_id, assignee_key_id, due_at, done_at IS NOT NULL
		FROM followups WHERE case_id = $1 AND kind = 'risk'`, caseID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]riskTask{}
	for rows.Next() {
		var f riskTask
		var src string
		var due any
		if err := rows.Scan(&f.id, &src, &f.title, &f.priority, &f.assigneeAgency, &f.assigneeKey, &due, &f.done); err != nil {
			t.Fatal(err)
		}
		f.due = scanTime(t, due)
		out[src] = f
	}
	return out
}

// scanTime reads a timestamp as either driver gives it.
func scanTime(t *testing.T, v any) time.Time {
	t.Helper()
	switch x := v.(type) {
	case time.Time:
		return x.UTC()
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999+00:00", "2006-01-02 15:04:05"} {
			if tm, err := time.Parse(layout, x); err == nil {
				return tm.UTC()
			}
		}
	}
	t.Fatalf("not a time: %#v", v)
	return time.Time{}
}

func TestCases_RiskTasks(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d) // Wednesday 2 December 2026, 10:00 in New York
			c := r.mondayCase()
			eviction, safety := c.Assessment.Risks[0].ID, c.Assessment.Risks[1].ID
			tasks := riskTasks(t, r, c.ID)
			ev, ok := tasks[eviction]
			// Wednesday the 16th at 09:00 in New York, two business days
			// before: Monday the 14th, 09:00 EST = 14:00 UTC.
			if !ok || len(tasks) != 1 || ev.done || ev.priority != "urgent" || ev.title != "Eviction on 2026-12-16: act before it" ||
				ev.assigneeAgency != r.agencyB || ev.assigneeKey == nil || !ev.due.Equal(time.Date(2026, 12, 14, 14, 0, 0, 0, time.UTC)) {
				t.Fatalf("risk tasks after create: %+v", tasks)
			}
			if _, ok := tasks[safety]; ok {
				t.Errorf("an undated risk opened a task")
			}
			// A new date moves the open task (the 21st, a Monday: back to Thursday the 17th).
			body := fmt.Sprintf(`{"assessment": {"risks": [{"id": %q, "kind": "eviction", "date": "2026-12-21"}, {"id": %q, "kind": "safety"},
				{"kind": "utility_shutoff", "date": "2026-12-03"}]}}`, eviction, safety)
			st, p, msg := r.patchCase(c.ID, c.Version, body)
			if st != 200 {
				t.Fatalf("patch risks: %d %s", st, msg)
			}
			tasks = riskTasks(t, r, c.ID)
			if m := tasks[eviction]; m.id != ev.id || !m.due.Equal(time.Date(2026, 12, 17, 14, 0, 0, 0, time.UTC)) || m.title != "Eviction on 2026-12-21: act before it" {
				t.Errorf("moved task: %+v", m)
			}
			// A shut-off tomorrow: two business days before is past, so due now.
			shutoff := p.Assessment.Risks[2].ID
			if s := tasks[shutoff]; !s.due.Equal(r.clock.Now().UTC()) || s.done {
				t.Errorf("shut-off task: %+v, want due now", s)
			}
			// An edit that leaves the risks as they are moves nothing.
			r.clock.Add(time.Hour)
			st, p, msg = r.patchCase(c.ID, p.Version, `{"assessment": {"income": 1700}}`)
			if st != 200 || !riskTasks(t, r, c.ID)[shutoff].due.Equal(tasks[shutoff].due) {
				t.Errorf("unrelated edit moved a task: %d %s", st, msg)
			}
			// Removing a risk closes its task; closing the case closes the rest.
			st, p, msg = r.patchCase(c.ID, p.Version, fmt.Sprintf(`{"assessment": {"risks": [{"id": %q, "kind": "eviction", "date": "2026-12-21"}]}}`, eviction))
			if tasks = riskTasks(t, r, c.ID); st != 200 || !tasks[shutoff].done || tasks[eviction].done {
				t.Errorf("after removing the shut-off: %d %+v %s", st, tasks, msg)
			}
			own := r.send("POST", "/tasks", fmt.Sprintf(`{"title": "Call the landlord", "due_at": "2026-12-03T15:00:00Z", "case_id": %q}`, c.ID), r.caseworker)
			if own.status != 201 {
				t.Fatalf("own task: %d %s", own.status, own.body)
			}
			st, _, msg = r.patchCase(c.ID, p.Version, `{"status": "closed"}`)
			if tasks = riskTasks(t, r, c.ID); st != 200 || !tasks[eviction].done {
				t.Errorf("after closing the case: %d %+v %s", st, tasks, msg)
			}
			var open struct{ Contents []struct{ Title string } }
			r.send("GET", "/tasks?case_id="+c.ID, "", r.caseworker).json(t, &open)
			if len(open.Contents) != 0 {
				t.Errorf("a closed case's tasks are still open: %+v", open.Contents)
			}
		})
	}
}

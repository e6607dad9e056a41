package httpapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// A time no one means (the year 10000 in UTC, the year 0) is a 4xx naming
// its field, written nowhere: before, such a due date was stored and every
// later read of the agency's worklist was a 500.
func TestTimes_OutOfRangeRefused(t *testing.T) {
	const far = "9999-12-31T23:59:59-23:59" // the year 10000 in UTC
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d)
			c, ref := r.refer(svcPantry, "")
			for _, x := range []struct {
				method, path, body, key, field string
				want                           int
			}{
				{"POST", "/tasks", fmt.Sprintf(`{"title": "x", "due_at": %q, "case_id": %q}`, far, c.ID), r.caseworker, "/due_at", 422},
				{"POST", "/tasks", fmt.Sprintf(`{"title": "x", "due_at": "0001-01-01T00:00:00Z", "case_id": %q}`, c.ID), r.caseworker, "/due_at", 422},
				{"POST", "/referrals/" + ref.ID + "/transitions", fmt.Sprintf(`{"to": "accepted", "appointment_at": %q}`, far), r.keyA, "/appointment_at", 422},
				{"POST", "/referrals", fmt.Sprintf(`{"case_id": %q, "service_id": %q, "need": "housing", "method": "phone", "appointment_at": %q}`, c.ID, svcRentalAid, far), r.caseworker, "/appointment_at", 422},
				{"GET", "/reports/barriers?to=0000-02-01", "", r.caseworker, "to", 400},
				{"GET", "/reports/referrals?to=" + strings.ReplaceAll(far, "-23:59", "%2D23:59"), "", r.caseworker, "to", 400},
				{"GET", "/tasks?due_before=0000-02-01", "", r.caseworker, "due_before", 400},
				{"GET", "/audit?from=9999-12-31T23:59:59-23:59", "", r.admin, "from", 400},
			} {
				res := r.send(x.method, x.path, x.body, x.key)
				if res.status != x.want || !strings.Contains(string(res.body), x.field) || !strings.Contains(string(res.body), "1900") {
					t.Errorf("%s %s: %d %s", x.method, x.path, res.status, res.body)
				}
			}
			for _, path := range []string{"/tasks", "/caseload", "/referrals/" + ref.ID} {
				if res := r.send("GET", path, "", r.caseworker); res.status != 200 {
					t.Errorf("GET %s after the refusals: %d %s", path, res.status, res.body)
				}
			}
			var tasks struct{ Contents []struct{ Title string } }
			r.send("GET", "/tasks?case_id="+c.ID, "", r.caseworker).json(t, &tasks)
			for _, x := range tasks.Contents {
				if x.Title == "x" {
					t.Errorf("a refused task was written")
				}
			}
		})
	}
}

// A date a caseworker mistyped is answered with an example, never the
// contract's regular expression.
func TestTimes_MistypedDatesSayWhatToSend(t *testing.T) {
	r := newReferrals(t, store.SQLite)
	c := r.newCase(r.caseworker)
	res := r.send("POST", "/tasks", fmt.Sprintf(`{"title": "x", "due_at": "tomorrow 3pm", "case_id": %q}`, c.ID), r.caseworker)
	if body := string(res.body); res.status != 400 || !strings.Contains(body, "2026-12-08T15:00:00Z") || strings.Contains(body, "pattern") || strings.Contains(body, "[0-9]") {
		t.Errorf("mistyped due_at: %d %s", res.status, body)
	}
}

package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/store/storetest"
)

// TestWorklistMatrix: every route of the worklist, the caseload and the
// barrier report, for each kind of caller: the case's own caseworker and
// agency key (agency B), another agency's caseworker and agency key
// (agency C), a portal key, no key, and an admin. Another agency never
// sees agency B's tasks, cases or client, and its ids are 404 there.
func TestWorklistMatrix(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d)
			c, _ := r.refer(svcPantry, "")
			due := r.clock.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)
			body := fmt.Sprintf(`{"title": "Call the landlord", "due_at": %q, "case_id": %q}`, due, c.ID)
			// Tasks for the routes that change one: each caller gets its own.
			tasks := map[string]string{}
			for _, who := range []string{"cw", "agency", "other cw", "other agency", "portal", "anonymous", "admin"} {
				tk, res := r.newTask(r.caseworker, body)
				if res.status != 201 {
					t.Fatalf("POST /tasks: %d %s", res.status, res.body)
				}
				tasks[who] = tk.ID
			}
			callers := []struct{ who, key string }{
				{"cw", r.caseworker}, {"agency", r.keyB}, {"other cw", r.cwC}, {"other agency", r.keyC},
				{"portal", r.portal}, {"anonymous", ""}, {"admin", r.admin},
			}
			routes := []struct {
				method, path string // path may hold %s for the caller's task
				body         string
				ifMatch      bool
				want         map[string]int
			}{
				{"GET", "/tasks?assignee=agency", "", false, map[string]int{"cw": 200, "agency": 200, "other cw": 200, "other agency": 200, "portal": 403, "anonymous": 401, "admin": 403}},
				{"GET", "/followups?assignee=agency", "", false, map[string]int{"cw": 200, "agency": 200, "other cw": 200, "other agency": 200, "portal": 403, "anonymous": 401, "admin": 403}},
				{"POST", "/tasks", body, false, map[string]int{"cw": 201, "agency": 201, "other cw": 422, "other agency": 422, "portal": 403, "anonymous": 401, "admin": 403}},
				{"GET", "/tasks/%s", "", false, map[string]int{"cw": 200, "agency": 200, "other cw": 404, "other agency": 404, "portal": 403, "anonymous": 401, "admin": 403}},
				{"PATCH", "/tasks/%s", `{"priority": "urgent"}`, true, map[string]int{"cw": 200, "agency": 200, "other cw": 404, "other agency": 404, "portal": 403, "anonymous": 401, "admin": 403}},
				{"DELETE", "/tasks/%s", "", true, map[string]int{"cw": 204, "agency": 204, "other cw": 404, "other agency": 404, "portal": 403, "anonymous": 401, "admin": 403}},
				{"GET", "/tasks?case_id=" + c.ID, "", false, map[string]int{"cw": 200, "agency": 200, "other cw": 404, "other agency": 404, "portal": 403, "anonymous": 401, "admin": 403}},
				{"GET", "/caseload", "", false, map[string]int{"cw": 200, "agency": 200, "other cw": 200, "other agency": 200, "portal": 403, "anonymous": 401, "admin": 403}},
				{"GET", "/caseload?caseworker=" + r.keyID(r.caseworker), "", false, map[string]int{"cw": 200, "agency": 200, "other cw": 404, "other agency": 404, "portal": 403, "anonymous": 401, "admin": 403}},
				{"GET", "/reports/barriers", "", false, map[string]int{"cw": 200, "agency": 200, "other cw": 200, "other agency": 200, "portal": 403, "anonymous": 401, "admin": 200}},
			}
			for _, rt := range routes {
				for _, cl := range callers {
					path := rt.path
					if strings.Contains(path, "%s") {
						path = fmt.Sprintf(path, tasks[cl.who])
					}
					var hdr []string
					if rt.ifMatch {
						hdr = []string{"If-Match", r.send("GET", path, "", r.caseworker).header.Get("ETag")}
					}
					res := r.send(rt.method, path, rt.body, cl.key, hdr...)
					if want := rt.want[cl.who]; res.status != want {
						t.Errorf("%s %s as %s: %d, want %d: %s", rt.method, rt.path, cl.who, res.status, want, res.body)
					}
					if strings.HasPrefix(cl.who, "other") || cl.who == "portal" || cl.who == "anonymous" {
						for _, secret := range []string{"Maria", "Lopez", c.ID, tasks["cw"]} {
							// (A 404 may repeat the id the caller sent.)
							if strings.Contains(string(res.body), secret) && !strings.Contains(path, secret) {
								t.Errorf("%s %s as %s shows %q: %s", rt.method, rt.path, cl.who, secret, res.body)
							}
						}
					}
				}
			}
		})
	}
}

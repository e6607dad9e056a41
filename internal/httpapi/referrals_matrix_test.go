package httpapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/linkage-org/linkage/internal/store/storetest"
)

// TestReferrals_Matrix walks every case, referral, follow-up, report and
// webhook route with every kind of caller: no key, admin, portal, and the
// agency and caseworker keys of the sending agency (B), the receiving
// agency (A) and a third agency (C). Another agency's private records are
// 404; a role that never works them is 403.
func TestReferrals_Matrix(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d)
			callers := []matrixCaller{
				{"anonymous", ""}, {"admin", r.admin}, {"portal", r.portal},
				{"sender-agency", r.keyB}, {"sender-caseworker", r.caseworker},
				{"receiver-agency", r.keyA}, {"receiver-caseworker", r.cwA},
				{"third-agency", r.keyC}, {"third-caseworker", r.cwC},
			}
			refer := func() (caseOut, referralOut) { return r.refer(svcPantry, "") }
			completed := func() referralOut {
				_, ref := refer()
				for _, to := range []string{`{"to": "accepted"}`, `{"to": "completed", "outcome": "partly_provided"}`} {
					if st, _, msg := r.move(ref.ID, r.keyA, to); st != 200 {
						t.Fatalf("setup move %s: %d %s", to, st, msg)
					}
				}
				return ref
			}
			var hookA string
			if res := r.send("POST", "/webhooks", `{"url": "https://hooks.example.org/a", "events": ["referral.created"]}`, r.keyA); res.status != 201 {
				t.Fatalf("create webhook: %d %s", res.status, res.body)
			} else {
				var w struct{ ID string }
				res.json(t, &w)
				hookA = w.ID
			}
			// Without the operator's leave, webhooks reach public addresses only.
			for _, u := range []string{"http://169.254.169.254/latest", "http://127.0.0.1:8080/x", "http://localhost/x", "http://10.0.0.8/x", "http://[::1]/x"} {
				if res := r.send("POST", "/webhooks", fmt.Sprintf(`{"url": %q, "events": ["listing.stale"]}`, u), r.keyA); res.status != 422 {
					t.Errorf("a webhook to %s: %d", u, res.status)
				}
			}
			c0, ref0 := refer()
			notHas := func(id string) func(string, string) error {
				return func(caller, body string) error {
					if strings.Contains(caller, "third") && strings.Contains(body, id) {
						return fmt.Errorf("lists %s", id)
					}
					return nil
				}
			}
			const n4 = 401
			rows := []matrixRow{
				{"POST /cases", func() (string, string, string, []string) { return "POST", "/cases", caseJSON, nil },
					[]int{n4, 403, 403, 403, 201, 403, 201, 403, 201}, nil},
				{"GET /cases", func() (string, string, string, []string) { return "GET", "/cases", "", nil },
					[]int{n4, 403, 403, 403, 200, 403, 200, 403, 200}, func(caller, body string) error {
						if (caller == "sender-caseworker") != strings.Contains(body, c0.ID) {
							return fmt.Errorf("case %s listed: %v", c0.ID, strings.Contains(body, c0.ID))
						}
						return nil
					}},
				{"GET /cases/{id}", func() (string, string, string, []string) { return "GET", "/cases/" + c0.ID, "", nil },
					[]int{n4, 403, 403, 403, 200, 403, 404, 403, 404}, nil},
				{"PATCH /cases/{id}", func() (string, string, string, []string) {
					c := r.newCase(r.caseworker)
					return "PATCH", "/cases/" + c.ID, `{"status": "closed"}`, []string{"If-Match", fmt.Sprintf(`"case-v%d"`, c.Version)}
				}, []int{n4, 403, 403, 403, 200, 403, 404, 403, 404}, nil},
				{"POST /cases/{id}/needs", func() (string, string, string, []string) {
					c := r.newCase(r.caseworker)
					return "POST", "/cases/" + c.ID + "/needs", `{"domain": "legal"}`, []string{"If-Match", fmt.Sprintf(`"case-v%d"`, c.Version)}
				}, []int{n4, 403, 403, 403, 201, 403, 404, 403, 404}, nil},
				{"PATCH /cases/{id}/needs/{need_id}", func() (string, string, string, []string) {
					c := r.newCase(r.caseworker)
					return "PATCH", "/cases/" + c.ID + "/needs/" + c.Needs[0].ID, `{"status": "met"}`, []string{"If-Match", fmt.Sprintf(`"case-v%d"`, c.Version)}
				}, []int{n4, 403, 403, 403, 200, 403, 404, 403, 404}, nil},
				{"DELETE /cases/{id}/needs/{need_id}", func() (string, string, string, []string) {
					c := r.newCase(r.caseworker)
					return "DELETE", "/cases/" + c.ID + "/needs/" + c.Needs[1].ID, "", []string{"If-Match", fmt.Sprintf(`"case-v%d"`, c.Version)}
				}, []int{n4, 403, 403, 403, 200, 403, 404, 403, 404}, nil},
				{"POST /referrals", func() (string, string, string, []string) {
					c := r.newCase(r.caseworker)
					return "POST", "/referrals", fmt.Sprintf(`{"case_id": %q, "service_id": %q, "need": "food"}`, c.ID, svcSNAP), nil
				}, []int{n4, 403, 403, 403, 201, 403, 422, 403, 422}, nil},
				{"GET /referrals?direction=received", func() (string, string, string, []string) { return "GET", "/referrals?direction=received", "", nil },
					[]int{n4, 403, 403, 200, 200, 200, 200, 200, 200}, func(caller, body string) error {
						if strings.HasPrefix(caller, "receiver") != strings.Contains(body, ref0.ID) {
							return fmt.Errorf("referral %s listed: %v", ref0.ID, strings.Contains(body, ref0.ID))
						}
						return nil
					}},
				{"GET /referrals?direction=sent", func() (string, string, string, []string) { return "GET", "/referrals?direction=sent", "", nil },
					[]int{n4, 403, 403, 200, 200, 200, 200, 200, 200}, func(caller, body string) error {
						if strings.HasPrefix(caller, "sender") != strings.Contains(body, ref0.ID) {
							return fmt.Errorf("referral %s listed: %v", ref0.ID, strings.Contains(body, ref0.ID))
						}
						return nil
					}},
				{"GET /referrals/{id}", func() (string, string, string, []string) { return "GET", "/referrals/" + ref0.ID, "", nil },
					[]int{n4, 403, 403, 200, 200, 200, 200, 404, 404}, nil},
				{"POST transitions (receiver move)", func() (string, string, string, []string) {
					_, ref := refer()
					return "POST", "/referrals/" + ref.ID + "/transitions", `{"to": "received"}`, nil
				}, []int{n4, 403, 403, 403, 409, 200, 200, 404, 404}, nil},
				{"POST transitions (sender move)", func() (string, string, string, []string) {
					_, ref := refer()
					return "POST", "/referrals/" + ref.ID + "/transitions", `{"to": "cancelled", "reason": "client moved"}`, nil
				}, []int{n4, 403, 403, 403, 200, 409, 409, 404, 404}, nil},
				{"POST notes", func() (string, string, string, []string) {
					return "POST", "/referrals/" + ref0.ID + "/notes", `{"note": "checking in"}`, nil
				}, []int{n4, 403, 403, 201, 201, 201, 201, 404, 404}, nil},
				{"POST followup", func() (string, string, string, []string) {
					ref := completed()
					return "POST", "/referrals/" + ref.ID + "/followup", `{"need_met": "partly"}`, nil
				}, []int{n4, 403, 403, 403, 200, 403, 403, 404, 404}, nil},
				{"GET events", func() (string, string, string, []string) { return "GET", "/referrals/" + ref0.ID + "/events", "", nil },
					[]int{n4, 403, 403, 200, 200, 200, 200, 404, 404}, nil},
				{"GET /followups", func() (string, string, string, []string) { return "GET", "/followups?assignee=agency", "", nil },
					[]int{n4, 403, 403, 200, 200, 200, 200, 200, 200}, notHas(ref0.ID)},
				{"GET /reports/referrals", func() (string, string, string, []string) { return "GET", "/reports/referrals?group_by=agency", "", nil },
					[]int{n4, 200, 403, 200, 200, 200, 200, 200, 200}, func(caller, body string) error {
						if strings.HasPrefix(caller, "third") && strings.Contains(body, r.agencyA) {
							return fmt.Errorf("shows agency A's figures")
						}
						return nil
					}},
				{"POST /webhooks", func() (string, string, string, []string) {
					return "POST", "/webhooks", `{"url": "https://hooks.example.org/x", "events": ["followup.overdue"]}`, nil
				}, []int{n4, 403, 403, 201, 403, 201, 403, 201, 403}, nil},
				{"GET /webhooks", func() (string, string, string, []string) { return "GET", "/webhooks", "", nil },
					[]int{n4, 403, 403, 200, 403, 200, 403, 200, 403}, func(caller, body string) error {
						if (caller == "receiver-agency") != strings.Contains(body, hookA) {
							return fmt.Errorf("webhook %s listed: %v", hookA, strings.Contains(body, hookA))
						}
						return nil
					}},
				{"GET /webhooks/{id}", func() (string, string, string, []string) { return "GET", "/webhooks/" + hookA, "", nil },
					[]int{n4, 403, 403, 404, 403, 200, 403, 404, 403}, func(_, body string) error {
						if strings.Contains(body, "secret") {
							return fmt.Errorf("a read shows the secret")
						}
						return nil
					}},
				{"PATCH /webhooks/{id}", func() (string, string, string, []string) {
					return "PATCH", "/webhooks/" + hookA, `{"active": true}`, nil
				}, []int{n4, 403, 403, 404, 403, 200, 403, 404, 403}, nil},
				{"GET /webhooks/{id}/deliveries", func() (string, string, string, []string) { return "GET", "/webhooks/" + hookA + "/deliveries", "", nil },
					[]int{n4, 403, 403, 404, 403, 200, 403, 404, 403}, nil},
				{"DELETE /webhooks/{id}", func() (string, string, string, []string) {
					res := r.send("POST", "/webhooks", `{"url": "https://hooks.example.org/d", "events": ["listing.stale"]}`, r.keyA)
					var w struct{ ID string }
					res.json(t, &w)
					return "DELETE", "/webhooks/" + w.ID, "", nil
				}, []int{n4, 403, 403, 404, 403, 204, 403, 404, 403}, nil},
			}
			r.walkMatrix(t, callers, rows)
		})
	}
}

func clipBody(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "..."
	}
	return string(b)
}

// matrixCaller is one caller of an access matrix: a name and a key ("" is
// anonymous).
type matrixCaller struct{ name, key string }

// matrixRow is one route of an access matrix: setup makes a fresh request
// for each cell, want lists the statuses in the order of the callers, and
// check, if set, looks at a 2xx body of a caller.
type matrixRow struct {
	name  string
	setup func() (method, path, body string, hdr []string)
	want  []int
	check func(caller, body string) error
}

// walkMatrix sends every row as every caller: each gets its status, every
// refusal is problem+json, and each success passes the row's check.
func (a *access) walkMatrix(t *testing.T, callers []matrixCaller, rows []matrixRow) {
	t.Helper()
	for _, rw := range rows {
		if len(rw.want) != len(callers) {
			t.Fatalf("%s: %d statuses for %d callers", rw.name, len(rw.want), len(callers))
		}
		for i, c := range callers {
			method, path, body, hdr := rw.setup()
			res := a.send(method, path, body, c.key, hdr...)
			if res.status != rw.want[i] {
				t.Errorf("%s as %s: %d, want %d: %s", rw.name, c.name, res.status, rw.want[i], clipBody(res.body))
				continue
			}
			if res.status >= 400 && !strings.HasPrefix(res.header.Get("Content-Type"), "application/problem+json") {
				t.Errorf("%s as %s: %d is not problem+json", rw.name, c.name, res.status)
			}
			if rw.check != nil && res.status < 300 {
				if err := rw.check(c.name, string(res.body)); err != nil {
					t.Errorf("%s as %s: %v", rw.name, c.name, err)
				}
			}
		}
	}
}

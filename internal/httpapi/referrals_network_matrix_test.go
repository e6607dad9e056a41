package httpapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/linkage-org/linkage/internal/store/storetest"
)

// TestReferrals_NetworkMatrix walks the forward, the read of the other
// party's agency and the out-of-network referral's routes with every kind
// of caller: no key, admin, portal (of the sending agency B), and the
// agency and caseworker keys of the sending agency (B), the receiving
// agency (A) and a third agency (C). A stranger never sees the client.
func TestReferrals_NetworkMatrix(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d)
			if res := r.send("PATCH", "/agencies/"+r.agencyC, fmt.Sprintf(`{"organization_ids": [%q]}`, orgShelter), r.admin); res.status != 200 {
				t.Fatalf("give agency C the shelter: %d %s", res.status, res.body)
			}
			callers := []struct{ name, key string }{
				{"anonymous", ""}, {"admin", r.admin}, {"portal", r.portal},
				{"sender-agency", r.keyB}, {"sender-caseworker", r.caseworker},
				{"receiver-agency", r.keyA}, {"receiver-caseworker", r.cwA},
				{"third-agency", r.keyC}, {"third-caseworker", r.cwC},
			}
			type row struct {
				name  string
				setup func() (method, path, body string)
				want  [9]int
			}
			outOfNetwork := func(extra string) referralOut {
				c := r.newCase(r.caseworker)
				ref, _ := r.post(c, svcRentalAid, `, "need": "housing", "method": "phone"`+extra, 201)
				return ref
			}
			completedOON := func() referralOut {
				ref := outOfNetwork("")
				for _, m := range []string{`{"to": "accepted"}`, `{"to": "completed", "outcome": "service_provided"}`} {
					if st, _, msg := r.move(ref.ID, r.caseworker, m); st != 200 {
						t.Fatalf("setup move %s: %d %s", m, st, msg)
					}
				}
				return ref
			}
			_, ref0 := r.refer(svcPantry, "")
			oon0 := outOfNetwork("")
			const n4 = 401
			// The original stays readable to both its parties once forwarded;
			// the forwarding agency learns the new id, not the new referral.
			fwd := []row{{"POST /referrals/{id}/forward", func() (string, string, string) {
				_, ref := r.refer(svcPantry, "")
				return "POST", "/referrals/" + ref.ID + "/forward", fmt.Sprintf(`{"service_id": %q}`, svcFamilyShelt)
			}, [9]int{n4, 403, 403, 403, 403, 200, 200, 404, 404}}}
			rows := []row{
				{"POST /referrals/{id}/forward (out of network)", func() (string, string, string) {
					return "POST", "/referrals/" + outOfNetwork("").ID + "/forward", fmt.Sprintf(`{"service_id": %q}`, svcFamilyShelt)
				}, [9]int{n4, 403, 403, 409, 409, 404, 404, 404, 404}},
				{"GET /agencies/{sender}", func() (string, string, string) { return "GET", "/agencies/" + r.agencyB, "" },
					[9]int{n4, 200, 200, 200, 200, 200, 200, 404, 404}},
				{"GET /agencies/{receiver}", func() (string, string, string) { return "GET", "/agencies/" + r.agencyA, "" },
					[9]int{n4, 200, 404, 200, 200, 200, 200, 404, 404}},
				{"POST /referrals (out of network)", func() (string, string, string) {
					c := r.newCase(r.caseworker)
					return "POST", "/referrals", fmt.Sprintf(`{"case_id": %q, "service_id": %q, "need": "housing", "method": "warm_handoff"}`, c.ID, svcRentalAid)
				}, [9]int{n4, 403, 403, 403, 201, 403, 422, 403, 422}},
				{"GET /referrals/{id} (out of network)", func() (string, string, string) { return "GET", "/referrals/" + oon0.ID, "" },
					[9]int{n4, 403, 403, 200, 200, 404, 404, 404, 404}},
				{"POST transitions (out of network, receiver's move)", func() (string, string, string) {
					return "POST", "/referrals/" + outOfNetwork("").ID + "/transitions", `{"to": "accepted", "appointment_at": "2026-12-09T15:00:00Z"}`
				}, [9]int{n4, 403, 403, 403, 200, 404, 404, 404, 404}},
				{"POST transitions (out of network, close)", func() (string, string, string) {
					ref := outOfNetwork("")
					r.move(ref.ID, r.caseworker, `{"to": "accepted"}`)
					return "POST", "/referrals/" + ref.ID + "/transitions", `{"to": "closed_unsuccessful", "reason": "client_did_not_attend"}`
				}, [9]int{n4, 403, 403, 403, 200, 404, 404, 404, 404}},
				{"POST notes (out of network)", func() (string, string, string) {
					return "POST", "/referrals/" + oon0.ID + "/notes", `{"note": "Client says the call went well"}`
				}, [9]int{n4, 403, 403, 201, 201, 404, 404, 404, 404}},
				{"POST followup (out of network)", func() (string, string, string) {
					return "POST", "/referrals/" + completedOON().ID + "/followup", `{"need_met": "yes"}`
				}, [9]int{n4, 403, 403, 403, 200, 404, 404, 404, 404}},
				{"GET /referrals?direction=received", func() (string, string, string) { return "GET", "/referrals?direction=received&per_page=100", "" },
					[9]int{n4, 403, 403, 200, 200, 200, 200, 200, 200}},
				// Last: a forward makes agency C a receiver (of the new referrals).
				fwd[0],
				{"GET /referrals/{id} (forwarded original)", func() (string, string, string) {
					if ref0.Status != "declined" {
						if res := r.send("POST", "/referrals/"+ref0.ID+"/forward", fmt.Sprintf(`{"service_id": %q}`, svcFamilyShelt), r.keyA); res.status != 200 {
							t.Fatalf("forward ref0: %d %s", res.status, res.body)
						}
						ref0.Status = "declined"
					}
					return "GET", "/referrals/" + ref0.ID, ""
				},
					[9]int{n4, 403, 403, 200, 200, 200, 200, 404, 404}},
			}
			for _, rw := range rows {
				for i, c := range callers {
					method, path, body := rw.setup()
					res := r.send(method, path, body, c.key)
					if res.status != rw.want[i] {
						t.Errorf("%s as %s: %d, want %d: %s", rw.name, c.name, res.status, rw.want[i], clipBody(res.body))
						continue
					}
					if res.status >= 400 && !strings.HasPrefix(res.header.Get("Content-Type"), "application/problem+json") {
						t.Errorf("%s as %s: %d is not problem+json", rw.name, c.name, res.status)
					}
					stranger := strings.HasPrefix(c.name, "third") || c.name == "portal" || c.name == "admin" || c.name == "anonymous"
					if (stranger || strings.Contains(rw.name, "out of network") && strings.HasPrefix(c.name, "receiver")) &&
						(strings.Contains(string(res.body), "Maria") || strings.Contains(string(res.body), "843-555")) {
						t.Errorf("%s as %s shows the client: %s", rw.name, c.name, clipBody(res.body))
					}
					if strings.Contains(rw.name, "received") && (strings.Contains(string(res.body), oon0.ID) || strings.Contains(string(res.body), `"in_network":false`)) {
						t.Errorf("%s as %s lists an out-of-network referral", rw.name, c.name)
					}
				}
			}
		})
	}
}

package httpapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/linkage-org/linkage/internal/store/storetest"
)

// TestCases_Matrix walks the assessment, client lookup, case note and
// eligibility-from-a-case routes with every kind of caller: the case's
// agency's caseworker and agency key (B), another agency's caseworker and
// agency key (C), a portal key, no key, and the admin. Another agency's
// case is 404, and no answer to another agency holds the client's personal
// data; a role that never works cases is 403.
func TestCases_Matrix(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d)
			callers := []matrixCaller{
				{"own-caseworker", r.caseworker}, {"own-agency", r.keyB}, {"other-caseworker", r.cwC},
				{"other-agency", r.keyC}, {"portal", r.portal}, {"anonymous", ""}, {"admin", r.admin},
			}
			c0 := r.mondayCase()
			r.newCase(r.cwC) // agency C's own Maria Lopez
			n0 := r.addNote(c0.ID, "Shared with the pantry: calls after 5 pm", true)
			secret := r.addNote(c0.ID, "Private: court date worries her", false)
			ref := r.send("POST", "/referrals", fmt.Sprintf(`{"case_id": %q, "service_id": %q, "need": "food"}`, c0.ID, svcPantry), r.caseworker)
			var ref0 referralOut
			ref.json(t, &ref0)
			if ref.status != 201 {
				t.Fatalf("refer: %d %s", ref.status, ref.body)
			}
			// Nothing personal of agency B's client in another agency's answers.
			private := []string{c0.ID, "Pérez", "Perez", "1992-03-14", "Miami-Dade", "1800", "court date", "calls after 5 pm"}
			noLeak := func(caller, body string) error {
				if !strings.HasPrefix(caller, "other") {
					return nil
				}
				for _, p := range private {
					if strings.Contains(body, p) {
						return fmt.Errorf("shows %q", p)
					}
				}
				return nil
			}
			finds := func(caller, body string) error {
				if caller == "own-caseworker" && !strings.Contains(body, c0.ID) {
					return fmt.Errorf("does not find the case")
				}
				return noLeak(caller, body)
			}
			etag := func(v int) []string { return []string{"If-Match", fmt.Sprintf(`"case-v%d"`, v)} }
			rows := []matrixRow{
				{"GET /cases/{id} (assessment)", func() (string, string, string, []string) { return "GET", "/cases/" + c0.ID, "", nil },
					[]int{200, 403, 404, 403, 403, 401, 403}, noLeak},
				{"PATCH /cases/{id} assessment", func() (string, string, string, []string) {
					c := r.mondayCase()
					return "PATCH", "/cases/" + c.ID, `{"assessment": {"urgency": "routine"}}`, etag(c.Version)
				}, []int{200, 403, 404, 403, 403, 401, 403}, noLeak},
				{"GET /cases?search=", func() (string, string, string, []string) { return "GET", "/cases?search=Maria+P%C3%A9rez", "", nil },
					[]int{200, 403, 200, 403, 403, 401, 403}, finds},
				{"GET /cases?birth_date=", func() (string, string, string, []string) { return "GET", "/cases?birth_date=1992-03-14", "", nil },
					[]int{200, 403, 200, 403, 403, 401, 403}, finds},
				{"POST /search with case_id and client", func() (string, string, string, []string) {
					return "POST", "/search", fmt.Sprintf(`{"q": "food", "case_id": %q, "client": {"veteran": true}}`, c0.ID), nil
				}, []int{200, 403, 404, 403, 403, 401, 403}, noLeak},
				{"POST /cases/{id}/notes", func() (string, string, string, []string) {
					return "POST", "/cases/" + c0.ID + "/notes", `{"body": "Called the landlord"}`, nil
				}, []int{201, 403, 404, 403, 403, 401, 403}, noLeak},
				{"GET /cases/{id}/notes", func() (string, string, string, []string) { return "GET", "/cases/" + c0.ID + "/notes", "", nil },
					[]int{200, 403, 404, 403, 403, 401, 403}, noLeak},
				{"PATCH /cases/{id}/notes/{note_id}", func() (string, string, string, []string) {
					n := r.addNote(c0.ID, "To edit", false)
					return "PATCH", "/cases/" + c0.ID + "/notes/" + n.ID, `{"body": "Edited"}`, []string{"If-Match", `"note-v1"`}
				}, []int{200, 403, 404, 403, 403, 401, 403}, noLeak},
				{"GET /cases/{id}/notes/{note_id}/history", func() (string, string, string, []string) {
					return "GET", "/cases/" + c0.ID + "/notes/" + n0.ID + "/history", "", nil
				}, []int{200, 403, 404, 403, 403, 401, 403}, noLeak},
				{"GET /referrals/{id}/case_notes", func() (string, string, string, []string) {
					return "GET", "/referrals/" + ref0.ID + "/case_notes", "", nil
				}, []int{200, 200, 404, 404, 403, 401, 403}, func(caller, body string) error {
					if strings.Contains(body, secret.ID) {
						return fmt.Errorf("shows the unshared note")
					}
					return noLeak(caller, body)
				}},
				// Last: agency C's own Pérez would show in its searches.
				{"POST /cases with an assessment", func() (string, string, string, []string) { return "POST", "/cases", mondayCase, nil },
					[]int{201, 403, 201, 403, 403, 401, 403}, nil},
			}
			r.walkMatrix(t, callers, rows)
		})
	}
}

package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/linkage-org/linkage/internal/store/storetest"
)

type personOut struct {
	ID, Name, Email, Role string
	Active                bool
}

// addPerson adds a person to agency as key and answers them (201 wanted).
func (r *refEnv) addPerson(agency, key, name, email, role string) personOut {
	r.t.Helper()
	res := r.send("POST", "/agencies/"+agency+"/people", fmt.Sprintf(`{"name": %q, "email": %q, "role": %q}`, name, email, role), key)
	if res.status != 201 {
		r.t.Fatalf("add person %s: %d %s", name, res.status, res.body)
	}
	var p personOut
	res.json(r.t, &p)
	return p
}

// lastAudit is the newest audit line about resourceID.
func (r *refEnv) lastAudit(resourceID string) struct {
	Action     string  `json:"action"`
	PersonID   *string `json:"person_id"`
	PersonName *string `json:"person_name"`
} {
	r.t.Helper()
	var page struct {
		Contents []struct {
			Action     string  `json:"action"`
			PersonID   *string `json:"person_id"`
			PersonName *string `json:"person_name"`
		} `json:"contents"`
	}
	res := r.send("GET", "/audit?resource_id="+resourceID, "", r.admin)
	res.json(r.t, &page)
	if res.status != 200 || len(page.Contents) == 0 {
		r.t.Fatalf("audit of %s: %d %s", resourceID, res.status, res.body)
	}
	return page.Contents[0]
}

func TestPeople_ManageAndAct(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d)
			people := "/agencies/" + r.agencyB + "/people"
			ana := r.addPerson(r.agencyB, r.admin, "Ana Ruiz", "Ana@Crisis.example", "caseworker")
			luis := r.addPerson(r.agencyB, r.keyB, "Luis Ortega", "luis@crisis.example", "caseworker")
			if ana.Email != "ana@crisis.example" || !ana.Active {
				t.Errorf("person as stored: %+v", ana)
			}

			// Who may add whom.
			for _, c := range []struct {
				key, body string
				want      int
			}{
				{r.keyB, `{"name": "Boss", "email": "boss@crisis.example", "role": "admin"}`, 403},
				{r.caseworker, `{"name": "Pat", "email": "pat@crisis.example", "role": "caseworker"}`, 403},
				{r.portal, `{"name": "Pat", "email": "pat@crisis.example", "role": "caseworker"}`, 403},
				{"", `{"name": "Pat", "email": "pat@crisis.example", "role": "caseworker"}`, 401},
				{r.keyA, `{"name": "Pat", "email": "pat@crisis.example", "role": "caseworker"}`, 404},
				{r.keyB, `{"name": "Ana Two", "email": "ana@crisis.example", "role": "caseworker"}`, 409},
				{r.keyB, `{"name": "Pat", "email": "not an email", "role": "caseworker"}`, 422},
				{r.keyB, `{"name": "Pat", "email": "pat@crisis.example", "role": "boss"}`, 400},
			} {
				if res := r.send("POST", people, c.body, c.key); res.status != c.want {
					t.Errorf("POST people %s: %d, want %d: %s", c.body, res.status, c.want, res.body)
				}
			}
			var page struct{ Contents []personOut }
			if res := r.send("GET", people, "", r.caseworker); res.status != 200 {
				t.Fatalf("list people: %d %s", res.status, res.body)
			} else if res.json(t, &page); len(page.Contents) != 2 || page.Contents[0].Name != "Ana Ruiz" {
				t.Errorf("people: %+v", page.Contents)
			}
			for _, c := range []struct {
				key  string
				want int
			}{{r.keyA, 404}, {r.portal, 403}, {"", 401}, {r.admin, 200}, {r.keyB, 200}, {r.caseworker, 200}} {
				for _, path := range []string{people, people + "/" + ana.ID} {
					if res := r.send("GET", path, "", c.key); res.status != c.want {
						t.Errorf("GET %s: %d, want %d", path, res.status, c.want)
					}
				}
			}
			if res := r.send("PATCH", people+"/"+ana.ID, `{"name": "X"}`, r.keyA); res.status != 404 {
				t.Errorf("other agency changes a person: %d", res.status)
			}

			// A key bound to Ana acts as Ana: /me names her, her case's
			// audit line names her.
			var key struct {
				Key      string
				PersonID *string `json:"person_id"`
			}
			res := r.send("POST", "/agencies/"+r.agencyB+"/keys", `{"role": "caseworker", "name": "Ana's key", "person_id": "`+ana.ID+`"}`, r.admin)
			if res.json(t, &key); res.status != 201 || key.PersonID == nil || *key.PersonID != ana.ID {
				t.Fatalf("bound key: %d %s", res.status, res.body)
			}
			var me struct{ Person *struct{ ID, Name string } }
			res = r.send("GET", "/me", "", key.Key)
			if res.json(t, &me); me.Person == nil || me.Person.Name != "Ana Ruiz" {
				t.Errorf("/me of Ana's key: %s", res.body)
			}
			var cs caseOut
			r.send("POST", "/cases", caseJSON, key.Key).json(t, &cs)
			if a := r.lastAudit(cs.ID); a.PersonID == nil || *a.PersonID != ana.ID || a.PersonName == nil || *a.PersonName != "Ana Ruiz" {
				t.Errorf("audit of Ana's case: %+v", a)
			}

			// The case is with Ana; her referral's history names her to
			// both parties; the case can be given to Luis, never to a
			// stranger.
			var withCW struct {
				CaseworkerID *string `json:"caseworker_id"`
			}
			res = r.send("GET", "/cases/"+cs.ID, "", key.Key)
			if res.json(t, &withCW); withCW.CaseworkerID == nil || *withCW.CaseworkerID != ana.ID {
				t.Errorf("case of Ana's key: %s", res.body)
			}
			var ref referralOut
			r.send("POST", "/referrals", fmt.Sprintf(`{"case_id": %q, "service_id": %q, "need": "food"}`, cs.ID, svcPantry), key.Key).json(t, &ref)
			var events struct {
				Contents []struct {
					PersonName *string `json:"person_name"`
				} `json:"contents"`
			}
			for _, k := range []string{key.Key, r.keyA} {
				res := r.send("GET", "/referrals/"+ref.ID+"/events", "", k)
				if res.json(t, &events); len(events.Contents) == 0 || events.Contents[0].PersonName == nil || *events.Contents[0].PersonName != "Ana Ruiz" {
					t.Errorf("referral history names: %s", res.body)
				}
			}
			etag := r.send("GET", "/cases/"+cs.ID, "", key.Key).header.Get("ETag")
			res = r.send("PATCH", "/cases/"+cs.ID, `{"caseworker_id": "`+luis.ID+`"}`, key.Key, "If-Match", etag)
			if res.json(t, &withCW); res.status != 200 || withCW.CaseworkerID == nil || *withCW.CaseworkerID != luis.ID {
				t.Errorf("give the case to Luis: %d %s", res.status, res.body)
			}
			etag, anaCase := res.header.Get("ETag"), cs.ID

			// A key bound to no one names the acting person of its agency.
			r.send("POST", "/cases", caseJSON, r.caseworker, "Linkage-Acting-Person", luis.ID).json(t, &cs)
			if a := r.lastAudit(cs.ID); a.PersonID == nil || *a.PersonID != luis.ID {
				t.Errorf("audit of Luis's case: %+v", a)
			}
			// Luis's referral puts its check-in on Luis's worklist, not on
			// the shared key's; given to Ana, the case takes it to her.
			asLuis := []string{"Linkage-Acting-Person", luis.ID}
			r.send("POST", "/referrals", fmt.Sprintf(`{"case_id": %q, "service_id": %q, "need": "food"}`, cs.ID, svcPantry), r.caseworker, asLuis...)
			tasksOf := func(key string, hdr ...string) int {
				var page struct{ Contents []struct{ Kind string } }
				r.send("GET", "/tasks?case_id="+cs.ID, "", key, hdr...).json(t, &page)
				return len(page.Contents)
			}
			if luisN, bare := tasksOf(r.caseworker, asLuis...), tasksOf(r.caseworker); luisN != 1 || bare != 0 {
				t.Errorf("check-in of Luis's referral: %d on his list, %d on the shared key's", luisN, bare)
			}
			e2 := r.send("GET", "/cases/"+cs.ID, "", r.caseworker, asLuis...).header.Get("ETag")
			if res := r.send("PATCH", "/cases/"+cs.ID, `{"caseworker_id": "`+ana.ID+`"}`, r.caseworker, append(asLuis, "If-Match", e2)...); res.status != 200 {
				t.Fatalf("give Luis's case to Ana: %d %s", res.status, res.body)
			}
			if anaN, luisN := tasksOf(key.Key), tasksOf(r.caseworker, asLuis...); anaN != 1 || luisN != 0 {
				t.Errorf("after the case went to Ana: %d on hers, %d on Luis's", anaN, luisN)
			}
			other := r.addPerson(r.agencyA, r.admin, "Kim Lee", "kim@food.example", "caseworker")
			if res := r.send("PATCH", "/cases/"+anaCase, `{"caseworker_id": "`+other.ID+`"}`, key.Key, "If-Match", etag); res.status != 422 {
				t.Errorf("give the case to another agency's person: %d %s", res.status, res.body)
			}
			for _, c := range []struct {
				key, person string
				want        int
			}{{r.caseworker, other.ID, 401}, {key.Key, luis.ID, 401}, {r.caseworker, "nobody", 400}, {r.portal, luis.ID, 401}} {
				if res := r.send("GET", "/me", "", c.key, "Linkage-Acting-Person", c.person); res.status != c.want {
					t.Errorf("acting person %s: %d, want %d: %s", c.person, res.status, c.want, res.body)
				}
			}
			if res := r.send("POST", "/agencies/"+r.agencyB+"/keys", `{"role": "portal", "name": "p", "person_id": "`+ana.ID+`"}`, r.admin); res.status != 422 {
				t.Errorf("portal key for a person: %d %s", res.status, res.body)
			}
			if res := r.send("POST", "/agencies/"+r.agencyB+"/keys", `{"role": "caseworker", "name": "p", "person_id": "`+other.ID+`"}`, r.admin); res.status != 422 {
				t.Errorf("key for another agency's person: %d %s", res.status, res.body)
			}

			// Ana leaves: her key stops, her history stays.
			if res := r.send("PATCH", people+"/"+ana.ID, `{"active": false}`, r.keyB); res.status != 200 {
				t.Fatalf("deactivate: %d %s", res.status, res.body)
			}
			if res := r.send("GET", "/me", "", key.Key); res.status != 401 {
				t.Errorf("key of an inactive person: %d", res.status)
			}
			if res := r.send("GET", "/me", "", r.caseworker, "Linkage-Acting-Person", ana.ID); res.status != 401 {
				t.Errorf("naming an inactive person: %d", res.status)
			}
		})
	}
}

// The acting person is one person: the header twice is a 400, never the
// first value silently; and a task goes only to a key that works tasks.
func TestPeople_OneActingPersonAndWorkingAssignees(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d)
			a := r.addPerson(r.agencyB, r.admin, "Ana Ruiz", "ana@crisis.example", "caseworker")
			b := r.addPerson(r.agencyB, r.admin, "Luis Ortega", "luis@crisis.example", "caseworker")
			req, _ := http.NewRequest("GET", r.srv.URL+"/me", nil)
			req.Header.Set("Authorization", "Bearer "+r.caseworker)
			req.Header.Add("Linkage-Acting-Person", a.ID)
			req.Header.Add("Linkage-Acting-Person", b.ID)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 400 {
				t.Errorf("two acting people: %d", resp.StatusCode)
			}
			var portal struct {
				KeyID string `json:"key_id"`
			}
			r.send("GET", "/me", "", r.portal).json(t, &portal)
			c := r.newCase(r.caseworker)
			res := r.send("POST", "/tasks", fmt.Sprintf(`{"title": "Call back", "due_at": "2026-12-03T15:00:00Z", "case_id": %q, "assignee_key_id": %q}`, c.ID, portal.KeyID), r.caseworker)
			if res.status != 422 || !strings.Contains(string(res.body), "/assignee_key_id") {
				t.Errorf("a task for the portal key: %d %s", res.status, res.body)
			}
		})
	}
}

// A referral the agency received is on every one of its caseworkers'
// worklists (assignee=me) until someone takes the task.
func TestWorklist_ReceivedReferralIsEveryonesUntilTaken(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d)
			_, ref := r.refer(svcPantry, "")
			var page struct {
				Contents []struct {
					ID, Kind string
					Version  int
				}
			}
			r.send("GET", "/tasks", "", r.cwA).json(t, &page)
			if len(page.Contents) != 1 || page.Contents[0].Kind != "response" {
				t.Fatalf("the receiving caseworker's worklist: %+v", page.Contents)
			}
			// Taken by the agency key's holder, it leaves the others' lists.
			var me struct {
				KeyID string `json:"key_id"`
			}
			r.send("GET", "/me", "", r.keyA).json(t, &me)
			task := page.Contents[0]
			if res := r.send("PATCH", "/tasks/"+task.ID, fmt.Sprintf(`{"assignee_key_id": %q}`, me.KeyID), r.keyA, "If-Match", fmt.Sprintf(`"task-v%d"`, task.Version)); res.status != 200 {
				t.Fatalf("take the task: %d %s", res.status, res.body)
			}
			r.send("GET", "/tasks", "", r.cwA).json(t, &page)
			if len(page.Contents) != 0 {
				t.Errorf("a task taken by another is still on the list: %+v (referral %s)", page.Contents, ref.ID)
			}
		})
	}
}

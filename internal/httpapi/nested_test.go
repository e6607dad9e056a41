package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// Nested records belong to their parent: a child id that exists under
// another record may be written only by a caller who may write that record.

// nestedKind is one kind of nested child: where it lives (a service, a
// location or an organization) and a body for an item with a given id.
type nestedKind struct {
	name, field, in string
	item            func(id string, n *nestedFixture, mover string) string
}

// nestedFixture holds, for agency A ("A") and agency B ("B"), the records
// children are held by and moved into.
type nestedFixture struct {
	*access
	term string
	// service, location and organization paths per "A" (holder), "A2"
	// (A's other record) and "B".
	svc, loc, org map[string]string
}

var nestedKinds = []nestedKind{
	{"phone", "phones", "service", func(id string, _ *nestedFixture, _ string) string {
		return `{"id":"` + id + `","number":"305-555-0199"}`
	}},
	{"schedule", "schedules", "service", func(id string, _ *nestedFixture, _ string) string {
		return `{"id":"` + id + `","freq":"WEEKLY","byday":"MO","opens_at":"09:00","closes_at":"12:00"}`
	}},
	{"contact", "contacts", "service", func(id string, _ *nestedFixture, _ string) string {
		return `{"id":"` + id + `","name":"Front desk"}`
	}},
	{"language", "languages", "service", func(id string, _ *nestedFixture, _ string) string {
		return `{"id":"` + id + `","name":"Spanish","code":"es"}`
	}},
	{"service_at_location", "service_at_locations", "service", func(id string, n *nestedFixture, mover string) string {
		return `{"id":"` + id + `","location_id":"` + last(n.loc[mover]) + `"}`
	}},
	{"service_capacity", "capacities", "service", func(id string, _ *nestedFixture, _ string) string {
		return `{"id":"` + id + `","available":3,"unit":{"id":"` + storetest.ID("unit:beds") + `","name":"beds"},"updated":"2026-01-05T10:00:00Z"}`
	}},
	{"attribute", "attributes", "service", func(id string, n *nestedFixture, _ string) string {
		return `{"id":"` + id + `","taxonomy_term_id":"` + n.term + `"}`
	}},
	{"cost_option", "cost_options", "service", func(id string, _ *nestedFixture, _ string) string {
		return `{"id":"` + id + `","option":"Free"}`
	}},
	{"required_document", "required_documents", "service", func(id string, _ *nestedFixture, _ string) string {
		return `{"id":"` + id + `","document":"Photo ID"}`
	}},
	{"service_area", "service_areas", "service", func(id string, _ *nestedFixture, _ string) string {
		return `{"id":"` + id + `","name":"Palmetto County"}`
	}},
	{"funding", "funding", "service", func(id string, _ *nestedFixture, _ string) string {
		return `{"id":"` + id + `","source":"County grant"}`
	}},
	{"url", "additional_urls", "service", func(id string, _ *nestedFixture, _ string) string {
		return `{"id":"` + id + `","url":"https://example.org/more"}`
	}},
	{"address", "addresses", "location", func(id string, _ *nestedFixture, _ string) string {
		return `{"id":"` + id + `","address_1":"1 Main St","city":"Palmetto City","state_province":"FL","postal_code":"33125","country":"US","address_type":"physical"}`
	}},
	{"accessibility", "accessibility", "location", func(id string, _ *nestedFixture, _ string) string {
		return `{"id":"` + id + `","description":"Ramp at the side door"}`
	}},
	{"organization_identifier", "organization_identifiers", "organization", func(id string, _ *nestedFixture, _ string) string {
		return `{"id":"` + id + `","identifier_type":"EIN","identifier":"12-3456789"}`
	}},
	{"program", "programs", "organization", func(id string, _ *nestedFixture, _ string) string {
		return `{"id":"` + id + `","name":"Housing first","description":"A program of the fixture."}`
	}},
}

func last(path string) string { return path[strings.LastIndex(path, "/")+1:] }

func newNestedFixture(t *testing.T, dialect string) *nestedFixture {
	n := &nestedFixture{access: newAccess(t, dialect), svc: map[string]string{}, loc: map[string]string{}, org: map[string]string{}}
	var terms struct {
		Contents []struct{ ID string } `json:"contents"`
	}
	n.send("GET", "/taxonomy_terms?per_page=1", "", "").json(t, &terms)
	if len(terms.Contents) == 0 {
		t.Fatal("the demo data has no taxonomy term")
	}
	n.term = terms.Contents[0].ID
	for who, org := range map[string]string{"A": orgFoodBank, "A2": orgKitchen, "B": orgCrisis} {
		n.org[who] = "/organizations/" + org
		n.loc[who] = n.create("/locations/", `{"name":"Hall of `+who+`","organization_id":"`+org+`","location_type":"physical"}`)
		n.svc[who] = n.create("/services/", `{"name":"Service of `+who+`","organization_id":"`+org+`","status":"active"}`)
	}
	return n
}

func (n *nestedFixture) create(prefix, body string) string {
	n.t.Helper()
	path := prefix + uuid.NewString()
	if r := n.write("PUT", path, body, n.admin, ""); r.status != 201 {
		n.t.Fatalf("fixture PUT %s: %d %s", path, r.status, r.body)
	}
	return path
}

// holderPath is the record of kind k of agency x.
func (n *nestedFixture) holderPath(k nestedKind, x string) string {
	return map[string]map[string]string{"service": n.svc, "location": n.loc, "organization": n.org}[k.in][x]
}

// withItem is the record at path with its k.field set to [item], as a
// body (read-only parts out) and the record's ETag.
func (n *nestedFixture) withItem(path, field, item string) (string, string) {
	n.t.Helper()
	var doc map[string]any
	etag := n.getRecord(path, &doc)
	for _, ro := range []string{"organization", "program", "services", "locations", "metadata"} {
		delete(doc, ro)
	}
	var it any
	if err := json.Unmarshal([]byte(item), &it); err != nil {
		n.t.Fatal(err)
	}
	doc[field] = []any{it}
	b, _ := json.Marshal(doc)
	return string(b), etag
}

// placeItem puts a child with id into agency x's record of kind k, as the
// admin (the fixture's way to give A a child).
func (n *nestedFixture) placeItem(k nestedKind, x, id string) {
	n.t.Helper()
	path := n.holderPath(k, x)
	body, etag := n.withItem(path, k.field, k.item(id, n, x))
	if r := n.write("PUT", path, body, n.admin, etag); r.status != 200 {
		n.t.Fatalf("fixture: %s %s into %s: %d %s", k.name, id, path, r.status, r.body)
	}
}

// holds says whether the record at path has a child with id.
func (n *nestedFixture) holds(path, field, id string) bool {
	n.t.Helper()
	var doc map[string]any
	n.getRecord(path, &doc)
	items, _ := doc[field].([]any)
	for _, it := range items {
		if m, ok := it.(map[string]any); ok && m["id"] == id {
			return true
		}
	}
	return false
}

// attempt writes agency-x-keyed body b moving child id into mover's record
// of kind k, by method ("PUT", "PATCH" or "import").
func (n *nestedFixture) attempt(k nestedKind, method, key, mover, id string) response {
	n.t.Helper()
	target := n.holderPath(k, mover)
	item := k.item(id, n, mover)
	switch method {
	case "PATCH":
		etag := n.getRecord(target, nil)
		return n.write("PATCH", target, `{"`+k.field+`":[`+item+`]}`, key, etag, "Content-Type", "application/merge-patch+json")
	case "import":
		body, _ := n.withItem(target, k.field, item)
		if k.in == "location" {
			// A location is imported inside its organization.
			var org map[string]any
			n.getRecord(n.org[mover], &org)
			var loc any
			_ = json.Unmarshal([]byte(body), &loc)
			delete(org, "services")
			org["locations"] = []any{loc}
			b, _ := json.Marshal(org)
			body = string(b)
		}
		r, j := n.upload(key, "move.jsonl", body+"\n")
		if r.status != 202 {
			return r
		}
		if j.State == "succeeded" {
			r.status = 200
		} else {
			r.status = 403
			b, _ := json.Marshal(j)
			r.body = b
		}
		return r
	default:
		body, etag := n.withItem(target, k.field, item)
		return n.write("PUT", target, body, key, etag)
	}
}

// TestNested_Matrix: every nested child type x {owner, other agency,
// caseworker, portal, anonymous} x {PUT, PATCH, import}, on both databases.
// The other agency is refused with the child's pointer and nothing
// changes; the owner moves the child between its own records and both
// records' history and the audit log say so.
func TestNested_Matrix(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			n := newNestedFixture(t, d)
			for _, k := range nestedKinds {
				id := uuid.NewString()
				n.placeItem(k, "A", id)
				holder := "A" // where the child is now
				for _, method := range []string{"PUT", "PATCH", "import"} {
					n.checkRefusals(k, method, holder, id)
					// The owner moves it to its other record.
					to := map[string]string{"A": "A2", "A2": "A"}[holder]
					from := n.holderPath(k, holder)
					r := n.attempt(k, method, n.keyA, to, id)
					if r.status != 200 {
						t.Fatalf("%s %s by its owner into %s: %d %s", method, k.name, to, r.status, r.body)
					}
					if n.holds(from, k.field, id) || !n.holds(n.holderPath(k, to), k.field, id) {
						t.Fatalf("%s %s by its owner: not moved from %s to %s", method, k.name, from, n.holderPath(k, to))
					}
					n.checkMoveRecorded(k, method, from, n.holderPath(k, to), id)
					holder = to
				}
			}
		})
	}
}

// checkRefusals: every caller but the owner fails to take child id of
// kind k, held by holder's record, and nothing changes.
func (n *nestedFixture) checkRefusals(k nestedKind, method, holder, id string) {
	n.t.Helper()
	from, target := n.holderPath(k, holder), n.holderPath(k, "B")
	beforeFrom, beforeTarget := n.send("GET", from, "", "").body, n.send("GET", target, "", "").body
	for _, c := range []struct {
		who, key string
		status   int
	}{{"other agency", n.keyB, 403}, {"caseworker", n.caseworker, 403}, {"portal", n.portal, 403}, {"anonymous", "", 401}} {
		r := n.attempt(k, method, c.key, "B", id)
		if r.status != c.status {
			n.t.Fatalf("%s %s of agency A by %s: %d %s, want %d", method, k.name, c.who, r.status, r.body, c.status)
		}
		if c.key == n.keyB && (!strings.Contains(string(r.body), id) || !strings.Contains(string(r.body), "does not manage")) {
			n.t.Errorf("%s %s by the other agency: the refusal does not name the child: %s", method, k.name, r.body)
		}
		if c.key == n.keyB && method != "import" {
			var p struct {
				Errors []struct{ Pointer string } `json:"errors"`
			}
			r.json(n.t, &p)
			want := "/" + k.field + "/0"
			if len(p.Errors) == 0 || p.Errors[0].Pointer != want {
				n.t.Errorf("%s %s by the other agency: pointer %+v, want %s", method, k.name, p.Errors, want)
			}
		}
		if got := n.send("GET", from, "", "").body; string(got) != string(beforeFrom) {
			n.t.Fatalf("%s %s by %s changed the holder %s:\n%s\n->\n%s", method, k.name, c.who, from, beforeFrom, got)
		}
		if got := n.send("GET", target, "", "").body; string(got) != string(beforeTarget) {
			n.t.Fatalf("%s %s by %s changed %s", method, k.name, c.who, target)
		}
	}
}

// checkMoveRecorded: both records' history and the audit log show the
// move of id.
func (n *nestedFixture) checkMoveRecorded(k nestedKind, method, from, to, id string) {
	n.t.Helper()
	var hist struct {
		Contents []struct {
			FieldName        string `json:"field_name"`
			PreviousValue    string `json:"previous_value"`
			ReplacementValue string `json:"replacement_value"`
		} `json:"contents"`
	}
	n.send("GET", from+"/history?per_page=50", "", "").json(n.t, &hist)
	lost := false
	for _, h := range hist.Contents {
		lost = lost || h.PreviousValue == id && strings.Contains(h.ReplacementValue, last(to))
	}
	if !lost {
		n.t.Errorf("%s %s: the history of %s does not show it moved to %s: %+v", method, k.name, from, to, hist.Contents)
	}
	n.send("GET", to+"/history?per_page=50", "", "").json(n.t, &hist)
	got := false
	for _, h := range hist.Contents {
		got = got || h.ReplacementValue == id && strings.Contains(h.PreviousValue, last(from))
	}
	if !got {
		n.t.Errorf("%s %s: the history of %s does not show it came from %s: %+v", method, k.name, to, from, hist.Contents)
	}
	var audit struct {
		Contents []struct{ Action, Detail string } `json:"contents"`
	}
	n.send("GET", "/audit?resource_id="+url.QueryEscape(id), "", n.admin).json(n.t, &audit)
	moved := 0
	for _, e := range audit.Contents {
		if e.Action == "move" && strings.Contains(e.Detail, last(from)) && strings.Contains(e.Detail, last(to)) {
			moved++
		}
	}
	if moved == 0 {
		n.t.Errorf("%s %s: no audit line of the move %s -> %s: %s", method, k.name, from, to, fmt.Sprint(audit.Contents))
	}
}

// TestNested_Links: the other writes that reach into another agency's
// records: a capacity report on another agency's capacity id, a listing at
// another agency's location, a program of another agency, a shared unit
// renamed, and an import that names another agency's service or
// organization.
func TestNested_Links(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			n := newNestedFixture(t, d)
			capacity := nestedKinds[5]
			capID := uuid.NewString()
			n.placeItem(capacity, "A", capID)
			before := n.send("GET", n.svc["A"], "", "").body

			// A capacity report can't take another agency's capacity.
			r := n.send("PUT", n.svc["B"]+"/capacities/"+capID, `{"available":1,"unit":{"name":"beds"}}`, n.keyB)
			if r.status != 403 || !strings.Contains(string(r.body), capID) {
				t.Errorf("capacity report on A's capacity by B: %d %s", r.status, r.body)
			}
			if string(n.send("GET", n.svc["A"], "", "").body) != string(before) {
				t.Error("the refused capacity report changed A's service")
			}
			// Nor rename the unit every agency counts in.
			r = n.send("PUT", n.svc["B"]+"/capacities/"+uuid.NewString(),
				`{"available":1,"unit":{"id":"`+storetest.ID("unit:beds")+`","name":"rats"}}`, n.keyB)
			if r.status != 201 {
				t.Fatalf("B's own capacity report: %d %s", r.status, r.body)
			}
			if strings.Contains(string(n.send("GET", n.svc["A"], "", "").body), "rats") {
				t.Error("agency B renamed the shared unit of A's capacity")
			}

			// A listing at another agency's location is refused, by either
			// route; one at its own or an unmanaged location is not.
			unmanaged := "/locations/" + uuid.NewString()
			if r := n.write("PUT", "/organizations/"+storetest.ID("org:nobody"), `{"name":"Nobody's org","description":"No agency manages it."}`, n.admin, ""); r.status != 201 {
				t.Fatalf("unmanaged org: %d %s", r.status, r.body)
			}
			if r := n.write("PUT", unmanaged, `{"name":"Library","organization_id":"`+storetest.ID("org:nobody")+`","location_type":"physical"}`, n.admin, ""); r.status != 201 {
				t.Fatalf("unmanaged location: %d %s", r.status, r.body)
			}
			for loc, want := range map[string]int{n.loc["A"]: 403, n.loc["B"]: 201, unmanaged: 201} {
				r := n.write("PUT", "/service_at_locations/"+uuid.NewString(), `{"service_id":"`+last(n.svc["B"])+`","location_id":"`+last(loc)+`"}`, n.keyB, "")
				if r.status != want {
					t.Errorf("B lists its service at %s: %d %s, want %d", loc, r.status, r.body, want)
				}
				if want == 403 && !strings.Contains(string(r.body), `"pointer":"/location_id"`) {
					t.Errorf("refused listing: no pointer at /location_id: %s", r.body)
				}
			}
			body, etag := n.withItem(n.svc["B"], "service_at_locations", `{"id":"`+uuid.NewString()+`","location_id":"`+last(n.loc["A"])+`"}`)
			if r := n.write("PUT", n.svc["B"], body, n.keyB, etag); r.status != 403 || !strings.Contains(string(r.body), "/service_at_locations/0/location_id") {
				t.Errorf("B's service PUT with a listing at A's location: %d %s", r.status, r.body)
			}

			// A listing of B's service at A's location (made by an admin)
			// is A's to remove as well as B's.
			listing := "/service_at_locations/" + uuid.NewString()
			if r := n.write("PUT", listing, `{"service_id":"`+last(n.svc["B"])+`","location_id":"`+last(n.loc["A"])+`"}`, n.admin, ""); r.status != 201 {
				t.Fatalf("admin lists B's service at A's location: %d %s", r.status, r.body)
			}
			etag = n.getRecord(listing, nil)
			if r := n.write("DELETE", listing, "", n.caseworker, etag); r.status != 403 {
				t.Errorf("a caseworker deletes the listing: %d", r.status)
			}
			if r := n.write("DELETE", listing, "", n.keyA, etag); r.status != 204 {
				t.Errorf("A removes B's listing at its location: %d %s", r.status, r.body)
			}
			if n.holds(n.svc["B"], "service_at_locations", last(listing)) {
				t.Error("B's service still lists the removed listing")
			}

			// A program of A's organization is not B's to join.
			prog := uuid.NewString()
			n.placeItem(nestedKinds[15], "A", prog)
			etag = n.getRecord(n.svc["B"], nil)
			if r := n.write("PATCH", n.svc["B"], `{"program_id":"`+prog+`"}`, n.keyB, etag, "Content-Type", "application/merge-patch+json"); r.status != 403 || !strings.Contains(string(r.body), "/program_id") {
				t.Errorf("B's service joins A's program: %d %s", r.status, r.body)
			}

			// An import by B naming A's service is refused with its row and
			// changes nothing (a nested organization must be the service's
			// own: validation refuses A's there).
			var svcA map[string]any
			svcBefore := n.send("GET", n.svc["A"], "", "").body
			n.getRecord(n.svc["A"], &svcA)
			delete(svcA, "organization")
			svcA["name"] = "Taken by B"
			svcA["organization_id"] = orgCrisis
			line, _ := json.Marshal(svcA)
			_, j := n.upload(n.keyB, "takeover.jsonl", string(line)+"\n")
			if j.State != "failed" || len(j.Problems) == 0 {
				t.Errorf("B imports A's service: %+v", j)
			}
			for _, p := range j.Problems {
				if p.Row != 1 || !strings.Contains(p.Message, "does not manage") {
					t.Errorf("import problem without its row or reason: %+v", p)
				}
			}
			if string(n.send("GET", n.svc["A"], "", "").body) != string(svcBefore) {
				t.Error("the refused import changed A's service")
			}

			// Nor may its documents carry history rows of A's records.
			var svcB map[string]any
			n.getRecord(n.svc["B"], &svcB)
			delete(svcB, "organization")
			forged := uuid.NewString()
			svcB["metadata"] = []any{map[string]any{"id": forged, "resource_id": last(n.svc["A"]), "resource_type": "service",
				"last_action_date": "2026-01-01T00:00:00Z", "last_action_type": "update", "field_name": "name",
				"previous_value": "x", "replacement_value": "y", "updated_by": "agency A"}}
			line, _ = json.Marshal(svcB)
			_, j = n.upload(n.keyB, "forged.jsonl", string(line)+"\n")
			if j.State != "failed" || len(j.Problems) != 1 || j.Problems[0].Field != "/metadata/0/resource_id" {
				t.Errorf("B imports a history row of A's service: %+v", j)
			}
			if strings.Contains(string(n.send("GET", n.svc["A"]+"/history?per_page=100", "", "").body), forged) {
				t.Error("a forged history row landed on A's service")
			}
		})
	}
}

// TestNested_Injection: a row B nests in its own record cannot name A's
// records through another parent column, an attribute's link, an id
// another table uses, a history row or a unit's id.
func TestNested_Injection(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			n := newNestedFixture(t, d)
			salA := uuid.NewString()
			n.placeItem(nestedKinds[4], "A", salA)
			aSvc, aLoc, aOrg := last(n.svc["A"]), last(n.loc["A"]), orgFoodBank
			before := map[string]string{}
			for _, p := range []string{n.svc["A"], n.loc["A"], n.org["A"], "/service_at_locations/" + salA} {
				before[p] = string(n.send("GET", p, "", "").body)
			}
			id := func() string { return `"id":"` + uuid.NewString() + `"` }
			for _, c := range []struct{ field, item, pointer string }{
				{"phones", `{` + id() + `,"number":"900-555-0199","location_id":"` + aLoc + `"}`, "/phones/0/location_id"},
				{"phones", `{` + id() + `,"number":"900-555-0199","organization_id":"` + aOrg + `"}`, "/phones/0/organization_id"},
				{"phones", `{` + id() + `,"number":"900-555-0199","service_at_location_id":"` + salA + `"}`, "/phones/0/service_at_location_id"},
				{"schedules", `{` + id() + `,"freq":"WEEKLY","byday":"MO","opens_at":"03:00","closes_at":"03:15","location_id":"` + aLoc + `"}`, "/schedules/0/location_id"},
				{"languages", `{` + id() + `,"name":"Klingon","code":"tlh","location_id":"` + aLoc + `"}`, "/languages/0/location_id"},
				{"contacts", `{` + id() + `,"name":"Fake director","organization_id":"` + aOrg + `"}`, "/contacts/0/organization_id"},
				{"funding", `{` + id() + `,"source":"Attacker","organization_id":"` + aOrg + `"}`, "/funding/0/organization_id"},
				{"additional_urls", `{` + id() + `,"url":"https://phish.example/","organization_id":"` + aOrg + `"}`, "/additional_urls/0/organization_id"},
				{"service_areas", `{` + id() + `,"name":"Nowhere","service_at_location_id":"` + salA + `"}`, "/service_areas/0/service_at_location_id"},
				{"attributes", `{` + id() + `,"taxonomy_term_id":"` + n.term + `","link_id":"` + aSvc + `","link_entity":"service"}`, "/attributes/0/link_id"},
			} {
				body, etag := n.withItem(n.svc["B"], c.field, c.item)
				r := n.write("PUT", n.svc["B"], body, n.keyB, etag)
				if r.status != 403 && r.status != 422 || !strings.Contains(string(r.body), `"pointer":"`+c.pointer+`"`) {
					t.Errorf("B nests %s naming A's record: %d %s, want a refusal at %s", c.field, r.status, r.body, c.pointer)
				}
			}
			// The capacity route too.
			r := n.send("PUT", n.svc["B"]+"/capacities/"+uuid.NewString(),
				`{"available":1,"unit":{"name":"beds"},"attributes":[{`+id()+`,"taxonomy_term_id":"`+n.term+`","link_id":"`+aSvc+`","link_entity":"service"}]}`, n.keyB)
			if r.status != 403 && r.status != 422 {
				t.Errorf("a capacity report with an attribute on A's service: %d %s", r.status, r.body)
			}
			// Nor pass a new organization off as a branch of A's.
			if r := n.write("PUT", "/organizations/"+uuid.NewString(), `{"name":"Official branch","description":"Not A's.","parent_organization_id":"`+aOrg+`"}`, n.keyB, ""); r.status != 403 || !strings.Contains(string(r.body), `"pointer":"/parent_organization_id"`) {
				t.Errorf("B names A's organization as its parent: %d %s", r.status, r.body)
			}
			// An id another table uses: an organization with A's service's
			// id, a phone with A's location's.
			if r := n.write("PUT", "/organizations/"+aSvc, `{"name":"Collision","description":"Has a service's id."}`, n.keyB, ""); r.status != 422 || !strings.Contains(string(r.body), `"pointer":"/id"`) {
				t.Errorf("B creates an organization with A's service id: %d %s", r.status, r.body)
			}
			body, etag := n.withItem(n.svc["B"], "phones", `{"id":"`+aLoc+`","number":"305-555-0100"}`)
			if r := n.write("PUT", n.svc["B"], body, n.keyB, etag); r.status != 422 || !strings.Contains(string(r.body), `"pointer":"/phones/0/id"`) {
				t.Errorf("B's phone with A's location id: %d %s", r.status, r.body)
			}
			// A unit is named by its name: B cannot take "cribs".
			if r := n.send("PUT", n.svc["B"]+"/capacities/"+uuid.NewString(), `{"available":1,"unit":{"id":"`+hsds.UnitID("cribs")+`","name":"body bags"}}`, n.keyB); r.status != 422 {
				t.Errorf("B squats the unit of cribs: %d %s", r.status, r.body)
			}
			for p, b := range before {
				if got := string(n.send("GET", p, "", "").body); got != b {
					t.Errorf("a refused write changed A's %s", p)
				}
			}
			if r := n.send("PUT", n.svc["A"]+"/capacities/"+uuid.NewString(), `{"available":3,"unit":{"name":"cribs"}}`, n.keyA); r.status != 201 || strings.Contains(string(r.body), "body bags") {
				t.Errorf("A reports cribs: %d %s", r.status, r.body)
			}
			// History an agency imports is about the record it is nested in,
			// and says the server's word on who wrote it.
			var svcB map[string]any
			n.getRecord(n.svc["B"], &svcB)
			delete(svcB, "organization")
			svcB["metadata"] = []any{map[string]any{"id": uuid.NewString(), "resource_id": last(n.svc["B"]), "resource_type": "service",
				"last_action_date": "2099-01-01T00:00:00Z", "last_action_type": "delete", "field_name": "name",
				"previous_value": "x", "replacement_value": "y", "updated_by": "admin (key 1)"}}
			line, _ := json.Marshal(svcB)
			if _, j := n.upload(n.keyB, "own-history.jsonl", string(line)+"\n"); j.State != "succeeded" {
				t.Fatalf("B imports its own history: %+v", j)
			}
			// An import nests the same way.
			delete(svcB, "metadata")
			svcB["phones"] = []any{map[string]any{"id": uuid.NewString(), "number": "900-555-0199", "location_id": aLoc}}
			line, _ = json.Marshal(svcB)
			if _, j := n.upload(n.keyB, "inject.jsonl", string(line)+"\n"); j.State != "failed" || len(j.Problems) != 1 || j.Problems[0].Field != "/phones/0/location_id" {
				t.Errorf("B imports a phone on A's location: %+v", j)
			}
			// A parent column naming nothing is a problem with its row, and
			// the server stays writable.
			svcB["phones"] = []any{map[string]any{"id": uuid.NewString(), "number": "305-555-0100", "contact_id": uuid.NewString()}}
			line, _ = json.Marshal(svcB)
			if _, j := n.upload(n.keyB, "dangling.jsonl", string(line)+"\n"); j.State != "failed" || len(j.Problems) != 1 || j.Problems[0].Field != "/phones/0/contact_id" {
				t.Errorf("B imports a phone naming no contact: %+v", j)
			}
			if r := n.send("POST", "/agencies", `{"name":"After the refused import"}`, n.admin); r.status != 201 {
				t.Fatalf("a write after the refused import: %d %s", r.status, r.body)
			}
			// An attribute nested in B's service is B's service's.
			svcB["phones"] = []any{}
			svcB["attributes"] = []any{map[string]any{"id": uuid.NewString(), "taxonomy_term_id": n.term, "link_id": aSvc, "link_entity": "x"}}
			line, _ = json.Marshal(svcB)
			if _, j := n.upload(n.keyB, "link.jsonl", string(line)+"\n"); j.State != "failed" || len(j.Problems) == 0 || !strings.Contains(j.Problems[0].Field, "/attributes/0/link_") {
				t.Errorf("B imports an attribute linked to A's service: %+v", j)
			}
			// Nor add taxonomy terms, an administrator's vocabulary.
			term := uuid.NewString()
			svcB["phones"] = []any{}
			svcB["attributes"] = []any{map[string]any{"id": uuid.NewString(), "taxonomy_term_id": term,
				"taxonomy_term": map[string]any{"id": term, "code": "X-1", "name": "Invented", "description": "Not B's to add."}}}
			line, _ = json.Marshal(svcB)
			if _, j := n.upload(n.keyB, "term.jsonl", string(line)+"\n"); j.State != "failed" || len(j.Problems) == 0 || !strings.Contains(j.Problems[0].Message, "administrator") {
				t.Errorf("B imports a new taxonomy term: %+v", j)
			}
			hist := string(n.send("GET", n.svc["B"]+"/history?per_page=100", "", "").body)
			if !strings.Contains(hist, "(imported; the file said: admin (key 1))") || strings.Contains(hist, `"updated_by":"admin (key 1)"`) || strings.Contains(hist, "2099") {
				t.Errorf("imported history keeps the file's updated_by as the server's: %s", hist)
			}
		})
	}
}

package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/linkage-org/linkage/internal/store/storetest"
)

// A body of the wrong JSON types is answered with the JSON pointer of each
// field and what to send there in JSON's words, never a Go type
// ("must be []hsds.Phone, got string").
func TestAPI_WrongTypesInJSONTerms(t *testing.T) {
	goWords := []string{"hsds.", "[]", "float64", "int64", "map[", "interface", "struct", "Go value", "got string", "allOf"}
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			a := newAccess(t, d)
			svc, capacity := "/services/"+svcPantry, "/services/"+svcPantry+"/capacities/"+storetest.ID("capacity")
			for _, c := range []struct {
				name, method, path, body string
				key, pointer, want       string
			}{
				{"object for a string", "PUT", svc, `{"name": {"first": "Pantry"}}`, a.keyA, "/name", "must be a string, not an object"},
				{"string for phones", "PUT", svc, `{"name": "Pantry", "phones": "843-555-0100"}`, a.keyA, "/phones", "must be an array of phone objects, not a string"},
				{"number in the second phone", "PUT", svc, `{"name": "Pantry", "phones": [{"number": "843-555-0100"}, {"number": 8435550101}]}`, a.keyA, "/phones/1/number", "must be a string, not a number"},
				{"object for languages", "PATCH", svc, `{"languages": {"es": true}}`, a.keyA, "/languages", "must be an array of language objects, not an object"},
				{"string for the capacity unit", "PUT", capacity, `{"unit": "beds", "available": 3}`, a.keyA, "/unit", "must be an object (a unit), not a string"},
				{"string for a number", "PUT", capacity, `{"unit": {"name": "beds"}, "available": "three"}`, a.keyA, "/available", "must be a number, not a string"},
				{"not a date-time", "PUT", capacity, `{"unit": {"name": "beds"}, "available": 3, "updated": "yesterday"}`, a.keyA, "/updated", "must be a date-time string such as 2026-01-31T00:00:00Z"},
				{"unknown nested field", "PUT", svc, `{"name": "Pantry", "phones": [{"numbr": "843-555-0100"}]}`, a.keyA, "/phones/0/numbr", "unknown field"},
				{"string for the client", "POST", "/cases", `{"client": "Maria Lopez"}`, a.caseworker, "/client", "must be an object"},
			} {
				t.Run(c.name, func(t *testing.T) {
					hdr := []string{"If-Match", "*"}
					if c.method == "PATCH" {
						hdr = append(hdr, "Content-Type", "application/merge-patch+json")
					}
					r := a.send(c.method, c.path, c.body, c.key, hdr...)
					var p struct {
						Detail string
						Errors []struct{ Pointer, Message string }
					}
					r.json(t, &p)
					if r.status != 400 || len(p.Errors) != 1 || p.Errors[0].Pointer != c.pointer || !strings.Contains(p.Errors[0].Message, c.want) {
						t.Errorf("%s %s %s: %d %s, want 400 with %s %q", c.method, c.path, c.body, r.status, r.body, c.pointer, c.want)
					}
					msgs, _ := json.Marshal(p)
					for _, w := range goWords {
						if strings.Contains(string(msgs), w) {
							t.Errorf("the problem names Go (%q): %s", w, msgs)
						}
					}
				})
			}
			// A query parameter of the wrong type says the same kind of thing.
			r := a.send("GET", "/services?per_page=fifty", "", "")
			if r.status != 400 || !strings.Contains(string(r.body), `"parameter":"per_page","message":"must be an integer, got \"fifty\""`) {
				t.Errorf("per_page=fifty: %d %s", r.status, r.body)
			}
		})
	}
}

package httpapi_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/linkage-org/linkage/internal/store/storetest"
)

// findCases lists the ids of the cases GET /cases?query finds as key.
func (r *refEnv) findCases(query, key string) (int, []string, string) {
	r.t.Helper()
	res := r.send("GET", "/cases?"+query, "", key)
	var page struct{ Contents []struct{ ID string } }
	if res.status == 200 {
		res.json(r.t, &page)
	}
	var ids []string
	for _, c := range page.Contents {
		ids = append(ids, c.ID)
	}
	slices.Sort(ids)
	return res.status, ids, string(res.body)
}

func TestCases_Lookup(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d)
			perez := r.mondayCase()             // María Pérez-Soto, 1992-03-14
			lopez := r.newCase(r.caseworker).ID // Maria Lopez, 1988-04-12
			both := slices.Sorted(slices.Values([]string{perez.ID, lopez}))
			q := func(kv ...string) string {
				v := url.Values{}
				for i := 0; i+1 < len(kv); i += 2 {
					v.Set(kv[i], kv[i+1])
				}
				return v.Encode()
			}
			for _, tt := range []struct {
				query string
				want  []string
			}{
				{q("search", "Maria"), both},
				{q("search", "MARÍA"), both},
				{q("search", "maria perez"), []string{perez.ID}},
				{q("search", "Soto, María"), []string{perez.ID}},
				{q("search", "pérez-soto"), []string{perez.ID}},
				{q("search", "Maria", "birth_date", "1988-04-12"), []string{lopez}},
				{q("birth_date", "1992-03-14"), []string{perez.ID}},
				{q("search", "Mari"), nil}, // whole words only
				{q("search", "Maria Garcia"), nil},
				{q("search", "Maria", "status", "closed"), nil},
			} {
				if st, ids, body := r.findCases(tt.query, r.caseworker); st != 200 || !slices.Equal(ids, tt.want) {
					t.Errorf("%s: %d %v, want %v: %s", tt.query, st, ids, tt.want, clipBody([]byte(body)))
				}
			}
			// Another agency's caseworker finds nothing, with the very answer
			// of a name no one has (its own Maria aside).
			_, _, nobody := r.findCases(q("search", "Zebedee"), r.cwC)
			for _, key := range []string{r.cwC, r.cwA} {
				st, ids, body := r.findCases(q("search", "Maria"), key)
				if st != 200 || len(ids) != 0 || body != nobody {
					t.Errorf("another agency searching Maria: %d %v %s", st, ids, body)
				}
				if st, ids, _ := r.findCases(q("birth_date", "1992-03-14"), key); st != 200 || len(ids) != 0 {
					t.Errorf("another agency searching the birth date: %d %v", st, ids)
				}
			}
			theirs := r.newCase(r.cwC)
			if st, ids, _ := r.findCases(q("search", "maria lopez"), r.cwC); st != 200 || !slices.Equal(ids, []string{theirs.ID}) {
				t.Errorf("agency C finds its own Maria only: %d %v", st, ids)
			}

			// A changed name is found by the new name only.
			st, _, msg := r.patchCase(lopez, 1, `{"client": {"given_name": "Mariana"}}`)
			if st != 200 {
				t.Fatalf("rename: %d %s", st, msg)
			}
			if _, ids, _ := r.findCases(q("search", "maria lopez"), r.caseworker); len(ids) != 0 {
				t.Errorf("old name still finds the case: %v", ids)
			}
			if _, ids, _ := r.findCases(q("search", "mariana"), r.caseworker); !slices.Equal(ids, []string{lopez}) {
				t.Errorf("new name: %v", ids)
			}
			// Cases from before the index are indexed on the first search.
			if _, err := r.store.DB().Exec(`DELETE FROM case_lookup`); err != nil {
				t.Fatal(err)
			}
			if _, ids, _ := r.findCases(q("search", "perez"), r.caseworker); !slices.Equal(ids, []string{perez.ID}) {
				t.Errorf("after losing the index: %v", ids)
			}
			if raw := rawRows(t, r.store, "case_lookup", "case_id", perez.ID); strings.Contains(strings.ToLower(raw), "maria") || strings.Contains(raw, "1992") {
				t.Errorf("lookup rows in clear: %s", raw)
			}

			// Bounded: words, length, something to look for.
			for _, bad := range []string{q("search", "a b c d e f"), q("search", "!!! ..."), q("search", strings.Repeat("x", 201)), q("birth_date", "14/03/1992")} {
				if res := r.send("GET", "/cases?"+bad, "", r.caseworker); res.status != 400 || !strings.Contains(string(res.body), "parameter") {
					t.Errorf("%s: %d %s", clipBody([]byte(bad)), res.status, clipBody(res.body))
				}
			}
		})
	}
}

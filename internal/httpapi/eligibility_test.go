package httpapi_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/linkage-org/linkage/internal/eligibility"
	"github.com/linkage-org/linkage/internal/importer"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
	"github.com/linkage-org/linkage/seed"
)

type eligItem struct {
	ID      string  `json:"id"`
	Score   float64 `json:"score"`
	Service struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"service"`
	Eligibility *struct {
		Status string
		Met    []struct{ Code, Sentence string }
		Unmet  []struct{ Code, Sentence string }
	} `json:"eligibility"`
}

type eligPage struct {
	TotalItems int        `json:"total_items"`
	Contents   []eligItem `json:"contents"`
	Facets     struct {
		Eligibility map[string]int `json:"eligibility"`
	} `json:"facets"`
}

// newEligibility is a referral env whose demo directory carries the
// eligibility taxonomy and the extractor's proposals, plus two confirmed
// rules on SNAP Application Help (agency A's): adults, income up to 130%
// of poverty.
func newEligibility(t *testing.T, dialect string) *refEnv {
	t.Helper()
	r := newReferrals(t, dialect)
	ctx := context.Background()
	if _, err := importer.ImportFS(ctx, r.store, seed.Eligibility(), "taxonomy.json", importer.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := importer.ExtractEligibility(ctx, r.store, "test", false, nil); err != nil {
		t.Fatal(err)
	}
	terms, err := r.store.EligibilityTerms(ctx)
	if err != nil || len(terms) != len(eligibility.Codes) {
		t.Fatalf("eligibility terms: %v %v", terms, err)
	}
	// Replace whatever the extractor proposed for SNAP help: the agency
	// rejects it.
	had, err := r.store.Eligibility(ctx, []string{svcSNAP}, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range had[svcSNAP] {
		if c.AttributeID != "" {
			if res := r.send("POST", "/services/"+svcSNAP+"/eligibility/"+c.AttributeID, `{"decision": "reject"}`, r.keyA); res.status != 200 {
				t.Fatalf("reject the extractor's %s: %d %s", c.Code, res.status, res.body)
			}
		}
	}
	_, err = r.store.Fixture(ctx, func(tx store.Fixture) error {
		return tx.ProposeEligibility(ctx, svcSNAP, []eligibility.Criterion{
			{Code: eligibility.Age, Value: "18-", Inferred: true, Source: "adults 18 and older"},
			{Code: eligibility.IncomeFPL, Value: "130", Inferred: true, Source: "130% of poverty"},
			{Code: eligibility.Documents, Value: "photo_id", Inferred: true, Source: "photo ID"},
		}, terms, "test")
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *refEnv) search(body, key string) (int, eligPage, string) {
	r.t.Helper()
	res := r.send("POST", "/search", body, key)
	var p eligPage
	if res.status == 200 {
		res.json(r.t, &p)
	}
	return res.status, p, string(res.body)
}

func find(p eligPage, serviceID string) *eligItem {
	for i := range p.Contents {
		if p.Contents[i].Service.ID == serviceID {
			return &p.Contents[i]
		}
	}
	return nil
}

func TestEligibility_Search(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newEligibility(t, d)
			ctx := context.Background()

			// The agency confirms its two rules; another agency cannot.
			crit, err := r.store.Eligibility(ctx, []string{svcSNAP}, false)
			if err != nil || len(crit[svcSNAP]) != 3 {
				t.Fatalf("SNAP criteria: %+v %v", crit, err)
			}
			for _, c := range crit[svcSNAP] {
				if !c.Inferred {
					t.Fatalf("proposal not inferred: %+v", c)
				}
				path := "/services/" + svcSNAP + "/eligibility/" + c.AttributeID
				if res := r.send("POST", path, `{"decision": "confirm"}`, r.keyB); res.status != 403 {
					t.Errorf("another agency confirming: %d", res.status)
				}
				decision := "confirm"
				if c.Code == eligibility.Documents {
					decision = "reject"
				}
				if res := r.send("POST", path, `{"decision": "`+decision+`"}`, r.keyA); res.status != 200 {
					t.Fatalf("%s %s: %d %s", decision, c.Code, res.status, res.body)
				}
			}
			if res := r.send("POST", "/services/"+svcSNAP+"/eligibility/"+crit[svcSNAP][0].AttributeID, `{"decision": "maybe"}`, r.keyA); res.status != 422 {
				t.Errorf("an unknown decision: %d", res.status)
			}
			crit, _ = r.store.Eligibility(ctx, []string{svcSNAP}, false)
			if len(crit[svcSNAP]) != 2 || crit[svcSNAP][0].Inferred || crit[svcSNAP][1].Inferred {
				t.Fatalf("after the decisions: %+v", crit[svcSNAP])
			}

			// 2,000 a month for 3 is 90% of poverty: eligible, with reasons.
			q := `{"q": "SNAP application help", "per_page": 50, "client": {"age": 30, "household_size": 3, "income": 2000, "income_period": "month"}}`
			st, page, body := r.search(q, "")
			it := find(page, svcSNAP)
			if st != 200 || it == nil || it.Eligibility == nil || it.Eligibility.Status != "eligible" || len(it.Eligibility.Met) != 2 {
				t.Fatalf("eligible profile: %d %s", st, clipBody([]byte(body)))
			}
			if !strings.Contains(it.Eligibility.Met[1].Sentence+it.Eligibility.Met[0].Sentence, "90% of poverty, limit 130%") {
				t.Errorf("reasons: %+v", it.Eligibility.Met)
			}
			for _, x := range page.Contents {
				if x.Eligibility == nil {
					t.Errorf("result %s has no eligibility", x.Service.Name)
				}
			}
			// 6,000 a month is 270%: left out, unless asked for, and counted.
			rich := strings.Replace(q, `"income": 2000`, `"income": 6000`, 1)
			st, page, _ = r.search(rich, "")
			if st != 200 || find(page, svcSNAP) != nil || page.Facets.Eligibility["ineligible"] < 1 {
				t.Errorf("ineligible profile: %d, SNAP listed %v, facets %v", st, find(page, svcSNAP) != nil, page.Facets.Eligibility)
			}
			total := 0
			for _, n := range page.Facets.Eligibility {
				total += n
			}
			if total != page.TotalItems+page.Facets.Eligibility["ineligible"] {
				t.Errorf("facets %v do not add up to %d results + ineligible", page.Facets.Eligibility, page.TotalItems)
			}
			st, page, _ = r.search(strings.Replace(rich, `"client"`, `"include_ineligible": true, "client"`, 1), "")
			if it := find(page, svcSNAP); st != 200 || it == nil || it.Eligibility.Status != "ineligible" || len(it.Eligibility.Unmet) != 1 {
				t.Errorf("include_ineligible: %d %+v", st, it)
			}
			// Age 17 against 18+ (confirmed): out. No age: unknown on age, still in.
			if _, page, _ = r.search(strings.Replace(q, `"age": 30`, `"age": 17`, 1), ""); find(page, svcSNAP) != nil {
				t.Errorf("a 17-year-old is offered an 18+ service")
			}
			_, page, _ = r.search(strings.Replace(q, `"age": 30, `, ``, 1), "")
			if it := find(page, svcSNAP); it == nil || it.Eligibility.Status != "likely" {
				t.Errorf("without an age: %+v", it)
			}
			// A postcode places the client: the service area counts (inferred,
			// as the agency has not made it a rule).
			_, page, body = r.search(strings.Replace(q, `"age": 30`, `"age": 30, "postcode": "33125"`, 1), "")
			if it := find(page, svcSNAP); it == nil || it.Eligibility.Status != "likely" || !strings.Contains(body, "Lives inside its service area") {
				t.Errorf("with a postcode: %+v", it)
			}
			// In relevance order, eligibility lifts: no result ranks above an
			// eligible one with 80% of its score unless it is eligible too.
			_, page, _ = r.search(`{"q": "food help", "per_page": 100, "client": {"age": 67, "household_size": 1, "income": 900, "income_period": "month", "county": "Palmetto"}}`, "")
			rank := map[string]float64{"eligible": 1.25, "likely": 1.1, "unknown": 1, "ineligible": 0.5}
			for i := 1; i < len(page.Contents); i++ {
				a, b := page.Contents[i-1], page.Contents[i]
				// Scores are shown to 4 places: allow for the rounding.
				if a.Score*rank[a.Eligibility.Status] < b.Score*rank[b.Eligibility.Status]-2e-4 {
					t.Errorf("%s (%v, %s) ranks above %s (%v, %s)", a.Service.Name, a.Score, a.Eligibility.Status, b.Service.Name, b.Score, b.Eligibility.Status)
				}
			}

			// A case's client drives the search; only its own agency's caseworkers.
			c := r.newCase(r.caseworker) // born 1988-04-12, household of 3
			st, page, body = r.search(fmt.Sprintf(`{"q": "SNAP application help", "case_id": %q}`, c.ID), r.caseworker)
			if it := find(page, svcSNAP); st != 200 || it == nil || it.Eligibility.Status != "likely" || !strings.Contains(it.Eligibility.Met[0].Sentence, "Age 38") {
				t.Errorf("search from a case: %d %s", st, clipBody([]byte(body)))
			}
			for key, want := range map[string]int{r.cwC: 404, r.keyA: 403, "": 401} {
				if st, _, _ := r.search(fmt.Sprintf(`{"q": "food", "case_id": %q}`, c.ID), key); st != want {
					t.Errorf("search from B's case with another key: %d, want %d", st, want)
				}
			}

			// Bad profiles are 400s naming the field.
			for body, ptr := range map[string]string{
				`{"q": "food", "client": {"age": 20, "children_ages": [15]}}`:                 "/client/children_ages/0",
				`{"q": "food", "client": {"age": 30, "birth_date": "2001-01-01"}}`:            "/client/age",
				`{"q": "food", "client": {"income": 100}}`:                                    "/client/income_period",
				`{"q": "food", "client": {"shoe_size": 9}}`:                                   "/client",
				`{"q": "food", "client": {"children_ages": [30]}, "case_id": "` + c.ID + `"}`: "/client/children_ages/0",
				`{"q": "food", "include_ineligible": true}`:                                   "/client",
			} {
				res := r.send("POST", "/search", body, r.caseworker)
				if res.status != 400 || !strings.Contains(string(res.body), ptr) {
					t.Errorf("%s: %d %s, want 400 naming %s", body, res.status, clipBody(res.body), ptr)
				}
			}

			// The write API holds eligibility attributes to the taxonomy.
			terms, _ := r.store.EligibilityTerms(ctx)
			get := r.send("GET", "/services/"+svcSNAP, "", "")
			patch := fmt.Sprintf(`{"attributes": [{"id": "00000000-0000-4000-8000-00000000e111", "taxonomy_term_id": %q, "link_type": "eligibility", "link_entity": "service", "value": "lots"}]}`, terms[eligibility.IncomeFPL])
			res := r.send("PATCH", "/services/"+svcSNAP, patch, r.keyA, "Content-Type", "application/merge-patch+json", "If-Match", get.header.Get("ETag"))
			if res.status != 422 || !strings.Contains(string(res.body), "/attributes/0/value") {
				t.Errorf("a bad eligibility value: %d %s", res.status, clipBody(res.body))
			}
		})
	}
}

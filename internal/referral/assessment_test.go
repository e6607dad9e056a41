package referral_test

import (
	"strings"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/referral"
)

func TestLead_RiskDue(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	now := time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC) // Wednesday, 10:00 in New York
	for _, tt := range []struct {
		lead, date string
		want       time.Time
	}{
		{"2bd", "2026-12-16", time.Date(2026, 12, 14, 9, 0, 0, 0, ny)}, // Wednesday: Monday 09:00
		{"2bd", "2026-12-21", time.Date(2026, 12, 17, 9, 0, 0, 0, ny)}, // Monday: the Thursday before
		{"1bd", "2026-12-19", time.Date(2026, 12, 18, 9, 0, 0, 0, ny)}, // Saturday: Friday
		{"3d", "2026-12-16", time.Date(2026, 12, 13, 9, 0, 0, 0, ny)},
		{"36h", "2026-12-16", time.Date(2026, 12, 14, 21, 0, 0, 0, ny)},
		{"2bd", "2026-12-03", now},                                    // already past: due now
		{"2bd", "2027-03-16", time.Date(2027, 3, 12, 9, 0, 0, 0, ny)}, // across the DST change: 09:00 local still
	} {
		l, err := referral.ParseLead(tt.lead)
		if err != nil {
			t.Fatal(err)
		}
		got, err := l.RiskDue(tt.date, ny, now)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("%s before %s: %v %v, want %v", tt.lead, tt.date, got.In(ny), err, tt.want)
		}
	}
	if got, _ := (referral.Lead{}).RiskDue("2026-12-16", ny, now); !got.Equal(time.Date(2026, 12, 14, 9, 0, 0, 0, ny)) {
		t.Errorf("the zero lead is not two business days: %v", got)
	}
	for _, bad := range []string{"", "0bd", "31bd", "x", "-3h", "0d", "2w"} {
		if _, err := referral.ParseLead(bad); err == nil {
			t.Errorf("ParseLead(%q) accepted", bad)
		}
	}
}

func TestCheckAssessment(t *testing.T) {
	a := referral.Assessment{Urgency: "soon", Languages: []string{"ES", "spanish"}, Postcode: "!", Risks: []referral.Risk{
		{Kind: "eviction"}, {Kind: "crisis"}, {Kind: "flood", Date: "2026-13-01"}, {ID: "ABC", Kind: "other", Note: strings.Repeat("x", 4001)},
	}}
	got := map[string]bool{}
	for _, p := range referral.CheckAssessment(&a, "/assessment", map[string]bool{}) {
		got[p.Field] = true
	}
	for _, want := range []string{"/assessment/urgency", "/assessment/languages/1", "/assessment/postcode", "/assessment/risks/0/date",
		"/assessment/risks/2/kind", "/assessment/risks/2/date", "/assessment/risks/3/id", "/assessment/risks/3/note"} {
		if !got[want] {
			t.Errorf("no problem at %s (got %v)", want, got)
		}
	}
	if got["/assessment/risks/1/date"] || got["/assessment/languages/0"] {
		t.Errorf("a crisis needs no date, and es is a language: %v", got)
	}
	if a.Languages[0] != "es" || a.Risks[3].ID != "abc" {
		t.Errorf("not normalised: %v %s", a.Languages, a.Risks[3].ID)
	}
}

// The county becomes the case's clear area, so only a place name passes.
func TestCheckAssessment_County(t *testing.T) {
	for county, ok := range map[string]bool{
		"Miami-Dade": true, "St. Mary's": true, "Doña Ana": true, "  Palmetto   County ": true,
		"lucia ramos dob 1992-05-14 ssn 123-45-6789": false, "Palmetto\nCounty": true, "x\x00y": false,
		strings.Repeat("a", 61): false, "-Dade": false, "<script>": false,
	} {
		a := referral.Assessment{County: county}
		probs := referral.CheckAssessment(&a, "/assessment", nil)
		if (len(probs) == 0) != ok {
			t.Errorf("county %q: problems %v, want ok %v", county, probs, ok)
		}
	}
}

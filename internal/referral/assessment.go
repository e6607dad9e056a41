package referral

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// countyRe is a county's name, in any script: Miami-Dade, St. Mary's,
// Doña Ana.
var countyRe = regexp.MustCompile(`^[\p{L}][\p{L}\p{M} .'-]{0,59}$`)

// Assessment is what a caseworker learned of a client's situation: every
// fact an eligibility profile can use, the urgency of the case and the
// risks with their dates. All of it is personal and sealed at rest; no
// consent scope shares it with a receiving agency.
type Assessment struct {
	Income        *float64 `json:"income,omitempty"`
	IncomePeriod  string   `json:"income_period,omitempty"` // month or year
	HouseholdSize *int     `json:"household_size,omitempty"`
	ChildrenAges  []int    `json:"children_ages,omitempty"`
	Gender        string   `json:"gender,omitempty"`
	Insurance     []string `json:"insurance,omitempty"`
	Veteran       *bool    `json:"veteran,omitempty"`
	Disability    *bool    `json:"disability,omitempty"`
	Pregnant      *bool    `json:"pregnant,omitempty"`
	Immigration   string   `json:"immigration_status,omitempty"`
	Languages     []string `json:"languages,omitempty"`
	County        string   `json:"county,omitempty"`
	State         string   `json:"state,omitempty"`
	// Postcode is where the client lives when it differs from the
	// client's postal code (a shelter's address, say).
	Postcode string `json:"postcode,omitempty"`
	Urgency  string `json:"urgency,omitempty"` // routine or urgent
	Risks    []Risk `json:"risks"`
}

// Risk is one danger to the client the caseworker must act on, with its
// date where it has one (an eviction on the 16th).
type Risk struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	Date string `json:"date,omitempty"` // YYYY-MM-DD
	Note string `json:"note,omitempty"`
}

// Risk kinds; crisis and safety need no date.
var RiskKinds = []string{"crisis", "safety", "eviction", "utility_shutoff", "other"}

// Urgencies of a case.
var Urgencies = []string{"routine", "urgent"}

// Limits of an assessment.
const (
	MaxRisks     = 20
	MaxLanguages = 10
)

// Empty says whether a holds no fact at all.
func (a *Assessment) Empty() bool {
	return a == nil || (a.Income == nil && a.IncomePeriod == "" && a.HouseholdSize == nil && len(a.ChildrenAges) == 0 &&
		a.Gender == "" && len(a.Insurance) == 0 && a.Veteran == nil && a.Disability == nil && a.Pregnant == nil &&
		a.Immigration == "" && len(a.Languages) == 0 && a.County == "" && a.State == "" && a.Postcode == "" &&
		a.Urgency == "" && len(a.Risks) == 0)
}

// CheckAssessment reports problems of the parts of a that an eligibility
// profile does not judge (urgency, languages, risks) at pointer p. known
// are the ids of the case's risks: a risk named by id must be one of them.
// Risk ids are lower-cased.
func CheckAssessment(a *Assessment, p string, known map[string]bool) []Problem {
	var out []Problem
	add := func(f, format string, args ...any) {
		out = append(out, Problem{p + "/" + f, fmt.Sprintf(format, args...)})
	}
	if a.Urgency != "" && !slices.Contains(Urgencies, a.Urgency) {
		add("urgency", "must be routine or urgent")
	}
	if len(a.Languages) > MaxLanguages {
		add("languages", "lists more than %d languages", MaxLanguages)
	}
	for i, l := range a.Languages {
		a.Languages[i] = strings.ToLower(strings.TrimSpace(l))
		if !langRe.MatchString(a.Languages[i]) {
			add("languages/"+strconv.Itoa(i), "is not an ISO 639 code such as en or es")
		}
	}
	if a.Postcode != "" && !postalRe.MatchString(a.Postcode) {
		add("postcode", "is not a postal code")
	}
	a.County = strings.Join(strings.Fields(a.County), " ")
	if a.County != "" && !countyRe.MatchString(a.County) {
		// The county is the one clear value of a case (its area): only a
		// place name may go there.
		add("county", "is not a county name: letters, spaces, hyphens, apostrophes and periods, at most 60 characters")
	}
	if len(a.Risks) > MaxRisks {
		add("risks", "lists more than %d risks", MaxRisks)
		return out
	}
	for i := range a.Risks {
		out = append(out, checkRisk(&a.Risks[i], p+"/risks/"+strconv.Itoa(i), known)...)
	}
	return out
}

func checkRisk(r *Risk, p string, known map[string]bool) []Problem {
	var out []Problem
	add := func(f, msg string) { out = append(out, Problem{p + "/" + f, msg}) }
	r.ID = strings.ToLower(r.ID)
	if r.ID != "" && !known[r.ID] {
		add("id", "is not a risk of this case; leave id out to add a risk")
	}
	if !slices.Contains(RiskKinds, r.Kind) {
		add("kind", "must be one of "+strings.Join(RiskKinds, ", "))
	}
	switch {
	case r.Date != "":
		if _, err := time.Parse(time.DateOnly, r.Date); err != nil {
			add("date", "is not a date (YYYY-MM-DD)")
		}
	case r.Kind == "eviction" || r.Kind == "utility_shutoff":
		add("date", "is required for an "+strings.ReplaceAll(r.Kind, "_", " ")+": the day it happens")
	}
	if len(r.Note) > MaxNoteLen {
		add("note", fmt.Sprintf("is longer than %d characters", MaxNoteLen))
	}
	return out
}

// RiskTitle is the title of the task a dated risk opens.
func RiskTitle(r Risk) string {
	what := map[string]string{"crisis": "Crisis", "safety": "Safety risk", "eviction": "Eviction",
		"utility_shutoff": "Utility shut-off", "other": "Risk"}[r.Kind]
	return what + " on " + r.Date + ": act before it"
}

// Lead is how long before a dated risk its task falls due: business days
// (Saturday and Sunday skipped) or a plain span.
type Lead struct {
	BusinessDays int
	Span         time.Duration
}

// DefaultLead is two business days.
var DefaultLead = Lead{BusinessDays: 2}

// ParseLead reads "2bd" (business days, 1-30), "3d" (days) or "36h". The
// zero Lead is DefaultLead.
func ParseLead(s string) (Lead, error) {
	s = strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(s, "bd"); ok {
		d, err := strconv.Atoi(n)
		if err != nil || d < 1 || d > 30 {
			return Lead{}, fmt.Errorf("risk lead %q: want business days such as 2bd (1-30)", s)
		}
		return Lead{BusinessDays: d}, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		d, err := strconv.Atoi(n)
		if err != nil || d < 1 || d > 60 {
			return Lead{}, fmt.Errorf("risk lead %q: want days such as 3d (1-60)", s)
		}
		return Lead{Span: time.Duration(d) * day}, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 || d > 60*day {
		return Lead{}, fmt.Errorf("risk lead %q: want 2bd, 3d or a span such as 36h", s)
	}
	return Lead{Span: d}, nil
}

// RiskDue is when the task of a risk on date (YYYY-MM-DD) falls due: lead
// before 09:00 of that day in zone; a moment already past is now.
func (l Lead) RiskDue(date string, zone *time.Location, now time.Time) (time.Time, error) {
	if l == (Lead{}) {
		l = DefaultLead
	}
	d, err := time.ParseInLocation(time.DateOnly, date, zone)
	if err != nil {
		return time.Time{}, fmt.Errorf("risk date %q: %w", date, err)
	}
	due := d.Add(9 * time.Hour)
	if l.Span > 0 {
		due = due.Add(-l.Span)
	}
	for n := l.BusinessDays; n > 0; {
		due = due.AddDate(0, 0, -1)
		if wd := due.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	if due.Before(now) {
		return now.UTC(), nil
	}
	return due.UTC(), nil
}

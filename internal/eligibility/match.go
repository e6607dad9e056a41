package eligibility

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Guidelines are the HHS poverty guidelines: annual income by household
// size for the 48 contiguous states (with DC), Alaska and Hawaii.
type Guidelines struct {
	Year    int               `json:"year"`
	Source  string            `json:"source"`
	Regions map[string]Region `json:"regions"`
}

// Region is one table of the guidelines.
type Region struct {
	Label          string    `json:"label"`
	Sizes          []float64 `json:"sizes"`
	EachAdditional float64   `json:"each_additional"`
}

// ParseGuidelines reads and checks a guidelines file.
func ParseGuidelines(b []byte) (Guidelines, error) {
	var g Guidelines
	if err := json.Unmarshal(b, &g); err != nil {
		return Guidelines{}, fmt.Errorf("poverty guidelines: %w", err)
	}
	if g.Year < 2000 || g.Year > 2100 {
		return Guidelines{}, fmt.Errorf("poverty guidelines: year %d is not plausible", g.Year)
	}
	for _, r := range []string{"contiguous", "AK", "HI"} {
		t, ok := g.Regions[r]
		if !ok || len(t.Sizes) == 0 || t.EachAdditional <= 0 {
			return Guidelines{}, fmt.Errorf("poverty guidelines: region %s needs sizes and each_additional", r)
		}
		for i := 1; i < len(t.Sizes); i++ {
			if t.Sizes[i] <= t.Sizes[i-1] {
				return Guidelines{}, fmt.Errorf("poverty guidelines: region %s sizes must grow with the household", r)
			}
		}
	}
	return g, nil
}

// Line is the annual guideline for a household of size in state (a USPS
// code; "" or any state but AK and HI is the contiguous table).
func (g Guidelines) Line(size int, state string) float64 {
	r, ok := g.Regions[strings.ToUpper(state)]
	if !ok {
		r = g.Regions["contiguous"]
	}
	if size <= len(r.Sizes) {
		return r.Sizes[max(size, 1)-1]
	}
	return r.Sizes[len(r.Sizes)-1] + float64(size-len(r.Sizes))*r.EachAdditional
}

// StateOfPostcode tells the guideline region of a US ZIP code: the only
// states with their own tables are Alaska (995-999) and Hawaii (967-968).
// It returns "" when the code does not decide (any other ZIP).
func StateOfPostcode(zip string) string {
	if len(zip) < 3 {
		return ""
	}
	p, err := strconv.Atoi(zip[:3])
	if err != nil {
		return ""
	}
	switch {
	case p >= 995 && p <= 999:
		return "AK"
	case p == 967 || p == 968:
		return "HI"
	}
	return ""
}

// Profile is what a caseworker knows of a client. Every field is optional:
// a criterion the profile cannot answer is unknown, never unmet.
type Profile struct {
	Age           *int     `json:"age,omitempty"`
	BirthDate     string   `json:"birth_date,omitempty"`
	Gender        string   `json:"gender,omitempty"`
	HouseholdSize *int     `json:"household_size,omitempty"`
	Income        *float64 `json:"income,omitempty"`
	IncomePeriod  string   `json:"income_period,omitempty"` // month or year
	Postcode      string   `json:"postcode,omitempty"`
	State         string   `json:"state,omitempty"`
	County        string   `json:"county,omitempty"`
	Lat           *float64 `json:"lat,omitempty"`
	Lon           *float64 `json:"lon,omitempty"`
	Veteran       *bool    `json:"veteran,omitempty"`
	Disability    *bool    `json:"disability,omitempty"`
	Pregnant      *bool    `json:"pregnant,omitempty"`
	ChildrenAges  []int    `json:"children_ages,omitempty"`
	Insurance     []string `json:"insurance,omitempty"`
	Immigration   string   `json:"immigration_status,omitempty"`
	Languages     []string `json:"languages,omitempty"`
}

// Problem is one thing wrong with a profile, by JSON pointer.
type Problem struct{ Pointer, Message string }

// Normalize fills the age from the birth date (at now) and checks the
// profile for values that are impossible or contradict each other.
func (p *Profile) Normalize(now time.Time) []Problem {
	var out []Problem
	add := func(f, format string, args ...any) {
		out = append(out, Problem{"/client/" + f, fmt.Sprintf(format, args...)})
	}
	if p.BirthDate != "" {
		b, err := time.Parse(time.DateOnly, p.BirthDate)
		switch {
		case err != nil:
			add("birth_date", "is not a date (YYYY-MM-DD)")
		case b.After(now):
			add("birth_date", "is in the future")
		default:
			age := now.Year() - b.Year()
			if now.YearDay() < b.YearDay() {
				age--
			}
			if p.Age != nil && *p.Age != age {
				add("age", "is %d but birth_date makes the client %d", *p.Age, age)
			}
			p.Age = &age
		}
	}
	if p.Age != nil && (*p.Age < 0 || *p.Age > 125) {
		add("age", "must be between 0 and 125")
	}
	p.Gender = strings.ToLower(strings.TrimSpace(p.Gender))
	if p.Gender != "" && !slices.Contains(Genders, p.Gender) {
		add("gender", "must be one of %s", strings.Join(Genders, ", "))
	}
	if p.HouseholdSize != nil && (*p.HouseholdSize < 1 || *p.HouseholdSize > 30) {
		add("household_size", "must be between 1 and 30")
	}
	if p.Income != nil {
		switch {
		case *p.Income < 0 || *p.Income > 1e8:
			add("income", "must be between 0 and 100,000,000")
		case p.IncomePeriod == "":
			add("income_period", "is required with income: month or year")
		}
	}
	if p.IncomePeriod != "" && !slices.Contains(IncomePeriods, p.IncomePeriod) {
		add("income_period", "must be month or year")
	}
	if p.State != "" {
		p.State = strings.ToUpper(p.State)
		if len(p.State) != 2 {
			add("state", "must be a two-letter USPS code such as FL")
		}
	}
	if len(p.Postcode) > 10 {
		add("postcode", "is longer than 10 characters")
	}
	if len(p.County) > 100 {
		add("county", "is longer than 100 characters")
	}
	if (p.Lat == nil) != (p.Lon == nil) {
		add("lat", "lat and lon go together")
	} else if p.Lat != nil && (*p.Lat < -90 || *p.Lat > 90 || *p.Lon < -180 || *p.Lon > 180) {
		add("lat", "lat must be within -90..90 and lon within -180..180")
	}
	if len(p.ChildrenAges) > 20 {
		add("children_ages", "lists more than 20 children")
	}
	for i, a := range p.ChildrenAges {
		if a < 0 || a > 25 {
			add("children_ages/"+strconv.Itoa(i), "must be between 0 and 25")
		} else if p.Age != nil && a > *p.Age-10 {
			add("children_ages/"+strconv.Itoa(i), "a child of %d cannot belong to a client of %d", a, *p.Age)
		}
	}
	if p.HouseholdSize != nil && len(p.ChildrenAges) >= *p.HouseholdSize {
		add("household_size", "is %d but the household has the client and %d children", *p.HouseholdSize, len(p.ChildrenAges))
	}
	if p.Pregnant != nil && *p.Pregnant && p.Age != nil && (*p.Age < 9 || *p.Age > 60) {
		add("pregnant", "is not possible at age %d", *p.Age)
	}
	for i, s := range p.Insurance {
		p.Insurance[i] = strings.ToLower(strings.TrimSpace(s))
		if !slices.Contains(Insurances, p.Insurance[i]) {
			add("insurance/"+strconv.Itoa(i), "must be one of %s", strings.Join(Insurances, ", "))
		}
	}
	if slices.Contains(p.Insurance, "uninsured") && len(p.Insurance) > 1 {
		add("insurance", "cannot be uninsured and insured at once")
	}
	p.Immigration = strings.ToLower(strings.TrimSpace(p.Immigration))
	if p.Immigration != "" && !slices.Contains(Immigrations, p.Immigration) {
		add("immigration_status", "must be one of %s", strings.Join(Immigrations, ", "))
	}
	if len(p.Languages) > 10 {
		add("languages", "lists more than 10 languages")
	}
	return out
}

// Status is the verdict on one service.
type Status string

// Statuses, best first.
const (
	Eligible   Status = "eligible"
	Likely     Status = "likely"
	Unknown    Status = "unknown"
	Ineligible Status = "ineligible"
)

// Reason is one criterion's verdict, as a sentence a caseworker can read
// to the client.
type Reason struct {
	Code     Code   `json:"code"`
	Sentence string `json:"sentence"`
	Inferred bool   `json:"inferred,omitempty"`
}

// Result is the eligibility of one service for one profile.
type Result struct {
	Status  Status   `json:"status"`
	Met     []Reason `json:"met"`
	Unmet   []Reason `json:"unmet"`
	Unknown []Reason `json:"unknown"`
	// Bring lists the documents the service asks for.
	Bring []string `json:"bring,omitempty"`
}

// Match judges a service's criteria against a profile. A confirmed
// criterion the profile fails makes the service ineligible; an inferred
// one (not confirmed by the agency) only makes it unknown. With every
// criterion met and confirmed the service is eligible; met but partly
// inferred or partly unanswerable, likely; with no criteria, unknown.
func Match(p Profile, cs []Criterion, g Guidelines) Result {
	r := Result{Met: []Reason{}, Unmet: []Reason{}, Unknown: []Reason{}}
	unmetConfirmed, unmetInferred, inferredMet := 0, 0, 0
	for _, c := range cs {
		if c.Code == Documents {
			r.Bring = append(r.Bring, List(c.Value, false)...)
			continue
		}
		ok, known, sentence := judge(p, c, g)
		reason := Reason{Code: c.Code, Sentence: sentence, Inferred: c.Inferred}
		switch {
		case !known:
			r.Unknown = append(r.Unknown, reason)
		case ok:
			r.Met = append(r.Met, reason)
			if c.Inferred {
				inferredMet++
			}
		default:
			r.Unmet = append(r.Unmet, reason)
			if c.Inferred {
				unmetInferred++
			} else {
				unmetConfirmed++
			}
		}
	}
	switch {
	case unmetConfirmed > 0:
		r.Status = Ineligible
	case unmetInferred > 0, len(r.Met) == 0:
		r.Status = Unknown
	case len(r.Unknown) > 0 || inferredMet > 0:
		r.Status = Likely
	default:
		r.Status = Eligible
	}
	return r
}

func fmtNum(f float64) string {
	if f == math.Trunc(f) {
		s := strconv.FormatFloat(f, 'f', 0, 64)
		// thousands separators, for sentences people read
		n := len(s)
		var b strings.Builder
		for i, ch := range s {
			if i > 0 && (n-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(ch)
		}
		return b.String()
	}
	return strconv.FormatFloat(f, 'f', 2, 64)
}

func spanText(s Span) string {
	switch {
	case s.Min != nil && s.Max != nil:
		return fmtNum(*s.Min) + "-" + fmtNum(*s.Max)
	case s.Min != nil:
		return fmtNum(*s.Min) + "+"
	default:
		return "up to " + fmtNum(*s.Max)
	}
}

func (s Span) holds(v float64) bool {
	return (s.Min == nil || v >= *s.Min) && (s.Max == nil || v <= *s.Max)
}

func yesNo(b *bool, what string) (bool, bool, string) {
	if b == nil {
		return false, false, "Serves " + what + " only; the profile does not say"
	}
	if *b {
		return true, true, "Serves " + what + "; the client is one"
	}
	return false, true, "Serves " + what + " only; the client is not"
}

// judge returns whether p meets c, whether the profile could tell, and the
// sentence that says so.
func judge(p Profile, c Criterion, g Guidelines) (ok, known bool, sentence string) {
	switch c.Code {
	case Age:
		s, err := ParseSpan(c.Value)
		if err != nil {
			return false, false, "Age rule " + strconv.Quote(c.Value) + " cannot be read"
		}
		if p.Age == nil {
			return false, false, "Serves ages " + spanText(s) + "; the profile has no age"
		}
		if s.holds(float64(*p.Age)) {
			return true, true, fmt.Sprintf("Age %d is within %s", *p.Age, spanText(s))
		}
		return false, true, fmt.Sprintf("Age %d is outside %s", *p.Age, spanText(s))
	case Household:
		s, err := ParseSpan(c.Value)
		if err != nil {
			return false, false, "Household rule " + strconv.Quote(c.Value) + " cannot be read"
		}
		if p.HouseholdSize == nil {
			return false, false, "Serves households of " + spanText(s) + "; the profile has no household size"
		}
		ok := s.holds(float64(*p.HouseholdSize))
		return ok, true, fmt.Sprintf("Household of %d is %s %s", *p.HouseholdSize, map[bool]string{true: "within", false: "outside"}[ok], spanText(s))
	case Gender:
		want := List(c.Value, false)
		if p.Gender == "" {
			return false, false, "Serves " + strings.Join(want, " or ") + " clients; the profile has no gender"
		}
		ok := slices.Contains(want, p.Gender)
		return ok, true, fmt.Sprintf("Serves %s clients; the client is %s", strings.Join(want, " or "), p.Gender)
	case IncomeFPL:
		limit, err := strconv.ParseFloat(c.Value, 64)
		if err != nil {
			return false, false, "Income rule " + strconv.Quote(c.Value) + " cannot be read"
		}
		if p.Income == nil || p.HouseholdSize == nil {
			return false, false, fmt.Sprintf("Income limit %s%% of poverty; the profile needs income and household size", fmtNum(limit))
		}
		annual := *p.Income
		if p.IncomePeriod == "month" {
			annual *= 12
		}
		state := p.State
		if state == "" {
			state = StateOfPostcode(p.Postcode)
		}
		pct := math.Round(annual / g.Line(*p.HouseholdSize, state) * 100)
		ok := pct <= limit
		return ok, true, fmt.Sprintf("Income %s a %s for %d is %s%% of poverty, limit %s%%", fmtNum(*p.Income), p.IncomePeriod, *p.HouseholdSize, fmtNum(pct), fmtNum(limit))
	case IncomeAmount:
		a, err := ParseAmount(c.Value)
		if err != nil {
			return false, false, "Income rule " + strconv.Quote(c.Value) + " cannot be read"
		}
		if p.Income == nil {
			return false, false, fmt.Sprintf("Income limit %s a %s; the profile has no income", fmtNum(a.Value), a.Period)
		}
		income := *p.Income
		switch {
		case p.IncomePeriod == "month" && a.Period == "year":
			income *= 12
		case p.IncomePeriod == "year" && a.Period == "month":
			income /= 12
		}
		ok := income <= a.Value
		return ok, true, fmt.Sprintf("Income %s a %s is %s the limit of %s", fmtNum(math.Round(income)), a.Period, map[bool]string{true: "within", false: "over"}[ok], fmtNum(a.Value))
	case Veteran:
		return yesNo(p.Veteran, "veterans")
	case Disability:
		return yesNo(p.Disability, "people with a disability")
	case Pregnant:
		return yesNo(p.Pregnant, "pregnant people")
	case Children:
		if p.ChildrenAges == nil {
			return false, false, "Serves households with children; the profile does not list children"
		}
		if c.Value == "yes" {
			return len(p.ChildrenAges) > 0, true, fmt.Sprintf("Serves households with children; the client has %d", len(p.ChildrenAges))
		}
		limit, _ := strconv.Atoi(c.Value)
		for _, a := range p.ChildrenAges {
			if a <= limit {
				return true, true, fmt.Sprintf("Serves households with a child of %d or younger; the client has a child of %d", limit, a)
			}
		}
		return false, true, fmt.Sprintf("Serves households with a child of %d or younger; the client has none", limit)
	case County:
		want := List(c.Value, true)
		if p.County == "" {
			return false, false, "Serves residents of " + strings.Join(want, ", ") + " County; the profile has no county"
		}
		for _, w := range want {
			if strings.EqualFold(strings.TrimSuffix(strings.TrimSpace(p.County), " County"), strings.TrimSuffix(w, " County")) {
				return true, true, "Lives in " + w + " County, which it serves"
			}
		}
		return false, true, "Serves residents of " + strings.Join(want, ", ") + " County; the client lives in " + p.County
	case Postcode:
		want := List(c.Value, true)
		if p.Postcode == "" {
			return false, false, "Serves postcodes " + strings.Join(want, ", ") + "; the profile has no postcode"
		}
		ok := slices.Contains(want, p.Postcode)
		return ok, true, fmt.Sprintf("Serves postcodes %s; the client's is %s", strings.Join(want, ", "), p.Postcode)
	case ServiceArea:
		if len(c.Areas) == 0 {
			return false, false, "Serves residents of its service area, which is not mapped"
		}
		if p.Lat == nil || p.Lon == nil {
			return false, false, "Serves residents of its service area; the profile has no location or known postcode"
		}
		for _, a := range c.Areas {
			if a.Contains(*p.Lon, *p.Lat) {
				return true, true, "Lives inside its service area"
			}
		}
		return false, true, "Lives outside its service area"
	case Insurance:
		want := List(c.Value, false)
		if p.Insurance == nil {
			return false, false, "Requires " + strings.Join(want, " or ") + " coverage; the profile does not say"
		}
		for _, i := range p.Insurance {
			if slices.Contains(want, i) {
				return true, true, "Requires " + strings.Join(want, " or ") + "; the client has " + i
			}
		}
		return false, true, "Requires " + strings.Join(want, " or ") + "; the client has " + strings.Join(p.Insurance, ", ")
	case Immigration:
		want := List(c.Value, false)
		if p.Immigration == "" {
			return false, false, "Requires immigration status " + strings.Join(want, " or ") + "; the profile does not say"
		}
		ok := slices.Contains(want, p.Immigration)
		return ok, true, "Requires immigration status " + strings.Join(want, " or ") + "; the client's is " + p.Immigration
	}
	return false, false, "Criterion " + string(c.Code) + " is not known to this version"
}

package eligibility

import (
	"strings"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/seed"
)

func guidelines(t *testing.T) Guidelines {
	t.Helper()
	g, err := ParseGuidelines(seed.PovertyGuidelines())
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func ip(i int) *int                      { return &i }
func fp(f float64) *float64              { return &f }
func bp(b bool) *bool                    { return &b }
func conf(code Code, v string) Criterion { return Criterion{Code: code, Value: v} }

func TestEligibility_Guidelines(t *testing.T) {
	g := guidelines(t)
	tests := []struct {
		size  int
		state string
		want  float64
	}{
		{1, "", 15650}, {3, "FL", 26650}, {8, "", 54150},
		{9, "", 54150 + 5500}, {12, "TX", 54150 + 4*5500}, // beyond the table: each additional person
		{1, "AK", 19550}, {9, "ak", 67710 + 6880}, {4, "HI", 36980},
	}
	for _, tt := range tests {
		if got := g.Line(tt.size, tt.state); got != tt.want {
			t.Errorf("Line(%d, %q) = %v, want %v", tt.size, tt.state, got, tt.want)
		}
	}
	for zip, want := range map[string]string{"99501": "AK", "96813": "HI", "33125": "", "": "", "x": ""} {
		if got := StateOfPostcode(zip); got != want {
			t.Errorf("StateOfPostcode(%q) = %q, want %q", zip, got, want)
		}
	}
	if _, err := ParseGuidelines([]byte(`{"year": 2025, "regions": {"contiguous": {"sizes": [2, 1], "each_additional": 1}}}`)); err == nil {
		t.Error("a broken guidelines file was accepted")
	}
}

func TestEligibility_AgeBoundaries(t *testing.T) {
	g := guidelines(t)
	c := []Criterion{conf(Age, "18-24")}
	for age, want := range map[int]Status{17: Ineligible, 18: Eligible, 24: Eligible, 25: Ineligible} {
		r := Match(Profile{Age: ip(age)}, c, g)
		if r.Status != want {
			t.Errorf("age %d against 18-24: %s (%+v), want %s", age, r.Status, r, want)
		}
	}
	r := Match(Profile{Age: ip(67)}, []Criterion{conf(Age, "60-")}, g)
	if r.Status != Eligible || r.Met[0].Sentence != "Age 67 is within 60+" {
		t.Errorf("67 against 60+: %+v", r)
	}
	for age, want := range map[int]Status{17: Eligible, 18: Ineligible} {
		if r := Match(Profile{Age: ip(age)}, []Criterion{conf(Age, "-17")}, g); r.Status != want {
			t.Errorf("age %d against under 18: %s", age, r.Status)
		}
	}
}

func TestEligibility_Income(t *testing.T) {
	g := guidelines(t)
	c := []Criterion{conf(IncomeFPL, "200")}
	// 200% of the guideline for 3 is 53,300 a year: exactly at the limit is in.
	at := Profile{Income: fp(53300), IncomePeriod: "year", HouseholdSize: ip(3)}
	if r := Match(at, c, g); r.Status != Eligible {
		t.Errorf("income exactly at 200%%: %+v", r)
	}
	over := Profile{Income: fp(53300 + 300), IncomePeriod: "year", HouseholdSize: ip(3)}
	if r := Match(over, c, g); r.Status != Ineligible {
		t.Errorf("income just over 200%%: %+v", r)
	}
	r := Match(Profile{Income: fp(2100), IncomePeriod: "month", HouseholdSize: ip(3)}, c, g)
	if r.Status != Eligible || r.Met[0].Sentence != "Income 2,100 a month for 3 is 95% of poverty, limit 200%" {
		t.Errorf("2,100 a month for 3: %+v", r)
	}
	// Household size beyond the table: 10 people, contiguous, 100% line.
	big := Profile{Income: fp(54150 + 2*5500), IncomePeriod: "year", HouseholdSize: ip(10)}
	if r := Match(big, []Criterion{conf(IncomeFPL, "100")}, g); r.Status != Eligible {
		t.Errorf("10 people at the 100%% line: %+v", r)
	}
	// Alaska's table is higher: the same income is under its line.
	ak := Profile{Income: fp(18000), IncomePeriod: "year", HouseholdSize: ip(1), Postcode: "99501"}
	if r := Match(ak, []Criterion{conf(IncomeFPL, "100")}, g); r.Status != Eligible {
		t.Errorf("Alaska: %+v", r)
	}
	if r := Match(Profile{Income: fp(18000), IncomePeriod: "year", HouseholdSize: ip(1)}, []Criterion{conf(IncomeFPL, "100")}, g); r.Status != Ineligible {
		t.Errorf("the same income in Florida: %+v", r)
	}
	// Amount ceilings convert periods.
	if r := Match(Profile{Income: fp(2500), IncomePeriod: "month"}, []Criterion{conf(IncomeAmount, "30000/year")}, g); r.Status != Eligible {
		t.Errorf("2,500 a month against 30,000 a year: %+v", r)
	}
	if r := Match(Profile{Income: fp(2501), IncomePeriod: "month"}, []Criterion{conf(IncomeAmount, "2500/month")}, g); r.Status != Ineligible {
		t.Errorf("2,501 against 2,500 a month: %+v", r)
	}
}

func TestEligibility_MissingAndInferred(t *testing.T) {
	g := guidelines(t)
	cs := []Criterion{conf(Age, "60-"), conf(IncomeFPL, "200"), conf(Documents, "photo_id")}
	// A missing field never excludes: unknown criteria, at best likely.
	r := Match(Profile{Age: ip(70)}, cs, g)
	if r.Status != Likely || len(r.Unknown) != 1 || r.Unknown[0].Code != IncomeFPL || len(r.Bring) != 1 {
		t.Errorf("age known, income not: %+v", r)
	}
	if r := Match(Profile{}, cs, g); r.Status != Unknown || len(r.Unmet) != 0 {
		t.Errorf("empty profile: %+v", r)
	}
	if r := Match(Profile{Age: ip(30)}, nil, g); r.Status != Unknown {
		t.Errorf("no criteria: %+v", r)
	}
	// An inferred rule the client fails does not exclude; one it meets is likely.
	inf := []Criterion{{Code: Veteran, Value: "yes", Inferred: true, Source: "veterans only"}}
	if r := Match(Profile{Veteran: bp(false)}, inf, g); r.Status != Unknown || len(r.Unmet) != 1 || !r.Unmet[0].Inferred {
		t.Errorf("failed inferred rule: %+v", r)
	}
	if r := Match(Profile{Veteran: bp(true)}, inf, g); r.Status != Likely {
		t.Errorf("met inferred rule: %+v", r)
	}
	// Every kind of criterion, met.
	all := []Criterion{conf(Gender, "female"), conf(Household, "2-6"), conf(Pregnant, "yes"), conf(Children, "5"),
		conf(County, "Palmetto"), conf(Postcode, "33125,33126"), conf(Insurance, "medicaid,uninsured"), conf(Immigration, "citizen,lpr"), conf(Disability, "yes")}
	p := Profile{Gender: "female", HouseholdSize: ip(3), Pregnant: bp(true), ChildrenAges: []int{4, 9}, County: "Palmetto County",
		Postcode: "33125", Insurance: []string{"medicaid"}, Immigration: "lpr", Disability: bp(true)}
	if r := Match(p, all, g); r.Status != Eligible || len(r.Met) != len(all) {
		t.Errorf("every kind met: %+v", r)
	}
	p.ChildrenAges = []int{9}
	if r := Match(p, all, g); r.Status != Ineligible || r.Unmet[0].Code != Children {
		t.Errorf("no child of 5 or younger: %+v", r)
	}
}

func TestEligibility_ProfileProblems(t *testing.T) {
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		p    Profile
		want string
	}{
		{Profile{Age: ip(30), BirthDate: "1990-01-01"}, "/client/age"},
		{Profile{Age: ip(-1)}, "/client/age"},
		{Profile{Income: fp(100)}, "/client/income_period"},
		{Profile{HouseholdSize: ip(2), ChildrenAges: []int{3, 5}, Age: ip(30)}, "/client/household_size"},
		{Profile{Age: ip(20), ChildrenAges: []int{15}}, "/client/children_ages/0"},
		{Profile{Age: ip(70), Pregnant: bp(true)}, "/client/pregnant"},
		{Profile{Insurance: []string{"uninsured", "medicaid"}}, "/client/insurance"},
		{Profile{Gender: "robot"}, "/client/gender"},
		{Profile{Lat: fp(91), Lon: fp(0)}, "/client/lat"},
	}
	for _, tt := range tests {
		probs := tt.p.Normalize(now)
		var ptrs []string
		for _, p := range probs {
			ptrs = append(ptrs, p.Pointer)
		}
		if !strings.Contains(strings.Join(ptrs, " "), tt.want) {
			t.Errorf("%+v: problems %v, want %s", tt.p, ptrs, tt.want)
		}
	}
	p := Profile{BirthDate: "1959-12-03"}
	if probs := p.Normalize(now); len(probs) != 0 || *p.Age != 66 {
		t.Errorf("birth date the day after: age %v %v", *p.Age, probs)
	}
}

func TestEligibility_CriterionCheck(t *testing.T) {
	good := []Criterion{conf(Age, "18-24"), conf(Age, "65-"), conf(IncomeFPL, "200"), conf(IncomeAmount, "2500/month"),
		conf(Gender, "female"), conf(Veteran, "yes"), conf(Children, "5"), conf(County, "Palmetto"), conf(Insurance, "medicaid"), conf(Documents, "photo_id,dd214")}
	for _, c := range good {
		if msg := c.Check(); msg != "" {
			t.Errorf("%+v: %s", c, msg)
		}
	}
	bad := []Criterion{conf(Age, "24-18"), conf(Age, "old"), conf(IncomeFPL, "lots"), conf(IncomeAmount, "2500"), conf(Gender, "robot"),
		conf(Veteran, "maybe"), conf(Insurance, "gold"), conf("shoe_size", "9")}
	for _, c := range bad {
		if c.Check() == "" {
			t.Errorf("%+v accepted", c)
		}
	}
}

func TestEligibility_ServiceArea(t *testing.T) {
	g := guidelines(t)
	area := hsds.AreaPolygons(hsds.ServiceArea{ExtentType: "geojson",
		Extent: `{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[-81, 25], [-80, 25], [-80, 26], [-81, 26], [-81, 25]]]}}`})
	if len(area) != 1 {
		t.Fatalf("AreaPolygons = %v", area)
	}
	strict := []Criterion{{Code: ServiceArea, Value: "yes", Areas: area}}
	inside := Profile{Lat: fp(25.5), Lon: fp(-80.5)}
	outside := Profile{Lat: fp(27), Lon: fp(-80.5)}
	if r := Match(inside, strict, g); r.Status != Eligible {
		t.Errorf("inside a confirmed area: %+v", r)
	}
	if r := Match(outside, strict, g); r.Status != Ineligible || r.Unmet[0].Sentence != "Lives outside its service area" {
		t.Errorf("outside a confirmed area: %+v", r)
	}
	if r := Match(Profile{}, strict, g); r.Status != Unknown {
		t.Errorf("no location: %+v", r)
	}
	// An area the agency has not made a rule is inferred: outside is unknown.
	inferred := []Criterion{{Code: ServiceArea, Value: "yes", Inferred: true, Areas: area}}
	if r := Match(outside, inferred, g); r.Status != Unknown {
		t.Errorf("outside an inferred area: %+v", r)
	}
}

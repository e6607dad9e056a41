package search

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/hsds"
)

func fp(v float64) *float64 { return &v }

func testTaxonomy() *Taxonomy {
	return NewTaxonomy([]hsds.TaxonomyTerm{
		{ID: "t-basic", Code: "bd", Name: "Basic Needs", TaxonomyID: "tx-1"},
		{ID: "t-food", Code: "BD-1800", Name: "Food", ParentID: "t-basic", TaxonomyID: "tx-1"},
		{ID: "t-pantry", Code: "BD-1800.2000", Name: "Food Pantries", ParentID: "t-food", TaxonomyID: "tx-1"},
		{ID: "t-legal", Code: "FT", Name: "Legal", TaxonomyID: "tx-2"},
		{ID: "t-nocode", Name: "Uncoded", ParentID: "t-legal"},
	})
}

// testService has two service_at_locations: one at a physical location
// with coordinates, one at a virtual location without.
func testService() *hsds.Service {
	modified := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	return &hsds.Service{
		ID: "svc-1", OrganizationID: "org-1", Name: " Community Food Pantry ", AlternateName: "The Pantry",
		Description: "Free groceries every week.", EligibilityDescription: "Palmetto County residents.",
		MinimumAge: fp(18), LastModified: &modified,
		Languages: []hsds.Language{{Code: "en"}, {Code: "es-US"}, {Code: ""}},
		Phones:    []hsds.Phone{{Number: "305-555-0100", Languages: []hsds.Language{{Code: "HT"}}}},
		CostOptions: []hsds.CostOption{
			{Option: "Free for everyone", Amount: fp(0)},
		},
		Attributes: []hsds.Attribute{
			{TaxonomyTermID: "t-pantry"},
			{TaxonomyTermID: ""}, // not a taxonomy attribute
		},
		Schedules: []hsds.Schedule{{Freq: "WEEKLY", ByDay: "MO", OpensAt: "09:00", ClosesAt: "10:00"}},
		ServiceAtLocations: []hsds.ServiceAtLocation{
			{
				ID: "sal-1", LocationID: "loc-1", Description: "Ring the bell.",
				Schedules: []hsds.Schedule{{Freq: "WEEKLY", ByDay: "TU", OpensAt: "10:00", ClosesAt: "11:00", AttendingType: "Virtual"}},
				Location: &hsds.Location{
					ID: "loc-1", Name: "Main Street Hall", LocationType: "physical", TZ: "America/New_York",
					Latitude: fp(25.77), Longitude: fp(-80.19),
					Languages:     []hsds.Language{{Code: "fr_CA"}},
					Phones:        []hsds.Phone{{Number: "305-555-0101", Languages: []hsds.Language{{Code: "ES"}}}},
					Accessibility: []hsds.Accessibility{{Description: "Wheelchair accessible entrance"}},
					Addresses:     []hsds.Address{{City: "Palmetto"}},
				},
			},
			{
				ID: "sal-2",
				Location: &hsds.Location{
					ID: "loc-2", Name: "Online", LocationType: "Virtual",
					Languages: []hsds.Language{{Code: "pt-BR"}},
				},
			},
		},
	}
}

func TestBuild_ServiceAtLocations(t *testing.T) {
	docs := Build(testService(), testTaxonomy(), "America/Chicago")
	if len(docs) != 2 {
		t.Fatalf("Build gave %d documents, want 2", len(docs))
	}
	d1, d2 := docs[0], docs[1]
	// Shared by both.
	for _, d := range docs {
		if d.ServiceID != "svc-1" || d.OrganizationID != "org-1" {
			t.Errorf("%s: service %q, organization %q", d.ID, d.ServiceID, d.OrganizationID)
		}
		if d.Name != "Community Food Pantry. The Pantry" || d.NameSort != "community food pantry" {
			t.Errorf("%s: name %q, name_sort %q", d.ID, d.Name, d.NameSort)
		}
		if want := []string{"BD", "BD-1800", "BD-1800.2000"}; !slices.Equal(d.Codes, want) {
			t.Errorf("%s: codes %q, want %q", d.ID, d.Codes, want)
		}
		if want := []string{"BD"}; !slices.Equal(d.Categories, want) {
			t.Errorf("%s: categories %q, want %q (the root's code)", d.ID, d.Categories, want)
		}
		if want := []string{"t-basic", "t-food", "t-pantry"}; !slices.Equal(d.TermIDs, want) {
			t.Errorf("%s: term ids %q, want %q", d.ID, d.TermIDs, want)
		}
		if want := []string{"tx-1"}; !slices.Equal(d.TaxonomyIDs, want) {
			t.Errorf("%s: taxonomy ids %q, want %q", d.ID, d.TaxonomyIDs, want)
		}
		if d.Terms != "Food Pantries. Food. Basic Needs" {
			t.Errorf("%s: terms %q", d.ID, d.Terms)
		}
		if d.Cost != CostFree || d.Status != hsds.StatusActive {
			t.Errorf("%s: cost %q, status %q", d.ID, d.Cost, d.Status)
		}
		if d.MinAge != 18 || d.MaxAge != noMaxAge {
			t.Errorf("%s: ages %v-%v, want 18-%v", d.ID, d.MinAge, d.MaxAge, noMaxAge)
		}
		if d.Updated != float64(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC).Unix()) {
			t.Errorf("%s: updated %v", d.ID, d.Updated)
		}
		if len(d.Hash) != 24 {
			t.Errorf("%s: hash %q", d.ID, d.Hash)
		}
	}

	// The physical location.
	if d1.ID != "sal-1" || d1.LocationID != "loc-1" {
		t.Errorf("doc 1: id %q, location %q", d1.ID, d1.LocationID)
	}
	if want := []string{"en", "es", "fr", "ht"}; !slices.Equal(d1.Languages, want) {
		t.Errorf("doc 1: languages %q, want %q", d1.Languages, want)
	}
	if want := []float64{-80.19, 25.77}; !slices.Equal(d1.Geo, want) {
		t.Errorf("doc 1: geo %v, want %v ([lon, lat])", d1.Geo, want)
	}
	if want := []string{AttendInPerson, AttendOnline, AttendPhone}; !slices.Equal(d1.Attending, want) {
		t.Errorf("doc 1: attending %q, want %q", d1.Attending, want)
	}
	if !d1.Wheelchair {
		t.Error("doc 1: not wheelchair accessible")
	}
	if d1.TZ != "America/New_York" {
		t.Errorf("doc 1: tz %q", d1.TZ)
	}
	// Its own schedule (Tuesday 10-11), not the service's.
	if want := []string{"h34"}; !slices.Equal(d1.Open, want) { // Tuesday 10:00-11:00: the whole hour
		t.Errorf("doc 1: open %q, want %q", d1.Open, want)
	}
	if want := "Palmetto County residents.. Ring the bell.. Main Street Hall. Palmetto"; d1.Details != want {
		t.Errorf("doc 1: details %q, want %q", d1.Details, want)
	}

	// The virtual location: no coordinates, location id from the location.
	if d2.ID != "sal-2" || d2.LocationID != "loc-2" {
		t.Errorf("doc 2: id %q, location %q", d2.ID, d2.LocationID)
	}
	if d2.Geo != nil {
		t.Errorf("doc 2: geo %v, want none", d2.Geo)
	}
	if want := []string{"en", "es", "ht", "pt"}; !slices.Equal(d2.Languages, want) {
		t.Errorf("doc 2: languages %q, want %q (no languages of the other location)", d2.Languages, want)
	}
	if want := []string{AttendOnline, AttendPhone}; !slices.Equal(d2.Attending, want) {
		t.Errorf("doc 2: attending %q, want %q", d2.Attending, want)
	}
	if d2.Wheelchair {
		t.Error("doc 2: wheelchair accessible without a note")
	}
	if d2.TZ != "America/Chicago" {
		t.Errorf("doc 2: tz %q, want the default zone", d2.TZ)
	}
	// Falls back to the service's schedule (Monday 9-10).
	if want := []string{"h9"}; !slices.Equal(d2.Open, want) {
		t.Errorf("doc 2: open %q, want %q", d2.Open, want)
	}
	if d1.Hash == d2.Hash {
		t.Error("two documents share a hash")
	}

	// Building again gives the same documents and hashes.
	again := Build(testService(), testTaxonomy(), "America/Chicago")
	if !reflect.DeepEqual(again, docs) {
		t.Error("Build is not deterministic")
	}
	// A change the index holds changes the hash.
	s := testService()
	s.Description = "Free groceries every other week."
	if changed := Build(s, testTaxonomy(), "America/Chicago"); changed[0].Hash == d1.Hash {
		t.Error("hash unchanged after the description changed")
	}
}

func TestBuild_NoLocation(t *testing.T) {
	s := &hsds.Service{
		ID: "svc-2", Name: "Tenant Hotline", Status: "Inactive",
		Organization: &hsds.Organization{ID: "org-2", Name: "Legal Help", AlternateName: "LH"},
		Fees:         "$20 per call",
		Attributes: []hsds.Attribute{
			{TaxonomyTermID: "t-nocode"},
			// A term the taxonomy does not hold, nested in the attribute.
			{TaxonomyTermID: "t-ext", TaxonomyTerm: &hsds.TaxonomyTerm{ID: "t-ext", Code: "ext-1", Name: "External"}},
		},
		Schedules: []hsds.Schedule{{Freq: "DAILY", OpensAt: "08:00", ClosesAt: "08:15", AttendingType: "telephone"}},
		ServiceAreas: []hsds.ServiceArea{
			{ExtentType: "geojson", Extent: `{"type":"Polygon","coordinates":[[[-81,25],[-80,25],[-80,26],[-81,26],[-81,25]]]}`},
			{ExtentType: "other", Extent: "Palmetto County"},
		},
	}
	docs := Build(s, testTaxonomy(), "America/New_York")
	if len(docs) != 1 {
		t.Fatalf("Build gave %d documents, want 1", len(docs))
	}
	d := docs[0]
	if d.ID != "svc-2" || d.ServiceID != "svc-2" || d.LocationID != "" {
		t.Errorf("id %q, service %q, location %q; want the service id", d.ID, d.ServiceID, d.LocationID)
	}
	if d.OrganizationID != "org-2" || d.Org != "Legal Help. LH" {
		t.Errorf("organization %q %q", d.OrganizationID, d.Org)
	}
	if d.Status != "inactive" || d.Cost != CostFee {
		t.Errorf("status %q, cost %q", d.Status, d.Cost)
	}
	// The uncoded term's root (FT) is its category; the nested term is a
	// root of its own.
	if want := []string{"EXT-1", "FT"}; !slices.Equal(d.Codes, want) {
		t.Errorf("codes %q, want %q", d.Codes, want)
	}
	if want := []string{"EXT-1", "FT"}; !slices.Equal(d.Categories, want) {
		t.Errorf("categories %q, want %q", d.Categories, want)
	}
	if want := []string{"t-ext", "t-legal", "t-nocode"}; !slices.Equal(d.TermIDs, want) {
		t.Errorf("term ids %q, want %q", d.TermIDs, want)
	}
	if d.Geo != nil || d.Wheelchair || d.TZ != "America/New_York" {
		t.Errorf("geo %v, wheelchair %v, tz %q", d.Geo, d.Wheelchair, d.TZ)
	}
	if want := []string{AttendPhone}; !slices.Equal(d.Attending, want) {
		t.Errorf("attending %q, want %q", d.Attending, want)
	}
	if want := []string{"s32", "s128", "s224", "s320", "s416", "s512", "s608"}; !slices.Equal(d.Open, want) {
		t.Errorf("open %q, want %q", d.Open, want)
	}
	if d.MinAge != noMinAge || d.MaxAge != noMaxAge {
		t.Errorf("ages %v-%v, want no limits", d.MinAge, d.MaxAge)
	}
	if !d.HasArea || len(d.AreaKeys) != 1 || len(d.AreaCells) == 0 || d.AreaGeo == "" {
		t.Errorf("has_area %v, area keys %q, cells %d, geo %q", d.HasArea, d.AreaKeys, len(d.AreaCells), d.AreaGeo)
	}
	if d.Languages != nil {
		t.Errorf("languages %q, want none", d.Languages)
	}
}

// The documents Build makes answer the filters of Search.
func TestBuild_Searchable(t *testing.T) {
	docs := Build(testService(), testTaxonomy(), "America/Chicago")
	s := newTestSearcher(t, nil, docs)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skipf("no tz data: %v", err)
	}
	tuesday := time.Date(2024, 3, 5, 10, 30, 0, 0, ny)
	cases := []struct {
		name string
		q    Query
		want []string
	}{
		{"all", Query{}, []string{"sal-1", "sal-2"}},
		{"language from the location", Query{Languages: []string{"fr"}}, []string{"sal-1"}},
		{"language from the service", Query{Languages: []string{"es"}}, []string{"sal-1", "sal-2"}},
		{"parent code", Query{Codes: []string{"bd-1800"}}, []string{"sal-1", "sal-2"}},
		{"code branch", Query{Codes: []string{"BD-18*"}}, []string{"sal-1", "sal-2"}},
		{"category", Query{Categories: []string{"bd"}}, []string{"sal-1", "sal-2"}},
		{"other category", Query{Categories: []string{"FT"}}, nil},
		{"cost", Query{Cost: CostFree}, []string{"sal-1", "sal-2"}},
		{"wheelchair", Query{Wheelchair: true}, []string{"sal-1"}},
		{"attending in person", Query{Attending: AttendInPerson}, []string{"sal-1"}},
		{"open tuesday 10:30 new york", Query{OpenAt: &tuesday}, []string{"sal-1"}},
		{"near with radius", Query{Near: &Point{Lat: 25.77, Lon: -80.19}, RadiusM: 1000}, []string{"sal-1"}},
		{"age 17", Query{Age: fp(17)}, nil},
		{"age 17.99", Query{Age: fp(17.99)}, nil},
		{"age 18, the minimum", Query{Age: fp(18)}, []string{"sal-1", "sal-2"}},
		{"age 120", Query{Age: fp(120)}, []string{"sal-1", "sal-2"}},
		{"age 40", Query{Age: fp(40)}, []string{"sal-1", "sal-2"}},
	}
	for _, c := range cases {
		res, err := s.Search(context.Background(), c.q)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		var ids []string
		for _, h := range res.Hits {
			ids = append(ids, h.ID)
		}
		slices.Sort(ids)
		if !slices.Equal(ids, c.want) {
			t.Errorf("%s: hits %q, want %q", c.name, ids, c.want)
		}
	}
}

func TestCostClass(t *testing.T) {
	cases := []struct {
		name string
		s    hsds.Service
		want string
		bug  string // non-empty: the mistake this case guards against
	}{
		{"nothing", hsds.Service{}, CostUnknown, ""},
		{"blank fee text", hsds.Service{Fees: "  "}, CostUnknown, ""},
		{"option amount 0", hsds.Service{CostOptions: []hsds.CostOption{{Amount: fp(0)}}}, CostFree, ""},
		{"option says free", hsds.Service{CostOptions: []hsds.CostOption{{Option: "Free"}}}, CostFree, ""},
		{"option says no cost", hsds.Service{CostOptions: []hsds.CostOption{{AmountDescription: "No cost to families"}}}, CostFree, ""},
		{"option amount", hsds.Service{CostOptions: []hsds.CostOption{{Option: "Visit", Amount: fp(25)}}}, CostFee, ""},
		{"paid option beats free option", hsds.Service{CostOptions: []hsds.CostOption{{Amount: fp(0)}, {Amount: fp(10)}}}, CostFee, ""},
		{"sliding option", hsds.Service{CostOptions: []hsds.CostOption{{Option: "Sliding scale", Amount: fp(10)}}}, CostSliding, ""},
		{"sliding amount description", hsds.Service{CostOptions: []hsds.CostOption{{AmountDescription: "Sliding fee by income"}}}, CostSliding, ""},
		{"option without amount or words", hsds.Service{CostOptions: []hsds.CostOption{{Option: "Copay"}}}, CostUnknown, ""},
		{"options before fee text", hsds.Service{CostOptions: []hsds.CostOption{{Amount: fp(0)}}, Fees: "$10 per visit"}, CostFree, ""},
		{"fee text free", hsds.Service{FeesDescription: "Free"}, CostFree, ""},
		{"fees field free", hsds.Service{Fees: "FREE."}, CostFree, ""},
		{"fee text free of charge", hsds.Service{FeesDescription: "Services are free of charge."}, CostFree, ""},
		{"fee text no charge", hsds.Service{FeesDescription: "No charge"}, CostFree, ""},
		{"fee text no cost", hsds.Service{FeesDescription: "There is no cost."}, CostFree, ""},
		{"fee text sliding", hsds.Service{FeesDescription: "Sliding scale based on income"}, CostSliding, ""},
		{"fee text sliding beats paid option", hsds.Service{CostOptions: []hsds.CostOption{{Amount: fp(30)}}, Fees: "sliding"}, CostSliding, ""},
		{"fee text amount", hsds.Service{FeesDescription: "$20 per visit"}, CostFee, ""},
		{"fee text no fee", hsds.Service{FeesDescription: "No fee"}, CostFree,
			`"no fee" is not among the free phrases, so it reads as a fee`},
		{"fee text none", hsds.Service{Fees: "None"}, CostFree,
			`"None" reads as a fee`},
		{"fee text is free", hsds.Service{FeesDescription: "This service is free."}, CostFree,
			`"free" counts only at the start of the text`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := costClass(&c.s); got != c.want {
				t.Errorf("costClass = %q, want %q", got, c.want)
			}
		})
	}
}

func TestWheelchair(t *testing.T) {
	acc := func(desc ...string) []hsds.Accessibility {
		var out []hsds.Accessibility
		for _, d := range desc {
			out = append(out, hsds.Accessibility{Description: d})
		}
		return out
	}
	cases := []struct {
		name string
		acc  []hsds.Accessibility
		want bool
		bug  string // non-empty: the mistake this case guards against
	}{
		{"none", nil, false, ""},
		{"wheelchair accessible", acc("Wheelchair accessible"), true, ""},
		{"accessible", acc("ADA Accessible building"), true, ""},
		{"ramp", acc("Ramp at the side entrance"), true, ""},
		{"elevator", acc("Elevator to the second floor"), true, ""},
		{"step-free", acc("Step-free entrance"), true, ""},
		{"step free", acc("step free"), true, ""},
		{"in details", []hsds.Accessibility{{Description: "Entrance", Details: "Wheelchair ramp on Elm St"}}, true, ""},
		{"unrelated note", acc("Free parking"), false, ""},
		{"not wheelchair", acc("Not wheelchair accessible"), false, ""},
		{"not accessible", []hsds.Accessibility{{Details: "Building is NOT accessible"}}, false, ""},
		{"partially", acc("Partially accessible"), false, ""},
		{"inaccessible", acc("Inaccessible upper floor"), false, ""},
		{"no wheelchair", acc("No wheelchair access"), false, ""},
		{"a negative note wins", acc("Wheelchair ramp", "Restrooms not accessible"), false, ""},
		{"negative first", acc("Partially accessible", "Elevator"), false, ""},
		{"no elevator", acc("Second floor, no elevator"), false, `"no elevator" contains "elevator"`},
		{"not ADA accessible", acc("Not ADA accessible"), false, `"not ada accessible" contains "accessible" but not "not accessible"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := wheelchair(c.acc); got != c.want {
				t.Errorf("wheelchair(%+v) = %v, want %v", c.acc, got, c.want)
			}
		})
	}
}

func TestAttendingType(t *testing.T) {
	cases := map[string]string{
		"in_person": AttendInPerson, "In-Person": AttendInPerson, " in person ": AttendInPerson,
		"inperson": AttendInPerson, "person": AttendInPerson,
		"online": AttendOnline, "Virtual": AttendOnline, "video": AttendOnline,
		"phone": AttendPhone, "TELEPHONE": AttendPhone,
		"": "", "hybrid": "", "in-person-ish": "",
	}
	for in, want := range cases {
		if got := attendingType(in); got != want {
			t.Errorf("attendingType(%q) = %q, want %q", in, got, want)
		}
		got, ok := ParseAttending(in)
		if got != want || ok != (want != "") {
			t.Errorf("ParseAttending(%q) = %q, %v", in, got, ok)
		}
	}
}

func TestLangCode(t *testing.T) {
	cases := map[string]string{
		"en": "en", "EN": "en", "es-US": "es", "zh_Hant": "zh", " pt-BR ": "pt",
		"": "", "haw": "haw", "-x": "-x",
	}
	for in, want := range cases {
		if got := langCode(hsds.Language{Code: in}); got != want {
			t.Errorf("langCode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNormalizePostcode(t *testing.T) {
	cases := map[string]string{
		"33125":      "33125",
		"33125-1234": "33125",
		" 33125 ":    "33125",
		"k1a 0b1":    "K1A 0B1",
		"sw1a 1aa":   "SW1A 1AA",
		"":           "",
		"3312-51234": "3312-51234", // the dash is not where ZIP+4 has it
		"33125-123":  "33125-123",
	}
	for in, want := range cases {
		if got := NormalizePostcode(in); got != want {
			t.Errorf("NormalizePostcode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTaxonomy(t *testing.T) {
	tax := NewTaxonomy([]hsds.TaxonomyTerm{
		{ID: "a", Code: "A", Name: "A"},
		{ID: "b", Code: "A-1", ParentID: "a"},
		{ID: "c", ParentID: "b"},
		{ID: "orphan", ParentID: "missing"},
		{ID: "x", ParentID: "y"},
		{ID: "y", ParentID: "x"}, // a cycle
	})
	ids := func(terms []hsds.TaxonomyTerm) []string {
		var out []string
		for _, x := range terms {
			out = append(out, x.ID)
		}
		return out
	}
	for id, want := range map[string][]string{
		"c": {"c", "b", "a"}, "a": {"a"}, "orphan": {"orphan"}, "x": {"x", "y"}, "none": nil, "": nil,
	} {
		if got := ids(tax.Lineage(id)); !slices.Equal(got, want) {
			t.Errorf("Lineage(%q) = %q, want %q", id, got, want)
		}
	}
	if x, ok := tax.TermByCode("a-1"); !ok || x.ID != "b" {
		t.Errorf("TermByCode(a-1) = %v, %v", x, ok)
	}
	if _, ok := tax.TermByCode(""); ok {
		t.Error("TermByCode(\"\") found a term without a code")
	}
	if x, ok := tax.Term("c"); !ok || x.ParentID != "b" {
		t.Errorf("Term(c) = %v, %v", x, ok)
	}
}

// Opening hours are indexed as the largest aligned spans open throughout:
// days, eight-, four- and two-hour blocks, hours, half hours and 15-minute
// slots; a time is open when one of its tokens is there.
func TestOpenSlots(t *testing.T) {
	sched := []hsds.Schedule{
		{Freq: "WEEKLY", ByDay: "MO", OpensAt: "09:00", ClosesAt: "17:45"},
		{Freq: "WEEKLY", ByDay: "TU", OpensAt: "08:00", ClosesAt: "16:00"},
		{Freq: "WEEKLY", ByDay: "WE", OpensAt: "00:00", ClosesAt: "23:59"},
	}
	got := openSlots(sched)
	want := []string{
		"h9", "t5", "b3", "h16", "m34", "s70", // Monday: 9-10, 10-12, 12-16, 16-17, 17:00-17:30, 17:30-17:45
		"x4", // Tuesday 8-16
		"d2", // Wednesday
	}
	if !slices.Equal(got, want) {
		t.Fatalf("tokens %q, want %q", got, want)
	}
	set := map[string]bool{}
	for _, x := range got {
		set[x] = true
	}
	for slot := range hsds.WeekSlots {
		tok := slotTokens(slot)
		open := slices.ContainsFunc(tok, func(x string) bool { return set[x] })
		var wantOpen bool
		for _, s := range sched {
			if slices.Contains(s.WeeklySlots(), slot) {
				wantOpen = true
			}
		}
		if open != wantOpen {
			t.Fatalf("slot %d: open %v, want %v (tokens %q)", slot, open, wantOpen, got)
		}
	}
}

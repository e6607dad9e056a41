package hsdsio

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/hsds"
)

// ids hands out distinct, readable UUIDs: 00000000-0000-4000-8000-00000000000n.
type idGen struct{ n int }

func (g *idGen) next() string {
	g.n++
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", g.n)
}

func num(f float64) *float64 { return &f }

// directory is a set of documents in the shape the round trip promises:
// terms, organizations with locations (no services), and services that
// name their organization and locations by id.
type directory struct {
	terms    []hsds.TaxonomyTerm
	orgs     []hsds.Organization
	services []hsds.Service
}

// richDirectory has every child kind, several of each top-level record, and
// values that stress CSV (commas, quotes, newlines, non-ASCII) and number
// formatting. Keys that hsds.Normalize does not imply are set explicitly:
// metadata resource_id, attribute link_id on objects Normalize does not
// link, and taxonomy_id next to taxonomy_detail.
func richDirectory() directory {
	var g idGen
	meta := func(resource, typ string) hsds.Metadata {
		return hsds.Metadata{ID: g.next(), ResourceID: resource, ResourceType: typ, LastActionDate: "2024-05-01",
			LastActionType: "update", FieldName: "name", PreviousValue: "Old, \"quoted\"", ReplacementValue: "New\nline",
			UpdatedBy: "Zoë"}
	}
	attr := func(link, term string) hsds.Attribute {
		return hsds.Attribute{ID: g.next(), LinkID: link, TaxonomyTermID: term, LinkType: "tag", Value: "yes", Label: "Label, one"}
	}

	taxonomy := &hsds.Taxonomy{ID: g.next(), Name: "Open Eligibility", Description: "A taxonomy", URI: "https://example.org/oe", Version: "2"}
	taxonomy.Metadata = []hsds.Metadata{meta(taxonomy.ID, "taxonomy")}
	food := hsds.TaxonomyTerm{ID: g.next(), Code: "F1", Name: "Food", Description: "Food help", Taxonomy: "OE",
		Language: "en", TaxonomyID: taxonomy.ID, TaxonomyDetail: taxonomy, TermURI: "https://example.org/oe/f1"}
	food.Metadata = []hsds.Metadata{meta(food.ID, "taxonomy_term")}
	pantry := hsds.TaxonomyTerm{ID: g.next(), Code: "F1.1", Name: "Pantry", Description: "Food pantry",
		ParentID: food.ID, TaxonomyID: taxonomy.ID, TaxonomyDetail: taxonomy}
	bare := hsds.TaxonomyTerm{ID: g.next(), Name: "Bare", Description: "A term with no taxonomy"}
	term := food.ID

	phone := func(withLang bool) hsds.Phone {
		p := hsds.Phone{ID: g.next(), Number: "305-555-0142", Extension: num(12), Type: "voice", Description: "Front desk"}
		if withLang {
			l := hsds.Language{ID: g.next(), Name: "Spanish", Code: "es", Note: "on weekdays"}
			l.Attributes = []hsds.Attribute{attr(l.ID, term)}
			p.Languages = []hsds.Language{l}
		}
		p.Attributes = []hsds.Attribute{attr("", term)} // link_id implied by nesting
		p.Metadata = []hsds.Metadata{meta(p.ID, "phone")}
		return p
	}
	contact := func() hsds.Contact {
		c := hsds.Contact{ID: g.next(), Name: "Ann Persona", Title: "Manager", Department: "Intake", Email: "ann@example.org"}
		c.Phones = []hsds.Phone{phone(true)}
		c.Attributes = []hsds.Attribute{attr("", term)}
		c.Metadata = []hsds.Metadata{meta(c.ID, "contact")}
		return c
	}
	schedule := func() hsds.Schedule {
		s := hsds.Schedule{ID: g.next(), ValidFrom: "2024-01-01", ValidTo: "2024-12-31", DTStart: "2024-01-01",
			Timezone: num(-5), Until: "2024-12-31", Count: num(10), Wkst: "MO", Freq: "WEEKLY", Interval: num(2),
			ByDay: "MO,WE,FR", ByWeekNo: "1,2", ByMonthDay: "1,15", ByYearDay: "100", Description: "Mornings",
			OpensAt: "09:00", ClosesAt: "12:30", ScheduleLink: "https://example.org/hours", AttendingType: "in person",
			Notes: "Closed on holidays"}
		s.Attributes = []hsds.Attribute{attr(s.ID, term)}
		s.Metadata = []hsds.Metadata{meta(s.ID, "schedule")}
		return s
	}
	area := func() hsds.ServiceArea {
		a := hsds.ServiceArea{ID: g.next(), Name: "Downtown", Description: "Zip codes 33101, 33102",
			Extent: `{"type":"Point","coordinates":[-80.19,25.76]}`, ExtentType: "geojson", URI: "https://example.org/area"}
		a.Attributes = []hsds.Attribute{attr(a.ID, term)}
		a.Metadata = []hsds.Metadata{meta(a.ID, "service_area")}
		return a
	}
	location := func(name string) hsds.Location {
		l := hsds.Location{ID: g.next(), LocationType: "physical", URL: "https://example.org/" + name, Name: name,
			AlternateName: name + " annex", Description: "Two floors,\n\"accessible\"", Transportation: "Bus 7",
			Latitude: num(25.7617), Longitude: num(-80.1918), ExternalIdentifier: "UPRN-1", ExternalIdentifierType: "UPRN",
			TZ: "America/New_York"}
		lang := hsds.Language{ID: g.next(), Name: "Haitian Creole", Code: "ht"}
		l.Languages = []hsds.Language{lang}
		addr := hsds.Address{ID: g.next(), Attention: "Front", Address1: "1 Main St", Address2: "Suite 2", City: "Miami",
			Region: "Dade", StateProvince: "FL", PostalCode: "33101", Country: "US", AddressType: "physical"}
		addr.Attributes = []hsds.Attribute{attr("", term)}
		l.Addresses = []hsds.Address{addr}
		l.Contacts = []hsds.Contact{contact()}
		acc := hsds.Accessibility{ID: g.next(), Description: "Ramp", Details: "At the side door", URL: "https://example.org/a11y"}
		acc.Attributes = []hsds.Attribute{attr(acc.ID, term)}
		l.Accessibility = []hsds.Accessibility{acc}
		l.Phones = []hsds.Phone{phone(true), phone(false)}
		l.Schedules = []hsds.Schedule{schedule()}
		l.Attributes = []hsds.Attribute{attr("", term)}
		l.Metadata = []hsds.Metadata{meta(l.ID, "location")}
		return l
	}

	org1 := hsds.Organization{ID: g.next(), Name: "Helping Hands, Inc.", AlternateName: "HH",
		Description: "Food and \"shelter\" — since 1999", Email: "info@example.org", Website: "https://example.org",
		TaxStatus: "501(c)(3)", TaxID: "12-345", YearIncorporated: num(1999), LegalStatus: "nonprofit",
		Logo: "https://example.org/logo.png", URI: "https://example.org/org", ParentOrganizationID: "00000000-0000-4000-8000-999999999999"}
	u := hsds.URL{ID: g.next(), Label: "Blog", URL: "https://example.org/blog"}
	u.Attributes = []hsds.Attribute{attr(u.ID, term)}
	u.Metadata = []hsds.Metadata{meta(u.ID, "url")}
	org1.AdditionalWebsites = []hsds.URL{u}
	f := hsds.Funding{ID: g.next(), Source: "City grant"}
	f.Attributes = []hsds.Attribute{attr(f.ID, term)}
	org1.Funding = []hsds.Funding{f}
	org1.Contacts = []hsds.Contact{contact(), contact()}
	org1.Phones = []hsds.Phone{phone(true)}
	org1.Locations = []hsds.Location{location("Main"), location("Annex")}
	prog := hsds.Program{ID: g.next(), Name: "Nutrition", AlternateName: "Food", Description: "Meals"}
	prog.Attributes = []hsds.Attribute{attr("", term)}
	prog.Metadata = []hsds.Metadata{meta(prog.ID, "program")}
	org1.Programs = []hsds.Program{prog}
	oi := hsds.OrganizationIdentifier{ID: g.next(), IdentifierScheme: "US-EIN", IdentifierType: "EIN", Identifier: "12-345"}
	oi.Attributes = []hsds.Attribute{attr(oi.ID, term)}
	org1.OrganizationIdentifiers = []hsds.OrganizationIdentifier{oi}
	org1.Attributes = []hsds.Attribute{attr("", term), attr("", pantry.ID)}
	org1.Attributes[1].Metadata = []hsds.Metadata{meta(org1.Attributes[1].ID, "attribute")}
	org1.Metadata = []hsds.Metadata{meta(org1.ID, "organization"), meta(org1.ID, "organization")}

	org2 := hsds.Organization{ID: g.next(), Name: "Second Org", Description: "Small"}
	org2.Locations = []hsds.Location{{ID: g.next(), LocationType: "virtual", Name: "Online"}}

	service := func(org *hsds.Organization, loc string) hsds.Service {
		lm := time.Date(2024, 5, 1, 9, 30, 15, 123456000, time.UTC)
		s := hsds.Service{ID: g.next(), OrganizationID: org.ID, Name: "Meals, hot", AlternateName: "Lunch",
			Description: "Hot meals\nevery day", URL: "https://example.org/meals", Email: "meals@example.org",
			Status: "active", InterpretationServices: "Spanish", ApplicationProcess: "Walk in", FeesDescription: "Free",
			WaitTime: "None", Fees: "0", Accreditations: "None", EligibilityDescription: "Adults",
			MinimumAge: num(18), MaximumAge: num(64.5), AssuredDate: "2024-01-02", AssurerEmail: "qa@example.org",
			Licenses: "L-1", Alert: "Closed Monday", LastModified: &lm}
		if len(org.Programs) > 0 {
			s.ProgramID = org.Programs[0].ID
		}
		u := hsds.URL{ID: g.next(), Label: "Menu", URL: "https://example.org/menu"}
		u.Attributes = []hsds.Attribute{attr(u.ID, term)}
		s.AdditionalURLs = []hsds.URL{u}
		s.Phones = []hsds.Phone{phone(true)}
		s.Schedules = []hsds.Schedule{schedule(), schedule()}
		s.ServiceAreas = []hsds.ServiceArea{area()}
		sal := hsds.ServiceAtLocation{ID: g.next(), LocationID: loc, Description: "At the main site"}
		sal.ServiceAreas = []hsds.ServiceArea{area()}
		sal.Contacts = []hsds.Contact{contact()}
		sal.Phones = []hsds.Phone{phone(false)}
		sal.Schedules = []hsds.Schedule{schedule()}
		sal.Attributes = []hsds.Attribute{attr(sal.ID, term)}
		sal.Metadata = []hsds.Metadata{meta(sal.ID, "service_at_location")}
		s.ServiceAtLocations = []hsds.ServiceAtLocation{sal}
		lang := hsds.Language{ID: g.next(), Name: "English", Code: "en"}
		lang.Metadata = []hsds.Metadata{meta(lang.ID, "language")}
		s.Languages = []hsds.Language{lang}
		s.Funding = []hsds.Funding{{ID: g.next(), Source: "Donations"}}
		co := hsds.CostOption{ID: g.next(), ValidFrom: "2024-01-01", ValidTo: "2024-12-31", Option: "Seniors",
			Currency: "USD", Amount: num(12.5), AmountDescription: "per meal"}
		co.Attributes = []hsds.Attribute{attr("", term)}
		big := hsds.CostOption{ID: g.next(), Currency: "USD", Amount: num(1e21)}
		tiny := hsds.CostOption{ID: g.next(), Currency: "USD", Amount: num(0.000001)}
		s.CostOptions = []hsds.CostOption{co, big, tiny}
		d := hsds.RequiredDocument{ID: g.next(), Document: "ID card", URI: "https://example.org/id"}
		d.Attributes = []hsds.Attribute{attr(d.ID, term)}
		s.RequiredDocuments = []hsds.RequiredDocument{d}
		s.Contacts = []hsds.Contact{contact()}
		unit := &hsds.Unit{ID: g.next(), Name: "Bed", Scheme: "SI", Identifier: "bed", URI: "https://example.org/bed"}
		unit.Metadata = []hsds.Metadata{meta(unit.ID, "unit")}
		c := hsds.ServiceCapacity{ID: g.next(), Unit: unit, UnitID: unit.ID, Available: 3, Maximum: num(10),
			Description: "Beds tonight", Updated: time.Date(2024, 9, 25, 13, 23, 6, 500000000, time.UTC)}
		c.Attributes = []hsds.Attribute{attr(c.ID, term)}
		empty := hsds.ServiceCapacity{ID: g.next(), Unit: unit, UnitID: unit.ID, Available: 0,
			Updated: time.Date(2024, 9, 25, 0, 0, 0, 0, time.UTC)}
		s.Capacities = []hsds.ServiceCapacity{c, empty}
		s.Attributes = []hsds.Attribute{attr("", term)}
		s.Metadata = []hsds.Metadata{meta(s.ID, "service")}
		return s
	}
	s1 := service(&org1, org1.Locations[0].ID)
	s2 := service(&org1, org1.Locations[1].ID)
	s3 := hsds.Service{ID: g.next(), OrganizationID: org2.ID, Name: "Chat line", Status: "inactive",
		ServiceAtLocations: []hsds.ServiceAtLocation{{ID: g.next(), LocationID: org2.Locations[0].ID}}}

	return directory{
		terms:    []hsds.TaxonomyTerm{food, pantry, bare},
		orgs:     []hsds.Organization{org1, org2},
		services: []hsds.Service{s1, s2, s3},
	}
}

// canonical renders a document as ReadPackage would return it: normalized,
// with every nested list ordered by id.
func canonical(t *testing.T, doc any) string {
	t.Helper()
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	// Work on a copy so the fixture is left alone.
	c := reflect.New(reflect.TypeOf(doc).Elem())
	if err := json.Unmarshal(data, c.Interface()); err != nil {
		t.Fatal(err)
	}
	if n, ok := c.Interface().(interface{ Normalize() }); ok {
		n.Normalize()
	}
	sortNested(c.Elem())
	out, err := json.MarshalIndent(c.Interface(), "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func sortNested(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			sortNested(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			sortNested(v.Field(i))
		}
	case reflect.Slice:
		for i := range v.Len() {
			sortNested(v.Index(i))
		}
		if v.Len() > 1 && v.Type().Elem().Kind() == reflect.Struct {
			items := make([]reflect.Value, v.Len())
			for i := range items {
				items[i] = reflect.New(v.Type().Elem()).Elem()
				items[i].Set(v.Index(i))
			}
			slices.SortStableFunc(items, func(a, b reflect.Value) int {
				return strings.Compare(a.FieldByName("ID").String(), b.FieldByName("ID").String())
			})
			for i := range items {
				v.Index(i).Set(items[i])
			}
		}
	}
}

// diff names the first line where two renderings differ.
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range min(len(w), len(g)) {
		if w[i] != g[i] {
			return fmt.Sprintf("line %d:\n want %s\n  got %s", i+1, w[i], g[i])
		}
	}
	return fmt.Sprintf("lengths differ: want %d lines, got %d", len(w), len(g))
}

package storetest

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/linkage-org/linkage/internal/hsds"
)

// ID returns a deterministic UUID for a name, so fixtures are stable.
func ID(name string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("linkage-test:"+name)).String()
}

func f(v float64) *float64 { return &v }

// Term returns a taxonomy term of the test taxonomy.
func Term(code, parentCode string) hsds.TaxonomyTerm {
	t := hsds.TaxonomyTerm{ID: ID("term:" + code), Code: code, Name: "Term " + code, Description: "Test term " + code,
		TaxonomyID: ID("taxonomy"), Language: "en",
		TaxonomyDetail: &hsds.Taxonomy{ID: ID("taxonomy"), Name: "Test taxonomy", Description: "Terms for tests", Version: "1"}}
	if parentCode != "" {
		t.ParentID = ID("term:" + parentCode)
	}
	return t
}

// Organization returns an organization document named n with one location
// and services services, each with phones, schedules, languages, a cost, an
// area and an attribute pointing at term code termCode.
func Organization(n string, services int, termCode string) hsds.Organization {
	orgID := ID("org:" + n)
	locID := ID("loc:" + n)
	lm := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	o := hsds.Organization{
		ID: orgID, Name: "Organization " + n, Description: "Helps people in test " + n, Email: "info@example.org",
		Website: "https://example.org/" + n, YearIncorporated: f(1999),
		Phones: []hsds.Phone{{ID: ID("orgphone:" + n), Number: "305-555-0100", Type: "voice"}},
		Locations: []hsds.Location{{
			ID: locID, LocationType: "physical", Name: "Office " + n, Latitude: f(25.77), Longitude: f(-80.2), TZ: "America/New_York",
			Addresses: []hsds.Address{{ID: ID("addr:" + n), Address1: "1 Main St", City: "Palmetto City", StateProvince: "FL",
				PostalCode: "33125", Country: "US", AddressType: "physical"}},
			Accessibility: []hsds.Accessibility{{ID: ID("acc:" + n), Description: "Wheelchair accessible entrance"}},
			Languages:     []hsds.Language{{ID: ID("loclang:" + n), Name: "Spanish", Code: "es"}},
		}},
	}
	for i := range services {
		sid := ID(fmt.Sprintf("svc:%s:%d", n, i))
		s := hsds.Service{
			ID: sid, OrganizationID: orgID, Name: fmt.Sprintf("Service %s %d", n, i), Status: hsds.StatusActive,
			Description: "Rent help for families", MinimumAge: f(18), MaximumAge: f(64), LastModified: &lm,
			Phones: []hsds.Phone{{ID: ID("phone:" + sid), Number: "305-555-0142",
				Languages: []hsds.Language{{ID: ID("phonelang:" + sid), Code: "ht", Name: "Haitian Creole"}}}},
			Languages:   []hsds.Language{{ID: ID("lang:" + sid), Code: "es", Name: "Spanish"}},
			CostOptions: []hsds.CostOption{{ID: ID("cost:" + sid), Option: "Free", Amount: f(0), Currency: "USD"}},
			ServiceAreas: []hsds.ServiceArea{{ID: ID("area:" + sid), Name: "Palmetto County", ExtentType: "geojson",
				Extent: `{"type":"Polygon","coordinates":[[[-80.4,25.6],[-80.1,25.6],[-80.1,25.9],[-80.4,25.9],[-80.4,25.6]]]}`}},
			RequiredDocuments: []hsds.RequiredDocument{{ID: ID("doc:" + sid), Document: "Photo ID"}},
			ServiceAtLocations: []hsds.ServiceAtLocation{{ID: ID("sal:" + sid), LocationID: locID,
				Schedules: []hsds.Schedule{{ID: ID("sched:" + sid), Freq: "WEEKLY", ByDay: "MO,TU,WE,TH,FR", OpensAt: "09:00", ClosesAt: "17:00"}}}},
			Attributes: []hsds.Attribute{{ID: ID("attr:" + sid), TaxonomyTermID: ID("term:" + termCode), LinkType: "category"}},
		}
		o.Services = append(o.Services, s)
	}
	o.Normalize()
	return o
}

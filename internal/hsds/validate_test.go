package hsds

import (
	"strings"
	"testing"

	"github.com/linkage-org/linkage/internal/apperr"
)

func f(v float64) *float64 { return &v }

const (
	svcID = "0b7f5c1e-8a52-4f55-9d4b-2d7f1c3e9a10"
	orgID = "1b0abca8-a476-532d-b54d-334abfdfcebb"
	locID = "2c1bcdb9-b587-443e-c65e-445bfe0fddcc"
)

func validService() Service {
	return Service{ID: svcID, OrganizationID: orgID, Name: "Rent help", Status: StatusActive,
		MinimumAge: f(18), MaximumAge: f(64), Email: "help@example.org", URL: "https://example.org/rent",
		Phones:             []Phone{{ID: "3d2cdec0-c698-454f-876f-556c0aeeeedd", Number: "305-555-0142"}},
		ServiceAtLocations: []ServiceAtLocation{{ID: "4e3defd1-d7a9-4650-987a-667d1bfffeee", LocationID: locID}},
		Schedules:          []Schedule{{ID: "5f4ef0e2-e8b0-4761-a98b-778e2c000fff", Freq: "WEEKLY", ByDay: "MO,TU", OpensAt: "09:00", ClosesAt: "17:00"}},
	}
}

func TestService_Validate(t *testing.T) {
	cases := []struct {
		name    string
		mutate  func(*Service)
		pointer string // "" means valid
	}{
		{"valid", func(*Service) {}, ""},
		{"missing name", func(s *Service) { s.Name = " " }, "/name"},
		{"bad status", func(s *Service) { s.Status = "open" }, "/status"},
		{"bad id", func(s *Service) { s.ID = "123" }, "/id"},
		{"uppercase id", func(s *Service) { s.ID = strings.ToUpper(svcID) }, ""},
		{"ages reversed", func(s *Service) { s.MinimumAge = f(65) }, "/maximum_age"},
		{"negative age", func(s *Service) { s.MinimumAge = f(-1) }, "/minimum_age"},
		{"bad email", func(s *Service) { s.Email = "help at example" }, "/email"},
		{"relative url", func(s *Service) { s.URL = "example.org" }, "/url"},
		{"javascript url", func(s *Service) { s.URL = "javascript:alert(1)" }, "/url"},
		{"data url", func(s *Service) { s.URL = "data:text/html,<script>alert(1)</script>" }, "/url"},
		{"attribute linked elsewhere", func(s *Service) {
			s.Attributes = []Attribute{{ID: "7b6f12a4-0ad2-4983-8b4e-99a04e222111", TaxonomyTermID: orgID, LinkID: locID, LinkEntity: "service"}}
		}, "/attributes/0/link_id"},
		{"bad phone", func(s *Service) { s.Phones[0].Number = "call us!" }, "/phones/0/number"},
		{"sal without location", func(s *Service) { s.ServiceAtLocations[0].LocationID = "" }, "/service_at_locations/0/location_id"},
		{"bad byday", func(s *Service) { s.Schedules[0].ByDay = "Monday" }, "/schedules/0/byday"},
		{"bad opens_at", func(s *Service) { s.Schedules[0].OpensAt = "9am" }, "/schedules/0/opens_at"},
		{"phone of another service", func(s *Service) { s.Phones[0].ServiceID = orgID }, "/phones/0/service_id"},
		{"name too long", func(s *Service) { s.Name = strings.Repeat("n", MaxNameLen+1) }, "/name"},
		{"bad extent", func(s *Service) {
			s.ServiceAreas = []ServiceArea{{ID: "6a5f01f3-f9c1-4872-ba9c-889f3d111000", ExtentType: "geojson", Extent: "{nope"}}
		}, "/service_areas/0/extent"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := validService()
			c.mutate(&s)
			s.Normalize()
			err := s.Validate()
			if c.pointer == "" {
				if c.name == "uppercase id" {
					// Ids are compared as text on SQLite: only the canonical form is accepted.
					if err == nil {
						t.Fatal("an uppercase id was accepted")
					}
					return
				}
				if err != nil {
					t.Fatalf("valid service rejected: %v", err)
				}
				return
			}
			e, ok := apperr.As(err)
			if !ok || e.Kind != apperr.Unprocessable {
				t.Fatalf("want Unprocessable, got %v", err)
			}
			for _, fe := range e.Fields {
				if fe.Pointer == c.pointer {
					return
				}
			}
			t.Fatalf("no error at %s: %v", c.pointer, err)
		})
	}
}

func TestNormalize_FillsKeysKeepsGiven(t *testing.T) {
	o := Organization{ID: orgID, Name: "Org", Description: "d",
		Locations: []Location{{ID: locID, LocationType: "physical", Phones: []Phone{{ID: "3d2cdec0-c698-454f-876f-556c0aeeeedd", Number: "305-555-0100"}}}},
		Services:  []Service{validService()}}
	o.Services[0].OrganizationID = ""
	o.Normalize()
	if o.Services[0].OrganizationID != orgID || o.Locations[0].OrganizationID != orgID || o.Locations[0].Phones[0].LocationID != locID ||
		o.Services[0].Phones[0].ServiceID != svcID || o.Services[0].ServiceAtLocations[0].ServiceID != svcID {
		t.Fatalf("keys not filled: %+v", o)
	}
	if err := o.Validate(); err != nil {
		t.Fatalf("normalized organization invalid: %v", err)
	}
}

// Attributes nested anywhere get link_id, or they could not be found again
// once stored flat.
func TestNormalize_LinksNestedAttributes(t *testing.T) {
	s := validService()
	attr := func() []Attribute {
		return []Attribute{{ID: "7b6012a4-0ad2-4983-8bad-99a04e222111", TaxonomyTermID: "8c7123b5-1be3-4a94-9cbe-aab15f333222"}}
	}
	s.Languages = []Language{{ID: "9d8234c6-2cf4-4ba5-8dcf-bbc26a444333", Code: "es", Attributes: attr()}}
	s.Phones[0].Languages = []Language{{ID: "ae9345d7-3d05-4cb6-9ed0-ccd37b555444", Code: "ht", Attributes: attr()}}
	s.RequiredDocuments = []RequiredDocument{{ID: "bfa456e8-4e16-4dc7-8fe1-dde48c666555", Document: "ID", Attributes: attr()}}
	s.Normalize()
	for _, a := range []Attribute{s.Languages[0].Attributes[0], s.Phones[0].Languages[0].Attributes[0], s.RequiredDocuments[0].Attributes[0]} {
		if a.LinkID == "" || a.LinkEntity == "" {
			t.Fatalf("attribute not linked: %+v", a)
		}
	}
}

func TestOrganization_ValidateYear(t *testing.T) {
	for y, ok := range map[float64]bool{1999: true, 2000.5: false, 1500: false} {
		o := Organization{ID: orgID, Name: "Food bank", Description: "Food.", YearIncorporated: f(y)}
		o.Normalize()
		err := o.Validate()
		if got := err == nil; got != ok || !ok && !strings.Contains(err.Error(), "year_incorporated") {
			t.Errorf("year %v: %v", y, err)
		}
	}
}

func TestUnitID_LookAlikes(t *testing.T) {
	beds := UnitID("cribs")
	for _, n := range []string{"Cribs", " cribs ", "cri\u200bbs", "ｃｒｉｂｓ"} {
		if UnitID(n) != beds {
			t.Errorf("%q is another unit than cribs", n)
		}
	}
	if UnitID("body bags") == beds || UnitID("crib s") == beds {
		t.Error("different names share a unit")
	}
}

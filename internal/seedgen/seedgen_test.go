package seedgen

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/linkage-org/linkage/internal/hsds"
)

func termID(code string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("seedgen-test:"+code)).String()
}

// testTerms is a small taxonomy: named parents, a parent known only by its
// code, and a generic parent whose children carry the meaning.
func testTerms() []hsds.TaxonomyTerm {
	mk := func(code, name, parent string) hsds.TaxonomyTerm {
		t := hsds.TaxonomyTerm{ID: termID(code), Code: code, Name: name, Description: name + " services"}
		if parent != "" {
			t.ParentID = termID(parent)
		}
		return t
	}
	return []hsds.TaxonomyTerm{
		mk("BD", "Food", ""),
		mk("BD-1800", "Food Pantries", "BD"),
		mk("BD-5000", "Home Delivered Meals", "BD"),
		mk("BD-1800.2000", "Mobile Food Pantries", "BD-1800"),
		mk("BH", "Housing & Shelter", ""),
		mk("BH-1800", "Emergency Shelter", "BH"),
		mk("BH-3800", "Rent Payment Assistance", "BH"),
		mk("L", "Health Care", ""),
		mk("LN", "Primary Care", "L"),
		mk("LV", "Dental Care", "L"),
		mk("RX", "Term RX", ""),
		mk("RX-8450", "Outpatient Treatment", "RX"),
		mk("B", "Basic Needs", ""),
		mk("BM-6500", "Clothing", "B"),
		mk("BV-8900", "Utility Assistance", "B"),
		mk("Z", "Other", ""),
		mk("Z-1", "Neighborhood Associations", "Z"),
	}
}

func childIDs(terms []hsds.TaxonomyTerm) map[string]bool {
	out := map[string]bool{}
	for _, t := range terms {
		if t.ParentID != "" {
			out[t.ID] = true
		}
	}
	return out
}

func collect(t testing.TB, cfg Config, terms []hsds.TaxonomyTerm) []*hsds.Organization {
	t.Helper()
	var orgs []*hsds.Organization
	if err := Generate(cfg, terms, func(o *hsds.Organization) error {
		orgs = append(orgs, o)
		return nil
	}); err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return orgs
}

func TestGenerate_Count(t *testing.T) {
	terms := testTerms()
	children := childIDs(terms)
	for _, n := range []int{0, 1, 7, 1000} {
		orgs := collect(t, Config{Services: n, Seed: 42}, terms)
		got := 0
		for _, o := range orgs {
			got += len(o.Services)
			if len(o.Services) < 1 || len(o.Services) > 8 {
				t.Errorf("n=%d: organization %s has %d services, want 1..8", n, o.ID, len(o.Services))
			}
			if len(o.Locations) < 1 || len(o.Locations) > 4 {
				t.Errorf("n=%d: organization %s has %d locations, want 1..4", n, o.ID, len(o.Locations))
			}
			o.Normalize()
			if err := o.Validate(); err != nil {
				t.Fatalf("n=%d: organization %s does not validate: %v", n, o.ID, err)
			}
			locs := map[string]bool{}
			for _, l := range o.Locations {
				locs[l.ID] = true
			}
			for _, s := range o.Services {
				if len(s.Attributes) < 1 || len(s.Attributes) > 3 {
					t.Errorf("service %s has %d attributes, want 1..3", s.ID, len(s.Attributes))
				}
				for _, a := range s.Attributes {
					if !children[a.TaxonomyTermID] {
						t.Errorf("service %s: attribute names term %s, not a child term", s.ID, a.TaxonomyTermID)
					}
					if a.LinkType != "category" || a.LinkEntity != hsds.LinkEntityService || a.LinkID != s.ID {
						t.Errorf("service %s: attribute %+v", s.ID, a)
					}
				}
				for _, sal := range s.ServiceAtLocations {
					if !locs[sal.LocationID] {
						t.Errorf("service %s: service_at_location names location %s outside its organization", s.ID, sal.LocationID)
					}
				}
				if len(s.ServiceAtLocations) == 0 && len(s.Schedules) == 0 {
					t.Errorf("service %s has neither locations nor its own schedules", s.ID)
				}
				for _, sa := range s.ServiceAreas {
					var g struct {
						Type        string
						Coordinates [][][2]float64
					}
					if err := json.Unmarshal([]byte(sa.Extent), &g); err != nil || g.Type != "Polygon" || len(g.Coordinates) != 1 {
						t.Fatalf("service %s: extent %q: %v", s.ID, sa.Extent, err)
					}
					ring := g.Coordinates[0]
					if len(ring) < 4 || ring[0] != ring[len(ring)-1] {
						t.Errorf("service %s: ring is not closed: %v", s.ID, ring)
					}
				}
			}
		}
		if got != n {
			t.Errorf("Generate(%d services) gave %d", n, got)
		}
	}
}

func TestGenerate_NoTerms(t *testing.T) {
	orgs := collect(t, Config{Services: 50, Seed: 1}, nil)
	n := 0
	for _, o := range orgs {
		if err := o.Validate(); err != nil {
			t.Fatal(err)
		}
		for _, s := range o.Services {
			n++
			if len(s.Attributes) != 0 {
				t.Errorf("service %s has attributes without a taxonomy", s.ID)
			}
		}
	}
	if n != 50 {
		t.Errorf("got %d services, want 50", n)
	}
}

func digest(t *testing.T, cfg Config, terms []hsds.TaxonomyTerm) [32]byte {
	t.Helper()
	h := sha256.New()
	err := Generate(cfg, terms, func(o *hsds.Organization) error {
		b, err := json.Marshal(o)
		if err != nil {
			return err
		}
		h.Write(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return [32]byte(h.Sum(nil))
}

func TestGenerate_Deterministic(t *testing.T) {
	terms := testTerms()
	a := digest(t, Config{Services: 500, Seed: 7}, terms)
	b := digest(t, Config{Services: 500, Seed: 7}, terms)
	if a != b {
		t.Error("same config gave different output")
	}
	if c := digest(t, Config{Services: 500, Seed: 8}, terms); c == a {
		t.Error("different seeds gave the same output")
	}
}

func TestGenerate_Errors(t *testing.T) {
	if err := Generate(Config{Services: -1}, nil, func(*hsds.Organization) error { return nil }); err == nil {
		t.Error("negative size: no error")
	}
	stop := errors.New("stop")
	calls := 0
	err := Generate(Config{Services: 100}, nil, func(*hsds.Organization) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("callback error: got %v after %d calls, want stop after 1", err, calls)
	}
}

func TestGenerate_Variety(t *testing.T) {
	orgs := collect(t, Config{Services: 2000, Seed: 2026}, testTerms())
	metroOf := map[string]int{}
	for i, m := range metros {
		for _, c := range m.Cities {
			metroOf[m.State+"/"+c] = i
		}
	}
	usedMetros, zones, langs, names, descs := map[int]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	var services, withAges, free, paid, saturday, allWeek, virtual, areas, spanish, inactive int
	for _, o := range orgs {
		for _, l := range o.Locations {
			zones[l.TZ] = true
			a := l.Addresses[0]
			i, ok := metroOf[a.StateProvince+"/"+a.City]
			if !ok {
				t.Fatalf("address %s, %s is in no metro", a.City, a.StateProvince)
			}
			usedMetros[i] = true
		}
		for _, s := range o.Services {
			services++
			names[s.Name] = true
			descs[s.Description] = true
			if s.MinimumAge != nil || s.MaximumAge != nil {
				withAges++
			}
			if s.Status != hsds.StatusActive {
				inactive++
			}
			for _, l := range s.Languages {
				langs[l.Code] = true
				if l.Code == "es" {
					spanish++
				}
			}
			for _, c := range s.CostOptions {
				if *c.Amount == 0 {
					free++
				} else {
					paid++
				}
			}
			if len(s.ServiceAreas) > 0 {
				areas++
			}
			scheds := s.Schedules
			if len(s.ServiceAtLocations) == 0 {
				virtual++
			}
			for _, sal := range s.ServiceAtLocations {
				scheds = append(scheds, sal.Schedules...)
			}
			sat, all := false, false
			for _, sc := range scheds {
				if sc.ByDay == "MO,TU,WE,TH,FR,SA,SU" && sc.OpensAt == "00:00" {
					all = true
				} else if strings.Contains(sc.ByDay, "SA") {
					sat = true
				}
			}
			if sat {
				saturday++
			}
			if all {
				allWeek++
			}
		}
	}
	t.Logf("%d orgs, %d services: %d metros, %d zones, %d languages, ages %d, free %d, paid %d, saturday %d, 24/7 %d, virtual %d, areas %d, spanish %d, not active %d, names %d, descriptions %d",
		len(orgs), services, len(usedMetros), len(zones), len(langs), withAges, free, paid, saturday, allWeek, virtual, areas, spanish, inactive, len(names), len(descs))
	checks := []struct {
		what      string
		got, want int
	}{
		{"metros", len(usedMetros), 20},
		{"time zones", len(zones), 5},
		{"languages", len(langs), 6},
		{"services with ages", withAges, 1},
		{"free cost options", free, services / 2},
		{"paid cost options", paid, services / 10},
		{"services open Saturdays", saturday, 1},
		{"services open 24/7", allWeek, 1},
		{"virtual services", virtual, services / 20},
		{"services with areas", areas, services * 4 / 10},
		{"services in Spanish", spanish, services * 4 / 10},
		{"services not active", inactive, 1},
		{"distinct service names", len(names), services * 9 / 10},
		{"distinct descriptions", len(descs), services / 2},
	}
	for _, c := range checks {
		if c.got < c.want {
			t.Errorf("%s: %d, want at least %d", c.what, c.got, c.want)
		}
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct{ name, code, want string }{
		{"Food", "", "food"},
		{"Mental Health Care", "", "mental"},
		{"Health Care", "", "health"},
		{"Housing & Shelter", "", "housing"},
		{"Substance Use Disorder Services", "", "substance"},
		{"Crisis Intervention", "", "crisis"},
		{"Term RX", "RX", "substance"},
		{"Term R", "RP-1500.1400", "crisis"},
		{"Business Services", "", ""},
		{"Transit", "", "transportation"},
	} {
		got := ""
		if c := classify(tc.name, tc.code); c != nil {
			got = c.Key
		}
		if got != tc.want {
			t.Errorf("classify(%q, %q) = %q, want %q", tc.name, tc.code, got, tc.want)
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	terms := testTerms()
	const n = 10000
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := Generate(Config{Services: n, Seed: int64(i)}, terms, func(*hsds.Organization) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "services/s")
}

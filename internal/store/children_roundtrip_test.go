package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// everyChild is an organization document with a record of every kind of
// child the HSDS child table nests, each with an attribute.
func everyChild() *store.Documents {
	id := func(s string) string { return storetest.ID("every:" + s) }
	o := storetest.Organization("every", 1, "every")
	term := storetest.Term("every", "")
	o.AdditionalWebsites = []hsds.URL{{ID: id("url"), URL: "https://example.org/more"}}
	o.Funding = []hsds.Funding{{ID: id("fund"), Source: "County"}}
	o.Contacts = []hsds.Contact{{ID: id("contact"), Name: "Desk", Phones: []hsds.Phone{{ID: id("contact-phone"), Number: "305-555-0101"}}}}
	o.Programs = []hsds.Program{{ID: id("program"), Name: "Program", Description: "Programs help"}}
	o.OrganizationIdentifiers = []hsds.OrganizationIdentifier{{ID: id("oid"), IdentifierType: "EIN", Identifier: "12-345"}}
	loc := &o.Locations[0]
	loc.Contacts = []hsds.Contact{{ID: id("loc-contact"), Name: "Front"}}
	loc.Phones = []hsds.Phone{{ID: id("loc-phone"), Number: "305-555-0102"}}
	loc.Schedules = []hsds.Schedule{{ID: id("loc-sched"), Freq: "WEEKLY", ByDay: "MO"}}
	s := &o.Services[0]
	s.ProgramID, s.Program = id("program"), &hsds.Program{ID: id("program"), Name: "Program", Description: "Programs help"}
	s.AdditionalURLs = []hsds.URL{{ID: id("svc-url"), URL: "https://example.org/svc"}}
	s.Schedules = []hsds.Schedule{{ID: id("svc-sched"), Freq: "WEEKLY", ByDay: "TU"}}
	s.Funding = []hsds.Funding{{ID: id("svc-fund"), Source: "State"}}
	s.Contacts = []hsds.Contact{{ID: id("svc-contact"), Name: "Intake"}}
	s.Capacities = []hsds.ServiceCapacity{{ID: id("cap"), Unit: &hsds.Unit{ID: hsds.UnitID("beds"), Name: "beds"},
		Available: 3, Updated: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}}
	s.Attributes[0].TaxonomyTerm = &term
	sal := &s.ServiceAtLocations[0]
	sal.ServiceAreas = []hsds.ServiceArea{{ID: id("sal-area"), Name: "Downtown"}}
	sal.Contacts = []hsds.Contact{{ID: id("sal-contact"), Name: "Door"}}
	sal.Phones = []hsds.Phone{{ID: id("sal-phone"), Number: "305-555-0103"}}
	copyLoc := *loc
	sal.Location = &copyLoc
	n := 0
	hsds.Walk(&o, func(_ string, rec any) {
		if r := hsds.RelationOf(hsds.EntityOf(rec), "attributes"); r != nil && r.Len(rec) == 0 {
			n++
			r.Set(rec, []hsds.Attribute{{ID: id(fmt.Sprint("attr", n)), TaxonomyTermID: term.ID}})
		}
	})
	o.Normalize()
	return &store.Documents{Terms: []hsds.TaxonomyTerm{term}, Organizations: []hsds.Organization{o}}
}

// TestEveryChildRoundTrips writes a record of every kind of child the HSDS
// child table has and reads each back (graph building and loading both
// walk the table).
func TestEveryChildRoundTrips(t *testing.T) {
	docs := everyChild()
	seen := map[string]bool{}
	hsds.Tree(hsds.LinkEntityOrganization, &docs.Organizations[0], func(r *hsds.Relation, _, _ any) bool {
		seen[r.Parent+"."+r.Field] = true
		return true
	})
	for i := range hsds.Children {
		r := &hsds.Children[i]
		skip := r.Kind == hsds.History || r.Parent == "meta_table_description" || r.Parent == "taxonomy" ||
			(r.Parent == hsds.LinkEntityService && r.Field == "organization") // the organization itself
		if !skip && !seen[r.Parent+"."+r.Field] {
			t.Errorf("the fixture has no %s.%s", r.Parent, r.Field)
		}
	}
	if err := docs.Organizations[0].Validate(); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		seed(t, s, docs)
		got, err := s.OrganizationsByIDs(context.Background(), []string{docs.Organizations[0].ID}, store.ShapeFullServices)
		if err != nil || len(got) != 1 {
			t.Fatalf("read back: %d, %v", len(got), err)
		}
		read := records(&got[0])
		for rec := range records(&docs.Organizations[0]) {
			if !read[rec] {
				t.Errorf("%s was written but not read back", rec)
			}
		}
	})
}

// records lists every record nested in rec but its history, as entity/id.
func records(rec any) map[string]bool {
	out := map[string]bool{}
	hsds.Walk(rec, func(_ string, r any) {
		if e := hsds.EntityOf(r); e != "metadata" {
			out[e+"/"+hsds.RecordID(r)] = true
		}
	})
	return out
}

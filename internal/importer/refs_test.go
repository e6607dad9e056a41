package importer_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/importer"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// Every reference a nested record can make to another record is checked
// before anything is written: a file naming a parent that neither it nor
// the directory has is refused with the problem at its line and pointer,
// and writes nothing, on both databases, whatever kind of parent is
// missing. Skipping, the same record is left out with the same problem and
// the rest written.
func TestImport_EveryMissingParent(t *testing.T) {
	missing := storetest.ID("missing")
	term := storetest.Term("MP", "")
	// org is an organization (line 2, after the term) whose one service
	// is changed to name something that does not exist.
	org := func(change func(o *hsds.Organization)) func() []any {
		return func() []any {
			o := storetest.Organization("mp", 1, "MP")
			change(&o)
			return []any{term, o}
		}
	}
	svc := func(o *hsds.Organization) *hsds.Service { return &o.Services[0] }
	cases := []struct {
		name  string
		lines func() []any
		line  int
		ptr   string
	}{
		{"service's organization", func() []any {
			s := storetest.Organization("mp", 1, "MP").Services[0]
			s.OrganizationID = missing
			return []any{term, s}
		}, 2, "/organization_id"},
		{"term's taxonomy", func() []any {
			x := storetest.Term("MQ", "")
			x.TaxonomyID, x.TaxonomyDetail = missing, nil
			return []any{x, term}
		}, 1, "/taxonomy_id"},
		{"service's program", org(func(o *hsds.Organization) { svc(o).ProgramID = missing }), 2, "/services/0/program_id"},
		{"nested program's organization", org(func(o *hsds.Organization) {
			svc(o).Program = &hsds.Program{ID: storetest.ID("mp:program"), Name: "Program", Description: "A program", OrganizationID: missing}
			svc(o).ProgramID = svc(o).Program.ID
		}), 2, "/services/0/program/organization_id"},
		{"service_at_location's location", org(func(o *hsds.Organization) {
			svc(o).ServiceAtLocations[0].LocationID = missing
		}), 2, "/services/0/service_at_locations/0/location_id"},
		{"nested location's organization", org(func(o *hsds.Organization) {
			sal := &svc(o).ServiceAtLocations[0]
			sal.Location = &hsds.Location{ID: storetest.ID("mp:newloc"), LocationType: "physical", OrganizationID: missing}
			sal.LocationID = sal.Location.ID
		}), 2, "/services/0/service_at_locations/0/location/organization_id"},
		{"location only inside a service's nested organization", org(func(o *hsds.Organization) {
			// The store writes a service's organization flat: a location
			// nested in it is not written, so naming it names nothing.
			flat := hsds.Organization{ID: o.ID, Name: o.Name, Description: o.Description,
				Locations: []hsds.Location{{ID: storetest.ID("mp:inner"), LocationType: "physical", OrganizationID: o.ID}}}
			svc(o).Organization = &flat
			svc(o).ServiceAtLocations[0].LocationID = storetest.ID("mp:inner")
		}), 2, "/services/0/service_at_locations/0/location_id"},
		{"attribute's term", org(func(o *hsds.Organization) {
			svc(o).Attributes[0].TaxonomyTermID = missing
		}), 2, "/services/0/attributes/0/taxonomy_term_id"},
		{"nested term's taxonomy", org(func(o *hsds.Organization) {
			a := &svc(o).Attributes[0]
			a.TaxonomyTermID = storetest.ID("mp:nested-term")
			a.TaxonomyTerm = &hsds.TaxonomyTerm{ID: a.TaxonomyTermID, Name: "Nested", Description: "A nested term", TaxonomyID: missing}
		}), 2, "/services/0/attributes/0/taxonomy_term/taxonomy_id"},
		{"capacity's unit", org(func(o *hsds.Organization) {
			svc(o).Capacities = []hsds.ServiceCapacity{{ID: storetest.ID("mp:cap"), UnitID: missing, Available: 3, Updated: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}}
		}), 2, "/services/0/capacities/0/unit_id"},
		{"phone's contact", org(func(o *hsds.Organization) { svc(o).Phones[0].ContactID = missing }), 2, "/services/0/phones/0/contact_id"},
		{"phone's location", org(func(o *hsds.Organization) { svc(o).Phones[0].LocationID = missing }), 2, "/services/0/phones/0/location_id"},
		{"phone's service_at_location", org(func(o *hsds.Organization) { svc(o).Phones[0].ServiceAtLocationID = missing }), 2, "/services/0/phones/0/service_at_location_id"},
		{"schedule's location", org(func(o *hsds.Organization) {
			svc(o).ServiceAtLocations[0].Schedules[0].LocationID = missing
		}), 2, "/services/0/service_at_locations/0/schedules/0/location_id"},
		{"language's phone", org(func(o *hsds.Organization) { svc(o).Languages[0].PhoneID = missing }), 2, "/services/0/languages/0/phone_id"},
		{"contact's location", org(func(o *hsds.Organization) {
			svc(o).Contacts = []hsds.Contact{{ID: storetest.ID("mp:contact"), Name: "Desk", LocationID: missing}}
		}), 2, "/services/0/contacts/0/location_id"},
		{"service area's service_at_location", org(func(o *hsds.Organization) {
			svc(o).ServiceAreas[0].ServiceAtLocationID = missing
		}), 2, "/services/0/service_areas/0/service_at_location_id"},
		{"funding's organization", org(func(o *hsds.Organization) {
			svc(o).Funding = []hsds.Funding{{ID: storetest.ID("mp:fund"), Source: "County", OrganizationID: missing}}
		}), 2, "/services/0/funding/0/organization_id"},
		{"url's organization", org(func(o *hsds.Organization) {
			svc(o).AdditionalURLs = []hsds.URL{{ID: storetest.ID("mp:url"), URL: "https://example.org/more", OrganizationID: missing}}
		}), 2, "/services/0/additional_urls/0/organization_id"},
		{"organization phone's service", org(func(o *hsds.Organization) { o.Phones[0].ServiceID = missing }), 2, "/phones/0/service_id"},
		{"location phone's service", org(func(o *hsds.Organization) {
			o.Locations[0].Phones = []hsds.Phone{{ID: storetest.ID("mp:locphone"), Number: "305-555-0101", ServiceID: missing}}
		}), 2, "/locations/0/phones/0/service_id"},
		{"organization contact's service", org(func(o *hsds.Organization) {
			o.Contacts = []hsds.Contact{{ID: storetest.ID("mp:orgcontact"), Name: "Front desk", ServiceID: missing}}
		}), 2, "/contacts/0/service_id"},
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		for _, tc := range cases {
			lines := tc.lines()
			path := writeJSONL(t, lines...)
			// Skipping is tried as a dry run: what it would leave out is
			// the point here, and the database stays empty for the next.
			for _, opts := range []importer.Options{{}, {OnError: importer.OnErrorSkip, DryRun: true}} {
				rep, err := importer.Import(ctx, st, path, opts)
				var at string
				for _, p := range rep.Problems {
					if p.Line == tc.line && p.Field == tc.ptr {
						at = p.Message
					}
				}
				if !strings.Contains(at, "which is neither in this input nor in the directory") {
					t.Errorf("%s, on error %s: no problem at line %d %s (%v): %v", tc.name, rep.OnError, tc.line, tc.ptr, err, rep.Problems)
				}
				counts, cerr := st.Counts(ctx)
				if cerr != nil {
					t.Fatal(cerr)
				}
				for table, n := range counts {
					if n != 0 {
						t.Errorf("%s, on error %s: wrote %d rows to %s", tc.name, rep.OnError, n, table)
					}
				}
				if opts.OnError == "" {
					if !errors.Is(err, importer.ErrProblems) || rep.Imported.Total() != 0 {
						t.Errorf("%s: %v, imported %+v; want ErrProblems and nothing", tc.name, err, rep.Imported)
					}
					continue
				}
				// Skipping, the record with the problem is left out and the
				// other one would be written.
				if err != nil || rep.Skipped.Total() == 0 || rep.Imported.Total() == 0 || rep.Skipped.Total()+rep.Imported.Total() != rep.Records() {
					t.Errorf("%s, skipping: %v, imported %+v, skipped %+v of %d", tc.name, err, rep.Imported, rep.Skipped, rep.Records())
				}
			}
		}
	})
}

package hsdsio

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/hsdstest"
)

// The HSDS spec files are in the repository, in hsdstest's testdata.
var (
	specDir    = hsdstest.Dir()
	exampleDir = filepath.Join(specDir, "examples", "csv")
)

// The HSDS 3.1 example package has one row per table and some foreign keys
// that name nothing (HSDS 3.1.1 fixed "some foreign keys in the example
// data"); its datapackage.json is a Git symbolic link saved as text.
func TestReadPackage_Example(t *testing.T) {
	recs, probs, err := ReadPackage(os.DirFS(exampleDir))
	if err != nil {
		t.Fatal(err)
	}
	const (
		orgID     = "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"
		serviceID = "ac148810-d857-441c-9679-408f346de14b"
		phoneID   = "1554f2e2-a373-45db-a3fa-9fc48a61c15e"
		langID    = "2989d3ed-c547-48f8-8f9d-432d81c7892e"
		contactID = "1e7efce3-639b-4880-940c-b95cd30cdb50"
		salID     = "e94c9f38-1e8f-4564-91d4-d53501ab1765"
		schedID   = "48102e86-bb50-41c4-8f1e-e269368c41d1"
	)
	wantProbs := []Problem{
		{Source: "attributes.csv", Line: 2, RecordID: "ae58cc39-8b70-4ab1-8aea-786882e5ac8e", Field: "link_id",
			Message: `"f28dd44b-0c4d-479f-8e90-4c52219a8b3c" names no record in this package`},
		{Source: "contacts.csv", Line: 2, RecordID: contactID, Field: "organization_id",
			Message: `"ae67a707-5893-4225-b0b1-320ab9cb596b" names no organization in this package`},
		{Source: "contacts.csv", Line: 2, RecordID: contactID, Field: "service_at_location_id",
			Message: `"93eaf18d-1cd2-4ec7-bffb-3c9172ee5070" names no service at location in this package`},
		{Source: "datapackage.json",
			Message: `holds "../../datapackage.json" instead of JSON (a symbolic link saved as a file?); the standard HSDS file names were read instead`},
		{Source: "locations.csv", Line: 2, RecordID: "3a19ff88-4620-4d17-9830-ac1d859eb5d5", Field: "organization_id",
			Message: `"985e4a42-bd9f-4edc-911d-0243a4640aca" names no organization in this package`},
		{Source: "metadata.csv", Line: 2, RecordID: "6cd71e9f-1013-49d9-8370-26b8f59d3e5a", Field: "resource_id",
			Message: `"38960354-e7d2-4cfa-a368-820f729d6ccf" names no record in this package`},
		{Source: "service_areas.csv", Line: 2, RecordID: "381c64f1-a724-4884-9c21-ac96c21cca3e", Field: "service_at_location_id",
			Message: `"af69894e-7bed-11ef-a85c-07e0918a608c" names no service at location in this package`},
		{Source: "service_capacity.csv", Line: 2, RecordID: "8896b788-7b3e-11ef-8db9-7f3d040352b3", Field: "service_id",
			Message: `"f75b808e-7bdb-11ef-afaa-ab00a77dc5c4" names no service in this package`},
		{Source: "url.csv", Line: 2, RecordID: "30951f94-7b24-11ef-ba1b-a79405d4dcaa",
			Message: "belongs to no record: set one of organization_id, service_id"},
	}
	if !reflect.DeepEqual(probs, wantProbs) {
		t.Errorf("problems:\n%s\nwant:\n%s", problemList(probs), problemList(wantProbs))
	}

	if len(recs) != 3 {
		t.Fatalf("got %d records, want term, organization, service", len(recs))
	}
	term, org, svc := recs[0], recs[1], recs[2]
	if term.Kind != KindTaxonomyTerm || term.Source != "taxonomy_terms.csv" || term.Line != 2 ||
		term.Term.ID != "3f7b145d-84af-42d7-8fae-eaca714b02b2" || term.Term.Language != "eng" {
		t.Errorf("term record = %+v %+v", term, term.Term)
	}
	if term.Term.TaxonomyDetail != nil {
		t.Errorf("taxonomy_detail = %+v; taxonomy_id names no row of taxonomies.csv", term.Term.TaxonomyDetail)
	}

	if org.Kind != KindOrganization || org.Source != "organizations.csv" || org.Line != 2 {
		t.Errorf("organization record at %s:%d kind %s", org.Source, org.Line, org.Kind)
	}
	o := org.Organization
	if o.ID != orgID || o.Name != "Example Organization Inc." || o.YearIncorporated == nil || *o.YearIncorporated != 2011 {
		t.Errorf("organization = %+v", o)
	}
	wantIDs(t, "organization", map[string][]string{
		"funding":                  ids2(o.Funding, func(f hsds.Funding) string { return f.ID }),
		"phones":                   ids2(o.Phones, func(p hsds.Phone) string { return p.ID }),
		"phones/0/languages":       ids2(o.Phones[0].Languages, func(l hsds.Language) string { return l.ID }),
		"programs":                 ids2(o.Programs, func(p hsds.Program) string { return p.ID }),
		"organization_identifiers": ids2(o.OrganizationIdentifiers, func(p hsds.OrganizationIdentifier) string { return p.ID }),
		"contacts":                 ids2(o.Contacts, func(c hsds.Contact) string { return c.ID }),
		"locations":                ids2(o.Locations, func(l hsds.Location) string { return l.ID }),
		"additional_websites":      ids2(o.AdditionalWebsites, func(u hsds.URL) string { return u.ID }),
	}, map[string][]string{
		"funding":                  {"1f2df32c-bf08-4b8e-bd6f-e834014b19bc"},
		"phones":                   {phoneID},
		"phones/0/languages":       {langID},
		"programs":                 {"e7ec2e57-4540-43fa-b2c7-6be5a0ef7f42"},
		"organization_identifiers": {"d4dbcebc-0802-47cb-8651-b937ac4f2f3e"},
		"contacts":                 nil, // its organization_id names another organization
		"locations":                nil, // likewise
		"additional_websites":      nil, // url.csv has no parent columns
	})

	if svc.Kind != KindService || svc.Source != "services.csv" || svc.Line != 2 {
		t.Errorf("service record at %s:%d kind %s", svc.Source, svc.Line, svc.Kind)
	}
	s := svc.Service
	if s.ID != serviceID || s.OrganizationID != orgID || s.Status != "active" || *s.MinimumAge != 12 || *s.MaximumAge != 100 ||
		s.LastModified == nil || s.LastModified.Format("2006-01-02T15:04:05.000Z07:00") != "2023-03-15T10:30:45.123Z" {
		t.Errorf("service = %+v", s)
	}
	sal := s.ServiceAtLocations
	wantIDs(t, "service", map[string][]string{
		"phones":                           ids2(s.Phones, func(p hsds.Phone) string { return p.ID }),
		"phones/0/languages":               ids2(s.Phones[0].Languages, func(l hsds.Language) string { return l.ID }),
		"schedules":                        ids2(s.Schedules, func(x hsds.Schedule) string { return x.ID }),
		"service_areas":                    ids2(s.ServiceAreas, func(x hsds.ServiceArea) string { return x.ID }),
		"service_at_locations":             ids2(sal, func(x hsds.ServiceAtLocation) string { return x.ID }),
		"service_at_locations/0/phones":    ids2(sal[0].Phones, func(x hsds.Phone) string { return x.ID }),
		"service_at_locations/0/schedules": ids2(sal[0].Schedules, func(x hsds.Schedule) string { return x.ID }),
		"service_at_locations/0/contacts":  ids2(sal[0].Contacts, func(x hsds.Contact) string { return x.ID }),
		"languages":                        ids2(s.Languages, func(x hsds.Language) string { return x.ID }),
		"funding":                          ids2(s.Funding, func(x hsds.Funding) string { return x.ID }),
		"cost_options":                     ids2(s.CostOptions, func(x hsds.CostOption) string { return x.ID }),
		"required_documents":               ids2(s.RequiredDocuments, func(x hsds.RequiredDocument) string { return x.ID }),
		"contacts":                         ids2(s.Contacts, func(x hsds.Contact) string { return x.ID }),
		"contacts/0/phones":                ids2(s.Contacts[0].Phones, func(x hsds.Phone) string { return x.ID }),
		"capacities":                       ids2(s.Capacities, func(x hsds.ServiceCapacity) string { return x.ID }),
		"attributes":                       ids2(s.Attributes, func(x hsds.Attribute) string { return x.ID }),
		"metadata":                         ids2(s.Metadata, func(x hsds.Metadata) string { return x.ID }),
	}, map[string][]string{
		"phones":                           {phoneID},
		"phones/0/languages":               {langID},
		"schedules":                        {schedID},
		"service_areas":                    {"381c64f1-a724-4884-9c21-ac96c21cca3e"},
		"service_at_locations":             {salID},
		"service_at_locations/0/phones":    {phoneID},
		"service_at_locations/0/schedules": {schedID},
		"service_at_locations/0/contacts":  nil, // the contact names another service at location
		"languages":                        {langID},
		"funding":                          {"1f2df32c-bf08-4b8e-bd6f-e834014b19bc"},
		"cost_options":                     {"1fdf4d39-3d80-484d-9f92-a8ffa08621e7"},
		"required_documents":               {"f6ad7e69-b9c8-42ce-92db-92cedb4c05c0"},
		"contacts":                         {contactID},
		"contacts/0/phones":                {phoneID},
		"capacities":                       nil, // its service_id names another service
		"attributes":                       nil, // its link_id names nothing
		"metadata":                         nil, // likewise
	})
	if sal[0].LocationID != "3a19ff88-4620-4d17-9830-ac1d859eb5d5" || sal[0].Location != nil {
		t.Errorf("service at location = %+v", sal[0])
	}
	if p := s.Phones[0]; p.Number != `"+44 1234 234567"` || p.Extension == nil || *p.Extension != 100 || p.Type != "voice" {
		t.Errorf("phone = %+v", p)
	}
	if sc := s.Schedules[0]; *sc.Timezone != 3 || *sc.Count != 3 || *sc.Interval != 1 || sc.ByDay != "TH,FR" || sc.OpensAt != "10:00:00" {
		t.Errorf("schedule = %+v", sc)
	}
	if c := s.CostOptions[0]; *c.Amount != 35 || c.Currency != "gbp" {
		t.Errorf("cost option = %+v", c)
	}
	// Records do not share nested values: changing one leaves the other.
	s.Phones[0].Languages[0].Name = "changed"
	if o.Phones[0].Languages[0].Name != "Urdu" || s.Contacts[0].Phones[0].Languages[0].Name != "Urdu" {
		t.Error("records share nested slices")
	}
}

func ids2[T any](xs []T, id func(T) string) []string {
	var out []string
	for _, x := range xs {
		out = append(out, id(x))
	}
	return out
}

func wantIDs(t *testing.T, what string, got, want map[string][]string) {
	t.Helper()
	for k, w := range want {
		if !slices.Equal(got[k], w) {
			t.Errorf("%s %s = %v, want %v", what, k, got[k], w)
		}
	}
}

func problemList(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("  " + p.String() + "\n")
	}
	return b.String()
}

const (
	svcHeader   = "id,organization_id,program_id,name,alternate_name,description,url,email,status,interpretation_services,application_process,fees_description,wait_time,fees,accreditations,eligibility_description,minimum_age,maximum_age,assured_date,assurer_email,licenses,alert,last_modified\n"
	phoneHeader = "id,location_id,service_id,organization_id,contact_id,service_at_location_id,number,extension,type,description\n"
	orgHeader   = "id,name,description\n" // a table may have fewer columns than HSDS lists
)

func TestReadPackage_Problems(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []Problem
		check func(t *testing.T, recs []Record)
	}{
		{
			name: "BadNumber",
			files: map[string]string{
				"services.csv": svcHeader + "s1,o1,,Meals,,,,,active,,,,,,,,abc,12,,,,,\n",
			},
			want: []Problem{{Source: "services.csv", Line: 2, RecordID: "s1", Field: "minimum_age",
				Message: `"abc" is not a number; the value was left out`}},
			check: func(t *testing.T, recs []Record) {
				s := recs[0].Service
				if s.MinimumAge != nil || s.MaximumAge == nil || *s.MaximumAge != 12 {
					t.Errorf("ages = %v, %v; want absent, 12", s.MinimumAge, s.MaximumAge)
				}
			},
		},
		{
			name: "BadDateTime",
			files: map[string]string{
				"services.csv": svcHeader + "s1,o1,,Meals,,,,,active,,,,,,,,,,,,,,yesterday\n",
			},
			want: []Problem{{Source: "services.csv", Line: 2, RecordID: "s1", Field: "last_modified",
				Message: `"yesterday" is not an RFC 3339 date-time such as 2024-05-01T09:30:00Z; the value was left out`}},
		},
		{
			name: "WrongColumnCount",
			files: map[string]string{
				"services.csv": svcHeader + "s1,o1,,Meals,,,,,active,,,,,,,,,,,,,,\n",
				"phones.csv":   phoneHeader + "p1,,s1,,,,555-0100,,,\np2,,s1,,,,555-0101,,,,extra\np3,,s1\n",
			},
			want: []Problem{
				{Source: "phones.csv", Line: 3, RecordID: "p2", Message: "has 11 cells but the header has 10 columns; the row was skipped"},
				{Source: "phones.csv", Line: 4, RecordID: "p3", Message: "has 3 cells but the header has 10 columns; the row was skipped"},
			},
			check: func(t *testing.T, recs []Record) {
				if got := ids2(recs[0].Service.Phones, func(p hsds.Phone) string { return p.ID }); !slices.Equal(got, []string{"p1"}) {
					t.Errorf("phones = %v, want [p1]", got)
				}
			},
		},
		{
			name: "Orphans",
			files: map[string]string{
				"organizations.csv": orgHeader + "o1,Org,Desc\n",
				"services.csv":      svcHeader + "s1,o1,,Meals,,,,,active,,,,,,,,,,,,,,\n",
				"phones.csv": phoneHeader +
					"p1,,s1,,,,555-0100,,,\n" +
					"p2,,s9,,,,555-0101,,,\n" + // no such service
					"p3,,,,,,555-0102,,,\n" + // no parent at all
					"p4,,s1,o9,,,555-0103,,,\n", // one good parent, one bad
				"languages.csv": "id,phone_id,code\nl1,p9,es\nl2,p1,en\n",
			},
			want: []Problem{
				{Source: "languages.csv", Line: 2, RecordID: "l1", Field: "phone_id", Message: `"p9" names no phone in this package`},
				{Source: "phones.csv", Line: 3, RecordID: "p2", Field: "service_id", Message: `"s9" names no service in this package`},
				{Source: "phones.csv", Line: 4, RecordID: "p3",
					Message: "belongs to no record: set one of location_id, service_id, organization_id, contact_id, service_at_location_id"},
				{Source: "phones.csv", Line: 5, RecordID: "p4", Field: "organization_id", Message: `"o9" names no organization in this package`},
			},
			check: func(t *testing.T, recs []Record) {
				s := recs[1].Service
				if got := ids2(s.Phones, func(p hsds.Phone) string { return p.ID }); !slices.Equal(got, []string{"p1", "p4"}) {
					t.Errorf("phones = %v, want [p1 p4]", got)
				}
				if got := ids2(s.Phones[0].Languages, func(l hsds.Language) string { return l.ID }); !slices.Equal(got, []string{"l2"}) {
					t.Errorf("languages of p1 = %v, want [l2]", got)
				}
			},
		},
		{
			name: "DuplicateID",
			files: map[string]string{
				"organizations.csv": orgHeader + "o1,First,A\no1,Second,B\n",
			},
			want: []Problem{{Source: "organizations.csv", Line: 3, RecordID: "o1", Field: "id",
				Message: "is also the id of row 2; this row was skipped"}},
			check: func(t *testing.T, recs []Record) {
				if len(recs) != 1 || recs[0].Organization.Name != "First" {
					t.Errorf("records = %+v", recs)
				}
			},
		},
		{
			name: "BadCSV",
			files: map[string]string{
				"organizations.csv": orgHeader + "o1,Fir\"st,A\no2,Second,B\n",
			},
			want: []Problem{{Source: "organizations.csv", Line: 2,
				Message: `cannot be read as CSV (bare " in non-quoted-field, at line 2 column 7 of the file); the row was skipped`}},
			check: func(t *testing.T, recs []Record) {
				if len(recs) != 1 || recs[0].Organization.ID != "o2" || recs[0].Line != 3 {
					t.Errorf("records = %+v", recs)
				}
			},
		},
		{
			name: "ByteOrderMarkAndBlankRows",
			files: map[string]string{
				"organizations.csv": bom + orgHeader + "o1,Org,Desc\n,,\n",
			},
			check: func(t *testing.T, recs []Record) {
				if len(recs) != 1 || recs[0].Organization.ID != "o1" {
					t.Errorf("records = %+v", recs)
				}
			},
		},
		{
			name: "DescriptorPaths",
			files: map[string]string{
				"datapackage.json": `{"profile":"tabular-data-package","resources":[
					{"name":"organization","path":"data/orgs.csv"},
					{"name":"service"},
					{"name":"phone","path":"missing.csv"},
					{"name":"language","path":"../outside.csv"}]}`,
				"data/orgs.csv":     orgHeader + "o1,Org,Desc\n",
				"organizations.csv": orgHeader + "o2,Ignored,Desc\n",
				"services.csv":      svcHeader + "s1,o1,,Meals,,,,,active,,,,,,,,,,,,,,\n",
			},
			want: []Problem{
				{Source: "datapackage.json", Field: "/resources/3/path", Message: `"../outside.csv" is not a file inside the package`},
				{Source: "datapackage.json", Field: "phone", Message: "names missing.csv for the phone table, but the package has no such file"},
			},
			check: func(t *testing.T, recs []Record) {
				if len(recs) != 2 || recs[0].Organization.ID != "o1" || recs[0].Source != "data/orgs.csv" || recs[1].Service.ID != "s1" {
					t.Errorf("records = %+v", recs)
				}
			},
		},
		{
			name: "BadDescriptor",
			files: map[string]string{
				"datapackage.json":  `{"resources": [`,
				"organizations.csv": orgHeader + "o1,Org,Desc\n",
			},
			want: []Problem{{Source: "datapackage.json",
				Message: "is not valid JSON (unexpected end of JSON input); the standard HSDS file names were read instead"}},
		},
		{
			name:  "Empty",
			files: map[string]string{"organizations.csv": ""},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for name, data := range tc.files {
				fsys[name] = &fstest.MapFile{Data: []byte(data)}
			}
			recs, probs, err := ReadPackage(fsys)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(probs, tc.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", problemList(probs), problemList(tc.want))
			}
			if tc.check != nil {
				tc.check(t, recs)
			}
		})
	}
}

// Every column of every table maps to a field of its hsds type and back, so
// nothing is silently dropped on either side.
func TestSchema_MatchesTypes(t *testing.T) {
	types := map[string]any{
		"organization": hsds.Organization{}, "program": hsds.Program{}, "service": hsds.Service{},
		"attribute": hsds.Attribute{}, "service_at_location": hsds.ServiceAtLocation{}, "location": hsds.Location{},
		"phone": hsds.Phone{}, "contact": hsds.Contact{}, "address": hsds.Address{}, "schedule": hsds.Schedule{},
		"funding": hsds.Funding{}, "service_area": hsds.ServiceArea{}, "required_document": hsds.RequiredDocument{},
		"language": hsds.Language{}, "accessibility": hsds.Accessibility{}, "taxonomy_term": hsds.TaxonomyTerm{},
		"metadata": hsds.Metadata{}, "meta_table_description": hsds.MetaTableDescription{},
		"cost_option": hsds.CostOption{}, "organization_identifier": hsds.OrganizationIdentifier{},
		"taxonomy": hsds.Taxonomy{}, "service_capacity": hsds.ServiceCapacity{}, "unit": hsds.Unit{}, "url": hsds.URL{},
	}
	for _, tb := range schema() {
		typ, ok := types[tb.name]
		if !ok {
			t.Errorf("no hsds type for table %s", tb.name)
			continue
		}
		c := newCodec(reflect.TypeOf(typ))
		cols := map[string]bool{}
		for _, f := range tb.fields {
			cols[f.name] = true
			if _, ok := c.byName[f.name]; !ok {
				t.Errorf("%s.%s has no field in hsds.%T", tb.name, f.name, typ)
			}
		}
		for name := range c.byName {
			if !cols[name] {
				t.Errorf("hsds.%T field %s has no column in %s", typ, name, tb.path)
			}
		}
	}
}

package importer_test

import (
	"archive/zip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/hsds11"
	"github.com/linkage-org/linkage/internal/hsdsio"
	"github.com/linkage-org/linkage/internal/importer"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// hsds11Package is the hand-made HSDS 1.1 package: every 1.1 table,
// integer ids that repeat across tables, and things 3.1 cannot take.
const hsds11Package = "../hsds11/testdata/package"

func importHSDS11(t *testing.T, st *store.Store, path string) importer.Report {
	t.Helper()
	rep, err := importer.Import(context.Background(), st, path, importer.Options{})
	if err != nil {
		for _, p := range rep.Problems {
			t.Log(p)
		}
		t.Fatalf("import %s: %v", path, err)
	}
	if rep.Format != hsds11.Version || !rep.Written {
		t.Fatalf("import %s: format %q, written %v; want %q, written", path, rep.Format, rep.Written, hsds11.Version)
	}
	if rep.Organizations != 2 || rep.Services != 2 || rep.Terms != 4 {
		t.Fatalf("import %s read %d organizations, %d services, %d terms; want 2, 2, 4", path, rep.Organizations, rep.Services, rep.Terms)
	}
	return rep
}

// TestImport_HSDS11 imports the 1.1 package on both databases, reads each
// table's data back where 3.1 keeps it, imports it again (as a folder and
// as a zip) and finds the same directory: the same UUIDs, nothing doubled.
func TestImport_HSDS11(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		rep := importHSDS11(t, st, hsds11Package)
		checkHSDS11Organizations(t, st)
		checkHSDS11Services(t, st)
		checkHSDS11Taxonomy(t, st)
		checkHSDS11Notes(t, rep.Unmapped)

		want := stableSnapshot(t, st)
		importHSDS11(t, st, hsds11Package)
		if got := stableSnapshot(t, st); got != want {
			t.Fatalf("a second import changed the directory:\n%s", firstDiff(want, got))
		}
		importHSDS11(t, st, zipDir(t, hsds11Package, "harbor-county"))
		if got := stableSnapshot(t, st); got != want {
			t.Fatalf("importing the package as a zip changed the directory:\n%s", firstDiff(want, got))
		}
		orgs, total, err := st.ListOrganizations(context.Background(), store.Filter{}, store.Paging{Number: 1, Size: 10}, store.ShapeList)
		if err != nil || total != 2 || len(orgs) != 2 {
			t.Fatalf("after three imports: %d organizations (%v); want the same 2", total, err)
		}
	})
}

// stableSnapshot is snapshot without last_modified, which each import sets
// on the services it writes (1.1 has no such field to keep).
func stableSnapshot(t *testing.T, st *store.Store) string {
	return lastModified.ReplaceAllString(snapshot(t, st), "")
}

var lastModified = regexp.MustCompile(`"last_modified":"[^"]*",?`)

func id11(table, orig string) string { return hsds11.ID(table, orig) }

func checkHSDS11Organizations(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	o, err := st.OrganizationByID(ctx, id11("organization", "1"), store.ShapeFull)
	if err != nil {
		t.Fatal(err)
	}
	if o.Name != "Harbor Food Bank" || o.Website != "https://harborfood.example.org/" || o.YearIncorporated == nil || *o.YearIncorporated != 1987 {
		t.Errorf("organization 1: name %q, website (1.1 url) %q, year %v", o.Name, o.Website, o.YearIncorporated)
	}
	if len(o.Programs) != 1 || o.Programs[0].Name != "Emergency Food" || o.Programs[0].Description != "Emergency Food" {
		t.Errorf("programs: %+v; want Emergency Food, described by its name", o.Programs)
	}
	if len(o.Funding) != 1 || o.Funding[0].Source != "County grant" {
		t.Errorf("funding: %+v", o.Funding)
	}
	if len(o.Phones) != 1 || o.Phones[0].Number != "305-555-0100" || codes(o.Phones[0].Languages) != "en,es" {
		t.Errorf("organization phones: %+v; want 305-555-0100 in en and es (1.1 phone language)", o.Phones)
	}
	if len(o.Contacts) != 1 || o.Contacts[0].ID != id11("contact", "10") || o.Contacts[0].Title != "Director" ||
		len(o.Contacts[0].Phones) != 1 || o.Contacts[0].Phones[0].Type != "cell" {
		t.Errorf("contacts: %+v; want Maria Lopez with her cell", o.Contacts)
	}
	if !slices.ContainsFunc(o.Contacts[0].Metadata, func(m hsds.Metadata) bool {
		return m.FieldName == "title" && m.PreviousValue == "Manager" && m.ResourceType == "contact"
	}) {
		t.Errorf("contact 10 lacks its 1.1 metadata row: %+v", o.Contacts[0].Metadata)
	}
	if len(o.Locations) != 1 {
		t.Fatalf("organization 1 has %d locations; want 1", len(o.Locations))
	}
	l := o.Locations[0]
	if l.ID != id11("location", "1") || l.LocationType != "physical" || l.Latitude == nil || *l.Latitude != 25.7617 {
		t.Errorf("location: id %s type %q latitude %v", l.ID, l.LocationType, l.Latitude)
	}
	var kinds []string
	for _, a := range l.Addresses {
		kinds = append(kinds, a.AddressType+":"+a.Address1+":"+a.Address2)
	}
	slices.Sort(kinds)
	if strings.Join(kinds, "|") != "physical:100 Harbor Way:Suite 5, Building B|postal:PO Box 123:" {
		t.Errorf("addresses: %v; want the physical one (address_3 in address_2) and the postal one", kinds)
	}
	if len(l.Accessibility) != 1 || l.Accessibility[0].Description != "wheelchair" || l.Accessibility[0].Details != "Ramp at the loading dock" {
		t.Errorf("accessibility: %+v", l.Accessibility)
	}
	if names(l.Languages) != "French,Haitian Creole" {
		t.Errorf("location languages: %+v", l.Languages)
	}
	if got := schedules(l.Schedules); got != "2024-11-29|2024-11-29|WEEKLY||10:00|14:00|Holiday hours;||WEEKLY|FR|08:30|16:00|" {
		t.Errorf("location schedules: %s", got)
	}
	o2, err := st.OrganizationByID(ctx, id11("organization", "2"), store.ShapeFull)
	if err != nil {
		t.Fatal(err)
	}
	if o2.YearIncorporated != nil || len(o2.Locations) != 1 || o2.Locations[0].Addresses[0].Country != "US" {
		t.Errorf("organization 2: year %v (\"circa 1990\" does not fit), locations %+v", o2.YearIncorporated, o2.Locations)
	}
}

func checkHSDS11Services(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	s, err := st.ServiceByID(ctx, id11("service", "1"))
	if err != nil {
		t.Fatal(err)
	}
	if s.OrganizationID != id11("organization", "1") || s.ProgramID != id11("program", "1") || s.Status != "active" {
		t.Errorf("service 1: organization %s program %s status %q", s.OrganizationID, s.ProgramID, s.Status)
	}
	if s.EligibilityDescription != "adult; family" || s.FeesDescription != "Free" {
		t.Errorf("service 1: eligibility %q, fees %q; want the eligibility rows joined, 1.1 fees", s.EligibilityDescription, s.FeesDescription)
	}
	var terms []string
	for _, a := range s.Attributes {
		terms = append(terms, a.TaxonomyTermID)
	}
	slices.Sort(terms)
	want := []string{id11("taxonomy", "BD-1800.2000"), id11("taxonomy", "101")}
	slices.Sort(want)
	if !slices.Equal(terms, want) {
		t.Errorf("service 1 attributes name %v; want the terms of services_taxonomy and taxonomy_ids %v", terms, want)
	}
	if got := schedules(s.Schedules); got != "2024-12-24|2024-12-26|||||Closed;||WEEKLY|MO|09:00|17:00|;||WEEKLY|WE|09:00|12:30|" {
		t.Errorf("service 1 schedules: %s", got)
	}
	if len(s.ServiceAreas) != 1 || s.ServiceAreas[0].Name != "Harbor County" || len(s.RequiredDocuments) != 1 ||
		s.RequiredDocuments[0].Document != "Photo ID" || codes(s.Languages) != "es" {
		t.Errorf("service 1: areas %+v, documents %+v, languages %+v", s.ServiceAreas, s.RequiredDocuments, s.Languages)
	}
	if len(s.ServiceAtLocations) != 1 || s.ServiceAtLocations[0].LocationID != id11("location", "1") ||
		s.ServiceAtLocations[0].ID != id11("service_at_location", "1") {
		t.Errorf("service 1 locations: %+v", s.ServiceAtLocations)
	}
	s2, err := st.ServiceByID(ctx, id11("service", "2"))
	if err != nil {
		t.Fatal(err)
	}
	if s2.Status != "active" || s2.FeesDescription != "Payment accepted: cash, check." || s2.EligibilityDescription != "adult" ||
		s2.Licenses != "State Bar certified" {
		t.Errorf("service 2: status %q (1.1 Active), fees %q, eligibility %q, licenses %q", s2.Status, s2.FeesDescription, s2.EligibilityDescription, s2.Licenses)
	}
	if len(s2.Phones) != 1 || s2.Phones[0].Extension == nil || *s2.Phones[0].Extension != 12 || s2.Phones[0].Type != "voice" {
		t.Errorf("service 2 phones: %+v", s2.Phones)
	}
	if len(s2.Attributes) != 1 || s2.Attributes[0].Value != "Eviction*Tenant" || len(s2.Funding) != 1 {
		t.Errorf("service 2: attributes %+v (taxonomy_detail as value), funding %+v", s2.Attributes, s2.Funding)
	}
	if got := schedules(s2.Schedules); got != "||||10:00|14:00|" {
		t.Errorf("service 2 schedules: %s; want the Funday row without a weekly rule", got)
	}
}

func checkHSDS11Taxonomy(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	term, err := st.TaxonomyTermByID(ctx, id11("taxonomy", "BD-1800.2000"))
	if err != nil {
		t.Fatal(err)
	}
	if term.Code != "BD-1800.2000" || term.Name != "Food Pantries" || term.ParentID != id11("taxonomy", "BD-1800") ||
		term.Taxonomy != "AIRS" || term.TaxonomyID != id11("vocabulary", "AIRS") {
		t.Errorf("term: %+v", term)
	}
	tx, err := st.TaxonomyByID(ctx, id11("vocabulary", "Open Eligibility"))
	if err != nil || tx.Name != "Open Eligibility" {
		t.Errorf("taxonomy of the vocabulary Open Eligibility: %+v %v", tx, err)
	}
}

// checkHSDS11Notes: what the fixture holds that 3.1 cannot take is noted.
func checkHSDS11Notes(t *testing.T, notes []hsds11.Note) {
	t.Helper()
	for _, w := range []struct {
		file, column string
		rows         int
		dropped      bool
	}{
		{"locations.csv", "x_parking", 1, true},
		{"phones.csv", "department", 1, true},
		{"taxonomy.csv", "parent_name", 1, true},
		{"organizations.csv", "year_incorporated", 1, true},
		{"regular_schedules.csv", "weekday", 1, true},
		{"eligibility.csv", "service_id", 1, true},
		{"volunteer_opportunities.csv", "", 2, true},
		{"meta_table_descriptions.csv", "", 1, true},
		{"holiday_schedules.csv", "closed", 1, false},
		{"payments_accepted.csv", "payment", 2, false},
	} {
		i := slices.IndexFunc(notes, func(n hsds11.Note) bool {
			return n.File == w.file && n.Column == w.column && n.Dropped == w.dropped
		})
		if i < 0 {
			t.Errorf("no note on %s column %q (dropped %v) in %v", w.file, w.column, w.dropped, notes)
			continue
		}
		if n := notes[i]; n.Rows != w.rows || len(n.Examples) == 0 {
			t.Errorf("note %s: %d rows, examples %v; want %d rows", n, n.Rows, n.Examples, w.rows)
		}
	}
	i := slices.IndexFunc(notes, func(n hsds11.Note) bool { return n.Column == "x_parking" })
	if i >= 0 && (notes[i].Examples[0].Value != "20 spaces" || notes[i].Examples[0].RecordID != "1" || notes[i].Examples[0].Row != 2) {
		t.Errorf("x_parking example: %+v; want row 2, record 1, \"20 spaces\"", notes[i].Examples[0])
	}
}

// TestImport_HSDS11Problems: a 1.1 package that breaks the 3.1 rules fails
// like a 3.1 one, each problem told by the 1.1 file, row, id and column.
func TestImport_HSDS11Problems(t *testing.T) {
	dir := copyDir(t, hsds11Package)
	replaceIn(t, filepath.Join(dir, "organizations.csv"), "Free civil legal help for low-income residents.", "")
	replaceIn(t, filepath.Join(dir, "services.csv"), "2,2,,Eviction Defense", "2,77,,Eviction Defense")
	replaceIn(t, filepath.Join(dir, "postal_addresses.csv"), "PO Box 123", "")
	st := storetest.Open(t, "sqlite")
	rep, err := importer.Import(context.Background(), st, dir, importer.Options{})
	if !errors.Is(err, importer.ErrProblems) {
		t.Fatalf("import: %v; want problems", err)
	}
	for _, w := range []struct{ source, record, field, message string }{
		{"organizations.csv:3", "2", "/description", "is required"},
		{"services.csv:3", "2", "/organization_id", "names organization 77 (HSDS 3.1 id " + id11("organization", "77") + ")"},
		{"organizations.csv:2", "1", "/locations/0/addresses/", "is required"},
	} {
		if !slices.ContainsFunc(rep.Problems, func(p hsdsio.Problem) bool {
			return p.Source+":"+strconv.Itoa(p.Line) == w.source && p.RecordID == w.record &&
				strings.HasPrefix(p.Field, w.field) && strings.Contains(p.Message, w.message)
		}) {
			t.Errorf("no problem %+v in:\n%s", w, problemLines(rep.Problems))
		}
	}
	for _, p := range rep.Problems {
		if strings.Contains(p.Source, "hsds-3.1") {
			t.Errorf("problem told in the mapped package's terms: %s", p)
		}
	}
	if orgs, total, _ := st.ListOrganizations(context.Background(), store.Filter{}, store.Paging{Number: 1, Size: 10}, store.ShapeList); total != 0 {
		t.Errorf("a failed import wrote %d organizations: %+v", total, orgs)
	}
}

// TestImport_HSDS11Skip: with OnErrorSkip a 1.1 package's records with
// problems are left out, the rest written, and every problem and every
// row it points at is told in the 1.1 package's files and rows.
func TestImport_HSDS11Skip(t *testing.T) {
	dir := copyDir(t, hsds11Package)
	replaceIn(t, filepath.Join(dir, "services.csv"), "2,2,,Eviction Defense", "2,77,,Eviction Defense")
	replaceIn(t, filepath.Join(dir, "contacts.csv"), "maria@harborfood.example.org", "not an address")
	replaceIn(t, filepath.Join(dir, "programs.csv"), "1,1,Emergency Food,EF", "1,1,Emergency Food,EF\n2,1,\"Broken")
	st := storetest.Open(t, "sqlite")
	ctx := context.Background()
	rep, err := importer.Import(ctx, st, dir, importer.Options{OnError: importer.OnErrorSkip})
	if err != nil || !rep.Written {
		t.Fatalf("skip import: %v\n%s", err, problemLines(rep.Problems))
	}
	// Organization 1 has the broken contact; service 1 is its, service 2
	// names an organization nobody has.
	if rep.Skipped.Organizations != 1 || rep.Skipped.Services != 2 || rep.Imported.Organizations != 1 || rep.Imported.Services != 0 || rep.Unreadable != 1 {
		t.Errorf("imported %+v, skipped %+v, unreadable %d; want organization 1 and both services skipped, programs.csv row 3 unreadable\n%s",
			rep.Imported, rep.Skipped, rep.Unreadable, problemLines(rep.Problems))
	}
	for _, p := range rep.Problems {
		if strings.Contains(p.Source+p.Message, "hsds-3.1") {
			t.Errorf("problem told in the mapped package's terms: %s", p)
		}
	}
	if !slices.ContainsFunc(rep.Problems, func(p hsdsio.Problem) bool {
		return p.Source == "organizations.csv" && p.Line == 2 && strings.HasSuffix(p.Field, "/email")
	}) || !slices.ContainsFunc(rep.Problems, func(p hsdsio.Problem) bool { return p.Source == "programs.csv" && p.Line == 3 }) ||
		!slices.ContainsFunc(rep.Problems, func(p hsdsio.Problem) bool {
			return p.Source == "services.csv" && p.Line == 2 && p.RecordID == "1" && strings.Contains(p.Message, "is skipped (see organizations.csv:2)")
		}) {
		t.Errorf("problems:\n%s", problemLines(rep.Problems))
	}
	if _, err := st.ServiceByID(ctx, id11("service", "1")); err == nil {
		t.Error("service 1 was written, though its organization (with the broken contact) was skipped")
	}
	if o, err := st.OrganizationByID(ctx, id11("organization", "2"), store.ShapeFull); err != nil || len(o.Locations) != 1 {
		t.Errorf("organization 2 was not written whole: %+v %v", o, err)
	}
}

// TestImport_HSDS11Limits: the 1.1 package's files count against the
// import's limits as a 3.1 package's do.
func TestImport_HSDS11Limits(t *testing.T) {
	st := storetest.Open(t, "sqlite")
	_, err := importer.Import(context.Background(), st, hsds11Package, importer.Options{Limits: hsdsio.Limits{EntryBytes: 300}})
	if apperr.KindOf(err) != apperr.TooLarge || !strings.Contains(err.Error(), importer.EntryLimitSetting) {
		t.Fatalf("import over the entry limit: %v; want TooLarge naming %s", err, importer.EntryLimitSetting)
	}
}

// TestImport_HSDS31StaysHSDS31: a 3.1 package (an export) is read as 3.1.
func TestImport_HSDS31StaysHSDS31(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, "sqlite")
	loadDemo(t, st)
	dir := filepath.Join(t.TempDir(), "export")
	if _, err := importer.Export(ctx, st, importer.FormatCSV, dir); err != nil {
		t.Fatal(err)
	}
	if hsds11.Is(os.DirFS(dir)) {
		t.Fatal("an exported 3.1 package is taken for HSDS 1.1")
	}
	rep, err := importer.Import(ctx, st, dir, importer.Options{DryRun: true})
	if err != nil || rep.Format != "" || rep.Unmapped != nil || rep.Services < 250 {
		t.Fatalf("3.1 package: format %q, notes %v, %d services, %v", rep.Format, rep.Unmapped, rep.Services, err)
	}
}

func codes(ls []hsds.Language) string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Code)
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}

func names(ls []hsds.Language) string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Name)
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}

// schedules writes each schedule as valid_from|valid_to|freq|byday|opens_at|closes_at|description, sorted.
func schedules(ss []hsds.Schedule) string {
	var out []string
	for _, s := range ss {
		out = append(out, strings.Join([]string{s.ValidFrom, s.ValidTo, s.Freq, s.ByDay, s.OpensAt, s.ClosesAt, s.Description}, "|"))
	}
	slices.Sort(out)
	return strings.Join(out, ";")
}

func problemLines(ps []hsdsio.Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.String() + "\n")
	}
	return b.String()
}

// copyDir copies the files of dir into a new folder.
func copyDir(t *testing.T, dir string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(dir))
	if err := os.CopyFS(out, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	return out
}

func replaceIn(t *testing.T, path, old, repl string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s has no %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, repl, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// zipDir zips the files of dir inside the folder top, as compressing a
// folder does.
func zipDir(t *testing.T, dir, top string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), top+".zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(top + "/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

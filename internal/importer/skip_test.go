package importer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/linkage-org/linkage/internal/hsdsio"
	"github.com/linkage-org/linkage/internal/importer"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// Ids of the fixtures' records (testdata/README.md).
const (
	harborLight    = "412e80e2-550b-5ca6-b1ee-b2f86f06cbee"
	harborLoc      = "f59896b6-0db3-575b-97cb-cc92d3139fd8"
	bayview        = "89ca5532-ad38-5716-bc1e-59d084e7e65f"
	unity          = "9d1b6b7c-cb4b-5065-93b7-03bf9481a20a"
	rentService    = "432daa3d-f6b8-5d7d-8ab3-8b97fa0c1128"
	termZZ         = "b02d860c-a908-5432-a647-2162fea495e0"
	termZZChild    = "4e4541fc-34e0-5473-b83d-26274ff6a111"
	termYF         = "1cef8ee1-87d5-5122-bdcf-a6661542955d"
	lostTaxonomy   = "22f0f08c-b46b-5f77-ba9b-044e6fe8e2d7"
	localTaxonomy  = "28da1a0a-3acd-5dab-b370-9350af0b1e86"
	localTagsName  = "Palmetto 211 Local Service Tags"
	bayviewAtHL    = "0d73257f-3146-5924-ae36-8364e9176b9d" // Bayview's service delivered at Harbor Light
	unityUncoded   = "e6b4f20a-87c8-5d4a-88bc-8a38a98fa26e" // Unity's service coded ZZ-9999
	fixtureRecords = 18 + 12 + 32
)

// skipWant is one record a skip import must leave out, where it is listed
// and what its message must say.
type skipWant struct {
	source string
	line   int
	id     string
	field  string
	says   string
}

type fixtureCase struct {
	name string
	path string
	// refused are the problems of a default import: every one, in order.
	refused []string
	// imported and skipped are what a skip import writes and leaves out;
	// skips are every problem it lists.
	imported, skipped importer.Counts
	skips             []skipWant
	// skippedOrgs and skippedServices are the ids that must not be written
	// (nested services of a skipped organization included).
	skippedOrgs, skippedServices, skippedTerms []string
}

func fixtureCases(t *testing.T) []fixtureCase {
	hlServices := fixtureServicesOf(t, harborLight)
	const js = "211-export.jsonl"
	lostTax := "names taxonomy " + lostTaxonomy + ", which is neither in this input nor in the directory; " +
		"add the taxonomy (taxonomy_detail with its id, name and description), or give its name in the term's taxonomy field so the import can create it"
	url := `must be an absolute http or https URL such as https://example.org/, got "http://host.example\\path\\"`
	dependsOnZZ := func(src string, line int) string {
		return fmt.Sprintf("names taxonomy term %s, which is skipped (see %s:%d)", termZZ, src, line)
	}
	dependsOnHL := func(src string, line int) string {
		return fmt.Sprintf("names organization %s, which is skipped (see %s:%d)", harborLight, src, line)
	}
	atHL := func(src string, line int) string {
		return fmt.Sprintf("names location %s of organization %s, which is skipped (see %s:%d)", harborLoc, harborLight, src, line)
	}
	jsonl := fixtureCase{
		name: "jsonl", path: fixtureJSON,
		refused: []string{
			js + ":17: record " + termZZ + ": /taxonomy_id: " + lostTax,
			js + ":22: record " + harborLight + ": /website: " + url,
		},
		imported: importer.Counts{Terms: 16, Organizations: 9, Services: 23},
		skipped:  importer.Counts{Terms: 2, Organizations: 3, Services: 9},
		skips: []skipWant{
			{js, 17, termZZ, "/taxonomy_id", lostTax},
			{js, 18, termZZChild, "/parent_id", dependsOnZZ(js, 17)},
			{js, 22, harborLight, "/website", url},
			{js, 27, bayview, "/services/2/service_at_locations/0/location_id", atHL(js, 22)},
			{js, 29, unity, "/services/1/attributes/0/taxonomy_term_id", dependsOnZZ(js, 17)},
			{js, 31, rentService, "/organization_id", dependsOnHL(js, 22)},
		},
		skippedOrgs:     []string{harborLight, bayview, unity},
		skippedServices: append(append(append([]string{rentService}, hlServices...), fixtureServicesOf(t, bayview)...), fixtureServicesOf(t, unity)...),
		skippedTerms:    []string{termZZ, termZZChild},
	}
	csv := fixtureCase{
		name: "package", path: fixturePackage,
		refused: []string{
			"organizations.csv:5: record " + harborLight + ": /website: " + url,
			"taxonomy_terms.csv:18: record " + termZZ + ": /taxonomy_id: " + lostTax,
		},
		// A package's services are records of their own: an organization
		// left out takes its services along as dependents, and a service
		// depending on something left out goes alone.
		imported: importer.Counts{Terms: 16, Organizations: 11, Services: 26},
		skipped:  importer.Counts{Terms: 2, Organizations: 1, Services: 6},
		skips: []skipWant{
			{"organizations.csv", 5, harborLight, "/website", url},
			{"services.csv", 10, hlServices[0], "/organization_id", dependsOnHL("organizations.csv", 5)},
			{"services.csv", 11, hlServices[1], "/organization_id", dependsOnHL("organizations.csv", 5)},
			{"services.csv", 12, hlServices[2], "/organization_id", dependsOnHL("organizations.csv", 5)},
			{"services.csv", 24, bayviewAtHL, "/service_at_locations/0/location_id", atHL("organizations.csv", 5)},
			{"services.csv", 29, unityUncoded, "/attributes/0/taxonomy_term_id", dependsOnZZ("taxonomy_terms.csv", 18)},
			{"services.csv", 33, rentService, "/organization_id", dependsOnHL("organizations.csv", 5)},
			{"taxonomy_terms.csv", 18, termZZ, "/taxonomy_id", lostTax},
			{"taxonomy_terms.csv", 19, termZZChild, "/parent_id", dependsOnZZ("taxonomy_terms.csv", 18)},
		},
		skippedOrgs:     []string{harborLight},
		skippedServices: append([]string{rentService, bayviewAtHL, unityUncoded}, hlServices...),
		skippedTerms:    []string{termZZ, termZZChild},
	}
	return []fixtureCase{jsonl, csv}
}

// fixtureIDs reads the JSON fixture's ids by kind (nested services
// counted as services).
func fixtureIDs(t *testing.T) (terms, orgs, services []string) {
	t.Helper()
	f, err := os.Open(fixtureJSON)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = hsdsio.ReadJSON(f, "x", func(r hsdsio.Record) error {
		switch r.Kind {
		case hsdsio.KindTaxonomyTerm:
			terms = append(terms, r.Term.ID)
		case hsdsio.KindOrganization:
			orgs = append(orgs, r.Organization.ID)
			for _, s := range r.Organization.Services {
				services = append(services, s.ID)
			}
		case hsdsio.KindService:
			services = append(services, r.Service.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return terms, orgs, services
}

func fixtureServicesOf(t *testing.T, org string) []string {
	t.Helper()
	f, err := os.Open(fixtureJSON)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	_, err = hsdsio.ReadJSON(f, "x", func(r hsdsio.Record) error {
		if r.Organization != nil && r.Organization.ID == org {
			for _, s := range r.Organization.Services {
				out = append(out, s.ID)
			}
		}
		return nil
	})
	if err != nil || len(out) == 0 {
		t.Fatalf("services of %s: %v", org, err)
	}
	return out
}

// stored returns which of ids the directory holds as entity.
func stored(t *testing.T, st *store.Store, entity string, ids []string) map[string]bool {
	t.Helper()
	found, err := st.ExistingIDs(context.Background(), entity, ids)
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func emptyDirectory(t *testing.T, st *store.Store) {
	t.Helper()
	counts, err := st.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for table, n := range counts {
		if n != 0 {
			t.Errorf("%d rows were written to %s", n, table)
		}
	}
}

// Without --on-error=skip, each fixture is refused whole: exactly its two
// problems, each with its file, line, record and field, and nothing
// written.
func TestImport_211Refused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		for _, fc := range fixtureCases(t) {
			rep, err := importer.Import(context.Background(), st, fc.path, importer.Options{})
			if !errors.Is(err, importer.ErrProblems) {
				t.Fatalf("%s: %v, want ErrProblems", fc.name, err)
			}
			var got []string
			for _, p := range rep.Problems {
				got = append(got, p.String())
			}
			if !slices.Equal(got, fc.refused) {
				t.Errorf("%s problems:\n%s\nwant:\n%s", fc.name, strings.Join(got, "\n"), strings.Join(fc.refused, "\n"))
			}
			if rep.Imported.Total() != 0 || rep.Written || rep.TaxonomiesCreated != nil {
				t.Errorf("%s: a refused import reports imported %+v, written %v, created %v", fc.name, rep.Imported, rep.Written, rep.TaxonomiesCreated)
			}
			emptyDirectory(t, st)
		}
	})
}

// With --on-error=skip, each fixture writes exactly its valid records, in
// one transaction, and lists each record it left out with its line, id,
// pointer and message, dependents naming what they depended on; the
// taxonomy its terms name only by name is created. A dry run reports the
// same and writes nothing.
func TestImport_211Skip(t *testing.T) {
	allTerms, allOrgs, allServices := fixtureIDs(t)
	ctx := context.Background()
	for _, d := range storetest.Dialects {
		for _, fc := range fixtureCases(t) {
			t.Run(d+"/"+fc.name, func(t *testing.T) {
				st := storetest.Open(t, d)
				dry, err := importer.Import(ctx, st, fc.path, importer.Options{OnError: importer.OnErrorSkip, DryRun: true})
				if err != nil {
					t.Fatalf("dry run: %v", err)
				}
				emptyDirectory(t, st)
				rep, err := importer.Import(ctx, st, fc.path, importer.Options{OnError: importer.OnErrorSkip})
				if err != nil {
					t.Fatalf("skip import: %v", err)
				}
				for what, r := range map[string]importer.Report{"dry run": dry, "import": rep} {
					if r.Imported != fc.imported || r.Skipped != fc.skipped || r.Unreadable != 0 || r.Records() != fixtureRecords {
						t.Errorf("%s: imported %+v, skipped %+v, unreadable %d of %d; want %+v and %+v of %d",
							what, r.Imported, r.Skipped, r.Unreadable, r.Records(), fc.imported, fc.skipped, fixtureRecords)
					}
					if len(r.Problems) != len(fc.skips) || r.ProblemsOmitted != 0 {
						t.Errorf("%s lists %d skipped records (%d omitted), want %d:\n%v", what, len(r.Problems), r.ProblemsOmitted, len(fc.skips), r.Problems)
						continue
					}
					for i, w := range fc.skips {
						p := r.Problems[i]
						if p.Source != w.source || p.Line != w.line || p.RecordID != w.id || p.Field != w.field || p.Message != w.says {
							t.Errorf("%s, skip %d:\n got %s\nwant %s:%d: record %s: %s: %s", what, i, p, w.source, w.line, w.id, w.field, w.says)
						}
					}
					if len(r.TaxonomiesCreated) != 1 || r.TaxonomiesCreated[0].ID != localTaxonomy || r.TaxonomiesCreated[0].Name != localTagsName {
						t.Errorf("%s: created taxonomies %+v, want %s %q", what, r.TaxonomiesCreated, localTaxonomy, localTagsName)
					}
				}
				if dry.Written || !rep.Written {
					t.Errorf("written: dry run %v, import %v", dry.Written, rep.Written)
				}

				// Exactly the valid records are in the directory.
				for _, c := range []struct {
					entity        string
					all, skipped  []string
					wantInTheFile int
				}{
					{"taxonomy_term", allTerms, fc.skippedTerms, fc.imported.Terms},
					{"organization", allOrgs, fc.skippedOrgs, fc.imported.Organizations},
					{"service", allServices, fc.skippedServices, fc.imported.Services},
				} {
					found := stored(t, st, c.entity, c.all)
					for _, id := range c.all {
						if found[id] == slices.Contains(c.skipped, id) {
							t.Errorf("%s %s: stored %v, skipped %v", c.entity, id, found[id], slices.Contains(c.skipped, id))
						}
					}
					if len(found) != c.wantInTheFile {
						t.Errorf("%d %ss stored, want %d", len(found), c.entity, c.wantInTheFile)
					}
				}
				counts, err := st.Counts(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if counts["taxonomies"] != 2 {
					t.Errorf("%d taxonomies stored, want the file's and the created one", counts["taxonomies"])
				}
				yf, err := st.TaxonomyTermByID(ctx, termYF)
				if err != nil || yf.TaxonomyDetail == nil || yf.TaxonomyDetail.ID != localTaxonomy || yf.TaxonomyDetail.Name != localTagsName ||
					yf.TaxonomyDetail.Description == "" {
					t.Errorf("term YF-5000: %v, taxonomy %+v", err, yf.TaxonomyDetail)
				}
				if len(stored(t, st, "taxonomy", []string{lostTaxonomy})) != 0 {
					t.Error("the taxonomy named without a name was created")
				}
			})
		}
	}
}

// Skipping, what the reader could not read is left out too: a line that is
// not JSON, a CSV row whose service is not in the package; a record holding
// a row the reader kept without a bad value is skipped whole, naming the row.
func TestImport_SkipReaderProblems(t *testing.T) {
	org := storetest.Organization("rp", 2, "RP")
	good, bad := org.Services[0].ID, org.Services[1].ID
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		// JSON Lines: line 3 is not JSON.
		path := filepath.Join(t.TempDir(), "in.jsonl")
		term, _ := json.Marshal(storetest.Term("RP", ""))
		o, _ := json.Marshal(org)
		if err := os.WriteFile(path, []byte(string(term)+"\n"+string(o)+"\n{not json\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		rep, err := importer.Import(ctx, st, path, importer.Options{OnError: importer.OnErrorSkip})
		if err != nil || rep.Unreadable != 1 || rep.Skipped.Total() != 0 || rep.Imported.Total() != 4 || len(rep.Problems) != 1 || rep.Problems[0].Line != 3 {
			t.Fatalf("a line that is not JSON: %v, imported %+v, skipped %+v, unreadable %d, %v", err, rep.Imported, rep.Skipped, rep.Unreadable, rep.Problems)
		}

		// A package, into an empty directory: the second service's phone
		// holds a NUL (kept without the value), and a phone names a
		// service the package lacks.
		st = storetest.Open(t, st.Dialect())
		dir := t.TempDir()
		files := map[string]string{
			"taxonomy_terms.csv": "id,name,description\n" + storetest.ID("term:RP2") + ",Term,A term\n",
			"organizations.csv":  "id,name,description\n" + org.ID + ",Org,Helps\n",
			"services.csv":       "id,organization_id,name,status\n" + good + "," + org.ID + ",Good,active\n" + bad + "," + org.ID + ",Bad,active\n",
			"phones.csv": "id,service_id,number\n" + storetest.ID("rp:p1") + "," + bad + ",555\x000100\n" +
				storetest.ID("rp:p2") + "," + storetest.ID("no such service") + ",305-555-0100\n" +
				storetest.ID("rp:p3") + "," + good + ",305-555-0101\n",
		}
		for name, data := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := importer.Import(ctx, st, dir, importer.Options{}); !errors.Is(err, importer.ErrProblems) {
			t.Fatalf("without skipping: %v, want ErrProblems", err)
		}
		rep, err = importer.Import(ctx, st, dir, importer.Options{OnError: importer.OnErrorSkip})
		if err != nil || rep.Skipped != (importer.Counts{Services: 1}) || rep.Unreadable != 1 || rep.Imported != (importer.Counts{Terms: 1, Organizations: 1, Services: 1}) {
			t.Fatalf("package: %v, imported %+v, skipped %+v, unreadable %d, %v", err, rep.Imported, rep.Skipped, rep.Unreadable, rep.Problems)
		}
		var holds bool
		for _, p := range rep.Problems {
			holds = holds || p.Source == "services.csv" && p.Line == 3 && p.RecordID == bad && p.Field == "/phones/0" &&
				p.Message == "holds phones.csv row 2, which has a problem (listed there)"
		}
		if !holds {
			t.Errorf("the service holding the bad phone row is not listed: %v", rep.Problems)
		}
		if s := stored(t, st, "service", []string{good, bad}); !s[good] || s[bad] {
			t.Errorf("stored %v: want the good service only", s)
		}
		if p := stored(t, st, "phone", []string{storetest.ID("rp:p1"), storetest.ID("rp:p2"), storetest.ID("rp:p3")}); len(p) != 1 || !p[storetest.ID("rp:p3")] {
			t.Errorf("stored phones %v: want the good service's only", p)
		}
	})
}

// Skipping cannot get round a problem of the whole input: a JSON array
// that breaks off, or an input of which nothing can be written, writes
// nothing and fails.
func TestImport_SkipInputProblems(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.Organization("ip", 1, "IP")
		term, _ := json.Marshal(storetest.Term("IP", ""))
		o, _ := json.Marshal(org)
		for name, doc := range map[string]string{
			"broken.json":  "[" + string(term) + ",\n" + string(o) + ",\n{\"id\": x}, {}]",
			"nothing.json": `[{"id":"` + storetest.ID("ip:svc") + `","name":"Orphan","status":"sideways","organization_id":"` + org.ID + `"}]`,
		} {
			path := filepath.Join(t.TempDir(), name)
			if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
				t.Fatal(err)
			}
			for _, dry := range []bool{true, false} {
				rep, err := importer.Import(ctx, st, path, importer.Options{OnError: importer.OnErrorSkip, DryRun: dry})
				if !errors.Is(err, importer.ErrProblems) || rep.Imported.Total() != 0 || len(rep.Problems) == 0 {
					t.Errorf("%s (dry run %v): %v, imported %+v, %v", name, dry, err, rep.Imported, rep.Problems)
				}
				emptyDirectory(t, st)
			}
		}
	})
}

// A record skipped in the input but already in the directory still
// satisfies what names it: the stored version stays, and its dependents
// are written against it.
func TestImport_SkipDependsOnStored(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		term := storetest.Term("DS", "")
		org := storetest.Organization("ds", 1, "DS")
		if _, err := importer.Import(ctx, st, writeJSONL(t, term, org), importer.Options{}); err != nil {
			t.Fatal(err)
		}
		broken := org
		broken.Services = nil
		broken.Website = `http://host.example\path\`
		later := storetest.Organization("ds", 2, "DS").Services[1]
		rep, err := importer.Import(ctx, st, writeJSONL(t, broken, later), importer.Options{OnError: importer.OnErrorSkip})
		if err != nil || rep.Skipped != (importer.Counts{Organizations: 1}) || rep.Imported != (importer.Counts{Services: 1}) || len(rep.Problems) != 1 {
			t.Fatalf("%v: imported %+v, skipped %+v, %v", err, rep.Imported, rep.Skipped, rep.Problems)
		}
		stored, err := st.OrganizationsByIDs(ctx, []string{org.ID}, store.ShapeFull)
		if err != nil || len(stored) != 1 || stored[0].Website != org.Website {
			t.Errorf("the stored organization changed: %v %+v", err, stored)
		}
		if _, err := st.ServiceByID(ctx, later.ID); err != nil {
			t.Errorf("the service naming the stored organization was not written: %v", err)
		}
	})
}

// However many records are skipped, the report lists the first
// MaxProblems and counts the rest, and the counts cover them all.
func TestImport_SkipBoundedList(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	org := storetest.Organization("bl", 0, "BL")
	org.Services = nil
	var b strings.Builder
	o, _ := json.Marshal(org)
	b.Write(o)
	b.WriteByte('\n')
	const bad = importer.MaxProblems + 200
	for i := range bad {
		fmt.Fprintf(&b, `{"id":"%s","name":"Bad %d","status":"sideways","organization_id":"%s"}`+"\n", storetest.ID(fmt.Sprint("bl:", i)), i, org.ID)
	}
	path := filepath.Join(t.TempDir(), "many.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := importer.Import(context.Background(), st, path, importer.Options{OnError: importer.OnErrorSkip})
	if err != nil || rep.Skipped.Services != bad || rep.Imported != (importer.Counts{Organizations: 1}) ||
		len(rep.Problems) != importer.MaxProblems || rep.ProblemsOmitted != 200 || rep.Problems[0].Line != 2 {
		t.Fatalf("%v: imported %+v, skipped %+v, %d problems listed, %d omitted", err, rep.Imported, rep.Skipped, len(rep.Problems), rep.ProblemsOmitted)
	}
}

package httpapi_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/linkage-org/linkage/internal/indexsync"
	"github.com/linkage-org/linkage/internal/indexsync/indexsynctest"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// The importer's 211-style fixtures (internal/importer/testdata/README.md).
const (
	fixture211JSON    = "../importer/testdata/211-export.jsonl"
	fixture211Package = "../importer/testdata/211-package"
	fixtureHarbor     = "412e80e2-550b-5ca6-b1ee-b2f86f06cbee" // the organization with a broken website
	fixturePantry     = "13a28e12-6ae3-54e8-84a0-99dd680d8b8b" // an organization without problems
	fixtureRent       = "432daa3d-f6b8-5d7d-8ab3-8b97fa0c1128" // a service naming the broken organization
)

// POST /imports with on_error=skip, over HTTP on both databases: the
// default refuses the 211 fixture whole; a dry run of the package with
// on_error=skip counts what it would write and skip and writes nothing; a
// skip import writes the rest, and its job (answered and read back) counts
// written and skipped records, lists each skipped one and names the
// taxonomy it created. A bad on_error is a 400 naming the parameter.
func TestImports_OnErrorSkip(t *testing.T) {
	jsonl, err := os.ReadFile(fixture211JSON)
	if err != nil {
		t.Fatal(err)
	}
	pkg := map[string]string{}
	entries, err := os.ReadDir(fixture211Package)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(fixture211Package, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		pkg[e.Name()] = string(b)
	}
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			st := demoStore(t, d)
			a := newAccessOn(t, serveEnv(t, st, indexsynctest.Running(t, st, indexsync.Options{}), 8<<20))
			status := func(path string) int { return a.send("GET", path, "", a.admin).status }
			before, err := st.Counts(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			unchanged := func(what string) {
				t.Helper()
				c, err := st.Counts(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				for table, n := range c {
					if n != before[table] {
						t.Errorf("%s changed %s from %d to %d rows", what, table, before[table], n)
					}
				}
			}

			r, j := a.upload(a.admin, "211-export.jsonl", string(jsonl))
			if r.status != 202 || j.State != "failed" || j.OnError != "fail" || len(j.Problems) != 2 || j.Written != (importCounts{}) || j.RecordsDone != 0 {
				t.Fatalf("default: %d %+v", r.status, j)
			}
			if p := j.Problems[1]; p.File != "211-export.jsonl" || p.Row != 22 || p.RecordID != fixtureHarbor || p.Field != "/website" {
				t.Errorf("the broken website: %+v", p)
			}
			unchanged("the refused job")

			r, j = a.upload(a.admin, "211-package.zip", string(zipBytes(t, pkg)), "on_error", "skip", "dry_run", "true")
			if r.status != 202 || j.State != "succeeded" || !j.DryRun || j.OnError != "skip" || j.RecordsTotal != 62 || j.RecordsDone != 0 ||
				j.Written != (importCounts{Organizations: 11, Services: 26, TaxonomyTerms: 16}) ||
				j.Skipped != (importCounts{Organizations: 1, Services: 6, TaxonomyTerms: 2}) || len(j.Problems) != 9 ||
				len(j.TaxonomiesCreated) != 1 || j.TaxonomiesCreated[0].Name != "Palmetto 211 Local Service Tags" {
				t.Fatalf("dry run of the package: %d %+v", r.status, j)
			}
			unchanged("the dry run")

			r, j = a.upload(a.admin, "211-export.jsonl", string(jsonl), "on_error", "skip")
			want := importCounts{Organizations: 9, Services: 23, TaxonomyTerms: 16}
			if r.status != 202 || j.State != "succeeded" || j.Error != "" || j.RecordsTotal != 62 || j.RecordsDone != 48 || j.Written != want ||
				j.Skipped != (importCounts{Organizations: 3, Services: 9, TaxonomyTerms: 2}) || len(j.Problems) != 6 ||
				len(j.TaxonomiesCreated) != 1 || j.TaxonomiesCreated[0].Name != "Palmetto 211 Local Service Tags" {
				t.Fatalf("skip import: %d %+v", r.status, j)
			}
			rows := []int{}
			for _, p := range j.Problems {
				rows = append(rows, p.Row)
				if p.File != "211-export.jsonl" || p.RecordID == "" || p.Field == "" || p.Message == "" {
					t.Errorf("a skipped record without its place: %+v", p)
				}
			}
			if got := fmt.Sprint(rows); got != "[17 18 22 27 29 31]" {
				t.Errorf("skipped rows %s, want [17 18 22 27 29 31]", got)
			}
			if last := j.Problems[5]; last.Row != 31 || last.RecordID != fixtureRent || last.Field != "/organization_id" ||
				!strings.Contains(last.Message, "names organization "+fixtureHarbor+", which is skipped (see 211-export.jsonl:22)") {
				t.Errorf("the dependent service: %+v", last)
			}
			var again importJob
			a.send("GET", "/imports/"+j.ID, "", a.admin).json(t, &again)
			if again.Written != want || again.Skipped != j.Skipped || again.OnError != "skip" || len(again.Problems) != 6 || len(again.TaxonomiesCreated) != 1 {
				t.Errorf("read back: %+v", again)
			}
			after, err := st.Counts(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if after["organizations"]-before["organizations"] != 9 || after["services"]-before["services"] != 23 ||
				after["taxonomy_terms"]-before["taxonomy_terms"] != 16 || after["taxonomies"]-before["taxonomies"] != 2 {
				t.Errorf("wrote %v over %v", after, before)
			}
			if status("/organizations/"+fixturePantry) != http.StatusOK || status("/organizations/"+fixtureHarbor) != http.StatusNotFound ||
				status("/services/"+fixtureRent) != http.StatusNotFound {
				t.Error("the valid organization should be served, the skipped records not")
			}

			r, _ = a.upload(a.admin, "211-export.jsonl", string(jsonl), "on_error", "later")
			if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), `"parameter":"on_error"`) || !strings.Contains(string(r.body), "must be fail") {
				t.Errorf("on_error=later: %d %s", r.status, r.body)
			}
		})
	}
}

package httpapi_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/linkage-org/linkage/internal/hsds11"
	"github.com/linkage-org/linkage/internal/store"
)

// An HSDS 1.1 package uploaded to POST /imports is mapped as linkage
// import maps it: the job says the format and what did not map.
func TestImports_HSDS11(t *testing.T) {
	a := newAccess(t, store.SQLite)
	dir := "../hsds11/testdata/package"
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files["harbor/"+e.Name()] = string(b)
	}
	r, _ := a.upload(a.admin, "harbor.zip", string(zipBytes(t, files)), "dry_run", "true")
	var j struct {
		importJob
		Format   string        `json:"format"`
		Unmapped []hsds11.Note `json:"unmapped"`
	}
	r.json(t, &j)
	if r.status != 202 || j.State != "succeeded" || j.RecordsTotal != 8 || j.Format != hsds11.Version {
		t.Fatalf("1.1 upload: %d %+v", r.status, j)
	}
	if !slices.ContainsFunc(j.Unmapped, func(n hsds11.Note) bool {
		return n.File == "locations.csv" && n.Column == "x_parking" && n.Dropped && n.Rows == 1
	}) {
		t.Errorf("the job does not say locations.csv x_parking was left out: %+v", j.Unmapped)
	}
}

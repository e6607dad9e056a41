package importer_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/linkage-org/linkage/internal/hsdsio"
)

var update = flag.Bool("update", false, "rewrite testdata/211-package from testdata/211-export.jsonl")

// The 211-style fixtures (see testdata/README.md): the same export as JSON
// Lines and as a tabular package.
const (
	fixtureJSON    = "testdata/211-export.jsonl"
	fixturePackage = "testdata/211-package"
)

// The tabular fixture is the JSON Lines one written by our package writer,
// so both say the same thing; -update rewrites it after the JSON changes.
func TestFixture211_PackageIsTheExport(t *testing.T) {
	f, err := os.Open(fixtureJSON)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dir := filepath.Join(t.TempDir(), "package")
	w, err := hsdsio.NewPackageWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	probs, err := hsdsio.ReadJSON(f, filepath.Base(fixtureJSON), func(r hsdsio.Record) error {
		switch r.Kind {
		case hsdsio.KindTaxonomyTerm:
			return w.WriteTerm(r.Term)
		case hsdsio.KindOrganization:
			if err := w.WriteOrganization(r.Organization); err != nil {
				return err
			}
			for i := range r.Organization.Services {
				if err := w.WriteService(&r.Organization.Services[i]); err != nil {
					return err
				}
			}
			return nil
		}
		return w.WriteService(r.Service)
	})
	if err != nil || len(probs) > 0 {
		t.Fatalf("read %s: %v %v", fixtureJSON, err, probs)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.RemoveAll(fixturePackage); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(fixturePackage, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range entries {
		want, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(fixturePackage, e.Name())
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s written as a package (%v); run go test ./internal/importer -run TestFixture211 -update", path, fixtureJSON, err)
		}
	}
	if committed, _ := os.ReadDir(fixturePackage); !*update && len(committed) != len(entries) {
		t.Errorf("%s holds %d files, the export writes %d", fixturePackage, len(committed), len(entries))
	}
}

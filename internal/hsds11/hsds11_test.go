package hsds11_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/uuid"

	"github.com/linkage-org/linkage/internal/hsds11"
	"github.com/linkage-org/linkage/internal/hsdsio"
)

const fixture = "testdata/package"

// fixtureFS is the fixture as a map, to vary.
func fixtureFS(t *testing.T) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	entries, err := os.ReadDir(fixture)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(fixture, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = &fstest.MapFile{Data: b}
	}
	return m
}

func TestIs(t *testing.T) {
	noDescriptor := fixtureFS(t)
	delete(noDescriptor, "datapackage.json")
	declared31 := fixtureFS(t)
	declared31["datapackage.json"] = &fstest.MapFile{Data: []byte(`{"version": "3.1", "resources": [{"name": "physical_address", "path": "physical_addresses.csv"}]}`)}
	for _, c := range []struct {
		name string
		fsys fs.FS
		want bool
	}{
		{"the 1.1 fixture (version 1.1)", os.DirFS(fixture), true},
		{"no datapackage.json: the file names", noDescriptor, true},
		{"HSDS Transformer: no version, plural names", transformerFS(t), true},
		{"a declared 3.1 version decides", declared31, false},
		{"the HSDS 3 example package", os.DirFS("../hsdstest/testdata/hsds/examples/csv"), false},
		{"nothing", fstest.MapFS{}, false},
		{"shared tables only, 1.1 columns", fstest.MapFS{
			"organizations.csv": {Data: []byte("\ufeffid,name,description,url\n1,A,B,https://a.example/\n")},
			"services.csv":      {Data: []byte("id,organization_id,name,status\n1,1,S,active\n")}}, true},
		{"shared tables only, 3.1 columns", fstest.MapFS{
			"organizations.csv": {Data: []byte("id,name,description,website\n")},
			"services.csv":      {Data: []byte("id,organization_id,name,status,url\n")}}, false},
	} {
		if got := hsds11.Is(c.fsys); got != c.want {
			t.Errorf("%s: Is = %v, want %v", c.name, got, c.want)
		}
	}
}

// transformerFS is a package laid out as the HSDS Transformer writes one:
// a datapackage.json without a version whose resources have plural names
// and paths of the machine it ran on, the CSV files in data/, schedules
// without ids.
func transformerFS(t *testing.T) fstest.MapFS {
	t.Helper()
	return fstest.MapFS{
		"datapackage/datapackage.json": {Data: []byte(`{"profile":"tabular-data-package","resources":[
			{"name":"organizations","path":"tmp/datapackage/data/organizations.csv"},
			{"name":"locations","path":"tmp/datapackage/data/locations.csv"},
			{"name":"regular_schedules","path":"tmp/datapackage/data/regular_schedules.csv"}]}`)},
		"datapackage/data/organizations.csv":     {Data: []byte("id,name,description\n135831,Lakeview Library,Public library\n")},
		"datapackage/data/locations.csv":         {Data: []byte("id,organization_id,name\n135831,135831,Lakeview Branch\n")},
		"datapackage/data/regular_schedules.csv": {Data: []byte("id,service_id,location_id,service_at_location_id,weekday,opens_at,closes_at\n,,135831,,Sunday,11:00,20:00\n,,135831,,Monday,9:00,22:00\n")},
	}
}

// readAll converts fsys and reads the mapped package back.
func readAll(t *testing.T, fsys fs.FS, opts hsds11.Options) (*hsds11.Package, []hsdsio.Record) {
	t.Helper()
	p, err := hsds11.Convert(context.Background(), fsys, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	recs, probs, err := hsdsio.ReadPackage(p.FS())
	if err != nil || len(probs) > 0 {
		t.Fatalf("read the mapped package: %v %v", err, p.Explain(probs))
	}
	return p, recs
}

func TestConvert_TransformerLayout(t *testing.T) {
	_, recs := readAll(t, transformerFS(t), hsds11.Options{})
	if len(recs) != 1 || recs[0].Organization == nil {
		t.Fatalf("records: %+v", recs)
	}
	o := recs[0].Organization
	if o.ID != hsds11.ID("organization", "135831") || len(o.Locations) != 1 {
		t.Fatalf("organization: %+v", o)
	}
	l := o.Locations[0]
	// The same number is a location id too: each table has its own UUIDs.
	if l.ID != hsds11.ID("location", "135831") || l.ID == o.ID || len(l.Schedules) != 2 {
		t.Fatalf("location: %+v", l)
	}
	days := l.Schedules[0].ByDay + l.Schedules[1].ByDay
	if days != "MOSU" && days != "SUMO" || l.Schedules[0].ID == "" || l.Schedules[0].ID == l.Schedules[1].ID {
		t.Errorf("schedules without ids: %+v", l.Schedules)
	}
	// Their ids come from their rows: a second conversion gives the same.
	_, again := readAll(t, transformerFS(t), hsds11.Options{})
	if ids := again[0].Organization.Locations[0].Schedules; ids[0].ID != l.Schedules[0].ID || ids[1].ID != l.Schedules[1].ID {
		t.Errorf("schedule ids differ between conversions: %s %s, then %s %s", l.Schedules[0].ID, l.Schedules[1].ID, ids[0].ID, ids[1].ID)
	}
}

// With a sort budget of one byte every join runs through files on disk;
// the mapped package is the same.
func TestConvert_SmallMemory(t *testing.T) {
	big, _ := readAll(t, os.DirFS(fixture), hsds11.Options{})
	small, _ := readAll(t, os.DirFS(fixture), hsds11.Options{Memory: 1})
	files, err := fs.Glob(big.FS(), "hsds-3.1/*.csv")
	if err != nil || len(files) < 15 {
		t.Fatalf("mapped files: %v %v", files, err)
	}
	for _, f := range files {
		a, _ := fs.ReadFile(big.FS(), f)
		b, err := fs.ReadFile(small.FS(), f)
		if err != nil || string(a) != string(b) {
			t.Errorf("%s differs with a small sort budget (%v):\n%s\n---\n%s", f, err, a, b)
		}
	}
}

// Rows that cannot be read are problems of their 1.1 file and row, as in
// a 3.1 package; the rest is mapped.
func TestConvert_UnreadableRows(t *testing.T) {
	m := fixtureFS(t)
	m["contacts.csv"] = &fstest.MapFile{Data: []byte("id,organization_id,name\n10,1\n11,1,\"Ana\n")}
	probs := hsdsio.NewProblems(0)
	p, err := hsds11.Convert(context.Background(), m, hsds11.Options{Problems: probs})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	got := probs.List()
	if len(got) != 2 || got[0].Source != "contacts.csv" || got[0].Line != 2 || !strings.Contains(got[0].Message, "has 2 cells but the header has 3 columns") ||
		got[1].Line != 3 || !strings.Contains(got[1].Message, "cannot be read as CSV") {
		t.Errorf("problems: %v", got)
	}
}

func TestConvert_Limits(t *testing.T) {
	_, err := hsds11.Convert(context.Background(), os.DirFS(fixture), hsds11.Options{Limits: hsdsio.Limits{TotalBytes: 2000}})
	var le *hsdsio.LimitError
	if !errors.As(err, &le) || !le.Total {
		t.Fatalf("a package over the total limit: %v", err)
	}
}

func TestID(t *testing.T) {
	a, b := hsds11.ID("organization", "7"), hsds11.ID("service", "7")
	u, err := uuid.Parse(a)
	if err != nil || u.Version() != 5 || a == b || a != hsds11.ID("organization", "7") {
		t.Errorf("ID: %s (%v), %s", a, err, b)
	}
	if got := hsds11.ID("organization", "0B7F5C1E-8A52-4F55-9D4B-2D7F1C3E9A10"); got != "0b7f5c1e-8a52-4f55-9d4b-2d7f1c3e9a10" {
		t.Errorf("a 1.1 UUID became %s; want it kept", got)
	}
}

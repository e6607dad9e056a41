package hsdsio

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/linkage-org/linkage/internal/hsds"
)

// writePackage writes d as the round trip promises: terms, organizations
// without services, then services.
func writePackage(t *testing.T, dir string, d directory) {
	t.Helper()
	w, err := NewPackageWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range d.terms {
		if err := w.WriteTerm(&d.terms[i]); err != nil {
			t.Fatal(err)
		}
	}
	for i := range d.orgs {
		if err := w.WriteOrganization(&d.orgs[i]); err != nil {
			t.Fatal(err)
		}
	}
	for i := range d.services {
		if err := w.WriteService(&d.services[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// zipDir packs dir into an in-memory zip, under prefix.
func zipDir(t *testing.T, dir, prefix string) *zip.Reader {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		f, err := zw.Create(prefix + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return zr
}

func TestPackage_RoundTrip(t *testing.T) {
	d := richDirectory()
	dir := t.TempDir()
	writePackage(t, dir, d)

	for _, tc := range []struct {
		name string
		fsys fs.FS
	}{
		{"Dir", os.DirFS(dir)},
		{"Zip", zipDir(t, dir, "")},
		{"ZipFolder", zipDir(t, dir, "export/")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, probs, err := ReadPackage(tc.fsys)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range probs {
				t.Errorf("problem: %s", p)
			}
			var want []any
			var wantSrc []string
			for i := range d.terms {
				want = append(want, &d.terms[i])
				wantSrc = append(wantSrc, "taxonomy_terms.csv")
			}
			for i := range d.orgs {
				want = append(want, &d.orgs[i])
				wantSrc = append(wantSrc, "organizations.csv")
			}
			for i := range d.services {
				want = append(want, &d.services[i])
				wantSrc = append(wantSrc, "services.csv")
			}
			if len(recs) != len(want) {
				t.Fatalf("got %d records, want %d", len(recs), len(want))
			}
			line := map[string]int{}
			for i, r := range recs {
				line[r.Source]++
				if r.Source != wantSrc[i] || r.Line != line[r.Source]+1 {
					t.Errorf("record %d at %s:%d, want %s:%d", i, r.Source, r.Line, wantSrc[i], line[r.Source]+1)
				}
				var got any
				switch r.Kind {
				case KindTaxonomyTerm:
					got = r.Term
				case KindOrganization:
					got = r.Organization
				case KindService:
					got = r.Service
				}
				if reflect.TypeOf(got) != reflect.TypeOf(want[i]) {
					t.Fatalf("record %d is a %s, want %T", i, r.Kind, want[i])
				}
				if w, g := canonical(t, want[i]), canonical(t, got); w != g {
					t.Errorf("record %d (%s %s) differs at %s", i, r.Kind, r.ID(), diff(w, g))
				}
			}
		})
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// The header of every file is the field order of the HSDS datapackage.json,
// so it matches the HSDS example files too (but for the extension tz, and
// the example url.csv, which lacks its two parent columns).
func TestPackageWriter_Layout(t *testing.T) {
	dir := t.TempDir()
	writePackage(t, dir, richDirectory())

	var dp struct {
		Profile   string `json:"profile"`
		Resources []struct {
			Name   string `json:"name"`
			Path   string `json:"path"`
			Schema struct {
				Fields []struct {
					Name string `json:"name"`
					Type string `json:"type"`
				} `json:"fields"`
			} `json:"schema"`
		} `json:"resources"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "datapackage.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &dp); err != nil {
		t.Fatal(err)
	}
	if dp.Profile != "tabular-data-package" {
		t.Errorf("profile = %q", dp.Profile)
	}

	spec := map[string][]string{} // HSDS resource name → "field:type"
	specData, err := os.ReadFile(filepath.Join(specDir, "datapackage.json"))
	if err != nil {
		t.Fatal(err)
	}
	var hsdsDP struct {
		Resources []struct {
			Name   string `json:"name"`
			Path   string `json:"path"`
			Schema struct {
				Fields []struct {
					Name string `json:"name"`
					Type string `json:"type"`
				} `json:"fields"`
			} `json:"schema"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(specData, &hsdsDP); err != nil {
		t.Fatal(err)
	}
	specPath := map[string]string{}
	for _, r := range hsdsDP.Resources {
		specPath[r.Name] = r.Path
		for _, f := range r.Schema.Fields {
			spec[r.Name] = append(spec[r.Name], f.Name+":"+f.Type)
		}
	}

	var written []string
	for _, r := range dp.Resources {
		written = append(written, r.Name)
		var got []string
		var header []string
		for _, f := range r.Schema.Fields {
			got = append(got, f.Name+":"+f.Type)
			header = append(header, f.Name)
		}
		want := spec[r.Name]
		switch r.Name {
		case "location":
			want = append(slices.Clone(want), "tz:string")
		case "service_capacity", "unit":
			want = nil // incomplete in HSDS 3.1.0; checked against the example files below
		}
		if want != nil && !slices.Equal(got, want) {
			t.Errorf("%s schema = %v, want %v", r.Name, got, want)
		}
		if r.Path != specPath[r.Name] {
			t.Errorf("%s path = %q, want %q", r.Name, r.Path, specPath[r.Name])
		}
		rows := readCSV(t, filepath.Join(dir, r.Path))
		if !slices.Equal(rows[0], header) {
			t.Errorf("%s header = %v, want %v", r.Path, rows[0], header)
		}
		example, err := os.ReadFile(filepath.Join(exampleDir, r.Path))
		if err != nil {
			t.Fatal(err)
		}
		exampleHeader := strings.Split(strings.TrimSpace(strings.SplitN(string(example), "\n", 2)[0]), ",")
		switch r.Name {
		case "location":
			exampleHeader = append(exampleHeader, "tz")
		case "url":
			exampleHeader = append(exampleHeader, "organization_id", "service_id")
		}
		if !slices.Equal(rows[0], exampleHeader) {
			t.Errorf("%s header = %v, example has %v", r.Path, rows[0], exampleHeader)
		}
	}
	wantWritten := []string{"organization", "program", "service", "attribute", "service_at_location", "location",
		"phone", "contact", "address", "schedule", "funding", "service_area", "required_document", "language",
		"accessibility", "taxonomy_term", "metadata", "cost_option", "organization_identifier", "taxonomy",
		"service_capacity", "unit", "url"}
	if !slices.Equal(written, wantWritten) {
		t.Errorf("resources = %v, want %v", written, wantWritten)
	}

	// Numbers without exponent or trailing zeros, times in RFC 3339 UTC.
	costs := readCSV(t, filepath.Join(dir, "cost_options.csv"))
	var amounts []string
	for _, r := range costs[1:] {
		amounts = append(amounts, r[6])
	}
	for _, want := range []string{"12.5", "1000000000000000000000", "0.000001"} {
		if !slices.Contains(amounts, want) {
			t.Errorf("cost_options.csv amounts %v lack %s", amounts, want)
		}
	}
	svc := readCSV(t, filepath.Join(dir, "services.csv"))
	if got := svc[1][22]; got != "2024-05-01T09:30:15.123456Z" {
		t.Errorf("last_modified = %q", got)
	}
	if got := svc[1][17]; got != "64.5" {
		t.Errorf("maximum_age = %q", got)
	}
	// taxonomies.csv once per taxonomy, units.csv once per unit.
	if n := len(readCSV(t, filepath.Join(dir, "taxonomies.csv"))); n != 2 {
		t.Errorf("taxonomies.csv has %d rows, want header + 1", n)
	}
	if n := len(readCSV(t, filepath.Join(dir, "units.csv"))); n != 3 {
		t.Errorf("units.csv has %d rows, want header + 2", n)
	}
}

// Keys implied by nesting are written even when the document leaves them
// out, and a child nested twice is one row.
func TestPackageWriter_Keys(t *testing.T) {
	dir := t.TempDir()
	w, err := NewPackageWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	shared := hsds.Phone{ID: "p1", Number: "555-0100", Languages: []hsds.Language{{ID: "l1", Code: "es"}}}
	s := &hsds.Service{ID: "s1", Name: "S", Status: "active",
		Organization: &hsds.Organization{ID: "o1", Name: "Not written"},
		Program:      &hsds.Program{ID: "pr1", Name: "Not written"},
		Phones:       []hsds.Phone{shared},
		Contacts:     []hsds.Contact{{ID: "c1", Phones: []hsds.Phone{shared}}},
		ServiceAtLocations: []hsds.ServiceAtLocation{{ID: "sal1",
			Location: &hsds.Location{ID: "loc1", LocationType: "physical", Name: "Not written"}}},
		Attributes: []hsds.Attribute{{ID: "a1", TaxonomyTerm: &hsds.TaxonomyTerm{ID: "t1", Name: "Not written"}}},
		Metadata:   []hsds.Metadata{{ID: "m1", LastActionType: "create"}},
		Capacities: []hsds.ServiceCapacity{{ID: "cap1", Unit: &hsds.Unit{ID: "u1", Name: "Bed"}, Available: 2}},
	}
	if err := w.WriteService(s); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteService(s); err == nil {
		t.Error("WriteService after Close succeeded")
	}
	cell := func(file, id, col string) string {
		rows := readCSV(t, filepath.Join(dir, file))
		c := slices.Index(rows[0], col)
		for _, r := range rows[1:] {
			if r[0] == id {
				return r[c]
			}
		}
		t.Errorf("%s has no row %s", file, id)
		return ""
	}
	for _, tc := range []struct{ file, id, col, want string }{
		{"services.csv", "s1", "organization_id", "o1"},
		{"services.csv", "s1", "program_id", "pr1"},
		{"phones.csv", "p1", "service_id", "s1"},
		{"languages.csv", "l1", "phone_id", "p1"},
		{"contacts.csv", "c1", "service_id", "s1"},
		{"service_at_location.csv", "sal1", "location_id", "loc1"},
		{"service_at_location.csv", "sal1", "service_id", "s1"},
		{"attributes.csv", "a1", "link_id", "s1"},
		{"attributes.csv", "a1", "taxonomy_term_id", "t1"},
		{"metadata.csv", "m1", "resource_id", "s1"},
		{"service_capacity.csv", "cap1", "unit_id", "u1"},
		{"service_capacity.csv", "cap1", "available", "2"},
		{"service_capacity.csv", "cap1", "updated", ""},
	} {
		if got := cell(tc.file, tc.id, tc.col); got != tc.want {
			t.Errorf("%s row %s %s = %q, want %q", tc.file, tc.id, tc.col, got, tc.want)
		}
	}
	for file, want := range map[string]int{"phones.csv": 1, "languages.csv": 1, "organizations.csv": 0,
		"locations.csv": 0, "programs.csv": -1, "taxonomy_terms.csv": -1} {
		data, err := os.ReadFile(filepath.Join(dir, file))
		if want < 0 {
			if err == nil {
				t.Errorf("%s was written", file)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Count(string(data), "\n") - 1; got != want {
			t.Errorf("%s has %d rows, want %d", file, got, want)
		}
	}
}

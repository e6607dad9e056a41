package hsdsio

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// formulaText is text a spreadsheet would run as a formula, or that looks
// like the escape of such text.
var formulaText = []string{"=cmd|' /C calc'!A0", "+1+1", "-x", "@SUM(1)", "\t=1+1", "\r=1+1", "\uff1d1+1",
	"'=already quoted", "''@twice", "'-80.2", "'plain"}

// TestPackage_FormulaCells: such text is written with a leading apostrophe
// wherever it is (names, phone numbers, ids and the columns that refer to
// them), numbers are not, and the package reads back to the exact text.
func TestPackage_FormulaCells(t *testing.T) {
	d := richDirectory()
	for i := range d.services {
		d.services[i].Name = formulaText[i%len(formulaText)]
		d.services[i].Description = formulaText[(i+3)%len(formulaText)]
	}
	d.orgs[0].Name = formulaText[6]
	d.orgs[0].Phones[0].Number = "+1 305 555 0142"
	d.terms[2].Name = formulaText[7]
	// An id that needs escaping must still link its children.
	d.orgs[1].ID = "=org"
	d.services[2].OrganizationID = "=org"
	dir := t.TempDir()
	writePackage(t, dir, d)

	files, err := filepath.Glob(filepath.Join(dir, "*.csv"))
	if err != nil || len(files) < 10 {
		t.Fatalf("package files: %v %v", files, err)
	}
	for _, f := range files {
		for r, row := range readCSV(t, f) {
			for c, cell := range row {
				if cell != "" && strings.ContainsRune("=+-@\t\r\uff1d", []rune(cell)[0]) && !plainNumber(cell) {
					t.Errorf("%s row %d column %d is %q, which a spreadsheet runs as a formula", filepath.Base(f), r+1, c+1, cell)
				}
			}
		}
	}
	services := readCSV(t, filepath.Join(dir, "services.csv"))
	name := slices.Index(services[0], "name")
	if got := services[1][name]; got != "'=cmd|' /C calc'!A0" {
		t.Errorf("services.csv name = %q, want the text after one apostrophe", got)
	}
	if got := services[3][slices.Index(services[0], "organization_id")]; got != "'=org" {
		t.Errorf("services.csv organization_id = %q", got)
	}
	locations := readCSV(t, filepath.Join(dir, "locations.csv"))
	if got := locations[1][slices.Index(locations[0], "longitude")]; got != "-80.1918" {
		t.Errorf("locations.csv longitude = %q, want the plain number -80.1918", got)
	}

	recs, probs, err := ReadPackage(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range probs {
		t.Errorf("problem: %s", p)
	}
	want := map[string]string{}
	for i := range d.terms {
		want[d.terms[i].ID] = canonical(t, &d.terms[i])
	}
	for i := range d.orgs {
		want[d.orgs[i].ID] = canonical(t, &d.orgs[i])
	}
	for i := range d.services {
		want[d.services[i].ID] = canonical(t, &d.services[i])
	}
	if len(recs) != len(want) {
		t.Fatalf("read %d records, want %d", len(recs), len(want))
	}
	for _, r := range recs {
		var got string
		switch r.Kind {
		case KindTaxonomyTerm:
			got = canonical(t, r.Term)
		case KindOrganization:
			got = canonical(t, r.Organization)
		case KindService:
			got = canonical(t, r.Service)
		}
		if w := want[r.ID()]; w != got {
			t.Errorf("%s %q differs at %s", r.Kind, r.ID(), diff(w, got))
		}
	}
}

// plainNumber is a number as formatNumber writes it.
func plainNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil && !strings.ContainsAny(s, "eEnNiIxX_")
}

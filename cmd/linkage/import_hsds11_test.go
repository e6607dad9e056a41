package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// `linkage import` of an HSDS 1.1 package says it was mapped and lists
// what did not map, then imports.
func TestImportHSDS11(t *testing.T) {
	env := envMap(map[string]string{"LINKAGE_DATA_DIR": t.TempDir()})
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"import", "../../internal/hsds11/testdata/package"}, env, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s %s", code, out.String(), errOut.String())
	}
	for _, want := range []string{
		"is an HSDS 1.1 package: it was mapped to HSDS 3.1.",
		`locations.csv column x_parking (1 row): HSDS 1.1 has no such column and HSDS 3.1 no place for it; it was left out; e.g. row 2 (id 1) "20 spaces"`,
		"volunteer_opportunities.csv (2 rows)",
		"imported ../../internal/hsds11/testdata/package: 2 organizations, 2 services, 4 taxonomy terms",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// TestCLI_ExportFormulaCells: linkage export --format csv writes service
// names a spreadsheet would run as formulas after one apostrophe, keeps
// coordinates plain numbers, and linkage import of that package into an
// empty database restores the exact names, on both databases.
func TestCLI_ExportFormulaCells(t *testing.T) {
	names := []string{"=cmd|' /C calc'!A0", "+SUM(1,2)", "-x", "@SUM(1)", "\t=1+1", "'=already quoted"}
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			org := storetest.Organization("csv", len(names), "T1")
			for i := range org.Services {
				org.Services[i].Name = names[i]
			}
			var in bytes.Buffer
			for _, doc := range []any{storetest.Term("T1", ""), org} {
				line, err := json.Marshal(doc)
				if err != nil {
					t.Fatal(err)
				}
				in.Write(append(line, '\n'))
			}
			src := filepath.Join(dir, "in.jsonl")
			if err := os.WriteFile(src, in.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			env := envMap(map[string]string{"LINKAGE_DATA_DIR": dir, "LINKAGE_DATABASE_URL": storetest.URL(t, d)})
			pkg := filepath.Join(dir, "package")
			for _, args := range [][]string{{"migrate"}, {"import", src}, {"export", "--format", "csv", pkg}} {
				var out bytes.Buffer
				if code := run(ctx, args, env, &out, &out); code != 0 {
					t.Fatalf("%v: exit %d: %s", args, code, out.String())
				}
			}

			rows := readCSVFile(t, filepath.Join(pkg, "services.csv"))
			name := slices.Index(rows[0], "name")
			var got []string
			for _, row := range rows[1:] {
				got = append(got, row[name])
			}
			for _, n := range names {
				if !slices.Contains(got, "'"+n) {
					t.Errorf("services.csv names %q, want %q after one apostrophe", got, n)
				}
			}
			locs := readCSVFile(t, filepath.Join(pkg, "locations.csv"))
			if lon := slices.Index(locs[0], "longitude"); len(locs) != 2 || locs[1][lon] != "-80.2" {
				t.Errorf("locations.csv longitude: %q, want the plain number -80.2", locs)
			}

			// Import the package into an empty database.
			url := storetest.URL(t, d)
			fresh := envMap(map[string]string{"LINKAGE_DATA_DIR": t.TempDir(), "LINKAGE_DATABASE_URL": url})
			for _, args := range [][]string{{"migrate"}, {"import", pkg}} {
				var out bytes.Buffer
				if code := run(ctx, args, fresh, &out, &out); code != 0 {
					t.Fatalf("%v into an empty database: exit %d: %s", args, code, out.String())
				}
			}
			st, err := store.Open(ctx, url, storetest.Logger())
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			svcs, _, err := st.ListServices(ctx, store.Filter{}, store.Paging{Number: 1, Size: 50}, store.ShapeList)
			if err != nil {
				t.Fatal(err)
			}
			byID := map[string]string{}
			for _, s := range svcs {
				byID[s.ID] = s.Name
			}
			for _, s := range org.Services {
				if byID[s.ID] != s.Name {
					t.Errorf("service %s imported as %q, want %q", s.ID, byID[s.ID], s.Name)
				}
			}
		})
	}
}

func readCSVFile(t *testing.T, path string) [][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("%s is not CSV: %v", filepath.Base(path), err)
	}
	return rows
}

package importer_test

import (
	"archive/zip"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/hsdstest"
	"github.com/linkage-org/linkage/internal/importer"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
	"github.com/linkage-org/linkage/seed"
)

func loadDemo(t *testing.T, st *store.Store) {
	t.Helper()
	for _, name := range seed.DemoFiles {
		if _, err := importer.ImportFS(context.Background(), st, seed.Demo(), name, importer.Options{}); err != nil {
			t.Fatalf("demo %s: %v", name, err)
		}
	}
}

// snapshot is what the API would serve for the whole directory, with the
// import's own metadata rows left out (each import records itself).
func snapshot(t *testing.T, st *store.Store) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.StreamTaxonomyTerms(ctx, store.Filter{}, func(x *hsds.TaxonomyTerm) error {
		x.Metadata = dropImports(x.Metadata)
		return enc.Encode(x)
	}))
	must(st.StreamOrganizations(ctx, store.Filter{}, store.ShapeFullServices, func(o *hsds.Organization) error {
		o.Metadata = dropImports(o.Metadata)
		for i := range o.Services {
			o.Services[i].Metadata = dropImports(o.Services[i].Metadata)
			for j := range o.Services[i].ServiceAtLocations {
				if l := o.Services[i].ServiceAtLocations[j].Location; l != nil {
					l.Metadata = dropImports(l.Metadata)
				}
			}
		}
		for i := range o.Locations {
			o.Locations[i].Metadata = dropImports(o.Locations[i].Metadata)
		}
		return enc.Encode(o)
	}))
	return b.String()
}

func dropImports(ms []hsds.Metadata) []hsds.Metadata {
	var out []hsds.Metadata
	for _, m := range ms {
		if m.LastActionType != "import" {
			out = append(out, m)
		}
	}
	return out
}

// TestImport_RoundTrip: demo → export → import into a fresh database gives
// the same directory, through JSON Lines and through the CSV package, on
// both databases (export from one, import into the other).
func TestImport_RoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			src := storetest.Open(t, d)
			loadDemo(t, src)
			want := snapshot(t, src)
			if !strings.Contains(want, "Adult Primary Care") {
				t.Fatal("demo data not loaded")
			}
			other := storetest.Dialects[0]
			if other == d {
				other = storetest.Dialects[1]
			}
			for _, format := range []string{importer.FormatJSON, importer.FormatCSV} {
				t.Run(format, func(t *testing.T) {
					out := filepath.Join(t.TempDir(), "export")
					if format == importer.FormatJSON {
						out += ".jsonl"
					}
					rep, err := importer.Export(ctx, src, format, out)
					if err != nil {
						t.Fatal(err)
					}
					if rep.Services < 250 || rep.Organizations < 60 || rep.Terms < 90 {
						t.Fatalf("export wrote %+v", rep)
					}
					dst := storetest.Open(t, other)
					irep, err := importer.Import(ctx, dst, out, importer.Options{})
					if err != nil {
						for _, p := range irep.Problems[:min(10, len(irep.Problems))] {
							t.Log(p)
						}
						t.Fatal(err)
					}
					got := snapshot(t, dst)
					if got != want {
						t.Fatalf("round trip through %s changed the directory:\n%s", format, firstDiff(want, got))
					}
				})
			}
		})
	}
}

func firstDiff(a, b string) string {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			lo := max(0, i-200)
			return "want …" + a[lo:min(len(a), i+200)] + "\n got …" + b[lo:min(len(b), i+200)]
		}
	}
	return "lengths differ"
}

// TestImport_Problems: a file with any bad record writes nothing and lists
// every problem with its line, record id and field.
func TestImport_Problems(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.Organization("good", 1, "BD-1")
		terms := []hsds.TaxonomyTerm{storetest.Term("BD", ""), storetest.Term("BD-1", "BD")}
		lines := []any{terms[0], terms[1], org}
		bad := storetest.Organization("bad", 1, "BD-1")
		bad.Services[0].Status = "open"
		bad.Services[0].Email = "not an email"
		lines = append(lines, bad)
		orphan := storetest.Organization("orphan", 1, "BD-1").Services[0]
		orphan.OrganizationID = storetest.ID("no-such-org")
		orphan.Normalize()
		lines = append(lines, orphan)
		path := writeJSONL(t, lines...)

		rep, err := importer.Import(ctx, st, path, importer.Options{})
		if !errors.Is(err, importer.ErrProblems) {
			t.Fatalf("want ErrProblems, got %v", err)
		}
		text := ""
		for _, p := range rep.Problems {
			text += p.String() + "\n"
		}
		for _, want := range []string{
			"input.jsonl:4: record " + bad.ID + ": /services/0/status",
			"input.jsonl:4: record " + bad.ID + ": /services/0/email",
			"input.jsonl:5: record " + orphan.ID + ": /organization_id: names organization " + storetest.ID("no-such-org"),
			"input.jsonl:5: record " + orphan.ID + ": /service_at_locations/0/location_id: names location " + storetest.ID("loc:orphan"),
		} {
			if !strings.Contains(text, want) {
				t.Fatalf("problems lack %q:\n%s", want, text)
			}
		}
		if len(rep.Problems) != 4 {
			t.Fatalf("want exactly 4 problems, got:\n%s", text)
		}
		counts, err := st.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for table, n := range counts {
			if n != 0 {
				t.Fatalf("a file with problems wrote %d rows to %s", n, table)
			}
		}

		// Dry run of a good file: no problems, nothing written.
		good := writeJSONL(t, terms[0], terms[1], org)
		rep, err = importer.Import(ctx, st, good, importer.Options{DryRun: true})
		if err != nil || rep.Written || rep.Services != 1 {
			t.Fatalf("dry run: %+v %v", rep, err)
		}
		if counts, _ := st.Counts(ctx); counts["services"] != 0 {
			t.Fatal("dry run wrote")
		}
		// The same file for real, twice: upsert by id, nothing doubles.
		for range 2 {
			if _, err := importer.Import(ctx, st, good, importer.Options{}); err != nil {
				t.Fatal(err)
			}
		}
		if counts, _ := st.Counts(ctx); counts["services"] != 1 || counts["organizations"] != 1 || counts["taxonomy_terms"] != 2 {
			t.Fatalf("after two imports: %v", counts)
		}
		// A service file that names an organization already in the
		// directory is fine.
		later := storetest.Organization("good", 2, "BD-1").Services[1]
		if _, err := importer.Import(ctx, st, writeJSONL(t, later), importer.Options{}); err != nil {
			t.Fatalf("reference to a stored organization: %v", err)
		}
	})
}

func writeJSONL(t *testing.T, docs ...any) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "input.jsonl")
	var b strings.Builder
	for _, d := range docs {
		js, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(js)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestImport_HSDSExamplePackage: the spec's own CSV example has broken
// foreign keys upstream; the import reports them and writes nothing.
func TestImport_HSDSExamplePackage(t *testing.T) {
	st := storetest.Open(t, "sqlite")
	rep, err := importer.Import(context.Background(), st, filepath.Join(hsdstest.Dir(), "examples", "csv"), importer.Options{})
	if !errors.Is(err, importer.ErrProblems) || len(rep.Problems) == 0 {
		t.Fatalf("want problems, got %v (%d)", err, len(rep.Problems))
	}
	for _, p := range rep.Problems {
		if p.Source == "" || p.Message == "" {
			t.Fatalf("problem without source or message: %+v", p)
		}
	}
}

// TestImport_MalformedReferences: ids that are not UUIDs are validation
// problems on both databases, never a database type error.
func TestImport_MalformedReferences(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		path := filepath.Join(t.TempDir(), "bad.jsonl")
		doc := `{"id":"x","name":"No","status":"active","organization_id":"y","service_at_locations":[{"id":"z","location_id":"w"}]}` + "\n"
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		rep, err := importer.Import(context.Background(), st, path, importer.Options{})
		if !errors.Is(err, importer.ErrProblems) {
			t.Fatalf("want problems, got %v", err)
		}
		fields := map[string]bool{}
		for _, p := range rep.Problems {
			fields[p.Field] = true
		}
		for _, f := range []string{"/id", "/organization_id", "/service_at_locations/0/id", "/service_at_locations/0/location_id"} {
			if !fields[f] {
				t.Fatalf("no problem at %s: %+v", f, rep.Problems)
			}
		}
	})
}

// TestImport_Zip: an exported CSV package, zipped, imports like the folder.
func TestImport_Zip(t *testing.T) {
	ctx := context.Background()
	src := storetest.Open(t, "sqlite")
	loadDemo(t, src)
	dir := filepath.Join(t.TempDir(), "pkg")
	if _, err := importer.Export(ctx, src, importer.FormatCSV, dir); err != nil {
		t.Fatal(err)
	}
	zipPath := filepath.Join(t.TempDir(), "pkg.zip")
	zf, err := os.Create(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(zf)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(e.Name())
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
	zf.Close()
	dst := storetest.Open(t, "postgres")
	rep, err := importer.Import(ctx, dst, zipPath, importer.Options{})
	if err != nil {
		t.Fatalf("zip import: %v %v", err, rep.Problems)
	}
	if snapshot(t, dst) != snapshot(t, src) {
		t.Fatal("zip import differs from the source directory")
	}
}

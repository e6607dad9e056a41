package importer_test

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/hsdsio"
	"github.com/linkage-org/linkage/internal/importer"
	"github.com/linkage-org/linkage/internal/seedgen"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
	"github.com/linkage-org/linkage/seed"
)

// writeSyntheticPackage writes a tabular package of n synthetic services
// (about 2.9 KB of CSV each) into a new folder.
func writeSyntheticPackage(t testing.TB, n int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "package")
	terms, err := seed.Taxonomy()
	if err != nil {
		t.Fatal(err)
	}
	if err := seedgen.WritePackage(dir, seedgen.Config{Services: n, Seed: 7}, terms); err != nil {
		t.Fatal(err)
	}
	return dir
}

func dirBytes(t testing.TB, dir string) int64 {
	t.Helper()
	var n int64
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		n += fi.Size()
	}
	return n
}

// heapPeak samples the live heap (as of each GC) while fn runs and returns
// the highest value above what was live before.
func heapPeak(fn func()) uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	base := s[0].Value.Uint64()
	stop, done := make(chan struct{}), make(chan uint64)
	go func() {
		var peak uint64
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-stop:
				done <- peak
				return
			case <-t.C:
			}
		}
	}()
	fn()
	runtime.GC() // the last collection's figure covers the end of fn
	close(stop)
	peak := <-done
	if peak < base {
		return 0
	}
	return peak - base
}

// heapBound is what a tabular import may hold live: the sort budget (16
// MiB), one batch of 200 records being written, the id sets of reference
// checking and the database driver's buffers. Measured: 14 MiB for this
// package; the reader that built every document in memory held 86 MiB.
const heapBound = 40 << 20

// A valid tabular package of about 25 MB imports with a live heap under
// heapBound (the 200 MB figure is in docs/benchmarks.md).
func TestImport_PackageInBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and imports a 25 MB package")
	}
	dir := writeSyntheticPackage(t, 8500)
	size := dirBytes(t, dir)
	if size < 20<<20 {
		t.Fatalf("the package is %d bytes; the test needs at least 20 MB to mean something", size)
	}
	st := storetest.Open(t, store.SQLite)
	var rep importer.Report
	var err error
	peak := heapPeak(func() {
		rep, err = importer.Import(context.Background(), st, dir, importer.Options{Name: "synthetic"})
	})
	if err != nil {
		t.Fatalf("import: %v; %v", err, rep.Problems[:min(5, len(rep.Problems))])
	}
	if rep.Services != 8500 {
		t.Fatalf("imported %d services, want 8500", rep.Services)
	}
	t.Logf("%.1f MB package, %d records: live heap peak %.1f MiB in %s", float64(size)/1e6, rep.Records(), float64(peak)/(1<<20), rep.Took)
	if peak > heapBound {
		t.Errorf("live heap peaked %.1f MiB above the start, over the bound of %d MiB", float64(peak)/(1<<20), heapBound>>20)
	}
}

// A file of one repeated row keeps the first MaxProblems problems and the
// count of the rest, each message short, and writes nothing.
func TestImport_RepeatedRowBoundedProblems(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		dir := t.TempDir()
		row := "11111111-1111-4111-8111-111111111111,Same organization," + strings.Repeat("A description. ", 20) + "\n"
		const rows = 30000
		data := "id,name,description\n" + strings.Repeat(row, rows)
		if err := os.WriteFile(filepath.Join(dir, "organizations.csv"), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		rep, err := importer.Import(ctx, st, dir, importer.Options{})
		if !errors.Is(err, importer.ErrProblems) {
			t.Fatalf("err = %v, want ErrProblems", err)
		}
		if len(rep.Problems) != importer.MaxProblems || rep.ProblemsOmitted != rows-1-importer.MaxProblems {
			t.Fatalf("kept %d problems, omitted %d; want %d and %d", len(rep.Problems), rep.ProblemsOmitted, importer.MaxProblems, rows-1-importer.MaxProblems)
		}
		// The first ones, in row order: rows 3, 4, ... repeat row 2.
		if rep.Problems[0].Line != 3 || rep.Problems[importer.MaxProblems-1].Line != importer.MaxProblems+2 {
			t.Errorf("kept rows %d..%d, want 3..%d", rep.Problems[0].Line, rep.Problems[len(rep.Problems)-1].Line, importer.MaxProblems+2)
		}
		for _, p := range rep.Problems {
			if len(p.Message) > 500 || !strings.Contains(p.Message, "is also the id of row 2") {
				t.Fatalf("problem %s", p)
			}
		}
		if c, _ := st.Counts(ctx); c["organizations"] != 0 {
			t.Errorf("wrote %d organizations", c["organizations"])
		}
	})
}

// A NUL byte or bytes that are not UTF-8 in a cell or a JSON value are
// problems naming the file, the row and the field, the same on both
// databases, and nothing is written.
func TestImport_BadText(t *testing.T) {
	org := storetest.ID("org:text")
	svc := storetest.ID("svc:text")
	phone := storetest.ID("phone:text")
	csvDir := func(t *testing.T) string {
		dir := t.TempDir()
		files := map[string]string{
			"organizations.csv": "id,name,description\n" + org + ",Org\x00anisation,Fine\n",
			"services.csv":      "id,organization_id,name,status\n" + svc + "," + org + ",Caf\xe9,active\n",
			"phones.csv":        "id,service_id,number\n" + phone + "," + svc + ",555\x000100\n",
		}
		for name, data := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	jsonFile := func(t *testing.T) string {
		path := filepath.Join(t.TempDir(), "text.jsonl")
		doc := `{"id":"` + org + `","name":"Org\u0000","description":"D"}` + "\n" +
			`{"id":"` + svc + `","organization_id":"` + org + `","name":"Caf` + "\xe9" + `","status":"active"}` + "\n"
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	want := map[string][]string{
		"csv": {
			"organizations.csv:2: record " + org + ": name: the name cell holds a NUL byte (U+0000) at byte 4; text may not contain it: remove it",
			"phones.csv:2: record " + phone + ": number: the number cell holds a NUL byte (U+0000) at byte 4; text may not contain it: remove it",
			// Validation quotes the number it cannot read, escaped.
			"services.csv:2: record " + svc + `: /phones/0/number: must be a phone number of digits, spaces and + ( ) - . such as 305-555-0142, got "555\x000100"`,
			"services.csv:2: record " + svc + ": name: the name cell is not valid UTF-8 (byte 0xE9 at byte 4); save the file as UTF-8",
		},
		"json": {
			"text.jsonl:1: record " + org + `: /name: the value at /name holds a NUL character (\u0000); text may not contain it: remove it`,
			"text.jsonl:2: record " + svc + ": /name: the value at /name is not valid UTF-8 (byte 0xE9 at byte 114 of the document); save the file as UTF-8",
		},
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		for format, input := range map[string]func(*testing.T) string{"csv": csvDir, "json": jsonFile} {
			rep, err := importer.Import(context.Background(), st, input(t), importer.Options{})
			if !errors.Is(err, importer.ErrProblems) {
				t.Fatalf("%s: err = %v, want problems", format, err)
			}
			var got []string
			for _, p := range rep.Problems {
				got = append(got, p.String())
			}
			if !reflect.DeepEqual(got, want[format]) {
				t.Errorf("%s problems:\n%s\nwant:\n%s", format, strings.Join(got, "\n"), strings.Join(want[format], "\n"))
			}
			if c, _ := st.Counts(context.Background()); c["organizations"]+c["services"] != 0 {
				t.Errorf("%s: wrote %v", format, c)
			}
		}
	})
}

// zipOf writes files into a zip at path.
func zipOf(t *testing.T, path string, files map[string]string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, data := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// A zip that expands past a limit is refused before it is expanded, with
// a message that says the limit and the setting, and names the upload as
// the client called it.
func TestImport_Limits(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	path := filepath.Join(t.TempDir(), "linkage-import-0000.zip")
	row := "11111111-1111-4111-8111-111111111111,Same,Same\n"
	zipOf(t, path, map[string]string{
		"organizations.csv": "id,name,description\n" + strings.Repeat(row, 100000), // 4.8 MB, compresses to a few KB
		"services.csv":      "id,organization_id,name,status\n",
	})
	if fi, _ := os.Stat(path); fi.Size() > 100<<10 {
		t.Fatalf("the zip is %d bytes; it should be a small bomb", fi.Size())
	}
	for _, tc := range []struct {
		name    string
		lim     hsdsio.Limits
		setting string
	}{
		{"Entry", hsdsio.Limits{EntryBytes: 1 << 20, TotalBytes: 1 << 30}, importer.EntryLimitSetting},
		{"Total", hsdsio.Limits{EntryBytes: 1 << 30, TotalBytes: 2 << 20}, importer.TotalLimitSetting},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for what, err := range map[string]error{
				"CheckLimits": importer.CheckLimits(path, "upload.zip", tc.lim),
				"Import":      importErr(st, path, tc.lim),
			} {
				if !apperr.Is(err, apperr.TooLarge) {
					t.Fatalf("%s: %v, want TooLarge", what, err)
				}
				msg := err.Error()
				if !strings.Contains(msg, tc.setting) || !strings.Contains(msg, fmt.Sprint(min(tc.lim.EntryBytes, tc.lim.TotalBytes))) ||
					!strings.Contains(msg, "upload.zip") || strings.Contains(msg, "linkage-import-") {
					t.Errorf("%s: message %q should name the upload, the limit and %s, not the temp file", what, msg, tc.setting)
				}
			}
		})
	}
	if err := importer.CheckLimits(path, "upload.zip", hsdsio.Limits{EntryBytes: 8 << 20, TotalBytes: 8 << 20}); err != nil {
		t.Errorf("within the limits: %v", err)
	}
	// A file that is not a zip says what to send instead, by its own name.
	notZip := filepath.Join(t.TempDir(), "linkage-import-0001.zip")
	if err := os.WriteFile(notZip, []byte("id,name\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := importer.Import(context.Background(), st, notZip, importer.Options{Name: "services.zip"})
	if !apperr.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), "services.zip is not a zip archive") ||
		!strings.Contains(err.Error(), ".jsonl") || strings.Contains(err.Error(), "linkage-import-") {
		t.Errorf("not a zip: %v", err)
	}
}

func importErr(st *store.Store, path string, lim hsdsio.Limits) error {
	_, err := importer.Import(context.Background(), st, path, importer.Options{Name: "upload.zip", Limits: lim})
	return err
}

package hsdsio

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/linkage-org/linkage/internal/apperr"
)

// readWith reads fsys with a sort budget of memory bytes and renders every
// record and problem, so two reads can be compared.
func readWith(t *testing.T, fsys fs.FS, memory int) (string, []Problem) {
	t.Helper()
	probs := NewProblems(0)
	p, err := OpenPackage(context.Background(), fsys, PackageOptions{Memory: memory, Problems: probs, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var b strings.Builder
	err = p.Records(func(r Record) error {
		doc, err := json.Marshal(struct {
			R Record
		}{r})
		b.Write(doc)
		b.WriteByte('\n')
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String(), probs.List()
}

// Sorting on disk gives what sorting in memory gives: a budget of one byte
// writes every row to its own run and merges runs in several passes.
func TestOpenPackage_SpilledSameAsInMemory(t *testing.T) {
	dir := t.TempDir()
	writePackage(t, dir, richDirectory())
	orphans := fstest.MapFS{
		"organizations.csv": {Data: []byte(orgHeader + "o1,Org,Desc\no1,Again,Desc\n")},
		"services.csv":      {Data: []byte(svcHeader + "s1,o1,,Meals,,,,,active,,,,,,,,,,,,,,\n")},
		"phones.csv": {Data: []byte(phoneHeader + "p1,,s1,,,,555-0100,,,\np2,,s9,,,,555-0101,,,\n" +
			"p3,,,,,,555-0102,,,\np4,,s1,o9,,,555-0103,,,\np5,,s1,o1,,,555-0104,,,\n")},
		"languages.csv":  {Data: []byte("id,phone_id,code\nl1,p9,es\nl2,p1,en\nl3,p1,fr\n")},
		"attributes.csv": {Data: []byte("id,link_id,taxonomy_term_id\na1,p1,t1\na2,s1,t1\na3,zz,t1\n")},
		"metadata.csv":   {Data: []byte("id,resource_id,field_name\nm1,a1,x\nm2,o1,y\nm3,nope,z\n")},
	}
	for name, fsys := range map[string]fs.FS{"Rich": os.DirFS(dir), "Orphans": orphans, "Example": os.DirFS(exampleDir)} {
		t.Run(name, func(t *testing.T) {
			want, wantProbs := readWith(t, fsys, 0)
			if want == "" {
				t.Fatal("read nothing")
			}
			got, gotProbs := readWith(t, fsys, 1)
			if got != want {
				t.Errorf("spilled read differs:\n%s", diff(want, got))
			}
			if !reflect.DeepEqual(gotProbs, wantProbs) {
				t.Errorf("problems differ:\n%s\nwant:\n%s", problemList(gotProbs), problemList(wantProbs))
			}
		})
	}
}

func TestSorter_StableAcrossRuns(t *testing.T) {
	sp, err := newSpill(t.TempDir(), 200) // a run every item or two
	if err != nil {
		t.Fatal(err)
	}
	defer sp.close()
	s := sp.sorter()
	const n = 500
	for i := range n {
		// Keys repeat; equal keys must come back in the order added.
		if err := s.add(fmt.Sprintf("k%03d", (i*7)%50), "", []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	if len(s.runs) < fanIn*2 {
		t.Fatalf("only %d runs: the test does not exercise merging in passes", len(s.runs))
	}
	for pass := range 2 { // a sorter can be read more than once
		it, err := s.iter()
		if err != nil {
			t.Fatal(err)
		}
		prevKey, prevVal, count := "", -1, 0
		for {
			x, ok, err := it.next()
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			var v int
			fmt.Sscan(string(x.val), &v)
			if x.k1 < prevKey || x.k1 == prevKey && v < prevVal {
				t.Fatalf("pass %d: %s/%d after %s/%d", pass, x.k1, v, prevKey, prevVal)
			}
			prevKey, prevVal = x.k1, v
			count++
		}
		it.close()
		if count != n {
			t.Fatalf("pass %d: %d items, want %d", pass, count, n)
		}
	}
}

func TestProblems_KeepsFirstAndCounts(t *testing.T) {
	p := NewProblems(3)
	for _, line := range []int{9, 4, 7, 1, 8, 2, 6} {
		p.Add(Problem{Source: "a.csv", Line: line, Message: strings.Repeat("x", 2000)})
	}
	got := p.List()
	if len(got) != 3 || got[0].Line != 1 || got[1].Line != 2 || got[2].Line != 4 {
		t.Fatalf("kept %+v, want lines 1, 2, 4", got)
	}
	if p.Total() != 7 || p.Omitted() != 4 {
		t.Errorf("total %d omitted %d, want 7 and 4", p.Total(), p.Omitted())
	}
	if n := len(got[0].Message); n > maxProblemMessage+len("…") {
		t.Errorf("message kept at %d bytes", n)
	}
	p.Add(Problem{Source: "b\x00.csv", RecordID: "\xff"})
	for _, x := range p.List() {
		if strings.ContainsRune(x.Source, 0) || !utf8Valid(x.RecordID) {
			t.Errorf("problem text not sanitised: %+v", x)
		}
	}
}

// ProblemFunc hands on every problem, clipped, and keeps none.
func TestProblemFunc(t *testing.T) {
	var got []Problem
	p := ProblemFunc(func(x Problem) { got = append(got, x) })
	p.Add(Problem{Source: "a.csv", Line: 2, Message: strings.Repeat("x", 2000)})
	p.Add(Problem{Source: "a.csv", Line: 1, RecordID: "\xff"})
	if len(got) != 2 || got[0].Line != 2 || len(got[0].Message) > maxProblemMessage+len("…") || !utf8Valid(got[1].RecordID) {
		t.Fatalf("handed on %+v", got)
	}
	if p.List() != nil || p.Total() != 2 {
		t.Errorf("kept %v, total %d", p.List(), p.Total())
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "") == s }

// A NUL byte or bytes that are not UTF-8 in a cell are problems naming the
// row and the column, whatever column it is.
func TestReadPackage_BadText(t *testing.T) {
	fsys := fstest.MapFS{
		"organizations.csv": {Data: []byte(orgHeader + "o1,Nul\x00Org,Desc\no2,Org,Bad \xff\xfe text\n")},
		"services.csv":      {Data: []byte(svcHeader + "s1,o1,,Meals,,,,,active,,,,,,,,,,,,,,\n")},
		"phones.csv":        {Data: []byte(phoneHeader + "p1,,s1,,,,555\x000100,,,\n")},
	}
	_, probs, err := ReadPackage(fsys)
	if err != nil {
		t.Fatal(err)
	}
	want := []Problem{
		{Source: "organizations.csv", Line: 2, RecordID: "o1", Field: "name",
			Message: "the name cell holds a NUL byte (U+0000) at byte 4; text may not contain it: remove it"},
		{Source: "organizations.csv", Line: 3, RecordID: "o2", Field: "description",
			Message: "the description cell is not valid UTF-8 (byte 0xFF at byte 5); save the file as UTF-8"},
		{Source: "phones.csv", Line: 2, RecordID: "p1", Field: "number",
			Message: "the number cell holds a NUL byte (U+0000) at byte 4; text may not contain it: remove it"},
	}
	if !reflect.DeepEqual(probs, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", problemList(probs), problemList(want))
	}
}

func TestReadJSON_BadText(t *testing.T) {
	input := `{"id":"s1","name":"Nul\u0000","status":"active"}` + "\n" +
		"{\"id\":\"s2\",\"name\":\"ok\",\"status\":\"active\",\"phones\":[{\"id\":\"p\",\"number\":\"\xff\"}]}\n" +
		`{"id":"s3","name":"half \ud800 pair","status":"active"}` + "\n" +
		`{"id":"s4","name":"pair \ud83d\ude00 and \\u0000 text","status":"active"}` + "\n"
	var ids []string
	probs, err := ReadJSON(strings.NewReader(input), "in.jsonl", func(r Record) error { ids = append(ids, r.ID()); return nil })
	if err != nil {
		t.Fatal(err)
	}
	want := []Problem{
		{Source: "in.jsonl", Line: 1, RecordID: "s1", Field: "/name",
			Message: `the value at /name holds a NUL character (\u0000); text may not contain it: remove it`},
		{Source: "in.jsonl", Line: 2, RecordID: "s2", Field: "/phones/0/number",
			Message: "the value at /phones/0/number is not valid UTF-8 (byte 0xFF at byte 72 of the document); save the file as UTF-8"},
		{Source: "in.jsonl", Line: 3, RecordID: "s3", Field: "/name",
			Message: `the value at /name has the escape \ud800, half of a UTF-16 surrogate pair; text must be valid Unicode`},
	}
	if !reflect.DeepEqual(probs, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", problemList(probs), problemList(want))
	}
	if !reflect.DeepEqual(ids, []string{"s4"}) {
		t.Errorf("records read: %v, want only s4 (a real pair and an escaped backslash are text)", ids)
	}
}

// Problems about the shape of a document say what to send, never a Go type.
func TestReadJSON_NoGoTypesInMessages(t *testing.T) {
	docs := []string{
		`{"id":"s1","name":"x","status":"active","phones":{"id":"p"}}`,
		`{"id":"s1","name":"x","status":"active","capacities":[{"id":"c","unit":"beds"}]}`,
		`{"id":"s1","name":"x","status":"active","minimum_age":"ten"}`,
		`{"id":"s1","name":"x","status":"active","last_modified":"soon"}`,
		`{"id":"s1","name":["x"],"status":"active"}`,
		`{"id":"o1","name":"x","description":"d","locations":[{"id":"l","latitude":{}}]}`,
	}
	probs, err := ReadJSON(strings.NewReader(strings.Join(docs, "\n")), "in.jsonl", func(Record) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(probs) != len(docs) {
		t.Fatalf("%d problems for %d broken documents: %v", len(probs), len(docs), probs)
	}
	for _, p := range probs {
		for _, bad := range []string{"hsds.", "[]", "Go ", "struct", "float64", "time.Time", "json:"} {
			if strings.Contains(p.Message, bad) {
				t.Errorf("%s: message names %q", p, bad)
			}
		}
	}
}

// lyingFS declares every file as 10 bytes, as a crafted zip's central
// directory could.
type lyingFS struct{ fstest.MapFS }

type lyingInfo struct{ fs.FileInfo }

func (lyingInfo) Size() int64 { return 10 }

func (l lyingFS) Stat(name string) (fs.FileInfo, error) {
	fi, err := l.MapFS.Stat(name)
	if err != nil {
		return nil, err
	}
	return lyingInfo{fi}, nil
}

func TestOpenPackage_Limits(t *testing.T) {
	big := orgHeader + strings.Repeat("o1,Org,Desc\n", 1000) // 12 KB
	fsys := fstest.MapFS{"organizations.csv": {Data: []byte(big)}, "services.csv": {Data: []byte(svcHeader)}}
	for _, tc := range []struct {
		name    string
		fsys    fs.FS
		lim     Limits
		counted bool
		total   bool
	}{
		{"DeclaredEntry", fsys, Limits{EntryBytes: 4096}, false, false},
		{"DeclaredTotal", fsys, Limits{EntryBytes: 1 << 20, TotalBytes: 8000}, false, true},
		{"CountedEntry", lyingFS{fsys}, Limits{EntryBytes: 4096}, true, false},
		{"CountedTotal", lyingFS{fsys}, Limits{TotalBytes: 8000}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			probs := NewProblems(10)
			_, err := OpenPackage(context.Background(), tc.fsys, PackageOptions{Limits: tc.lim, Problems: probs, TempDir: t.TempDir()})
			var le *LimitError
			if !errors.As(err, &le) {
				t.Fatalf("err = %v, want a *LimitError", err)
			}
			if le.Counted != tc.counted || le.Total != tc.total || le.Name != "organizations.csv" && le.Name != "services.csv" {
				t.Errorf("limit error %+v", le)
			}
			if !strings.Contains(le.Error(), fmt.Sprint(le.Limit)) {
				t.Errorf("message %q does not say the limit", le.Error())
			}
		})
	}
	if _, err := OpenPackage(context.Background(), fsys, PackageOptions{Limits: Limits{EntryBytes: 1 << 20, TotalBytes: 1 << 20}, TempDir: t.TempDir()}); err != nil {
		t.Errorf("within the limits: %v", err)
	}
}

// A zip whose entry declares fewer bytes than it holds fails as damaged,
// not as an internal error, and CheckZip refuses what it declares.
func TestZip_DeclaredSizes(t *testing.T) {
	data := []byte(orgHeader + strings.Repeat("o1,Org,Desc\n", 1000))
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "organizations.csv", Method: zip.Store,
		CompressedSize64: uint64(len(data)), UncompressedSize64: 100, CRC32: crc32.ChecksumIEEE(data), Modified: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	zw.Close()
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckZip(zr, Limits{EntryBytes: 1000}); err != nil {
		t.Errorf("declared 100 bytes: %v", err)
	}
	var le *LimitError
	if err := CheckZip(zr, Limits{EntryBytes: 50}); !errors.As(err, &le) || le.Size != 100 {
		t.Errorf("declared 100 bytes, limit 50: %v", err)
	}
	_, err = OpenPackage(context.Background(), zr, PackageOptions{TempDir: t.TempDir()})
	if !apperr.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), "archive is damaged") {
		t.Errorf("lying entry: %v, want the archive reported damaged", err)
	}
}

// A row longer than a document may be stops that table with a problem
// instead of being held in memory.
func TestReadPackage_HugeRow(t *testing.T) {
	huge := orgHeader + "o1,Org,Desc\n" + `o2,"` + strings.Repeat("x\n", maxDocBytes/2+10000) + `",D` + "\n"
	recs, probs, err := ReadPackage(fstest.MapFS{"organizations.csv": {Data: []byte(huge)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || len(probs) != 1 || probs[0].Line != 3 || !strings.Contains(probs[0].Message, "longer than 16 MiB") {
		t.Errorf("records %d, problems %v", len(recs), probs)
	}
	// The rest of the file is lost: the input's problem, not the row's.
	if len(probs) == 1 && !probs[0].Input {
		t.Errorf("a row that stops the file is not marked as the input's: %+v", probs[0])
	}
}

// A record nesting more than one document may hold is refused with a
// problem, so one organization with a million locations cannot be built
// in memory.
func TestReadPackage_OversizedRecord(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,organization_id,name,description\n")
	desc := strings.Repeat("d", 1000)
	for i := 0; b.Len() < maxDocBytes+(1<<20); i++ {
		fmt.Fprintf(&b, "l%d,o1,Loc,%s\n", i, desc)
	}
	fsys := fstest.MapFS{
		"organizations.csv": {Data: []byte(orgHeader + "o1,Big,Desc\no2,Small,Desc\n")},
		"locations.csv":     {Data: []byte(b.String() + "lx,o2,Loc,d\n")},
	}
	recs, probs, err := ReadPackage(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Organization.ID != "o2" || len(recs[0].Organization.Locations) != 1 {
		t.Errorf("got %d records, want only o2 with its location", len(recs))
	}
	if len(probs) != 1 || probs[0].RecordID != "o1" || !strings.Contains(probs[0].Message, "larger than 16 MiB") {
		t.Errorf("problems %v", probs)
	}
}

// A read leaves no scratch files once closed; RemoveScratch clears those a
// stopped process left, and nothing else.
func TestOpenPackage_Scratch(t *testing.T) {
	dir := t.TempDir()
	writePackage(t, dir, richDirectory())
	tmp := t.TempDir()
	p, err := OpenPackage(context.Background(), os.DirFS(dir), PackageOptions{TempDir: tmp, Memory: 1})
	if err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 1 {
		t.Fatalf("while open: %d entries in the scratch folder, want its one folder", len(entries))
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Fatalf("after Close: %d entries left", len(entries))
	}
	for _, name := range []string{scratchPrefix + "123", "keep.txt"} {
		if err := os.Mkdir(filepath.Join(tmp, name), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := RemoveScratch(tmp); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 1 || entries[0].Name() != "keep.txt" {
		t.Fatalf("after RemoveScratch: %v", entries)
	}
}

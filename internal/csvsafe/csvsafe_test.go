package csvsafe

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		// Formula triggers get one apostrophe.
		{"=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"},
		{"+1 555 0100", "'+1 555 0100"},
		{"-x", "'-x"},
		{"-", "'-"},
		{"@SUM(1)", "'@SUM(1)"},
		{"\t=1+1", "'\t=1+1"},
		{"\r=1+1", "'\r=1+1"},
		{"=1+1", "'=1+1"},
		{"-1+2", "'-1+2"},
		{"-2e", "'-2e"},
		{"\uff1dHYPERLINK(\"x\")", "'\uff1dHYPERLINK(\"x\")"}, // full-width =
		{"\uff0b1", "'\uff0b1"},
		{"\uff0d1", "'\uff0d1"},
		{"\uff20SUM(1)", "'\uff20SUM(1)"},
		// An apostrophe already before a trigger gets another, so that
		// Unescape can tell "'=x" from the escape of "=x".
		{"'=x", "''=x"},
		{"''@x", "'''@x"},
		// Plain numbers stay numbers.
		{"-80.2", "-80.2"},
		{"+1", "+1"},
		{"-.5", "-.5"},
		{"-1.5e-3", "-1.5e-3"},
		{"'-80.2", "'-80.2"},
		// Everything else is left alone.
		{"", ""},
		{"'", "'"},
		{"'quoted'", "'quoted'"},
		{"Food pantry", "Food pantry"},
		{"a=b", "a=b"},
		{" =1+1", "' =1+1"},
		{"  \n@x", "'  \n@x"},
		{" -80.2", " -80.2"},
		{"\u00a0=1+1", "'\u00a0=1+1"},
		{"\u3000=1+1", "'\u3000=1+1"},
		{"\ufeff=1+1", "'\ufeff=1+1"},
		{"2026-01-02T03:04:05Z", "2026-01-02T03:04:05Z"},
		{"\n=1", "'\n=1"},
		{"\xff=1", "\xff=1"},
	} {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := Unescape(tc.want); got != tc.in {
			t.Errorf("Unescape(%q) = %q, want %q", tc.want, got, tc.in)
		}
	}
}

// TestUnescape_Foreign: text no Escape wrote keeps its apostrophe unless
// one stands before a trigger.
func TestUnescape_Foreign(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"'abc", "'abc"},
		{"'-80.2", "'-80.2"},
		{"'=x", "=x"},
		{"''", "''"},
		{"-x", "-x"},
	} {
		if got := Unescape(tc.in); got != tc.want {
			t.Errorf("Unescape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// isTrigger is the rule restated from the guidance, to check Escape's
// output against.
func isTrigger(r rune) bool {
	switch r {
	case '=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠':
		return true
	}
	return false
}

func FuzzEscape(f *testing.F) {
	for _, s := range []string{"=x", "'=x", "-80.2", "'", "", "＠x", "abc", "+1e5", "''-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := Escape(s)
		if got := Unescape(e); got != s {
			t.Fatalf("Unescape(Escape(%q)) = %q", s, got)
		}
		if r, _ := utf8.DecodeRuneInString(e); isTrigger(r) && !number.MatchString(e) {
			t.Fatalf("Escape(%q) = %q still starts a formula", s, e)
		}
	})
}

func TestWriter(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	rec := []string{"id", "=1+1", "-80.2", "a,b"}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	if rec[1] != "=1+1" {
		t.Errorf("Write changed its record: %q", rec)
	}
	if got, want := buf.String(), "id,'=1+1,-80.2,\"a,b\"\n"; got != want {
		t.Errorf("wrote %q, want %q", got, want)
	}
}

// TestNoOtherCSVWriter keeps every CSV writer of the module on this
// package, so none can forget to escape.
func TestNoOtherCSVWriter(t *testing.T) {
	root := filepath.Join("..", "..")
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found: %v", err)
	}
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		if filepath.Base(filepath.Dir(path)) == "csvsafe" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		checked++
		if bytes.Contains(data, []byte("csv.NewWriter(")) {
			t.Errorf("%s calls csv.NewWriter; use csvsafe.NewWriter so its cells are escaped", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Fatalf("checked only %d files", checked)
	}
}

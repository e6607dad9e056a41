package hsds11

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Note is one kind of thing in a 1.1 file that HSDS 3.1 could not take as
// it was: a table or column with no place in 3.1, values that do not fit,
// or values kept in another form. It says how many rows it concerns and
// shows the first few. Notes do not stop an import.
type Note struct {
	File     string    `json:"file"`             // the 1.1 file, as in the package
	Column   string    `json:"column,omitempty"` // "" for the whole file
	Rows     int       `json:"rows"`             // rows concerned
	Dropped  bool      `json:"dropped"`          // the values are not in the directory at all
	Message  string    `json:"message"`
	Examples []Example `json:"examples,omitempty"`
}

// Example is one row a note concerns.
type Example struct {
	Row      int    `json:"row,omitempty"`
	RecordID string `json:"record_id,omitempty"` // its 1.1 id
	Value    string `json:"value,omitempty"`
}

// String is the note as one line: file, column, count, message, examples.
func (n Note) String() string {
	var b strings.Builder
	b.WriteString(n.File)
	if n.Column != "" {
		b.WriteString(" column " + n.Column)
	}
	fmt.Fprintf(&b, " (%d %s): %s", n.Rows, plural(n.Rows, "row", "rows"), n.Message)
	for i, e := range n.Examples {
		sep := "; e.g. "
		if i > 0 {
			sep = ", "
		}
		b.WriteString(sep + "row " + strconv.Itoa(e.Row))
		if e.RecordID != "" {
			b.WriteString(" (id " + e.RecordID + ")")
		}
		if e.Value != "" {
			b.WriteString(" " + strconv.Quote(e.Value))
		}
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Bounds on the report: a hostile package must not make it large.
const (
	maxExamples = 3
	maxNotes    = 200
	maxExample  = 80
)

// notes collects notes by file, column and message.
type notes struct {
	by      map[[3]string]*Note
	omitted int // rows of notes beyond maxNotes
}

func newNotes() *notes { return &notes{by: map[[3]string]*Note{}} }

func (ns *notes) add(file, column, msg string, dropped bool, ex Example) {
	k := [3]string{file, column, msg}
	n, ok := ns.by[k]
	if !ok {
		if len(ns.by) >= maxNotes {
			ns.omitted++
			return
		}
		n = &Note{File: file, Column: column, Dropped: dropped, Message: msg}
		ns.by[k] = n
	}
	n.Rows++
	if len(n.Examples) < maxExamples && (ex.Row > 0 || ex.Value != "") {
		ex.RecordID, ex.Value = clip(ex.RecordID), clip(ex.Value)
		n.Examples = append(n.Examples, ex)
	}
}

// list is the notes by file and column, the rest's count last.
func (ns *notes) list() []Note {
	out := make([]Note, 0, len(ns.by)+1)
	for _, n := range ns.by {
		out = append(out, *n)
	}
	slices.SortFunc(out, func(a, b Note) int {
		return cmp.Or(strings.Compare(a.File, b.File), strings.Compare(a.Column, b.Column), strings.Compare(a.Message, b.Message))
	})
	if ns.omitted > 0 {
		out = append(out, Note{Rows: ns.omitted, Dropped: true,
			Message: fmt.Sprintf("and more columns or values that did not map, not listed (the report keeps %d kinds)", maxNotes)})
	}
	return out
}

// clip shortens an example to maxExample bytes, valid UTF-8 without NUL.
func clip(s string) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\u2400")
	if len(s) <= maxExample {
		return s
	}
	cut := maxExample
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

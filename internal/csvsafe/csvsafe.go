// Package csvsafe writes CSV that a spreadsheet opens as text. A cell that
// Excel, LibreOffice or Google Sheets would run as a formula (it begins
// with =, +, -, @, a tab or a carriage return, or a full-width =, +, - or
// @, after any spaces or line feeds) is written with a leading apostrophe, as the OWASP CSV injection
// guidance advises; plain numbers such as -80.2 are left alone, so they
// stay numbers for the tools that read them. Unescape undoes exactly what
// Escape did, so CSV written here reads back to the original text.
package csvsafe

import (
	"encoding/csv"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"
)

// triggers are the first characters that make a spreadsheet read a cell as
// a formula. The full-width forms do in East Asian locales of Excel.
const triggers = "=+-@\t\r\uff1d\uff0b\uff0d\uff20"

// number is a plain decimal number, which every spreadsheet reads as a
// number and never as a formula.
var number = regexp.MustCompile(`^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$`)

// Escape returns s as it is safe to write in a CSV cell.
func Escape(s string) string {
	if quoted(s) {
		return "'" + s
	}
	return s
}

// Unescape returns the text whose Escape is s: s without its first
// apostrophe where Escape would have added one, s itself otherwise.
func Unescape(s string) string {
	if rest, ok := strings.CutPrefix(s, "'"); ok && quoted(rest) {
		return rest
	}
	return s
}

// quoted says whether Escape adds an apostrophe to s: s starts with a
// trigger, after any apostrophes it already has, and is not a plain number.
// Counting those apostrophes keeps the scheme reversible: "'=x", which is
// how "=x" is escaped, is itself escaped with a second apostrophe, so
// Unescape never has to guess which of the two it was given.
func quoted(s string) bool {
	// Spaces (no-break and ideographic too), line feeds and a byte order
	// mark before a trigger are skipped: some spreadsheets trim them and
	// then read the formula.
	t := strings.TrimLeft(strings.TrimLeft(s, "'"), " \n\u00a0\u3000\ufeff")
	r, _ := utf8.DecodeRuneInString(t)
	return t != "" && strings.ContainsRune(triggers, r) && !number.MatchString(t)
}

// Writer is a csv.Writer that escapes every cell.
type Writer struct {
	cw  *csv.Writer
	rec []string
}

// NewWriter returns a Writer that writes to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{cw: csv.NewWriter(w)}
}

// Write writes one record, each cell escaped; record is not changed.
func (w *Writer) Write(record []string) error {
	w.rec = w.rec[:0]
	for _, s := range record {
		w.rec = append(w.rec, Escape(s))
	}
	return w.cw.Write(w.rec)
}

// Flush writes any buffered data to the underlying io.Writer.
func (w *Writer) Flush() { w.cw.Flush() }

// Error reports any error of a previous Write or Flush.
func (w *Writer) Error() error { return w.cw.Error() }

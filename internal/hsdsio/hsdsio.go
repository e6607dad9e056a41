// Package hsdsio reads and writes HSDS 3.1 documents in the two file forms
// Open Referral defines: JSON (an array or JSON Lines of nested documents)
// and the tabular data package (datapackage.json plus one CSV per table).
//
// It only converts formats. Whether a document follows the HSDS rules is
// hsds.Validate's job and whether a reference names a record in the
// directory is the importer's; this package reports what it alone can see:
// input it cannot parse and CSV rows it cannot place in a document.
package hsdsio

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/hsds"
)

// Kinds of top-level document.
const (
	KindService      = "service"
	KindOrganization = "organization"
	KindTaxonomyTerm = "taxonomy_term"
)

// maxDocBytes bounds one JSON document (a line or an array element), so a
// hostile or broken file costs a Problem instead of all memory.
const maxDocBytes = 16 << 20

// Record is one top-level document read from a file. Exactly one of
// Service, Organization and Term is set, as Kind says.
type Record struct {
	Kind   string
	Source string // file name, e.g. "services.jsonl" or "services.csv"
	// Line is the 1-based line in JSON Lines, the element index+1 in a JSON
	// array, or the CSV row (the header is row 1, the first data row 2).
	Line         int
	Service      *hsds.Service
	Organization *hsds.Organization
	Term         *hsds.TaxonomyTerm
}

// ID is the id of the record's document.
func (r Record) ID() string {
	switch {
	case r.Service != nil:
		return r.Service.ID
	case r.Organization != nil:
		return r.Organization.ID
	case r.Term != nil:
		return r.Term.ID
	}
	return ""
}

// Document is the record's document (a pointer to its Service,
// Organization or TaxonomyTerm), for walking its nested records; nil if
// none is set.
func (r Record) Document() any {
	switch {
	case r.Service != nil:
		return r.Service
	case r.Organization != nil:
		return r.Organization
	case r.Term != nil:
		return r.Term
	}
	return nil
}

// Problem is one thing wrong with the input, located as precisely as the
// format allows, so a person can find and fix it.
type Problem struct {
	Source   string // file
	Line     int    // as Record.Line; 0 when unknown
	RecordID string // id of the record, when known
	Field    string // JSON pointer within the record (e.g. "/phones/0/number") or CSV column name
	Message  string // a sentence a person can act on
	// Input marks a problem of the input as a whole rather than of one
	// record, although it has a line: reading a file stopped there, or a
	// whole file was left out. Leaving records out cannot get round it. A
	// problem without a line is always the input's.
	Input bool
}

// String renders the problem as file:line: record id: field: message,
// leaving out the parts that are not known.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Source)
	if p.Line > 0 {
		b.WriteString(":" + strconv.Itoa(p.Line))
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if p.RecordID != "" {
		b.WriteString("record " + p.RecordID + ": ")
	}
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// AsError turns problems into one apperr.Invalid error whose field errors
// carry each problem's location, or nil when there are none. The pointer
// of each field error is "file:line" followed by the field, so problems
// from different rows stay apart.
func AsError(problems []Problem) error {
	if len(problems) == 0 {
		return nil
	}
	fields := make(apperr.FieldErrors, 0, len(problems))
	for _, p := range problems {
		loc := p.Source
		if p.Line > 0 {
			loc += ":" + strconv.Itoa(p.Line)
		}
		if p.Field != "" {
			if strings.HasPrefix(p.Field, "/") {
				loc += p.Field
			} else {
				loc += "/" + p.Field
			}
		}
		msg := p.Message
		if p.RecordID != "" {
			msg = fmt.Sprintf("record %s: %s", p.RecordID, msg)
		}
		fields = append(fields, apperr.FieldError{Pointer: loc, Message: msg})
	}
	return apperr.WithFields(apperr.Invalid, fmt.Sprintf("the input has %d problem(s)", len(problems)), fields)
}

package hsds11

import (
	"context"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/linkage-org/linkage/internal/hsdsio"
)

// namespace is the UUID namespace of the ids made from 1.1 ids. It is
// fixed for good: another would give every record of a re-imported 1.1
// package a new id, duplicating the directory instead of updating it.
var namespace = uuid.MustParse("9b0c6f2e-5d3a-4e61-8f47-2c1d0a9e7b35")

// converter is the state of one conversion.
type converter struct {
	ctx    context.Context
	root   fs.FS
	inputs []input
	probs  *hsdsio.Problems
	budget *budget
	sc     *hsdsio.Scratch
	out    *output
	notes  *notes
	j      joins
}

// inRow is one 1.1 row being mapped.
type inRow struct {
	in     *input
	file   int // the index of in
	line   int
	header []string
	index  map[string]int // column → cell
	cells  []string
	orig   string // its 1.1 id
	out    row    // the 3.1 row
	held   bool   // set by a row function that emits the row itself, later
}

func (r *inRow) get(name string) string {
	if i, ok := r.index[name]; ok {
		return r.cells[i]
	}
	return ""
}

func (r *inRow) from() origin { return origin{file: r.file, line: r.line} }

// run maps every table in the order of specs (unknown ones last), then
// what waited for other tables.
func (c *converter) run() error {
	c.j.start(c)
	for i := range c.inputs {
		var err error
		switch in := &c.inputs[i]; {
		case in.path == "":
			c.notes.add("datapackage.json", "", "lists the table "+strconv.Quote(in.resource)+", but the package has no file for it; it was not imported", true, Example{})
		case in.spec == nil || in.spec.cols == nil:
			err = c.skipTable(i)
		default:
			err = c.mapTable(i)
		}
		if err != nil {
			return err
		}
	}
	return c.j.finish(c)
}

// mapTable maps every row of input i.
func (c *converter) mapTable(i int) error {
	in := &c.inputs[i]
	index := map[string]int{}
	var header []string
	return c.readCSV(i, func(h []string) {
		header = h
		for j, name := range h {
			if _, dup := index[name]; !dup {
				index[name] = j
			}
		}
	}, func(line int, rec []string) error {
		r := &inRow{in: in, file: i, line: line, header: header, index: index, cells: rec, out: row{}}
		return c.mapRow(r)
	})
}

// mapRow maps one row: its columns, then its table's own rules, then it
// is written (unless the row function holds it for a join).
func (c *converter) mapRow(r *inRow) error {
	s := r.in.spec
	for k, v := range s.fixed {
		r.out[k] = v
	}
	r.orig = strings.TrimSpace(r.get("id")) // first, so notes on the row name it
	for i, name := range r.header {
		if r.index[name] != i {
			continue // a repeated column: the first counts
		}
		cell := r.cells[i]
		x, known := s.col(name)
		switch {
		case known:
			c.value(r, x, cell)
		case cell != "":
			c.note(r, name, "HSDS 1.1 has no such column and HSDS 3.1 no place for it; it was left out", true, cell)
		}
	}
	if s.out != "" {
		c.ownID(r)
	}
	if s.row != nil {
		if err := s.row(c, r); err != nil {
			return err
		}
	}
	if s.out == "" || r.held {
		return nil
	}
	return c.emit(r)
}

// emit writes a mapped row and remembers its id for metadata.
func (c *converter) emit(r *inRow) error {
	if err := c.out.emit(r.in.spec.out, r.out, r.from()); err != nil {
		return err
	}
	return c.j.record(r)
}

func (s *spec) col(name string) (col, bool) {
	i := slices.IndexFunc(s.cols, func(x col) bool { return x.name == name })
	if i < 0 {
		return col{}, false
	}
	return s.cols[i], true
}

// ownID gives the row its UUID; a row without an id (the HSDS Transformer
// leaves schedules' empty) gets one made from its row number.
func (c *converter) ownID(r *inRow) {
	if r.orig != "" {
		r.out["id"] = c.uuid(r.in.spec.name, r.orig)
		return
	}
	u := uuid.NewSHA1(namespace, []byte(r.in.spec.name+"\x00\x00row "+strconv.Itoa(r.line)))
	c.out.logID(u, "")
	r.out["id"] = u.String()
	c.note(r, "id", "has no id; the record was given one made from its row number, which changes if the rows are reordered", false, "")
}

// uuid is ID, logged for Explain.
func (c *converter) uuid(table, orig string) string {
	id, derived := mapID(table, orig)
	if derived {
		c.out.logID(uuid.MustParse(id), orig)
	}
	return id
}

// ID is the HSDS 3.1 id of the record of the 1.1 table (its resource
// name, such as "organization" or "physical_address") whose 1.1 id is
// orig: orig itself when it is a UUID, otherwise a version 5 UUID of
// the table and orig.
func ID(table, orig string) string {
	id, _ := mapID(table, orig)
	return id
}

func mapID(table, orig string) (string, bool) {
	if u, err := uuid.Parse(orig); err == nil && len(orig) == 36 {
		return u.String(), false
	}
	return uuid.NewSHA1(namespace, []byte(table+"\x00"+orig)).String(), true
}

// note records something about column of r's file.
func (c *converter) note(r *inRow, column, msg string, dropped bool, value string) {
	c.notes.add(r.in.path, column, msg, dropped, Example{Row: r.line, RecordID: r.orig, Value: value})
}

// skipTable counts the rows of a table that is not mapped.
func (c *converter) skipTable(i int) error {
	in := &c.inputs[i]
	msg := "HSDS 1.1 has no such table and HSDS 3.1 no place for it; it was not imported"
	if in.spec != nil {
		msg = "HSDS 3.1 has no place for this table in the directory; it was not imported"
	}
	idCol := -1
	return c.readCSV(i, func(header []string) {
		idCol = slices.Index(header, "id")
	}, func(line int, rec []string) error {
		ex := Example{Row: line}
		if idCol >= 0 {
			ex.RecordID = rec[idCol]
		}
		c.notes.add(in.path, "", msg, true, ex)
		return nil
	})
}

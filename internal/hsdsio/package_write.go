package hsdsio

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"

	"github.com/linkage-org/linkage/internal/csvsafe"
	"github.com/linkage-org/linkage/internal/hsds"
)

// PackageWriter writes an HSDS tabular data package into a directory: one
// CSV per table, with the columns of the HSDS datapackage.json in its order
// (locations.csv ends with Linkage's tz), and a datapackage.json describing
// the tables written. Rows are written as documents arrive; a table's file
// is created with its first row, except the core tables (organizations,
// locations, services), which are always there.
//
// A row whose table and id were already written is skipped, so a child
// nested in several places (a phone under a service and under its contact)
// is one row. That set of ids is the only state that grows with the export.
type PackageWriter struct {
	dir    string
	tables map[string]*tableWriter
	seen   map[string]struct{} // table + "\x00" + id
	err    error               // first failure; later writes do nothing
	closed bool
}

// tableWriter is one open CSV file.
type tableWriter struct {
	t     table
	f     *os.File
	cw    *csvsafe.Writer // escapes formula cells (see csvsafe)
	cells []*cell         // per column; nil when the type has no such field
	col   map[string]int  // column name → index
	rec   []string
}

// NewPackageWriter creates dir if needed and starts a package in it.
// Existing files of the same names are replaced.
func NewPackageWriter(dir string) (*PackageWriter, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("hsdsio: create package directory: %w", err)
	}
	w := &PackageWriter{dir: dir, tables: map[string]*tableWriter{}, seen: map[string]struct{}{}}
	// The HSDS core tables (core_tables.csv) are there even when empty.
	for _, name := range []string{"organization", "location", "service"} {
		if _, err := w.table(name); err != nil {
			_ = w.closeFiles()
			return nil, err
		}
	}
	return w, nil
}

// table returns the writer of table name, creating its file and header.
func (w *PackageWriter) table(name string) (*tableWriter, error) {
	if tw, ok := w.tables[name]; ok {
		return tw, nil
	}
	var t table
	for _, s := range schema() {
		if s.name == name {
			t = s
		}
	}
	if t.name == "" {
		panic("hsdsio: no table " + name)
	}
	f, err := os.Create(filepath.Join(w.dir, t.path))
	if err != nil {
		return nil, fmt.Errorf("hsdsio: create %s: %w", t.path, err)
	}
	tw := &tableWriter{t: t, f: f, cw: csvsafe.NewWriter(f), col: map[string]int{}, rec: make([]string, len(t.fields))}
	header := make([]string, len(t.fields))
	for i, fd := range t.fields {
		header[i] = fd.name
		tw.col[fd.name] = i
	}
	if err := tw.cw.Write(header); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("hsdsio: write %s: %w", t.path, err)
	}
	w.tables[name] = tw
	return tw, nil
}

// key fills a column the value leaves empty: the id of the record a child
// is nested in, which nesting implies and the table must say.
type key struct{ col, val string }

// row appends v (a pointer to an hsds struct) to table name.
func (w *PackageWriter) row(name string, v any, keys ...key) {
	if w.err != nil {
		return
	}
	tw, err := w.table(name)
	if err != nil {
		w.err = err
		return
	}
	rv := reflect.ValueOf(v).Elem()
	if tw.cells == nil {
		c := newCodec(rv.Type())
		tw.cells = make([]*cell, len(tw.t.fields))
		for i, fd := range tw.t.fields {
			if x, ok := c.byName[fd.name]; ok {
				tw.cells[i] = &x
			}
		}
	}
	for i, c := range tw.cells {
		tw.rec[i] = ""
		if c != nil {
			tw.rec[i] = c.get(rv)
		}
	}
	if id := tw.rec[tw.col["id"]]; id != "" {
		k := name + "\x00" + id
		if _, dup := w.seen[k]; dup {
			return
		}
		w.seen[k] = struct{}{}
	}
	for _, k := range keys {
		if i, ok := tw.col[k.col]; ok && tw.rec[i] == "" {
			tw.rec[i] = k.val
		}
	}
	if err := tw.cw.Write(tw.rec); err != nil {
		w.err = fmt.Errorf("hsdsio: write %s: %w", tw.t.path, err)
	}
}

func (w *PackageWriter) check(what, id string) error {
	if w.closed {
		return errors.New("hsdsio: package writer is closed")
	}
	if w.err != nil {
		return fmt.Errorf("write %s %s: %w", what, id, w.err)
	}
	return nil
}

// WriteTerm writes a taxonomy term and its metadata, and its
// taxonomy_detail to taxonomies.csv once per taxonomy id.
func (w *PackageWriter) WriteTerm(t *hsds.TaxonomyTerm) error {
	if err := w.check("taxonomy term", t.ID); err != nil {
		return err
	}
	w.write("taxonomy_term", t, key{})
	return w.check("taxonomy term", t.ID)
}

// WriteOrganization writes an organization with its own children and its
// locations with theirs. o.Services is not written: services are written
// with WriteService.
func (w *PackageWriter) WriteOrganization(o *hsds.Organization) error {
	if err := w.check("organization", o.ID); err != nil {
		return err
	}
	w.write(hsds.LinkEntityOrganization, o, key{})
	return w.check("organization", o.ID)
}

// WriteService writes a service with its children. The nested
// organization and program are not written (they belong to
// WriteOrganization), only their ids; of a service at location only the
// link and its own children are written, as its location is written with
// its organization.
func (w *PackageWriter) WriteService(s *hsds.Service) error {
	if err := w.check("service", s.ID); err != nil {
		return err
	}
	w.write(hsds.LinkEntityService, s, key{})
	return w.check("service", s.ID)
}

// ownRecords are the entities a package lists on their own: nested in
// another record they are written by their own Write method.
var ownRecords = map[string]bool{"taxonomy_term": true, hsds.LinkEntityOrganization: true, hsds.LinkEntityService: true}

// write appends rec, a record of entity, to its table, with parent (the
// column naming the record it is nested in, if any) and the ids of the
// records it names, then what is nested in it, walking the HSDS child
// table: its attributes and metadata first, then its other children. Of
// the records it names only those a package carries with it (a unit, a
// taxonomy) are written; the others are their own rows elsewhere.
func (w *PackageWriter) write(entity string, rec any, parent key) {
	var keys []key
	if parent.col != "" {
		keys = append(keys, parent)
	}
	rels := hsds.ChildrenOf(entity)
	for _, r := range rels {
		if r.Kind != hsds.Reference || r.Len(rec) == 0 {
			continue
		}
		c := r.At(rec, 0)
		keys = append(keys, key{r.Key, hsds.RecordID(c)})
		if r.Carried {
			w.write(r.Child, c, key{})
		}
	}
	w.row(entity, rec, keys...)
	id := hsds.RecordID(rec)
	for _, extras := range []bool{true, false} {
		for _, r := range rels {
			if r.Kind == hsds.Reference || ownRecords[r.Child] || extras != (r.Kind == hsds.History || r.Child == "attribute") {
				continue
			}
			for i := range r.Len(rec) {
				w.write(r.Child, r.At(rec, i), key{r.Key, id})
			}
		}
	}
}

// Close flushes every table and writes datapackage.json. The package is
// complete only when Close returns nil.
func (w *PackageWriter) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.closeFiles()
	if w.err != nil {
		return w.err
	}
	if err != nil {
		return err
	}
	return w.writeDescriptor()
}

func (w *PackageWriter) closeFiles() error {
	var errs []error
	for _, tw := range w.tables {
		tw.cw.Flush()
		if err := tw.cw.Error(); err != nil {
			errs = append(errs, fmt.Errorf("hsdsio: write %s: %w", tw.t.path, err))
		}
		if err := tw.f.Close(); err != nil {
			errs = append(errs, fmt.Errorf("hsdsio: close %s: %w", tw.t.path, err))
		}
	}
	return errors.Join(errs...)
}

// descriptor is the datapackage.json we write: Frictionless Tabular Data
// Package, one resource per table written, in HSDS order.
type descriptor struct {
	Name      string     `json:"name"`
	Title     string     `json:"title"`
	Profile   string     `json:"profile"`
	Version   string     `json:"version"`
	Homepage  string     `json:"homepage"`
	Resources []resource `json:"resources"`
}

type resource struct {
	Name      string      `json:"name"`
	Path      string      `json:"path"`
	Profile   string      `json:"profile"`
	Format    string      `json:"format"`
	Mediatype string      `json:"mediatype"`
	Encoding  string      `json:"encoding"`
	Schema    tableSchema `json:"schema"`
}

type tableSchema struct {
	PrimaryKey string        `json:"primaryKey"`
	Fields     []schemaField `json:"fields"`
}

type schemaField struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Description string `json:"description,omitempty"`
}

func (w *PackageWriter) writeDescriptor() error {
	d := descriptor{
		Name:     "human_services_data",
		Title:    "Human Services Data Specification " + hsds.Version + " data exported by Linkage",
		Profile:  "tabular-data-package",
		Version:  hsds.Version,
		Homepage: "https://openreferral.org/",
	}
	for _, t := range schema() {
		if _, ok := w.tables[t.name]; !ok {
			continue
		}
		r := resource{Name: t.name, Path: t.path, Profile: "tabular-data-resource", Format: "csv",
			Mediatype: "text/csv", Encoding: "utf-8", Schema: tableSchema{PrimaryKey: "id"}}
		for _, f := range t.fields {
			sf := schemaField{Name: f.name, Type: f.typ}
			if t.name == "location" && f.name == "tz" {
				sf.Description = "Linkage extension: the IANA time zone (such as America/New_York) the location's schedules are read in."
			}
			r.Schema.Fields = append(r.Schema.Fields, sf)
		}
		d.Resources = append(d.Resources, r)
	}
	data, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return fmt.Errorf("hsdsio: encode datapackage.json: %w", err)
	}
	if err := os.WriteFile(filepath.Join(w.dir, "datapackage.json"), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("hsdsio: write datapackage.json: %w", err)
	}
	return nil
}

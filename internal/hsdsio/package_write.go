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
	var keys []key
	if d := t.TaxonomyDetail; d != nil {
		keys = append(keys, key{"taxonomy_id", d.ID})
		w.row("taxonomy", d)
		w.metadata(d.ID, d.Metadata)
	}
	w.row("taxonomy_term", t, keys...)
	w.metadata(t.ID, t.Metadata)
	return w.check("taxonomy term", t.ID)
}

// WriteOrganization writes an organization with its own children and its
// locations with theirs. o.Services is not written: services are written
// with WriteService.
func (w *PackageWriter) WriteOrganization(o *hsds.Organization) error {
	if err := w.check("organization", o.ID); err != nil {
		return err
	}
	w.row("organization", o)
	w.extras(o.ID, o.Attributes, o.Metadata)
	byOrg := key{"organization_id", o.ID}
	for i := range o.AdditionalWebsites {
		u := &o.AdditionalWebsites[i]
		w.row("url", u, byOrg)
		w.extras(u.ID, u.Attributes, u.Metadata)
	}
	for i := range o.Funding {
		f := &o.Funding[i]
		w.row("funding", f, byOrg)
		w.extras(f.ID, f.Attributes, f.Metadata)
	}
	for i := range o.Contacts {
		w.contact(&o.Contacts[i], byOrg)
	}
	for i := range o.Phones {
		w.phone(&o.Phones[i], byOrg)
	}
	for i := range o.Locations {
		w.location(&o.Locations[i], byOrg)
	}
	for i := range o.Programs {
		p := &o.Programs[i]
		w.row("program", p, byOrg)
		w.extras(p.ID, p.Attributes, p.Metadata)
	}
	for i := range o.OrganizationIdentifiers {
		oi := &o.OrganizationIdentifiers[i]
		w.row("organization_identifier", oi, byOrg)
		w.extras(oi.ID, oi.Attributes, oi.Metadata)
	}
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
	var keys []key
	if s.Organization != nil {
		keys = append(keys, key{"organization_id", s.Organization.ID})
	}
	if s.Program != nil {
		keys = append(keys, key{"program_id", s.Program.ID})
	}
	w.row("service", s, keys...)
	w.extras(s.ID, s.Attributes, s.Metadata)
	bySvc := key{"service_id", s.ID}
	for i := range s.AdditionalURLs {
		u := &s.AdditionalURLs[i]
		w.row("url", u, bySvc)
		w.extras(u.ID, u.Attributes, u.Metadata)
	}
	for i := range s.Phones {
		w.phone(&s.Phones[i], bySvc)
	}
	for i := range s.Schedules {
		w.schedule(&s.Schedules[i], bySvc)
	}
	for i := range s.ServiceAreas {
		w.serviceArea(&s.ServiceAreas[i], bySvc)
	}
	for i := range s.ServiceAtLocations {
		w.serviceAtLocation(&s.ServiceAtLocations[i], bySvc)
	}
	for i := range s.Languages {
		w.language(&s.Languages[i], bySvc)
	}
	for i := range s.Funding {
		f := &s.Funding[i]
		w.row("funding", f, bySvc)
		w.extras(f.ID, f.Attributes, f.Metadata)
	}
	for i := range s.CostOptions {
		c := &s.CostOptions[i]
		w.row("cost_option", c, bySvc)
		w.extras(c.ID, c.Attributes, c.Metadata)
	}
	for i := range s.RequiredDocuments {
		d := &s.RequiredDocuments[i]
		w.row("required_document", d, bySvc)
		w.extras(d.ID, d.Attributes, d.Metadata)
	}
	for i := range s.Contacts {
		w.contact(&s.Contacts[i], bySvc)
	}
	for i := range s.Capacities {
		c := &s.Capacities[i]
		keys := []key{bySvc}
		if c.Unit != nil {
			keys = append(keys, key{"unit_id", c.Unit.ID})
			w.row("unit", c.Unit)
			w.extras(c.Unit.ID, c.Unit.Attributes, c.Unit.Metadata)
		}
		w.row("service_capacity", c, keys...)
		w.extras(c.ID, c.Attributes, c.Metadata)
	}
	return w.check("service", s.ID)
}

func (w *PackageWriter) location(l *hsds.Location, parent key) {
	w.row("location", l, parent)
	w.extras(l.ID, l.Attributes, l.Metadata)
	byLoc := key{"location_id", l.ID}
	for i := range l.Languages {
		w.language(&l.Languages[i], byLoc)
	}
	for i := range l.Addresses {
		a := &l.Addresses[i]
		w.row("address", a, byLoc)
		w.extras(a.ID, a.Attributes, a.Metadata)
	}
	for i := range l.Contacts {
		w.contact(&l.Contacts[i], byLoc)
	}
	for i := range l.Accessibility {
		a := &l.Accessibility[i]
		w.row("accessibility", a, byLoc)
		w.extras(a.ID, a.Attributes, a.Metadata)
	}
	for i := range l.Phones {
		w.phone(&l.Phones[i], byLoc)
	}
	for i := range l.Schedules {
		w.schedule(&l.Schedules[i], byLoc)
	}
}

func (w *PackageWriter) serviceAtLocation(sal *hsds.ServiceAtLocation, parent key) {
	keys := []key{parent}
	if sal.Location != nil {
		keys = append(keys, key{"location_id", sal.Location.ID})
	}
	w.row("service_at_location", sal, keys...)
	w.extras(sal.ID, sal.Attributes, sal.Metadata)
	bySAL := key{"service_at_location_id", sal.ID}
	for i := range sal.ServiceAreas {
		w.serviceArea(&sal.ServiceAreas[i], bySAL)
	}
	for i := range sal.Contacts {
		w.contact(&sal.Contacts[i], bySAL)
	}
	for i := range sal.Phones {
		w.phone(&sal.Phones[i], bySAL)
	}
	for i := range sal.Schedules {
		w.schedule(&sal.Schedules[i], bySAL)
	}
}

func (w *PackageWriter) contact(c *hsds.Contact, parent key) {
	w.row("contact", c, parent)
	w.extras(c.ID, c.Attributes, c.Metadata)
	for i := range c.Phones {
		w.phone(&c.Phones[i], key{"contact_id", c.ID})
	}
}

func (w *PackageWriter) phone(p *hsds.Phone, parent key) {
	w.row("phone", p, parent)
	w.extras(p.ID, p.Attributes, p.Metadata)
	for i := range p.Languages {
		w.language(&p.Languages[i], key{"phone_id", p.ID})
	}
}

func (w *PackageWriter) language(l *hsds.Language, parent key) {
	w.row("language", l, parent)
	w.extras(l.ID, l.Attributes, l.Metadata)
}

func (w *PackageWriter) schedule(s *hsds.Schedule, parent key) {
	w.row("schedule", s, parent)
	w.extras(s.ID, s.Attributes, s.Metadata)
}

func (w *PackageWriter) serviceArea(a *hsds.ServiceArea, parent key) {
	w.row("service_area", a, parent)
	w.extras(a.ID, a.Attributes, a.Metadata)
}

// extras writes the attributes and metadata of the record id. A nested
// taxonomy_term is not written, only its id.
func (w *PackageWriter) extras(id string, attrs []hsds.Attribute, meta []hsds.Metadata) {
	for i := range attrs {
		a := &attrs[i]
		keys := []key{{"link_id", id}}
		if a.TaxonomyTerm != nil {
			keys = append(keys, key{"taxonomy_term_id", a.TaxonomyTerm.ID})
		}
		w.row("attribute", a, keys...)
		w.metadata(a.ID, a.Metadata)
	}
	w.metadata(id, meta)
}

func (w *PackageWriter) metadata(id string, meta []hsds.Metadata) {
	for i := range meta {
		w.row("metadata", &meta[i], key{"resource_id", id})
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

package hsds11

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/uuid"

	"github.com/linkage-org/linkage/internal/csvsafe"
)

// The mapped records are written as an HSDS 3.1 tabular package in the
// scratch folder, which hsdsio then reads like any other: the 3.1 reader
// keeps its own bounded-memory join, its checks and its problems, and the
// importer sees 3.1 records only. Beside each CSV file goes the origin of
// every row (which 1.1 file and row it came from), and beside the package
// a log of every UUID made from a 1.1 id, so problems found in the 3.1
// package can be told in the 1.1 package's own files, rows and ids.

// outDir is the folder of the mapped CSV files inside the package, so a
// problem's file tells a mapped row from a 1.1 one.
const outDir = "hsds-3.1"

// outTable is one 3.1 table written: its file and the columns filled.
type outTable struct {
	name, file string
	cols       []string
}

func outTables() []outTable {
	return []outTable{
		{"organization", "organizations.csv", []string{"id", "name", "alternate_name", "description", "email", "website",
			"tax_status", "tax_id", "year_incorporated", "legal_status"}},
		{"program", "programs.csv", []string{"id", "organization_id", "name", "alternate_name", "description"}},
		{"service", "services.csv", []string{"id", "organization_id", "program_id", "name", "alternate_name", "description",
			"url", "email", "status", "interpretation_services", "application_process", "fees_description", "wait_time",
			"accreditations", "eligibility_description", "licenses"}},
		{"attribute", "attributes.csv", []string{"id", "link_id", "link_entity", "taxonomy_term_id", "value"}},
		{"service_at_location", "service_at_location.csv", []string{"id", "service_id", "location_id", "description"}},
		{"location", "locations.csv", []string{"id", "location_type", "organization_id", "name", "alternate_name",
			"description", "transportation", "latitude", "longitude"}},
		{"phone", "phones.csv", []string{"id", "location_id", "service_id", "organization_id", "contact_id",
			"service_at_location_id", "number", "extension", "type", "description"}},
		{"contact", "contacts.csv", []string{"id", "organization_id", "service_id", "service_at_location_id", "name",
			"title", "department", "email"}},
		{"address", "addresses.csv", []string{"id", "location_id", "attention", "address_1", "address_2", "city", "region",
			"state_province", "postal_code", "country", "address_type"}},
		{"schedule", "schedules.csv", []string{"id", "service_id", "location_id", "service_at_location_id", "valid_from",
			"valid_to", "freq", "byday", "opens_at", "closes_at", "description"}},
		{"funding", "funding.csv", []string{"id", "organization_id", "service_id", "source"}},
		{"service_area", "service_areas.csv", []string{"id", "service_id", "name", "description"}},
		{"required_document", "required_documents.csv", []string{"id", "service_id", "document"}},
		{"language", "languages.csv", []string{"id", "service_id", "location_id", "phone_id", "name", "code"}},
		{"accessibility", "accessibility.csv", []string{"id", "location_id", "description", "details"}},
		{"taxonomy_term", "taxonomy_terms.csv", []string{"id", "code", "name", "description", "parent_id", "taxonomy", "taxonomy_id"}},
		{"metadata", "metadata.csv", []string{"id", "resource_id", "resource_type", "last_action_date", "last_action_type",
			"field_name", "previous_value", "replacement_value", "updated_by"}},
		{"taxonomy", "taxonomies.csv", []string{"id", "name", "description"}},
	}
}

// row is one 3.1 row being built: column → value.
type row map[string]string

// origin is where a mapped row came from: an index into the package's 1.1
// files and the row there.
type origin struct{ file, line int }

// outFile writes one 3.1 table and the origin of each of its rows, eight
// bytes a row, so the origin of row n is read at 8*(n-2).
type outFile struct {
	t       outTable
	f, of   *os.File
	bw, obw *bufio.Writer
	cw      *csvsafe.Writer
	cells   []string
	rows    int
}

// output is the 3.1 package being written and the UUID log.
type output struct {
	dir    string // the package folder (holding datapackage.json)
	files  map[string]*outFile
	log    *os.File
	logw   *bufio.Writer
	closed bool
}

func newOutput(scratch string) (*output, error) {
	dir := filepath.Join(scratch, "package")
	if err := os.MkdirAll(filepath.Join(dir, outDir), 0o700); err != nil {
		return nil, fmt.Errorf("hsds11: make the mapped package folder: %w", err)
	}
	log, err := os.Create(filepath.Join(scratch, "uuids.log"))
	if err != nil {
		return nil, fmt.Errorf("hsds11: make the id log: %w", err)
	}
	return &output{dir: dir, files: map[string]*outFile{}, log: log, logw: bufio.NewWriter(log)}, nil
}

// emit writes r to the 3.1 table named table, remembering its origin.
func (o *output) emit(table string, r row, from origin) error {
	f, err := o.file(table)
	if err != nil {
		return err
	}
	for i, name := range f.t.cols {
		f.cells[i] = r[name]
	}
	if err := f.cw.Write(f.cells); err != nil {
		return fmt.Errorf("hsds11: write %s: %w", f.t.file, err)
	}
	var b [8]byte
	binary.LittleEndian.PutUint32(b[:4], uint32(from.file))
	binary.LittleEndian.PutUint32(b[4:], uint32(from.line))
	_, _ = f.obw.Write(b[:]) // errors surface at Flush
	f.rows++
	return nil
}

// file opens the table's CSV file (with its header) on its first row.
func (o *output) file(table string) (*outFile, error) {
	if f, ok := o.files[table]; ok {
		return f, nil
	}
	t := outTableNamed(table)
	f := &outFile{t: t, cells: make([]string, len(t.cols))}
	var err error
	if f.f, err = os.Create(filepath.Join(o.dir, outDir, t.file)); err != nil {
		return nil, fmt.Errorf("hsds11: create %s: %w", t.file, err)
	}
	if f.of, err = os.Create(o.originPath(table)); err != nil {
		f.f.Close()
		return nil, fmt.Errorf("hsds11: create origins of %s: %w", t.file, err)
	}
	f.bw, f.obw = bufio.NewWriterSize(f.f, 64<<10), bufio.NewWriter(f.of)
	f.cw = csvsafe.NewWriter(f.bw)
	o.files[table] = f
	return f, f.cw.Write(t.cols)
}

func (o *output) originPath(table string) string {
	return filepath.Join(filepath.Dir(o.dir), "origin-"+table)
}

// logID records that u was made from the 1.1 id orig: 16 bytes of UUID,
// the length of orig as a uvarint, then orig.
func (o *output) logID(u uuid.UUID, orig string) {
	_, _ = o.logw.Write(u[:])
	var n [binary.MaxVarintLen64]byte
	_, _ = o.logw.Write(n[:binary.PutUvarint(n[:], uint64(len(orig)))])
	_, _ = o.logw.WriteString(orig)
}

// close flushes every file and writes datapackage.json.
func (o *output) close() error {
	if o.closed {
		return nil
	}
	o.closed = true
	var errs []error
	for _, f := range o.files {
		f.cw.Flush()
		errs = append(errs, f.cw.Error(), f.bw.Flush(), f.f.Close(), f.obw.Flush(), f.of.Close())
	}
	errs = append(errs, o.logw.Flush(), o.log.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("hsds11: write the mapped package: %w", err)
	}
	return o.writeDescriptor()
}

// writeDescriptor lists the tables written, with their paths in outDir.
func (o *output) writeDescriptor() error {
	type resource struct {
		Name string `json:"name"`
		Path string `json:"path"`
	}
	d := struct {
		Profile   string     `json:"profile"`
		Version   string     `json:"version"`
		Resources []resource `json:"resources"`
	}{Profile: "tabular-data-package", Version: "3.1"}
	for _, t := range outTables() {
		if _, ok := o.files[t.name]; ok {
			d.Resources = append(d.Resources, resource{Name: t.name, Path: outDir + "/" + t.file})
		}
	}
	data, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("hsds11: encode datapackage.json: %w", err)
	}
	if err := os.WriteFile(filepath.Join(o.dir, "datapackage.json"), data, 0o600); err != nil {
		return fmt.Errorf("hsds11: write datapackage.json: %w", err)
	}
	return nil
}

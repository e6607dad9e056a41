package hsdsio

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"reflect"
	"slices"
	"strings"

	"github.com/linkage-org/linkage/internal/hsds"
)

// OpenPackage reads an HSDS tabular data package from fsys: a directory
// (os.DirFS) or a zip (zip.Reader), with the package at the root or in the
// zip's single top folder. It reads datapackage.json for the file of each
// table, using the standard HSDS file name for a table it does not list or
// lists without a path, and skips tables the package does not have.
//
// It rebuilds nested documents: taxonomy terms (with taxonomy_detail),
// organizations (with locations and all their children, programs,
// contacts, phones, funding, identifiers, additional websites) and services
// (with all their children, service_at_locations carrying location_id and
// their own children, capacities with their unit). Attributes are placed by
// link_id and metadata by resource_id on whatever record has that id. A
// child row naming several parents (a phone with service_id and contact_id,
// say) is nested under each of them, as the HSDS examples do.
//
// Records gives all terms, then all organizations, then all services, each
// in file order with Source = its CSV file and Line = its row; they are
// normalized. Nested children are ordered by id, whatever their row order.
// meta_table_descriptions.csv has no place in these documents and is not
// read.
//
// Problems go to opts.Problems: CSV that cannot be parsed, rows with the
// wrong number of cells, numbers and date-times that are not, text that is
// not UTF-8 or holds NUL, repeated ids, child rows whose parent is not in
// the package (such a row is left out), records that would nest more than
// one document may hold, and an unreadable datapackage.json. A row with a
// bad cell is kept without that value, so an importer must refuse a
// package with problems rather than import what was read. References
// between top-level records (organization_id and program_id of a service,
// location_id of a service at location, taxonomy_term_id, unit_id,
// taxonomy_id) are kept as ids and not checked here, as they may name
// records already in the directory.
//
// Memory stays bounded whatever the package's size: rows are joined by
// sorting them on disk (see package_nest.go), and one record with
// everything nested in it may be at most 16 MiB. The error is for I/O
// failures, a limit of opts.Limits exceeded (a *LimitError) and a damaged
// archive.
func OpenPackage(ctx context.Context, fsys fs.FS, opts PackageOptions) (*Package, error) {
	root, err := packageRoot(fsys)
	if err != nil {
		return nil, err
	}
	if opts.Problems == nil {
		opts.Problems = NewProblems(0)
	}
	if opts.Memory <= 0 {
		opts.Memory = defaultSortMemory
	}
	r := &pkgReader{ctx: ctx, fsys: root, paths: map[string]string{}, probs: opts.Problems, limits: opts.Limits}
	if err := r.resolve(); err != nil {
		return nil, err
	}
	if err := r.checkDeclared(); err != nil {
		return nil, err
	}
	if r.sp, err = newSpill(opts.TempDir, opts.Memory); err != nil {
		return nil, err
	}
	out, err := r.nest()
	if err != nil {
		_ = r.sp.close()
		return nil, err
	}
	return &Package{ctx: ctx, sp: r.sp, out: out, paths: r.paths}, nil
}

// PackageOptions bound what reading a package may cost.
type PackageOptions struct {
	Limits   Limits
	TempDir  string    // where sorted runs are written; "" is os.TempDir()
	Problems *Problems // where problems go; nil keeps them all, unread
	// Memory is how many bytes of rows are held for sorting before they
	// are written to TempDir (0: 16 MiB).
	Memory int
}

// defaultSortMemory keeps the rows held for sorting far below the size of
// the documents a large package builds, and large enough that sorting
// writes few runs for a package of a few hundred megabytes.
const defaultSortMemory = 16 << 20

// Package is a read package whose records can be read any number of times
// (an importer validates them all, then writes them).
type Package struct {
	ctx   context.Context
	sp    *spill
	out   *sorter
	paths map[string]string
}

// Records calls fn with each record in the order OpenPackage describes.
// fn's error stops reading and is returned wrapped.
func (p *Package) Records(fn func(Record) error) error {
	it, err := p.out.iter()
	if err != nil {
		return err
	}
	defer it.close()
	for n := 0; ; n++ {
		if n%1024 == 0 {
			if err := p.ctx.Err(); err != nil {
				return err
			}
		}
		x, ok, err := it.next()
		if err != nil || !ok {
			return err
		}
		row := decodeRow(x.val)
		rec, err := p.record(x.k1, row)
		if err != nil {
			return err
		}
		if err := fn(rec); err != nil {
			return fmt.Errorf("hsdsio: %s row %d: %w", rec.Source, rec.Line, err)
		}
	}
}

func (p *Package) record(kind string, row rowRec) (Record, error) {
	var rec Record
	var target any
	switch kind {
	case outTerm:
		rec = Record{Kind: KindTaxonomyTerm, Source: p.paths["taxonomy_term"], Term: new(hsds.TaxonomyTerm)}
		target = rec.Term
	case outOrganization:
		rec = Record{Kind: KindOrganization, Source: p.paths["organization"], Organization: new(hsds.Organization)}
		target = rec.Organization
	default:
		rec = Record{Kind: KindService, Source: p.paths["service"], Service: new(hsds.Service)}
		target = rec.Service
	}
	rec.Line = row.line
	if err := json.Unmarshal(row.doc, target); err != nil {
		return rec, fmt.Errorf("hsdsio: rebuild %s row %d: %w", rec.Source, rec.Line, err)
	}
	switch {
	case rec.Organization != nil:
		rec.Organization.Normalize()
	case rec.Service != nil:
		rec.Service.Normalize()
	}
	return rec, nil
}

// Close removes the package's scratch files.
func (p *Package) Close() error { return p.sp.close() }

// ReadPackage reads a whole package into memory, as OpenPackage describes,
// with every problem in input order: for small packages (tests, fixtures).
func ReadPackage(fsys fs.FS) ([]Record, []Problem, error) {
	probs := NewProblems(0)
	p, err := OpenPackage(context.Background(), fsys, PackageOptions{Problems: probs})
	if err != nil {
		return nil, probs.List(), err
	}
	defer p.Close()
	var recs []Record
	err = p.Records(func(r Record) error { recs = append(recs, r); return nil })
	return recs, probs.List(), err
}

// pkgReader holds what reading one package has found so far.
type pkgReader struct {
	ctx    context.Context
	fsys   fs.FS
	paths  map[string]string // resource name → file, for the tables present
	probs  *Problems
	limits Limits
	read   int64 // bytes read from the package's files
	sp     *spill
}

func (r *pkgReader) problem(p Problem) { r.probs.Add(p) }

// PackageRoot finds the folder of fsys holding a tabular package, as
// OpenPackage does: the root, or the only folder of a zip made by
// compressing a folder.
func PackageRoot(fsys fs.FS) (fs.FS, error) { return packageRoot(fsys) }

// packageRoot finds the folder holding the package: the root, or the only
// folder of a zip made by compressing a folder.
func packageRoot(fsys fs.FS) (fs.FS, error) {
	if _, err := fs.Stat(fsys, "datapackage.json"); err == nil {
		return fsys, nil
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("hsdsio: read package: %w", err)
	}
	var dirs []string
	for _, e := range entries {
		switch {
		case strings.HasSuffix(strings.ToLower(e.Name()), ".csv"):
			return fsys, nil
		case e.IsDir() && !strings.HasPrefix(e.Name(), ".") && e.Name() != "__MACOSX":
			dirs = append(dirs, e.Name())
		}
	}
	if len(dirs) != 1 {
		return fsys, nil
	}
	sub, err := fs.Sub(fsys, dirs[0])
	if err != nil {
		return nil, fmt.Errorf("hsdsio: read package folder %s: %w", dirs[0], err)
	}
	return sub, nil
}

// resolve decides which file holds each table.
func (r *pkgReader) resolve() error {
	listed := map[string]string{}
	data, err := readSmall(r.fsys, "datapackage.json", maxDocBytes)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("hsdsio: read datapackage.json: %w", err)
	default:
		var dp struct {
			Resources []struct {
				Name string          `json:"name"`
				Path json.RawMessage `json:"path"`
			} `json:"resources"`
		}
		if err := json.Unmarshal(data, &dp); err != nil {
			r.problem(Problem{Source: "datapackage.json", Message: notPackage(data, err)})
			break
		}
		for i, res := range dp.Resources {
			p, msg := resourcePath(res.Path)
			if msg != "" {
				r.problem(Problem{Source: "datapackage.json",
					Field: fmt.Sprintf("/resources/%d/path", i), Message: msg})
				continue
			}
			if p != "" {
				listed[res.Name] = p
			}
		}
	}
	for _, t := range schema() {
		if p, ok := listed[t.name]; ok {
			if isFile(r.fsys, p) {
				r.paths[t.name] = p
			} else {
				r.problem(Problem{Source: "datapackage.json", Field: t.name,
					Message: fmt.Sprintf("names %s for the %s table, but the package has no such file", p, t.name)})
			}
			continue
		}
		switch {
		case isFile(r.fsys, t.path):
			r.paths[t.name] = t.path
		case t.name == "service_at_location" && isFile(r.fsys, "service_at_locations.csv"):
			// The plural is common in the wild, as for every other table.
			r.paths[t.name] = "service_at_locations.csv"
		}
	}
	return nil
}

// notPackage explains a datapackage.json that is not JSON. A Git symbolic
// link checked out as text (as in the HSDS examples) holds a path.
func notPackage(data []byte, err error) string {
	s := strings.TrimSpace(string(data))
	if s != "" && !strings.ContainsAny(s, "{[\n") && len(s) < 256 {
		return fmt.Sprintf("holds %q instead of JSON (a symbolic link saved as a file?); the standard HSDS file names were read instead", s)
	}
	return fmt.Sprintf("is not valid JSON (%v); the standard HSDS file names were read instead", err)
}

// resourcePath reads a resource's path: one relative file name (a
// one-element list is accepted), or nothing.
func resourcePath(raw json.RawMessage) (string, string) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", ""
	}
	var p string
	if err := json.Unmarshal(raw, &p); err != nil {
		var list []string
		if err := json.Unmarshal(raw, &list); err != nil || len(list) != 1 {
			return "", "must be one file name inside the package"
		}
		p = list[0]
	}
	clean := path.Clean(strings.TrimPrefix(p, "./"))
	if p == "" || strings.Contains(p, "://") || !fs.ValidPath(clean) {
		return "", fmt.Sprintf("%q is not a file inside the package", clip(p))
	}
	return clean, ""
}

func isFile(fsys fs.FS, name string) bool {
	st, err := fs.Stat(fsys, name)
	return err == nil && !st.IsDir()
}

// readSmall reads a file that has no business being larger than max.
func readSmall(fsys fs.FS, name string, max int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s is larger than %s", name, size(int(max)))
	}
	return data, nil
}

// open opens a file of the package, counting what it yields against the
// limits whatever the archive declared.
func (r *pkgReader) open(name string) (io.ReadCloser, error) {
	f, err := r.fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("hsdsio: open %s: %w", name, err)
	}
	return &countedFile{f: f, name: name, r: r}, nil
}

// readRows reads the table name, if the package has it, as records of typ
// (an hsds struct) into a sorter of its rows by id, each with the values of
// keys (the columns it is joined by) and the JSON of its own columns. It also records every id it reads
// in ids, with the table, so attributes and metadata can find their record.
func readRows(r *pkgReader, typ reflect.Type, name string, keys []string, ids *sorter) (*sorter, error) {
	out := r.sp.sorter()
	file, ok := r.paths[name]
	if !ok {
		return out, out.finish()
	}
	f, err := r.open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t := &tableRows{r: r, name: name, file: file, ids: ids, out: out, lr: &recordLimit{r: f, max: maxDocBytes}}
	t.cr = csv.NewReader(t.lr)
	t.cr.FieldsPerRecord = -1 // counted here, to report the row and go on
	t.cr.ReuseRecord = true
	if ok, err := t.readHeader(typ, keys); err != nil || !ok {
		if err != nil {
			return nil, err
		}
		return out, out.finish()
	}
	for line := 2; ; line++ {
		if line%1024 == 0 {
			if err := r.ctx.Err(); err != nil {
				return nil, err
			}
		}
		more, err := t.readRow(line)
		if err != nil {
			return nil, err
		}
		if !more {
			return out, out.finish()
		}
	}
}

// tableRows is one table's CSV file being read by readRows.
type tableRows struct {
	r          *pkgReader
	name, file string
	ids, out   *sorter
	lr         *recordLimit
	cr         *csv.Reader
	typ        reflect.Type
	header     []string
	cells      []*cell // per column; nil when the type has no such field
	idCol      int
	keyCells   []cell
}

func (t *tableRows) problem(line int, id, field, msg string) {
	t.r.problem(Problem{Source: t.file, Line: line, RecordID: id, Field: field, Message: msg})
}

// lost is a problem that loses the rest of the file, not one row.
func (t *tableRows) lost(line int, msg string) {
	t.r.problem(Problem{Source: t.file, Line: line, Message: msg, Input: true})
}

// readHeader reads the header and maps its columns to the fields of typ.
// false: the file is empty or was skipped (a problem says why).
func (t *tableRows) readHeader(typ reflect.Type, keys []string) (bool, error) {
	header, err := t.cr.Read()
	switch {
	case err == io.EOF:
		return false, nil
	case errors.Is(err, errRecordTooBig):
		t.lost(1, fmt.Sprintf("the header is longer than %s; the file was skipped", size(maxDocBytes)))
		return false, nil
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		t.lost(1, "the header cannot be read as CSV: "+pe.Err.Error()+"; the file was skipped")
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("hsdsio: read %s: %w", t.file, readError(err))
	}
	t.header = slices.Clone(header)
	if len(t.header) > 0 {
		t.header[0] = strings.TrimPrefix(t.header[0], bom)
	}
	c := newCodec(typ)
	t.typ, t.cells, t.idCol = typ, make([]*cell, len(t.header)), -1
	for i, h := range t.header {
		h = strings.TrimSpace(h)
		t.header[i] = h
		if x, ok := c.byName[h]; ok {
			t.cells[i] = &x
		}
		if h == "id" {
			t.idCol = i
		}
	}
	t.keyCells = make([]cell, len(keys))
	for i, k := range keys {
		t.keyCells[i] = c.column(k)
	}
	return true, nil
}

// readRow reads the row at line into the sorters; false: the file ended
// (or cannot be read further, which a problem says).
func (t *tableRows) readRow(line int) (bool, error) {
	t.lr.start(t.cr.InputOffset())
	rec, err := t.cr.Read()
	if err == io.EOF {
		return false, nil
	}
	if errors.Is(err, errRecordTooBig) {
		// The rest of the file cannot be split into rows reliably.
		t.lost(line, fmt.Sprintf("the row is longer than %s; reading %s stopped here", size(maxDocBytes), t.file))
		return false, nil
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		t.problem(line, "", "", fmt.Sprintf("cannot be read as CSV (%v, at line %d column %d of the file); the row was skipped",
			pe.Err, pe.Line, pe.Column))
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("hsdsio: read %s row %d: %w", t.file, line, readError(err))
	}
	unescapeRow(rec)
	id := ""
	if t.idCol >= 0 && t.idCol < len(rec) {
		// A cell shares the memory of its whole row: the copy keeps a
		// sorted id from holding the row.
		id = strings.Clone(rec[t.idCol])
	}
	if len(rec) != len(t.header) {
		t.problem(line, id, "", fmt.Sprintf("has %d cells but the header has %d columns; the row was skipped", len(rec), len(t.header)))
		return true, nil
	}
	if !slices.ContainsFunc(rec, func(s string) bool { return s != "" }) {
		return true, nil // a blank row a spreadsheet left behind
	}
	return true, t.keep(line, id, rec)
}

// keep decodes the cells of one row and adds it to the sorters.
func (t *tableRows) keep(line int, id string, rec []string) error {
	rv := reflect.New(t.typ).Elem()
	for i, s := range rec {
		if msg := cellText(t.header[i], s); msg != "" {
			t.problem(line, id, t.header[i], msg)
		}
		if t.cells[i] == nil {
			continue
		}
		if err := t.cells[i].set(rv, s); err != nil {
			t.problem(line, id, t.header[i], err.Error()+"; the value was left out")
		}
	}
	doc, err := json.Marshal(rv.Addr().Interface())
	if err != nil {
		t.problem(line, id, "", "cannot be stored: "+err.Error())
		return nil
	}
	row := rowRec{line: line, id: id, keys: make([]string, len(t.keyCells)), doc: doc}
	for i, kc := range t.keyCells {
		row.keys[i] = strings.Clone(rv.Field(kc.index).String())
	}
	if err := t.out.add(id, "", row.encode()); err != nil {
		return err
	}
	if id != "" && t.ids != nil {
		return t.ids.add(id, t.name, nil)
	}
	return nil
}

// column is the cell of a column this package names in code; a missing one
// is a programming error.
func (c codec) column(name string) cell {
	x, ok := c.byName[name]
	if !ok {
		panic("hsdsio: no column " + name)
	}
	return x
}

// errRecordTooBig stops a CSV reader inside a row longer than a document
// may be: encoding/csv would otherwise hold any length in memory.
var errRecordTooBig = errors.New("CSV row too long")

// recordLimit fails a read that would take the current row past max bytes.
type recordLimit struct {
	r         io.Reader
	max       int64
	delivered int64
	rowStart  int64
}

// start marks where the next row begins (the CSV reader's offset); what
// the reader has buffered beyond it counts toward that row, which costs at
// most its buffer's size of slack.
func (l *recordLimit) start(offset int64) { l.rowStart = offset }

func (l *recordLimit) Read(p []byte) (int, error) {
	if l.delivered-l.rowStart > l.max {
		return 0, errRecordTooBig
	}
	n, err := l.r.Read(p)
	l.delivered += int64(n)
	return n, err
}

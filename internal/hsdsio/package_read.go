package hsdsio

import (
	"cmp"
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

// ReadPackage reads an HSDS tabular data package from fsys: a directory
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
// The records are all terms, then all organizations, then all services,
// each in file order with Source = its CSV file and Line = its row; they are
// normalized. Nested children are ordered by id, whatever their row order.
// meta_table_descriptions.csv has no place in these documents and is not
// read.
//
// Problems are CSV that cannot be parsed, rows with the wrong number of
// cells, numbers and date-times that are not, repeated ids, child rows
// whose parent is not in the package (such a row is left out), and an
// unreadable datapackage.json. A row with a bad cell is kept without that
// value, so an importer must refuse a package with problems rather than
// import what was read. References between top-level records
// (organization_id and program_id of a service, location_id of a service
// at location, taxonomy_term_id, unit_id, taxonomy_id) are kept as ids and
// not checked here, as they may name records already in the directory.
//
// The error is for I/O failures only.
func ReadPackage(fsys fs.FS) ([]Record, []Problem, error) {
	root, err := packageRoot(fsys)
	if err != nil {
		return nil, nil, err
	}
	r := &pkgReader{fsys: root, paths: map[string]string{}}
	if err := r.resolve(); err != nil {
		return nil, r.problems, err
	}

	terms := load[hsds.TaxonomyTerm](r, "taxonomy_term")
	taxonomies := load[hsds.Taxonomy](r, "taxonomy")
	orgs := load[hsds.Organization](r, "organization")
	programs := load[hsds.Program](r, "program")
	urls := load[hsds.URL](r, "url")
	funding := load[hsds.Funding](r, "funding")
	orgIdents := load[hsds.OrganizationIdentifier](r, "organization_identifier")
	locations := load[hsds.Location](r, "location")
	addresses := load[hsds.Address](r, "address")
	access := load[hsds.Accessibility](r, "accessibility")
	contacts := load[hsds.Contact](r, "contact")
	phones := load[hsds.Phone](r, "phone")
	languages := load[hsds.Language](r, "language")
	schedules := load[hsds.Schedule](r, "schedule")
	services := load[hsds.Service](r, "service")
	sals := load[hsds.ServiceAtLocation](r, "service_at_location")
	areas := load[hsds.ServiceArea](r, "service_area")
	costs := load[hsds.CostOption](r, "cost_option")
	docs := load[hsds.RequiredDocument](r, "required_document")
	capacities := load[hsds.ServiceCapacity](r, "service_capacity")
	units := load[hsds.Unit](r, "unit")
	attrs := load[hsds.Attribute](r, "attribute")
	meta := load[hsds.Metadata](r, "metadata")
	if r.err != nil {
		return nil, r.problems, r.err
	}

	// Place every child row, or say why it cannot be placed.
	var (
		orgSet     = ids(orgs)
		svcSet     = ids(services)
		locSet     = ids(locations)
		salSet     = ids(sals)
		contactSet = ids(contacts)
		phoneSet   = ids(phones)
		// Every table whose object has attributes; metadata also goes on
		// attributes, taxonomies and terms.
		attrSet = union(orgSet, svcSet, locSet, salSet, contactSet, phoneSet, ids(programs), ids(urls),
			ids(funding), ids(orgIdents), ids(addresses), ids(access), ids(languages), ids(schedules),
			ids(areas), ids(costs), ids(docs), ids(capacities), ids(units))
		metaSet = union(attrSet, ids(attrs), ids(taxonomies), ids(terms))
		org     = parent{"organization_id", "organization", orgSet}
		svc     = parent{"service_id", "service", svcSet}
		loc     = parent{"location_id", "location", locSet}
		sal     = parent{"service_at_location_id", "service at location", salSet}
	)
	place(r, "program", programs, org)
	place(r, "url", urls, org, svc)
	place(r, "funding", funding, org, svc)
	place(r, "organization_identifier", orgIdents, org)
	place(r, "location", locations, org)
	place(r, "address", addresses, loc)
	place(r, "accessibility", access, loc)
	place(r, "contact", contacts, org, svc, sal, loc)
	place(r, "phone", phones, loc, svc, org, parent{"contact_id", "contact", contactSet}, sal)
	place(r, "language", languages, svc, loc, parent{"phone_id", "phone", phoneSet})
	place(r, "schedule", schedules, svc, loc, sal)
	place(r, "service_at_location", sals, svc)
	place(r, "service_area", areas, svc, sal)
	place(r, "cost_option", costs, svc)
	place(r, "required_document", docs, svc)
	place(r, "service_capacity", capacities, svc)
	place(r, "attribute", attrs, parent{"link_id", "record", attrSet})
	place(r, "metadata", meta, parent{"resource_id", "record", metaSet})

	// Build bottom-up, so each value is complete before it is copied into
	// its parents. Children come out in id order.
	sortByID(programs)
	sortByID(urls)
	sortByID(funding)
	sortByID(orgIdents)
	sortByID(locations)
	sortByID(addresses)
	sortByID(access)
	sortByID(contacts)
	sortByID(phones)
	sortByID(languages)
	sortByID(schedules)
	sortByID(sals)
	sortByID(areas)
	sortByID(costs)
	sortByID(docs)
	sortByID(capacities)
	sortByID(attrs)
	sortByID(meta)
	metaBy := by(meta, "resource_id")
	for i := range attrs {
		attrs[i].v.Metadata = metaBy[attrs[i].id]
	}
	attrBy := by(attrs, "link_id")
	extras := func(id string) ([]hsds.Attribute, []hsds.Metadata) { return attrBy[id], metaBy[id] }

	taxonomyByID := map[string]hsds.Taxonomy{}
	for _, t := range taxonomies {
		t.v.Metadata = metaBy[t.id]
		taxonomyByID[t.id] = t.v
	}
	unitByID := map[string]hsds.Unit{}
	for _, u := range units {
		u.v.Attributes, u.v.Metadata = extras(u.id)
		unitByID[u.id] = u.v
	}
	for i := range languages {
		l := &languages[i].v
		l.Attributes, l.Metadata = extras(languages[i].id)
	}
	langPhone := by(languages, "phone_id")
	for i := range phones {
		p := &phones[i].v
		p.Languages = langPhone[phones[i].id]
		p.Attributes, p.Metadata = extras(phones[i].id)
	}
	phoneContact := by(phones, "contact_id")
	for i := range contacts {
		c := &contacts[i].v
		c.Phones = phoneContact[contacts[i].id]
		c.Attributes, c.Metadata = extras(contacts[i].id)
	}
	fill := func(id string, a *[]hsds.Attribute, m *[]hsds.Metadata) { *a, *m = extras(id) }
	for i := range schedules {
		fill(schedules[i].id, &schedules[i].v.Attributes, &schedules[i].v.Metadata)
	}
	for i := range areas {
		fill(areas[i].id, &areas[i].v.Attributes, &areas[i].v.Metadata)
	}
	for i := range addresses {
		fill(addresses[i].id, &addresses[i].v.Attributes, &addresses[i].v.Metadata)
	}
	for i := range access {
		fill(access[i].id, &access[i].v.Attributes, &access[i].v.Metadata)
	}
	for i := range programs {
		fill(programs[i].id, &programs[i].v.Attributes, &programs[i].v.Metadata)
	}
	for i := range urls {
		fill(urls[i].id, &urls[i].v.Attributes, &urls[i].v.Metadata)
	}
	for i := range funding {
		fill(funding[i].id, &funding[i].v.Attributes, &funding[i].v.Metadata)
	}
	for i := range orgIdents {
		fill(orgIdents[i].id, &orgIdents[i].v.Attributes, &orgIdents[i].v.Metadata)
	}
	for i := range costs {
		fill(costs[i].id, &costs[i].v.Attributes, &costs[i].v.Metadata)
	}
	for i := range docs {
		fill(docs[i].id, &docs[i].v.Attributes, &docs[i].v.Metadata)
	}
	for i := range capacities {
		c := &capacities[i].v
		if u, ok := unitByID[c.UnitID]; ok {
			c.Unit = &u
		}
		fill(capacities[i].id, &c.Attributes, &c.Metadata)
	}

	langLoc, phoneLoc, contactLoc, schedLoc := by(languages, "location_id"), by(phones, "location_id"),
		by(contacts, "location_id"), by(schedules, "location_id")
	addrLoc, accLoc := by(addresses, "location_id"), by(access, "location_id")
	for i := range locations {
		l, id := &locations[i].v, locations[i].id
		l.Languages, l.Addresses, l.Contacts, l.Accessibility = langLoc[id], addrLoc[id], contactLoc[id], accLoc[id]
		l.Phones, l.Schedules = phoneLoc[id], schedLoc[id]
		l.Attributes, l.Metadata = extras(id)
	}
	areaSAL, contactSAL, phoneSAL, schedSAL := by(areas, "service_at_location_id"), by(contacts, "service_at_location_id"),
		by(phones, "service_at_location_id"), by(schedules, "service_at_location_id")
	for i := range sals {
		s, id := &sals[i].v, sals[i].id
		s.ServiceAreas, s.Contacts, s.Phones, s.Schedules = areaSAL[id], contactSAL[id], phoneSAL[id], schedSAL[id]
		s.Attributes, s.Metadata = extras(id)
	}

	recs := make([]Record, 0, len(terms)+len(orgs)+len(services))
	for _, t := range terms {
		if d, ok := taxonomyByID[t.v.TaxonomyID]; ok {
			t.v.TaxonomyDetail = &d
		}
		t.v.Metadata = metaBy[t.id]
		recs = append(recs, Record{Kind: KindTaxonomyTerm, Source: r.paths["taxonomy_term"], Line: t.line, Term: clone(&t.v)})
	}

	urlOrg, fundOrg, contactOrg, phoneOrg := by(urls, "organization_id"), by(funding, "organization_id"),
		by(contacts, "organization_id"), by(phones, "organization_id")
	locOrg, progOrg, identOrg := by(locations, "organization_id"), by(programs, "organization_id"),
		by(orgIdents, "organization_id")
	for _, o := range orgs {
		v, id := o.v, o.id
		v.AdditionalWebsites, v.Funding, v.Contacts, v.Phones = urlOrg[id], fundOrg[id], contactOrg[id], phoneOrg[id]
		v.Locations, v.Programs, v.OrganizationIdentifiers = locOrg[id], progOrg[id], identOrg[id]
		v.Attributes, v.Metadata = extras(id)
		c := clone(&v)
		c.Normalize()
		recs = append(recs, Record{Kind: KindOrganization, Source: r.paths["organization"], Line: o.line, Organization: c})
	}

	urlSvc, phoneSvc, schedSvc, areaSvc := by(urls, "service_id"), by(phones, "service_id"),
		by(schedules, "service_id"), by(areas, "service_id")
	salSvc, langSvc, fundSvc, costSvc := by(sals, "service_id"), by(languages, "service_id"),
		by(funding, "service_id"), by(costs, "service_id")
	docSvc, contactSvc, capSvc := by(docs, "service_id"), by(contacts, "service_id"), by(capacities, "service_id")
	for _, s := range services {
		v, id := s.v, s.id
		v.AdditionalURLs, v.Phones, v.Schedules, v.ServiceAreas = urlSvc[id], phoneSvc[id], schedSvc[id], areaSvc[id]
		v.ServiceAtLocations, v.Languages, v.Funding, v.CostOptions = salSvc[id], langSvc[id], fundSvc[id], costSvc[id]
		v.RequiredDocuments, v.Contacts, v.Capacities = docSvc[id], contactSvc[id], capSvc[id]
		v.Attributes, v.Metadata = extras(id)
		c := clone(&v)
		c.Normalize()
		recs = append(recs, Record{Kind: KindService, Source: r.paths["service"], Line: s.line, Service: c})
	}

	slices.SortStableFunc(r.problems, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Source, b.Source), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Field, b.Field))
	})
	return recs, r.problems, nil
}

// pkgReader holds what reading one package has found so far.
type pkgReader struct {
	fsys     fs.FS
	paths    map[string]string // resource name → file, for the tables present
	problems []Problem
	err      error // first I/O error; later loads do nothing
}

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
			r.problems = append(r.problems, Problem{Source: "datapackage.json", Message: notPackage(data, err)})
			break
		}
		for i, res := range dp.Resources {
			p, msg := resourcePath(res.Path)
			if msg != "" {
				r.problems = append(r.problems, Problem{Source: "datapackage.json",
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
				r.problems = append(r.problems, Problem{Source: "datapackage.json", Field: t.name,
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

// row is one data row of a table: its CSV row number, id and value.
type row[T any] struct {
	line int
	id   string
	v    T
}

// load reads the table name, if the package has it, into values of T.
func load[T any](r *pkgReader, name string) []row[T] {
	file, ok := r.paths[name]
	if !ok || r.err != nil {
		return nil
	}
	rows, err := readTable[T](r, file)
	if err != nil {
		r.err = err
	}
	return rows
}

func readTable[T any](r *pkgReader, file string) ([]row[T], error) {
	f, err := r.fsys.Open(file)
	if err != nil {
		return nil, fmt.Errorf("hsdsio: open %s: %w", file, err)
	}
	defer f.Close()
	problem := func(line int, id, field, msg string) {
		r.problems = append(r.problems, Problem{Source: file, Line: line, RecordID: id, Field: field, Message: msg})
	}
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1 // counted here, to report the row and go on
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, nil
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		problem(1, "", "", "the header cannot be read as CSV: "+pe.Err.Error()+"; the file was skipped")
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("hsdsio: read %s: %w", file, err)
	}
	header = slices.Clone(header)
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], bom)
	}
	c := newCodec(reflect.TypeFor[T]())
	cells := make([]*cell, len(header))
	idCol := -1
	for i, h := range header {
		h = strings.TrimSpace(h)
		header[i] = h
		if x, ok := c.byName[h]; ok {
			cells[i] = &x
		}
		if h == "id" {
			idCol = i
		}
	}
	var rows []row[T]
	seen := map[string]int{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, nil
		}
		if errors.As(err, &pe) {
			problem(line, "", "", fmt.Sprintf("cannot be read as CSV (%v, at line %d column %d of the file); the row was skipped",
				pe.Err, pe.Line, pe.Column))
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("hsdsio: read %s row %d: %w", file, line, err)
		}
		unescapeRow(rec)
		id := ""
		if idCol >= 0 && idCol < len(rec) {
			id = rec[idCol]
		}
		if len(rec) != len(header) {
			problem(line, id, "", fmt.Sprintf("has %d cells but the header has %d columns; the row was skipped", len(rec), len(header)))
			continue
		}
		if !slices.ContainsFunc(rec, func(s string) bool { return s != "" }) {
			continue // a blank row a spreadsheet left behind
		}
		var v T
		rv := reflect.ValueOf(&v).Elem()
		for i, s := range rec {
			if cells[i] == nil {
				continue
			}
			if err := cells[i].set(rv, s); err != nil {
				problem(line, id, header[i], err.Error()+"; the value was left out")
			}
		}
		if id != "" {
			if prev, dup := seen[id]; dup {
				problem(line, id, "id", fmt.Sprintf("is also the id of row %d; this row was skipped", prev))
				continue
			}
			seen[id] = line
		}
		rows = append(rows, row[T]{line: line, id: id, v: v})
	}
}

func ids[T any](rows []row[T]) map[string]bool {
	m := make(map[string]bool, len(rows))
	for _, r := range rows {
		if r.id != "" {
			m[r.id] = true
		}
	}
	return m
}

func union(sets ...map[string]bool) map[string]bool {
	m := map[string]bool{}
	for _, s := range sets {
		for k := range s {
			m[k] = true
		}
	}
	return m
}

// parent is a column by which a child row names a record it belongs to.
type parent struct {
	col   string
	noun  string
	known map[string]bool // ids of that kind in the package
}

// place reports child rows that name a parent the package does not have,
// and rows that name no parent at all; neither can be nested anywhere.
func place[T any](r *pkgReader, name string, rows []row[T], parents ...parent) {
	file := r.paths[name]
	c := newCodec(reflect.TypeFor[T]())
	cols := make([]string, len(parents))
	for i, p := range parents {
		cols[i] = p.col
	}
	for i := range rows {
		rv := reflect.ValueOf(&rows[i].v).Elem()
		named := false
		for _, p := range parents {
			v := rv.Field(c.column(p.col).index).String()
			if v == "" {
				continue
			}
			named = true
			if !p.known[v] {
				r.problems = append(r.problems, Problem{Source: file, Line: rows[i].line, RecordID: rows[i].id, Field: p.col,
					Message: fmt.Sprintf("%s names no %s in this package", clip(fmt.Sprintf("%q", v)), p.noun)})
			}
		}
		if !named {
			msg := "belongs to no record: set " + cols[0]
			if len(cols) > 1 {
				msg = "belongs to no record: set one of " + strings.Join(cols, ", ")
			}
			r.problems = append(r.problems, Problem{Source: file, Line: rows[i].line, RecordID: rows[i].id, Message: msg})
		}
	}
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

// by groups rows by the value of a parent column, keeping row order.
func by[T any](rows []row[T], col string) map[string][]T {
	c := newCodec(reflect.TypeFor[T]()).column(col)
	m := map[string][]T{}
	for _, r := range rows {
		if k := reflect.ValueOf(&r.v).Elem().Field(c.index).String(); k != "" {
			m[k] = append(m[k], r.v)
		}
	}
	return m
}

// sortByID orders child rows by id, the order ReadPackage promises for
// nested lists.
func sortByID[T any](rows []row[T]) {
	slices.SortStableFunc(rows, func(a, b row[T]) int { return strings.Compare(a.id, b.id) })
}

// clone deep-copies a document, so records never share nested slices (a
// row nested under several parents is built once and copied into each).
func clone[T any](v *T) *T {
	c := new(T)
	deepCopy(reflect.ValueOf(c).Elem(), reflect.ValueOf(v).Elem())
	return c
}

func deepCopy(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		p := reflect.New(src.Type().Elem())
		deepCopy(p.Elem(), src.Elem())
		dst.Set(p)
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		for i := range src.Len() {
			deepCopy(s.Index(i), src.Index(i))
		}
		dst.Set(s)
	case reflect.Struct:
		if src.Type() == timeType {
			dst.Set(src)
			return
		}
		for i := range src.NumField() {
			deepCopy(dst.Field(i), src.Field(i))
		}
	default:
		dst.Set(src)
	}
}

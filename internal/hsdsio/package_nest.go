package hsdsio

import (
	"encoding/binary"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/linkage-org/linkage/internal/hsds"
)

// Rebuilding nested documents from a tabular package is a join across its
// CSV files. Holding every row in memory to do it made a 200 MB package
// cost gigabytes, so the join is done as a database would without an
// index: each table is sorted (external sort, extsort.go) on the id that
// joins it, and merged with its children, which were sorted on the
// column naming that id. Tables are completed bottom-up: languages, then
// the phones they nest in, then contacts, ..., then organizations and
// services; a completed child is re-sorted once per column naming a
// parent. Attributes and metadata, which may name a record of any table,
// are first routed to the table holding their link_id or resource_id by
// merging them with the sorted ids of every table. Documents stay JSON
// between stages: a parent's children are spliced into its JSON, and only
// the finished records are decoded. Memory is the sort budget plus the
// record being built, which may be at most maxDocBytes.
//
// Chosen over an on-disk SQLite staging database because hsdsio is pure
// format code (no SQL engine, see STYLE.md) and sorted merges read each
// file sequentially; over an in-memory index of file offsets because that
// index still grows with the number of rows.

// parent is a column by which a child row names a record it belongs to.
type parent struct {
	col   string // e.g. "service_id"
	table string // the parent's resource name
}

// child is a table whose completed rows nest in a field of this table.
type child struct {
	table string // e.g. "phone"
	col   string // its column naming this table's id
	field string // the JSON field of this table holding them, e.g. "phones"
}

// lookup is a reference a completed row carries a copy of (a capacity's
// unit, a term's taxonomy); unlike a child it may name nothing.
type lookup struct {
	col, table, field string
}

// plan is how one table's rows become documents.
type plan struct {
	table    string
	parents  []parent // none for top-level tables
	children []child
	lookup   *lookup
	target   bool   // a lookup's target (units, taxonomies)
	attrs    bool   // its records may carry attributes
	meta     bool   // ... and metadata
	out      string // the output kind of a top-level record, or ""
}

// Output kinds, in the order records are given.
const (
	outTerm         = "0"
	outOrganization = "1"
	outService      = "2"
)

// plans lists every table in the order its documents can be completed:
// metadata, then attributes (each routed on to the records they name),
// then every table after the tables nested in it.
func plans() []plan { return planList }

var planList = buildPlans()

// outKinds are the tables whose completed rows are records of Records.
var outKinds = map[string]string{"taxonomy_term": outTerm, hsds.LinkEntityOrganization: outOrganization, hsds.LinkEntityService: outService}

// buildPlans derives the plans from the HSDS child table: a child nested
// in a list joins by its column naming the parent, a record a package
// carries with its referrer (a unit, a taxonomy) is a lookup, and the
// records a package lists on their own are never nested.
func buildPlans() []plan {
	byTable := map[string]*plan{}
	var names []string
	for _, t := range schema() {
		if t.name != "meta_table_description" { // no place in the documents
			byTable[t.name] = &plan{table: t.name, out: outKinds[t.name]}
			names = append(names, t.name)
		}
	}
	deps := map[string][]string{}
	for i := range hsds.Children {
		r := &hsds.Children[i]
		p := byTable[r.Parent]
		switch {
		case p == nil || ownRecords[r.Child] || (r.Kind == hsds.Reference && !r.Carried):
		case r.Kind == hsds.History:
			p.meta = true
		case r.Child == "attribute":
			p.attrs = true
		case r.Kind == hsds.Reference:
			p.lookup = &lookup{r.Key, r.Child, r.Field}
			byTable[r.Child].target = true
			deps[r.Parent] = append(deps[r.Parent], r.Child)
		default:
			p.children = append(p.children, child{r.Child, r.Key, r.Field})
			c := byTable[r.Child]
			c.parents = append(c.parents, parent{r.Key, r.Parent})
			deps[r.Parent] = append(deps[r.Parent], r.Child)
		}
	}
	byTable["metadata"].parents = []parent{{"resource_id", ""}}
	byTable["attribute"].parents = []parent{{"link_id", ""}}
	for _, t := range schema() {
		if p := byTable[t.name]; p != nil {
			// In the order of the table's columns, as problems name them.
			slices.SortFunc(p.parents, func(a, b parent) int {
				return slices.IndexFunc(t.fields, func(f field) bool { return f.name == a.col }) -
					slices.IndexFunc(t.fields, func(f field) bool { return f.name == b.col })
			})
		}
	}
	return completionOrder(byTable, names, deps)
}

// completionOrder puts metadata and attributes first, then each table
// after every table it depends on.
func completionOrder(byTable map[string]*plan, names []string, deps map[string][]string) []plan {
	out := []plan{*byTable["metadata"], *byTable["attribute"]}
	done := map[string]bool{"metadata": true, "attribute": true}
	var visit func(string)
	visit = func(t string) {
		if done[t] {
			return
		}
		done[t] = true
		for _, d := range deps[t] {
			visit(d)
		}
		out = append(out, *byTable[t])
	}
	for _, t := range names {
		visit(t)
	}
	return out
}

// nouns name a parent table in problems.
var nouns = map[string]string{"service_at_location": "service at location"}

func noun(table string) string {
	if n, ok := nouns[table]; ok {
		return n
	}
	return table
}

// readTable reads one table into rows sorted by id (see readRows).
func readTable(r *pkgReader, table string, keys []string, ids *sorter) (*sorter, error) {
	rec := hsds.New(table)
	if rec == nil {
		panic("hsdsio: no type for table " + table)
	}
	return readRows(r, reflect.TypeOf(rec).Elem(), table, keys, ids)
}

// keys are the columns a table's rows are joined by: its parents', then
// its lookup's.
func (p plan) keys() []string {
	var ks []string
	for _, pa := range p.parents {
		ks = append(ks, pa.col)
	}
	if p.lookup != nil {
		ks = append(ks, p.lookup.col)
	}
	return ks
}

// edge names the sorted completed rows of a child table by one parent
// column (or, for routed attributes and metadata, by the table).
type edge struct{ table, col string }

// nest reads every table and builds the records, returning them sorted
// for output.
func (r *pkgReader) nest() (*sorter, error) {
	ps := plans()
	ids := r.sp.sorter()
	rows := map[string]*sorter{}
	for _, p := range ps {
		s, err := readTable(r, p.table, p.keys(), ids)
		if err != nil {
			return nil, err
		}
		rows[p.table] = s
	}
	if err := ids.finish(); err != nil {
		return nil, err
	}
	defer ids.release()

	n := &nesting{r: r, rows: rows, edges: map[edge]*sorter{}, docs: map[string]*sorter{}, out: r.sp.sorter()}
	for _, p := range ps {
		if err := n.complete(p); err != nil {
			return nil, err
		}
		switch p.table {
		case "metadata":
			if err := n.route("metadata", "resource_id", ids, func(p plan) bool { return p.meta }); err != nil {
				return nil, err
			}
		case "attribute":
			if err := n.route("attribute", "link_id", ids, func(p plan) bool { return p.attrs }); err != nil {
				return nil, err
			}
		}
	}
	return n.out, n.out.finish()
}

// nesting is the state of one nest: sorted rows, completed children by
// parent column, completed lookup targets by id, and the output.
type nesting struct {
	r     *pkgReader
	rows  map[string]*sorter // table → its rows by id
	edges map[edge]*sorter   // completed children by parent id
	docs  map[string]*sorter // lookup targets (units, taxonomies) by id
	out   *sorter
}

func (n *nesting) edge(e edge) *sorter {
	s, ok := n.edges[e]
	if !ok {
		s = n.r.sp.sorter()
		n.edges[e] = s
	}
	return s
}

// complete builds the documents of one table and hands each on: to the
// edges of its parents, to the lookup targets, or to the output.
func (n *nesting) complete(p plan) error {
	src := n.rows[p.table]
	delete(n.rows, p.table)
	defer src.release()
	var joins []*join
	for _, c := range p.children {
		joins = append(joins, n.join(edge{c.table, c.col}, c.field, p.table, c.table, c.col))
	}
	if p.attrs {
		joins = append(joins, n.join(edge{p.table, "attributes"}, "attributes", "", "", ""))
	}
	if p.meta {
		joins = append(joins, n.join(edge{p.table, "metadata"}, "metadata", "", "", ""))
	}
	defer closeJoins(joins)

	emit := n.emitter(p)
	if p.lookup != nil {
		// Complete the rows, then re-sort them by the lookup column and
		// merge the targets in.
		byRef := n.r.sp.sorter()
		defer byRef.release()
		ref := len(p.parents)
		err := n.merge(p.table, src, true, p.parents, joins, func(row rowRec) error {
			return byRef.add(row.keys[ref], row.id, row.encode())
		})
		if err != nil {
			return err
		}
		target := n.docs[p.lookup.table]
		if target == nil {
			target = n.r.sp.sorter()
		}
		lj := &join{src: target, field: p.lookup.field, object: true}
		defer lj.close()
		return n.merge(p.table, byRef, false, nil, []*join{lj}, emit)
	}
	return n.merge(p.table, src, true, p.parents, joins, emit)
}

// emitter hands a completed row of p on.
func (n *nesting) emitter(p plan) func(rowRec) error {
	switch {
	case p.out != "":
		return func(row rowRec) error {
			return n.out.add(p.out, fmt.Sprintf("%020d", row.line), rowRec{line: row.line, id: row.id, doc: row.doc}.encode())
		}
	case p.target:
		s := n.r.sp.sorter()
		n.docs[p.table] = s
		return func(row rowRec) error {
			return s.add(row.id, "", rowRec{line: row.line, id: row.id, doc: row.doc}.encode())
		}
	}
	return func(row rowRec) error {
		val := rowRec{line: row.line, id: row.id, doc: row.doc}.encode()
		for i, pa := range p.parents {
			if v := row.keys[i]; v != "" {
				if err := n.edge(edge{p.table, pa.col}).add(v, row.id, val); err != nil {
					return err
				}
			}
		}
		return nil
	}
}

// join opens the completed children of an edge for merging; a child that
// names no row of parentTable is a problem when parentTable is set.
func (n *nesting) join(e edge, field, parentTable, childTable, col string) *join {
	s := n.edges[e]
	delete(n.edges, e)
	if s == nil {
		s = n.r.sp.sorter()
	}
	j := &join{src: s, field: field}
	if parentTable != "" {
		j.report = func(row rowRec, key string) {
			n.r.problem(Problem{Source: n.r.paths[childTable], Line: row.line, RecordID: row.id, Field: col,
				Message: fmt.Sprintf("%s names no %s in this package", clip(strconv.Quote(key)), noun(parentTable))})
		}
	}
	return j
}

func closeJoins(js []*join) {
	for _, j := range js {
		j.close()
	}
}

// merge walks src in key order, splices each join's group for the key
// into the row's document and emits it. With dedup the key is the row's
// id and later rows with the same id are problems; parents, when set, are
// columns of which a row must name at least one.
func (n *nesting) merge(table string, src *sorter, dedup bool, parents []parent, joins []*join, emit func(rowRec) error) error {
	it, err := src.iter()
	if err != nil {
		return err
	}
	defer it.close()
	file := n.r.paths[table]
	prevID, prevLine := "", 0
	for count := 0; ; count++ {
		if count%1024 == 0 {
			if err := n.r.ctx.Err(); err != nil {
				return err
			}
		}
		x, ok, err := it.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		row := decodeRow(x.val)
		if dedup && row.id != "" {
			if row.id == prevID {
				n.r.problem(Problem{Source: file, Line: row.line, RecordID: row.id, Field: "id",
					Message: fmt.Sprintf("is also the id of row %d; this row was skipped", prevLine)})
				continue
			}
			prevID, prevLine = row.id, row.line
		}
		doc, over, err := splice(row.doc, x.k1, joins)
		if err != nil {
			return err
		}
		if len(parents) > 0 && !slices.ContainsFunc(row.keys[:len(parents)], func(v string) bool { return v != "" }) {
			n.r.problem(Problem{Source: file, Line: row.line, RecordID: row.id, Message: orphanMessage(parents)})
			continue
		}
		if over {
			n.r.problem(Problem{Source: file, Line: row.line, RecordID: row.id,
				Message: fmt.Sprintf("with the rows nested in it this record is larger than %s, the most one record may hold; split it into smaller records", size(maxDocBytes))})
			continue
		}
		row.doc = doc
		if err := emit(row); err != nil {
			return err
		}
	}
	for _, j := range joins {
		if err := j.drain(); err != nil {
			return err
		}
	}
	return nil
}

func orphanMessage(parents []parent) string {
	if len(parents) == 1 {
		return "belongs to no record: set " + parents[0].col
	}
	cols := make([]string, len(parents))
	for i, p := range parents {
		cols[i] = p.col
	}
	return "belongs to no record: set one of " + strings.Join(cols, ", ")
}

// splice adds each join's group for key to doc (a JSON object) as a
// member. over says the result would pass maxDocBytes.
func splice(doc []byte, key string, joins []*join) ([]byte, bool, error) {
	if key == "" {
		return doc, false, nil
	}
	out := doc
	total, over, copied := len(doc), false, false
	for _, j := range joins {
		g, err := j.group(key)
		if err != nil {
			return nil, false, err
		}
		if g.over {
			over = true
		}
		if len(g.docs) == 0 || over {
			continue
		}
		total += g.size + len(j.field) + 6
		if total > maxDocBytes {
			over = true
			continue
		}
		if !copied {
			out = slices.Clip(out[:len(out)-1]) // drop the closing brace; append copies
			copied = true
		}
		if out[len(out)-1] != '{' {
			out = append(out, ',')
		}
		out = append(out, '"')
		out = append(out, j.field...)
		out = append(out, '"', ':')
		if j.object {
			out = append(out, g.docs[0]...)
			continue
		}
		out = append(out, '[')
		for i, d := range g.docs {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, d...)
		}
		out = append(out, ']')
	}
	if copied {
		out = append(out, '}')
	}
	return out, over, nil
}

// join merges one sorted stream of completed children (key: the parent's
// id) into a walk over their parents in the same key order.
type join struct {
	src    *sorter
	it     *merge
	field  string
	object bool                         // the group is one object, not a list
	report func(row rowRec, key string) // a child whose parent never came
	next   *item                        // read ahead
	done   bool
	cur    group
}

type group struct {
	key  string
	docs [][]byte
	size int
	over bool
	set  bool
}

// group is the children with key; groups of smaller keys are skipped (and
// reported). The same key twice gives the same group (lookups repeat).
func (j *join) group(key string) (group, error) {
	if j.cur.set && j.cur.key == key {
		return j.cur, nil
	}
	j.cur = group{}
	for {
		if err := j.peek(); err != nil || j.next == nil {
			return group{}, err
		}
		c := strings.Compare(j.next.k1, key)
		if c > 0 {
			return group{}, nil
		}
		if c < 0 {
			j.skip()
			continue
		}
		g := group{key: key, set: true}
		for j.next != nil && j.next.k1 == key {
			row := decodeRow(j.next.val)
			g.size += len(row.doc) + 1
			if g.size > maxDocBytes {
				g.over, g.docs = true, nil
			} else if !g.over {
				g.docs = append(g.docs, row.doc)
			}
			j.next = nil
			if err := j.peek(); err != nil {
				return group{}, err
			}
		}
		j.cur = g
		return g, nil
	}
}

func (j *join) peek() error {
	if j.next != nil || j.done {
		return nil
	}
	if j.it == nil {
		it, err := j.src.iter()
		if err != nil {
			return err
		}
		j.it = it
	}
	x, ok, err := j.it.next()
	if err != nil {
		return err
	}
	if !ok {
		j.done = true
		return nil
	}
	j.next = &x
	return nil
}

func (j *join) skip() {
	if j.report != nil {
		j.report(decodeRow(j.next.val), j.next.k1)
	}
	j.next = nil
}

// drain reports the children left when the parents ran out.
func (j *join) drain() error {
	for {
		if err := j.peek(); err != nil || j.next == nil {
			return err
		}
		j.skip()
	}
}

func (j *join) close() {
	if j.it != nil {
		j.it.close()
	}
	j.src.release()
}

// route hands each completed attribute or metadata row (sorted by the id
// it names) to every table that has a row with that id, or reports that
// none has.
func (n *nesting) route(table, col string, ids *sorter, holds func(plan) bool) error {
	may := map[string]bool{}
	for _, p := range plans() {
		if holds(p) {
			may[p.table] = true
		}
	}
	field := "attributes"
	if table == "metadata" {
		field = "metadata"
	}
	src := n.edge(edge{table, col})
	delete(n.edges, edge{table, col})
	defer src.release()
	it, err := src.iter()
	if err != nil {
		return err
	}
	defer it.close()
	idj := &join{src: ids} // not closed: ids is read again by the next route
	defer func() {
		if idj.it != nil {
			idj.it.close()
		}
	}()
	var tables []string
	lastKey, first := "", true
	for {
		x, ok, err := it.next()
		if err != nil || !ok {
			return err
		}
		if first || x.k1 != lastKey {
			lastKey, first = x.k1, false
			tables, err = idj.tables(x.k1, may)
			if err != nil {
				return err
			}
		}
		if len(tables) == 0 {
			row := decodeRow(x.val)
			n.r.problem(Problem{Source: n.r.paths[table], Line: row.line, RecordID: row.id, Field: col,
				Message: fmt.Sprintf("%s names no record in this package", clip(strconv.Quote(x.k1)))})
			continue
		}
		for _, t := range tables {
			if err := n.edge(edge{t, field}).add(x.k1, x.k2, x.val); err != nil {
				return err
			}
		}
	}
}

// tables are the tables of may with a row whose id is key, read from the
// sorted ids (k1 id, k2 table).
func (j *join) tables(key string, may map[string]bool) ([]string, error) {
	var out []string
	for {
		if err := j.peek(); err != nil || j.next == nil {
			return out, err
		}
		c := strings.Compare(j.next.k1, key)
		if c > 0 {
			return out, nil
		}
		if c == 0 && may[j.next.k2] && !slices.Contains(out, j.next.k2) {
			out = append(out, j.next.k2)
		}
		j.next = nil
	}
}

// rowRec is a row between stages: its CSV line, id, the values of its
// plan's keys and its document so far.
type rowRec struct {
	line int
	id   string
	keys []string
	doc  []byte
}

func (r rowRec) encode() []byte {
	n := binary.MaxVarintLen64 * (3 + len(r.keys))
	n += len(r.id) + len(r.doc)
	for _, k := range r.keys {
		n += len(k)
	}
	b := make([]byte, 0, n)
	b = binary.AppendUvarint(b, uint64(r.line))
	b = appendString(b, r.id)
	b = binary.AppendUvarint(b, uint64(len(r.keys)))
	for _, k := range r.keys {
		b = appendString(b, k)
	}
	return append(b, r.doc...)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// decodeRow reads what encode wrote (always this process's own bytes).
func decodeRow(b []byte) rowRec {
	var r rowRec
	line, n := binary.Uvarint(b)
	r.line, b = int(line), b[n:]
	r.id, b = readString(b)
	k, n := binary.Uvarint(b)
	b = b[n:]
	if k > 0 {
		r.keys = make([]string, k)
		for i := range r.keys {
			r.keys[i], b = readString(b)
		}
	}
	r.doc = b
	return r
}

func readString(b []byte) (string, []byte) {
	l, n := binary.Uvarint(b)
	b = b[n:]
	return string(b[:l]), b[l:]
}

package hsds11

import (
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/linkage-org/linkage/internal/hsdsio"
)

// cursor walks a sort's items with one item of look-ahead, for merging.
type cursor struct {
	it     *hsdsio.SortIter
	k1, k2 string
	val    []byte
	ok     bool
}

func openCursor(s *hsdsio.Sort) (*cursor, error) {
	it, err := s.Iter()
	if err != nil {
		return nil, err
	}
	c := &cursor{it: it}
	return c, c.next()
}

func (c *cursor) next() (err error) {
	c.k1, c.k2, c.val, c.ok, err = c.it.Next()
	return err
}

func (c *cursor) close() { c.it.Close() }

// mergeServices writes the held services, each with the eligibility and
// payments naming it; those naming no service of the package are noted.
func (j *joins) mergeServices(c *converter) error {
	defer j.services.Release()
	defer j.extras.Release()
	if j.extraN == 0 {
		return nil
	}
	svc, err := openCursor(j.services)
	if err != nil {
		return err
	}
	defer svc.close()
	ex, err := openCursor(j.extras)
	if err != nil {
		return err
	}
	defer ex.close()
	cols, prev := j.serviceCols, ""
	for first := true; svc.ok; first = false {
		from, vals, _ := decodeRow(svc.val)
		r := row{}
		for i, name := range cols {
			r[name] = vals[i]
		}
		if first || svc.k1 != prev { // a repeated id is a problem of the 3.1 reader; its extras go to the first
			elig, pay, err := j.takeExtras(c, ex, svc.k1)
			if err != nil {
				return err
			}
			addExtras(r, elig, pay)
		}
		prev = svc.k1
		if err := c.out.emit("service", r, from); err != nil {
			return err
		}
		if err := svc.next(); err != nil {
			return err
		}
	}
	for ; ex.ok; err = ex.next() {
		j.orphanExtra(c, ex)
	}
	return err
}

// takeExtras reads the extras of service sid, noting those before it,
// which name no service of the package.
func (j *joins) takeExtras(c *converter, ex *cursor, sid string) (elig, pay []string, err error) {
	for ; ex.ok && ex.k1 < sid; err = ex.next() {
		j.orphanExtra(c, ex)
	}
	for ; err == nil && ex.ok && ex.k1 == sid; err = ex.next() {
		from, v, _ := decodeRow(ex.val)
		file := c.inputs[from.file].path
		if ex.k2[0] == 'e' {
			elig = appendNew(elig, v[0])
			c.notes.add(file, "eligibility", "HSDS 3.1 has no eligibility table: the values were joined into the service's eligibility_description", false,
				Example{Row: from.line, Value: v[0]})
		} else {
			pay = appendNew(pay, v[0])
			c.notes.add(file, "payment", "HSDS 3.1 has no table of payment methods: they were added to the service's fees_description as \"Payment accepted: ...\"", false,
				Example{Row: from.line, Value: v[0]})
		}
	}
	return elig, pay, err
}

func appendNew(list []string, v string) []string {
	if slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

// addExtras puts a service's eligibility in eligibility_description and
// its payments in fees_description: 3.1 has no table for either (its
// structured eligibility is attributes of a taxonomy 1.1 does not name).
func addExtras(r row, elig, pay []string) {
	if len(elig) > 0 {
		r["eligibility_description"] = strings.Join(elig, "; ")
	}
	if len(pay) > 0 {
		fees := strings.TrimSpace(r["fees_description"])
		if fees != "" && !strings.HasSuffix(fees, ".") {
			fees += "."
		}
		r["fees_description"] = strings.TrimSpace(fees + " Payment accepted: " + strings.Join(pay, ", ") + ".")
	}
}

func (j *joins) orphanExtra(c *converter, ex *cursor) {
	from, _, _ := decodeRow(ex.val)
	c.notes.add(c.inputs[from.file].path, "service_id", "names no service in this package; the row was left out", true,
		Example{Row: from.line, Value: ex.k1})
}

// writeVocabularies writes one 3.1 taxonomy per 1.1 vocabulary.
func (j *joins) writeVocabularies(c *converter) error {
	defer j.vocabs.Release()
	prev := ""
	first := true
	return j.vocabs.Each(func(v, _ string, val []byte) error {
		if !first && v == prev {
			return nil
		}
		first, prev = false, v
		from, _, _ := decodeRow(val)
		c.notes.add(c.inputs[from.file].path, "vocabulary", "each vocabulary became an HSDS 3.1 taxonomy, described by its name (3.1 requires a description)", false,
			Example{Row: from.line, Value: v})
		return c.out.emit("taxonomy", row{"id": c.uuid("vocabulary", v), "name": v, "description": v}, from)
	})
}

// mergeMetadata writes each metadata row for the one record its
// resource_id names. 1.1 metadata names a record by id alone, and 1.1 ids
// are often numbers each table counts from 1: a row naming an id several
// tables have cannot be placed, nor one naming no record of the package.
func (j *joins) mergeMetadata(c *converter) error {
	defer j.meta.Release()
	defer j.ids.Release()
	meta, err := openCursor(j.meta)
	if err != nil {
		return err
	}
	defer meta.close()
	ids, err := openCursor(j.ids)
	if err != nil {
		return err
	}
	defer ids.close()
	var tables []string
	for first, prev := true, ""; meta.ok; first = false {
		if first || meta.k1 != prev {
			if tables, err = ids.tables(meta.k1); err != nil {
				return err
			}
		}
		prev = meta.k1
		if err := j.writeMetadata(c, meta, tables); err != nil {
			return err
		}
		if err := meta.next(); err != nil {
			return err
		}
	}
	return nil
}

// tables are the tables with a record whose id is key, skipping smaller ids.
func (c *cursor) tables(key string) ([]string, error) {
	var out []string
	for c.ok && c.k1 <= key {
		if c.k1 == key && !slices.Contains(out, c.k2) {
			out = append(out, c.k2)
		}
		if err := c.next(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (j *joins) writeMetadata(c *converter, meta *cursor, tables []string) error {
	from, vals, extra := decodeRow(meta.val)
	file := c.inputs[from.file].path
	ex := Example{Row: from.line, RecordID: extra[0], Value: meta.k1}
	switch len(tables) {
	case 0:
		c.notes.add(file, "resource_id", "names no record of this package (HSDS 1.1 metadata names its record by id alone); the row was left out", true, ex)
		return nil
	case 1:
	default:
		ex.Value += " (" + strings.Join(tables, ", ") + ")"
		c.notes.add(file, "resource_id", "names records of several tables, and HSDS 1.1 metadata does not say which it is about; the row was left out", true, ex)
		return nil
	}
	s := c.spec(tables[0])
	r := row{"resource_id": c.uuid(s.name, meta.k1), "resource_type": s.entity}
	if extra[0] != "" {
		r["id"] = c.uuid("metadata", extra[0])
	} else {
		u := uuid.NewSHA1(namespace, []byte("metadata\x00\x00row "+strconv.Itoa(from.line)))
		c.out.logID(u, "")
		r["id"] = u.String()
	}
	for i, name := range metaCols() {
		r[name] = vals[i]
	}
	return c.out.emit("metadata", r, from)
}

// spec is the table name of the package.
func (c *converter) spec(name string) *spec {
	for _, in := range c.inputs {
		if in.spec != nil && in.spec.name == name {
			return in.spec
		}
	}
	panic("hsds11: no 1.1 table " + name)
}

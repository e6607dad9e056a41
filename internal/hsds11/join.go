package hsds11

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"github.com/linkage-org/linkage/internal/hsdsio"
)

// Three things of 1.1 can only be mapped once other tables are read, and
// are joined by sorting on disk as the 3.1 reader joins its tables:
// eligibility and payment_accepted rows become text of their services,
// metadata rows name a record of any table by its id alone, and each
// vocabulary of the taxonomy becomes one 3.1 taxonomy.
type joins struct {
	extras   *hsdsio.Sort // k1 service id, k2 kind and row: eligibility ("e") and payments ("p")
	services *hsdsio.Sort // k1 service id: services waiting for their extras
	ids      *hsdsio.Sort // k1 1.1 id, k2 table: every record, when the package has metadata
	meta     *hsdsio.Sort // k1 resource_id: metadata rows
	vocabs   *hsdsio.Sort // k1 vocabulary, k2 row: where each was first named
	extraN   int
	// serviceCols are the columns of a held service.
	serviceCols []string
}

func (j *joins) start(c *converter) {
	j.extras, j.services, j.meta, j.vocabs = c.sc.Sort(), c.sc.Sort(), c.sc.Sort(), c.sc.Sort()
	j.serviceCols = outTableNamed("service").cols
	if slices.ContainsFunc(c.inputs, func(in input) bool { return in.spec != nil && in.spec.name == "metadata" && in.path != "" }) {
		j.ids = c.sc.Sort()
	}
}

// record remembers a written record's 1.1 id for metadata.
func (j *joins) record(r *inRow) error {
	if j.ids == nil || r.orig == "" {
		return nil
	}
	return j.ids.Add(r.orig, r.in.spec.name, nil)
}

func (j *joins) vocabulary(v string, from origin) error {
	return j.vocabs.Add(v, key(from), encodeRow(from, nil, nil))
}

// extra holds an eligibility or payment value for its service.
func (j *joins) extra(c *converter, r *inRow) error {
	field, kind := "eligibility", "e"
	if r.in.spec.name == "payment_accepted" {
		field, kind = "payment", "p"
	}
	v := strings.TrimSpace(r.get(field))
	sid := strings.TrimSpace(r.get("service_id"))
	switch {
	case v == "":
		return nil
	case sid == "":
		c.note(r, "service_id", "is empty: the row belongs to no service and was left out", true, v)
		return nil
	}
	j.extraN++
	return j.extras.Add(sid, kind+key(r.from()), encodeRow(r.from(), []string{v}, nil))
}

// holdService keeps a service until its extras are merged in, when the
// package has any; otherwise it is written at once.
func (j *joins) holdService(c *converter, r *inRow) error {
	if j.extraN == 0 {
		return nil
	}
	r.held = true
	if err := j.record(r); err != nil {
		return err
	}
	vals := make([]string, len(j.serviceCols))
	for i, name := range j.serviceCols {
		vals[i] = r.out[name]
	}
	return j.services.Add(r.orig, key(r.from()), encodeRow(r.from(), vals, nil))
}

// metadata holds a metadata row until every record's id is known.
func (j *joins) metadata(c *converter, r *inRow) error {
	rid := strings.TrimSpace(r.get("resource_id"))
	if rid == "" {
		c.note(r, "resource_id", "is empty: the row is about no record and was left out", true, "")
		return nil
	}
	cols := metaCols()
	vals := make([]string, len(cols))
	for i, name := range cols {
		vals[i] = r.out[name]
	}
	return j.meta.Add(rid, key(r.from()), encodeRow(r.from(), vals, []string{strings.TrimSpace(r.get("id"))}))
}

// finish writes what waited: services with their extras, taxonomies,
// metadata.
func (j *joins) finish(c *converter) error {
	if err := j.mergeServices(c); err != nil {
		return err
	}
	if err := j.writeVocabularies(c); err != nil {
		return err
	}
	if j.ids == nil {
		return nil
	}
	return j.mergeMetadata(c)
}

// key orders rows of one key by where they were read.
func key(from origin) string { return fmt.Sprintf("%06d%012d", from.file, from.line) }

func metaCols() []string {
	return []string{"last_action_date", "last_action_type", "field_name", "previous_value", "replacement_value", "updated_by"}
}

func outTableNamed(name string) outTable {
	for _, t := range outTables() {
		if t.name == name {
			return t
		}
	}
	panic("hsds11: no 3.1 table " + name)
}

// encodeRow packs an origin and two lists of strings for a sort.
func encodeRow(from origin, vals, extra []string) []byte {
	b := binary.AppendUvarint(nil, uint64(from.file))
	b = binary.AppendUvarint(b, uint64(from.line))
	for _, list := range [][]string{vals, extra} {
		b = binary.AppendUvarint(b, uint64(len(list)))
		for _, s := range list {
			b = binary.AppendUvarint(b, uint64(len(s)))
			b = append(b, s...)
		}
	}
	return b
}

// decodeRow reads what encodeRow wrote (always this process's own bytes).
func decodeRow(b []byte) (from origin, vals, extra []string) {
	next := func() uint64 {
		n, k := binary.Uvarint(b)
		b = b[k:]
		return n
	}
	from.file, from.line = int(next()), int(next())
	lists := [2][]string{}
	for i := range lists {
		for n := next(); n > 0; n-- {
			l := next()
			lists[i] = append(lists[i], string(b[:l]))
			b = b[l:]
		}
	}
	return from, lists[0], lists[1]
}

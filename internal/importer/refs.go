package importer

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/google/uuid"

	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/hsdsio"
	"github.com/linkage-org/linkage/internal/store"
)

// refs tracks the ids a file defines and the ids it names, by entity.
type refs struct {
	defined map[string]map[string]bool
	named   map[string]map[string]hsdsio.Problem // entity → id → where first named
	// taxonomyNames holds, for each taxonomy id a term names, the first
	// taxonomy name such a term carries: HSDS 3.1 lets a term give the
	// name without the taxonomy record, and the import creates the
	// taxonomy from it when neither the input nor the directory has it.
	taxonomyNames map[string]string
	// deps, kept only by an import that skips, says which record defines
	// and which names each id, so a skipped record takes those that
	// depend on it along.
	deps *deps
}

func newRefs(track bool) *refs {
	r := &refs{defined: map[string]map[string]bool{}, named: map[string]map[string]hsdsio.Problem{}, taxonomyNames: map[string]string{}}
	if track {
		r.deps = newDeps()
	}
	return r
}

func (r *refs) define(entity, id string) {
	if id == "" {
		return
	}
	if r.defined[entity] == nil {
		r.defined[entity] = map[string]bool{}
	}
	r.defined[entity][id] = true
}

func (r *refs) name(entity, id string, at hsdsio.Problem) {
	if id == "" {
		return
	}
	if r.named[entity] == nil {
		r.named[entity] = map[string]hsdsio.Problem{}
	}
	if _, ok := r.named[entity][id]; !ok {
		r.named[entity][id] = at
	}
}

// add records what record seq, rec, defines and names.
func (r *refs) add(seq int, rec hsdsio.Record) {
	at := func(field string) hsdsio.Problem {
		return hsdsio.Problem{Source: rec.Source, Line: rec.Line, RecordID: rec.ID(), Field: field}
	}
	var local *recordRefs
	if r.deps != nil {
		local = &recordRefs{}
	}
	define := func(entity, id string) {
		r.define(entity, id)
		if local != nil && id != "" {
			local.defs = append(local.defs, ref{entity, id})
		}
	}
	// name is a reference the write needs (a foreign key): one that
	// names nothing is a problem. soft is a reference the database does
	// not enforce (a term's parent, an organization's parent): naming
	// nothing known is allowed, as a partial taxonomy is, but naming a
	// record of the input that is skipped makes the record depend on it.
	name := func(entity, id, ptr string, soft bool) {
		if id == "" {
			return
		}
		if !soft {
			r.name(entity, id, at(ptr))
		}
		if local != nil {
			local.names = append(local.names, localName{ref{entity, id}, ptr, soft})
		}
	}
	var root any
	switch rec.Kind {
	case hsdsio.KindTaxonomyTerm:
		root = rec.Term
	case hsdsio.KindOrganization:
		root = rec.Organization
	case hsdsio.KindService:
		root = rec.Service
	}
	walk(reflect.ValueOf(root), "", func(v any, ptr string) {
		nameParents(v, ptr, name)
		switch x := v.(type) {
		case *hsds.Organization:
			define("organization", x.ID)
			name("organization", x.ParentOrganizationID, ptr+"/parent_organization_id", true)
		case *hsds.Location:
			define("location", x.ID)
			// A location nested in an organization names it; one nested
			// in a service's service_at_location may name any.
			name("organization", x.OrganizationID, ptr+"/organization_id", false)
		case *hsds.Program:
			define("program", x.ID)
		case *hsds.Unit:
			define("unit", x.ID)
		case *hsds.TaxonomyTerm:
			define("taxonomy_term", x.ID)
			name("taxonomy_term", x.ParentID, ptr+"/parent_id", true)
			if tn := strings.TrimSpace(x.Taxonomy); x.TaxonomyID != "" && tn != "" && len(tn) <= hsds.MaxNameLen {
				if _, ok := r.taxonomyNames[x.TaxonomyID]; !ok {
					r.taxonomyNames[x.TaxonomyID] = tn
				}
			}
		case *hsds.Contact:
			define("contact", x.ID)
		case *hsds.Phone:
			define("phone", x.ID)
		case *hsds.Taxonomy:
			define("taxonomy", x.ID)
		case *hsds.ServiceAtLocation:
			define("service_at_location", x.ID)
			name("location", x.LocationID, ptr+"/location_id", false)
		case *hsds.Service:
			define("service", x.ID)
			name("organization", x.OrganizationID, ptr+"/organization_id", false)
			name("program", x.ProgramID, ptr+"/program_id", false)
		case *hsds.Attribute:
			name("taxonomy_term", x.TaxonomyTermID, ptr+"/taxonomy_term_id", false)
		case *hsds.ServiceCapacity:
			name("unit", x.UnitID, ptr+"/unit_id", false)
		}
	})
	if local != nil {
		r.deps.add(seq, local)
	}
}

// parentFields are the columns by which a nested record names its parent
// (and the entity each names); a name that neither the file nor the
// directory defines would fail the write's foreign keys at commit, so it
// is a problem with its row here instead.
var parentFields = map[string]struct{ entity, json string }{
	"ContactID":           {"contact", "contact_id"},
	"ServiceAtLocationID": {"service_at_location", "service_at_location_id"},
	"PhoneID":             {"phone", "phone_id"},
	"LocationID":          {"location", "location_id"},
	"ServiceID":           {"service", "service_id"},
	"TaxonomyID":          {"taxonomy", "taxonomy_id"},
}

// nameParents names the parents v's parent columns point at. Services',
// locations' and service_at_locations' own references are named by add;
// here only nested children's.
func nameParents(v any, ptr string, name func(entity, id, ptr string, soft bool)) {
	rv := reflect.ValueOf(v).Elem()
	if rv.Kind() != reflect.Struct {
		return
	}
	switch v.(type) {
	case *hsds.Service, *hsds.ServiceAtLocation:
		return // named by add (a service_at_location's service is its parent)
	}
	for field, p := range parentFields {
		f := rv.FieldByName(field)
		if f.Kind() == reflect.String && f.String() != "" {
			name(p.entity, f.String(), ptr+"/"+p.json, false)
		}
	}
	if _, isLoc := v.(*hsds.Location); !isLoc {
		if f := rv.FieldByName("OrganizationID"); f.Kind() == reflect.String && f.String() != "" {
			name("organization", f.String(), ptr+"/organization_id", false)
		}
	}
}

// shallow are the nested records the store writes as flat records, without
// what is nested in them: a service's organization is upserted alone, so
// the locations and services inside it define nothing.
var shallow = map[reflect.Type]string{reflect.TypeFor[hsds.Service](): "organization"}

// walk visits every struct pointer in v's graph with its JSON pointer.
func walk(v reflect.Value, ptr string, fn func(v any, ptr string)) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		fn(v.Interface(), ptr)
		walk(v.Elem(), ptr, fn)
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := v.Field(i)
			if f.Kind() != reflect.Slice && f.Kind() != reflect.Pointer {
				continue
			}
			tag := strings.Split(t.Field(i).Tag.Get("json"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			if shallow[t] == tag {
				if f.Kind() == reflect.Pointer && !f.IsNil() {
					fn(f.Interface(), ptr+"/"+tag)
				}
				continue
			}
			walk(f, ptr+"/"+tag, fn)
		}
	case reflect.Slice:
		for i := range v.Len() {
			walk(v.Index(i).Addr(), fmt.Sprintf("%s/%d", ptr, i), fn)
		}
	}
}

var entityLabel = map[string]string{
	"organization": "organization", "location": "location", "program": "program",
	"unit": "unit", "taxonomy_term": "taxonomy term", "service": "service", "taxonomy": "taxonomy",
	"service_at_location": "service_at_location", "contact": "contact", "phone": "phone",
}

// refEntities are the entities references name, in the order missing
// reports them.
var refEntities = []string{"organization", "program", "location", "taxonomy_term", "unit", "taxonomy",
	"service", "service_at_location", "contact", "phone"}

// canonical says whether id is a lowercase UUID. A malformed id was
// already reported by validation; asking the database about it would only
// be a type error on PostgreSQL.
func canonical(id string) bool {
	u, err := uuid.Parse(id)
	return err == nil && u.String() == id
}

// missing returns the named ids, by entity and sorted, that neither the
// file nor the directory has.
func (r *refs) missing(ctx context.Context, st *store.Store) (map[string][]string, error) {
	out := map[string][]string{}
	for _, entity := range refEntities {
		var ask []string
		for id := range r.named[entity] {
			if canonical(id) && !r.defined[entity][id] {
				ask = append(ask, id)
			}
		}
		if len(ask) == 0 {
			continue
		}
		sort.Strings(ask)
		found, err := st.ExistingIDs(ctx, entity, ask)
		if err != nil {
			return nil, err
		}
		for _, id := range ask {
			if !found[id] {
				out[entity] = append(out[entity], id)
			}
		}
	}
	return out, nil
}

// missingMessage says what is wrong with naming a record nobody has.
func missingMessage(entity, id string) string {
	msg := fmt.Sprintf("names %s %s, which is neither in this input nor in the directory", entityLabel[entity], id)
	if entity == "taxonomy" {
		msg += "; add the taxonomy (taxonomy_detail with its id, name and description), or give its name in the term's " +
			"taxonomy field so the import can create it"
	}
	return msg
}

// ref is one record id of one entity.
type ref struct{ entity, id string }

// recordRefs is what one record defines and names.
type recordRefs struct {
	defs  []ref
	names []localName
}

type localName struct {
	ref  ref
	ptr  string
	soft bool
}

// namer is a record naming an id that another record defines (or nobody
// does).
type namer struct {
	rec  int32
	ptr  string
	soft bool
}

// deps is, for an import that skips, which records define each id and
// which name it. A reference to an id the same record defines is left
// out: that record is written or skipped whole.
type deps struct {
	keys    map[ref]int32
	refOf   []ref
	first   []int32 // by key: the first record that defines it, or -1
	count   []int32 // by key: how many records define it
	names   map[int32][]namer
	recDefs []int32 // keys each record defines, record after record
	start   []int32 // by record: where its keys start in recDefs
}

func newDeps() *deps { return &deps{keys: map[ref]int32{}, names: map[int32][]namer{}} }

func (d *deps) key(r ref) int32 {
	if k, ok := d.keys[r]; ok {
		return k
	}
	k := int32(len(d.refOf))
	d.keys[r] = k
	d.refOf = append(d.refOf, r)
	d.first = append(d.first, -1)
	d.count = append(d.count, 0)
	return k
}

func (d *deps) add(seq int, l *recordRefs) {
	for len(d.start) < seq {
		d.start = append(d.start, int32(len(d.recDefs))) // records that were never added
	}
	d.start = append(d.start, int32(len(d.recDefs)))
	own := map[ref]bool{}
	for _, r := range l.defs {
		if own[r] {
			continue
		}
		own[r] = true
		k := d.key(r)
		if d.first[k] < 0 {
			d.first[k] = int32(seq)
		}
		d.count[k]++
		d.recDefs = append(d.recDefs, k)
	}
	seen := map[ref]bool{}
	for _, n := range l.names {
		if own[n.ref] || seen[n.ref] {
			continue
		}
		seen[n.ref] = true
		k := d.key(n.ref)
		d.names[k] = append(d.names[k], namer{rec: int32(seq), ptr: n.ptr, soft: n.soft})
	}
}

// defines returns the keys record seq defines.
func (d *deps) defines(seq int) []int32 {
	if seq >= len(d.start) {
		return nil
	}
	end := int32(len(d.recDefs))
	if seq+1 < len(d.start) {
		end = d.start[seq+1]
	}
	return d.recDefs[d.start[seq]:end]
}

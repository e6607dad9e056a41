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
}

func newRefs() *refs {
	return &refs{defined: map[string]map[string]bool{}, named: map[string]map[string]hsdsio.Problem{}}
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

func (r *refs) add(rec hsdsio.Record) {
	at := func(field string) hsdsio.Problem {
		return hsdsio.Problem{Source: rec.Source, Line: rec.Line, RecordID: rec.ID(), Field: field}
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
		r.nameParents(v, ptr, at)
		switch x := v.(type) {
		case *hsds.Organization:
			r.define("organization", x.ID)
		case *hsds.Location:
			r.define("location", x.ID)
		case *hsds.Program:
			r.define("program", x.ID)
		case *hsds.Unit:
			r.define("unit", x.ID)
		case *hsds.TaxonomyTerm:
			r.define("taxonomy_term", x.ID)
		case *hsds.Contact:
			r.define("contact", x.ID)
		case *hsds.Phone:
			r.define("phone", x.ID)
		case *hsds.Taxonomy:
			r.define("taxonomy", x.ID)
		case *hsds.ServiceAtLocation:
			r.define("service_at_location", x.ID)
			r.name("location", x.LocationID, at(ptr+"/location_id"))
		case *hsds.Service:
			r.define("service", x.ID)
			r.name("organization", x.OrganizationID, at(ptr+"/organization_id"))
			r.name("program", x.ProgramID, at(ptr+"/program_id"))
		case *hsds.Attribute:
			r.name("taxonomy_term", x.TaxonomyTermID, at(ptr+"/taxonomy_term_id"))
		case *hsds.ServiceCapacity:
			r.name("unit", x.UnitID, at(ptr+"/unit_id"))
		}
	})
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

// nameParents names the parents v's parent columns point at. Services'
// and locations' organization_id, a service_at_location's location_id and
// the like are named by add; here only nested children's.
func (r *refs) nameParents(v any, ptr string, at func(string) hsdsio.Problem) {
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
			r.name(p.entity, f.String(), at(ptr+"/"+p.json))
		}
	}
	if _, isLoc := v.(*hsds.Location); !isLoc {
		if f := rv.FieldByName("OrganizationID"); f.Kind() == reflect.String && f.String() != "" {
			r.name("organization", f.String(), at(ptr+"/organization_id"))
		}
	}
}

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

// missing reports named ids that neither the file nor the directory has.
func (r *refs) missing(ctx context.Context, tx *store.Tx, probs *hsdsio.Problems) error {
	for _, entity := range []string{"organization", "program", "location", "taxonomy_term", "unit", "taxonomy",
		"service", "service_at_location", "contact", "phone"} {
		var ask []string
		for id := range r.named[entity] {
			// A malformed id was already reported by validation; asking the
			// database about it would only be a type error on PostgreSQL.
			if u, err := uuid.Parse(id); err != nil || u.String() != id {
				continue
			}
			if !r.defined[entity][id] {
				ask = append(ask, id)
			}
		}
		if len(ask) == 0 {
			continue
		}
		sort.Strings(ask)
		found, err := tx.ExistingIDs(ctx, entity, ask)
		if err != nil {
			return err
		}
		for _, id := range ask {
			if found[id] {
				continue
			}
			p := r.named[entity][id]
			p.Message = fmt.Sprintf("names %s %s, which is neither in this input nor in the directory", entityLabel[entity], id)
			probs.Add(p)
		}
	}
	return nil
}

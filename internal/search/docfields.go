package search

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"
)

// docPlan builds a Document's Bleve document directly, field for field as
// Bleve's mapper would: the mapper walks every document with reflection and
// looks each path up in the mapping, which was a twentieth of a rebuild's
// CPU. The plan reads the mapping once. TestDocPlan_MatchesMapper holds
// the two equal on every demo document.
type docPlan struct {
	fields []planField
}

type planField struct {
	index    int // of the Document struct field
	name     string
	kind     reflect.Kind // String, Slice of strings, Bool, or Slice of float64 (a geo point)
	geo      bool
	opts     index.FieldIndexingOptions
	analyzer analysis.Analyzer
}

func newDocPlan(im mapping.IndexMapping) (*docPlan, error) {
	impl, ok := im.(*mapping.IndexMappingImpl)
	if !ok || impl.DefaultMapping == nil {
		return nil, fmt.Errorf("search: mapping: not a static document mapping")
	}
	if impl.DefaultMapping.Dynamic || impl.IndexDynamic || impl.StoreDynamic {
		return nil, fmt.Errorf("search: mapping: dynamic mappings are not planned")
	}
	p := &docPlan{}
	t := reflect.TypeFor[Document]()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		sub := impl.DefaultMapping.Properties[name]
		if sub == nil || !sub.Enabled {
			continue
		}
		for _, fm := range sub.Fields {
			if fm.IncludeInAll {
				return nil, fmt.Errorf("search: mapping: %s: planned documents keep every field out of _all", name)
			}
			pf := planField{index: i, name: name, kind: f.Type.Kind(), opts: fm.Options()}
			if fm.Name != "" {
				pf.name = fm.Name
			}
			switch {
			case fm.Type == "text" && (pf.kind == reflect.String || pf.kind == reflect.Slice && f.Type.Elem().Kind() == reflect.String):
				an := fm.Analyzer
				if an == "" {
					an = impl.DefaultAnalyzer
				}
				if pf.analyzer = impl.AnalyzerNamed(an); pf.analyzer == nil {
					return nil, fmt.Errorf("search: mapping: %s: no analyzer %q", name, an)
				}
			case fm.Type == "boolean" && pf.kind == reflect.Bool:
			case fm.Type == "geopoint" && pf.kind == reflect.Slice && f.Type.Elem().Kind() == reflect.Float64:
				pf.geo = true
			default:
				return nil, fmt.Errorf("search: mapping: %s: a %s field of Go type %s is not planned", name, fm.Type, f.Type)
			}
			p.fields = append(p.fields, pf)
		}
	}
	return p, nil
}

// topLevel are the array positions of a field outside any array (the
// mapper's are empty, not nil).
var topLevel = []uint64{}

// document is d as Bleve indexes it. d must have been derived.
func (p *docPlan) document(d *Document) *document.Document {
	doc := document.NewDocument(d.ID)
	v := reflect.ValueOf(d).Elem()
	for i := range p.fields {
		pf := &p.fields[i]
		fv := v.Field(pf.index)
		switch {
		case pf.geo:
			// [lon, lat], as Bleve reads a slice; anything else is no point.
			if fv.Len() == 2 {
				doc.AddField(document.NewGeoPointFieldWithIndexingOptions(pf.name, topLevel, fv.Index(0).Float(), fv.Index(1).Float(), pf.opts))
			}
		case pf.kind == reflect.Bool:
			doc.AddField(document.NewBooleanFieldWithIndexingOptions(pf.name, topLevel, fv.Bool(), pf.opts))
		case pf.kind == reflect.String:
			doc.AddField(document.NewTextFieldCustom(pf.name, topLevel, []byte(fv.String()), pf.opts, pf.analyzer))
		default:
			for j := range fv.Len() {
				doc.AddField(document.NewTextFieldCustom(pf.name, []uint64{uint64(j)}, []byte(fv.Index(j).String()), pf.opts, pf.analyzer))
			}
		}
	}
	// Every field is left out of _all (the mapping says so), so Bleve's
	// empty composite field is not built.
	doc.SetIndexed()
	return doc
}

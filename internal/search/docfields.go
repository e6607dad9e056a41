package search

import (
	"fmt"
	"reflect"
	"strings"
	"sync"

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
	// The all and pairs fields hold the same text; pairs is analysed as all
	// is, then cut into word pairs. When the mapping says so (it does), each
	// document's text is analysed once for both: a fifth of a rebuild's
	// analysis. all and pairs are indexes into fields, -1 when not shared.
	all, pairs int
	shingle    analysis.TokenFilter
	// stems is the Porter stemmer of every text field's analyzer, with a
	// memory (see porterMemo).
	stems *porterMemo
}

type planField struct {
	field int // index of the Document struct field
	name  string
	kind  reflect.Kind // String, Slice of strings, Bool, or Slice of float64 (a geo point)
	geo   bool
	// list: a slice of strings indexed as one field of many tokens rather
	// than one field per value (see listTokens).
	list     bool
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
			pf := planField{field: i, name: name, kind: f.Type.Kind(), opts: fm.Options()}
			if fm.Name != "" {
				pf.name = fm.Name
			}
			switch {
			case fm.Type == "text" && (pf.kind == reflect.String || pf.kind == reflect.Slice && f.Type.Elem().Kind() == reflect.String):
				an := fm.Analyzer // else the document's default, else the index's, as the mapper picks
				if an == "" {
					an = impl.DefaultMapping.DefaultAnalyzer
				}
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
			pf.list = pf.kind == reflect.Slice && !pf.geo && !pf.opts.IsStored() && !pf.opts.IncludeTermVectors()
			p.fields = append(p.fields, pf)
		}
	}
	p.all, p.pairs = -1, -1
	allAt, pairsAt := -1, -1
	for i, pf := range p.fields {
		switch pf.name {
		case fieldAll:
			allAt = i
		case fieldPairs:
			pairsAt = i
		}
	}
	if allAt >= 0 && pairsAt >= 0 {
		base, ok1 := p.fields[allAt].analyzer.(*analysis.DefaultAnalyzer)
		pairs, ok2 := p.fields[pairsAt].analyzer.(*analysis.DefaultAnalyzer)
		if ok1 && ok2 && len(pairs.TokenFilters) == len(base.TokenFilters)+1 &&
			reflect.DeepEqual(pairs.Tokenizer, base.Tokenizer) && reflect.DeepEqual(pairs.TokenFilters[:len(base.TokenFilters)], base.TokenFilters) {
			p.all, p.pairs, p.shingle = allAt, pairsAt, pairs.TokenFilters[len(base.TokenFilters)]
		}
	}
	p.stems = newPorterMemo()
	for i := range p.fields {
		if p.fields[i].analyzer != nil {
			p.fields[i].analyzer = withPorterMemo(p.fields[i].analyzer, p.stems)
		}
	}
	return p, nil
}

// sharedText is one document's all text, analysed once, on first use, by
// whichever of the two fields Bleve analyses first.
type sharedText struct {
	once   sync.Once
	base   analysis.Analyzer
	input  string
	tokens analysis.TokenStream
}

func (s *sharedText) stream() analysis.TokenStream {
	s.once.Do(func() { s.tokens = s.base.Analyze([]byte(s.input)) })
	return s.tokens
}

// allTokens and pairTokens are the two fields' analyzers over a sharedText.
// Neither the shingle filter nor Bleve's token counting changes the tokens.
type allTokens struct{ s *sharedText }

func (a allTokens) Analyze([]byte) analysis.TokenStream { return a.s.stream() }

type pairTokens struct {
	s       *sharedText
	shingle analysis.TokenFilter
}

func (a pairTokens) Analyze([]byte) analysis.TokenStream { return a.shingle.Filter(a.s.stream()) }

// listTokens analyses each value of a list apart and hands out all the
// tokens as one stream. The mapper makes one field per value; the segment
// builder then merges them back by name (lengths added, frequencies
// merged), which for a field that keeps no positions and stores nothing is
// the same as one field holding every token. A third of a document's fields
// were list values (open hours alone twelve), each with its own analysis,
// token map and merge.
type listTokens struct {
	values   []string
	analyzer analysis.Analyzer
}

func (l listTokens) Analyze([]byte) analysis.TokenStream {
	var out analysis.TokenStream
	for _, v := range l.values {
		out = append(out, l.analyzer.Analyze([]byte(v))...)
	}
	return out
}

// pointField is a geo point indexed as its one full-precision term, the
// term Bleve's distance sort and our point columns read from doc values.
// Bleve's geopoint field adds a coarser term per 9-bit precision step
// (eight in all), for its own geo queries; Linkage runs none (a radius is
// geohash cells, then the exact distance from the columns). At 100,000
// services the field held 216,000 distinct terms; its points need 46,000.
type pointField struct {
	*document.GeoPointField
	freqs index.TokenFrequencies
}

func newPointField(name string, lon, lat float64, opts index.FieldIndexingOptions) *pointField {
	return &pointField{GeoPointField: document.NewGeoPointFieldWithIndexingOptions(name, topLevel, lon, lat, opts)}
}

func (f *pointField) Analyze() {
	v := f.Value()
	tokens := analysis.TokenStream{{Start: 0, End: len(v), Term: v, Position: 1, Type: analysis.Numeric}}
	f.freqs = analysis.TokenFrequency(tokens, f.ArrayPositions(), f.Options())
}

func (f *pointField) AnalyzedLength() int { return 1 }

func (f *pointField) AnalyzedTokenFrequencies() index.TokenFrequencies { return f.freqs }

// topLevel are the array positions of a field outside any array (the
// mapper's are empty, not nil).
var topLevel = []uint64{}

// document is d as Bleve indexes it. d must have been derived.
func (p *docPlan) document(d *Document) *document.Document {
	doc := document.NewDocument(d.ID)
	v := reflect.ValueOf(d).Elem()
	var shared *sharedText
	if p.all >= 0 && d.All == d.Pairs {
		shared = &sharedText{base: p.fields[p.all].analyzer, input: d.All}
	}
	for i := range p.fields {
		pf := &p.fields[i]
		fv := v.Field(pf.field)
		switch {
		case shared != nil && i == p.all:
			doc.AddField(document.NewTextFieldCustom(pf.name, topLevel, []byte(d.All), pf.opts, allTokens{shared}))
		case shared != nil && i == p.pairs:
			doc.AddField(document.NewTextFieldCustom(pf.name, topLevel, []byte(d.Pairs), pf.opts, pairTokens{shared, p.shingle}))
		case pf.geo:
			// [lon, lat], as Bleve reads a slice; anything else is no point.
			if fv.Len() == 2 {
				doc.AddField(newPointField(pf.name, fv.Index(0).Float(), fv.Index(1).Float(), pf.opts))
			}
		case pf.kind == reflect.Bool:
			doc.AddField(document.NewBooleanFieldWithIndexingOptions(pf.name, topLevel, fv.Bool(), pf.opts))
		case pf.kind == reflect.String:
			doc.AddField(document.NewTextFieldCustom(pf.name, topLevel, []byte(fv.String()), pf.opts, pf.analyzer))
		case pf.list:
			if fv.Len() > 0 {
				values := fv.Interface().([]string)
				doc.AddField(document.NewTextFieldCustom(pf.name, topLevel, nil, pf.opts, listTokens{values, pf.analyzer}))
			}
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

package search

import (
	"reflect"
	"testing"

	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/numeric"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/hsdsio"
	"github.com/linkage-org/linkage/seed"
)

// demoDocuments are the documents of every demo service, nested as the
// store nests them for indexing (locations and organization attached).
func demoDocuments(t *testing.T) []Document {
	t.Helper()
	var terms []hsds.TaxonomyTerm
	var svcs []hsds.Service
	for _, name := range seed.DemoFiles {
		f, err := seed.Demo().Open(name)
		if err != nil {
			t.Fatal(err)
		}
		problems, err := hsdsio.ReadJSON(f, name, func(r hsdsio.Record) error {
			switch {
			case r.Term != nil:
				terms = append(terms, *r.Term)
			case r.Organization != nil:
				org := *r.Organization
				locs := map[string]hsds.Location{}
				for _, l := range org.Locations {
					locs[l.ID] = l
				}
				flat := org
				flat.Services, flat.Locations = nil, nil
				for _, s := range org.Services {
					s.Organization = &flat
					for i := range s.ServiceAtLocations {
						if l, ok := locs[s.ServiceAtLocations[i].LocationID]; ok {
							s.ServiceAtLocations[i].Location = &l
						}
					}
					svcs = append(svcs, s)
				}
			case r.Service != nil:
				svcs = append(svcs, *r.Service)
			}
			return nil
		})
		_ = f.Close()
		if err != nil || len(problems) > 0 {
			t.Fatalf("%s: %v %v", name, err, problems)
		}
	}
	tax := NewTaxonomy(terms)
	var docs []Document
	for i := range svcs {
		docs = append(docs, Build(&svcs[i], tax, "America/New_York")...)
	}
	return docs
}

// fieldView is what the segment builder keeps of all the fields of one name
// in a document: it adds their lengths and merges their token frequencies;
// only stored values keep their array positions, and only term vectors
// keep token positions.
type fieldView struct {
	typ      string
	opts     index.FieldIndexingOptions
	length   int
	tokens   index.TokenFrequencies
	stored   []string
	storedAt [][]uint64
}

func segmentView(t *testing.T, doc *document.Document) map[string]*fieldView {
	t.Helper()
	out := map[string]*fieldView{}
	for _, f := range doc.Fields {
		f.Analyze()
		v := out[f.Name()]
		if v == nil {
			v = &fieldView{typ: reflect.TypeOf(f).String(), opts: f.Options(), tokens: index.TokenFrequencies{}}
			out[f.Name()] = v
		}
		if v.typ != reflect.TypeOf(f).String() || v.opts != f.Options() {
			t.Fatalf("%s: field %s is a %T %v and a %s %v", doc.ID(), f.Name(), f, f.Options(), v.typ, v.opts)
		}
		v.length += f.AnalyzedLength()
		v.tokens.MergeAll(f.Name(), f.AnalyzedTokenFrequencies())
		if f.Options().IsStored() {
			v.stored = append(v.stored, string(f.Value()))
			v.storedAt = append(v.storedAt, f.ArrayPositions())
		}
	}
	return out
}

// TestDocPlan_MatchesMapper: the documents Apply builds directly index the
// same as what Bleve's mapper builds from the struct, field for field as
// the segment builder sees them: names, options, lengths, analysed tokens
// and stored values (all and pairs analysed once for both; a list as one
// field of many tokens; stems remembered; a point as its full-precision
// term alone). Bleve's composite _all field, which the plan
// leaves out, is empty in the mapper's.
func TestDocPlan_MatchesMapper(t *testing.T) {
	im, err := newMapping()
	if err != nil {
		t.Fatal(err)
	}
	plan, err := newDocPlan(im)
	if err != nil {
		t.Fatal(err)
	}
	if plan.all < 0 || plan.pairs < 0 {
		t.Fatal("the plan analyses all and pairs apart")
	}
	docs := demoDocuments(t)
	svc := testService()
	docs = append(docs, Build(svc, testTaxonomy(), "America/Chicago")...)
	docs = append(docs, Document{ID: "bare", ServiceID: "bare"}) // every optional field empty
	if len(docs) < 50 {
		t.Fatalf("only %d documents", len(docs))
	}
	withGeo, withAreas, withOpen := 0, 0, 0
	for i := range docs {
		d := docs[i]
		d.derive()
		withGeo += min(len(d.Geo), 1)
		withAreas += min(len(d.AreaKeys), 1)
		withOpen += min(len(d.OpenZ), 1)
		mapped := document.NewDocument(d.ID)
		if err := im.MapDocument(mapped, &d); err != nil {
			t.Fatal(err)
		}
		planned := plan.document(&d)
		for _, c := range mapped.CompositeFields { // as scorch's analysis does
			for _, f := range mapped.Fields {
				f.Analyze()
				c.Compose(f.Name(), f.AnalyzedLength(), f.AnalyzedTokenFrequencies())
			}
			if c.AnalyzedLength() != 0 || len(c.AnalyzedTokenFrequencies()) != 0 {
				t.Fatalf("%s: the mapper's composite %s holds tokens", d.ID, c.Name())
			}
		}
		got, want := segmentView(t, planned), segmentView(t, mapped)
		if w := want["geo"]; w != nil {
			// The plan indexes a point as its full-precision term alone.
			for term := range w.tokens {
				if ok, shift := numeric.ValidPrefixCodedTermBytes([]byte(term)); !ok || shift != 0 {
					delete(w.tokens, term)
				}
			}
			w.typ, w.length = reflect.TypeFor[*pointField]().String(), len(w.tokens)
			if w.length != 1 {
				t.Fatalf("%s: %d full-precision terms for one point", d.ID, w.length)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d fields planned, %d mapped", d.ID, len(got), len(want))
		}
		for name, w := range want {
			if g := got[name]; !reflect.DeepEqual(g, w) {
				t.Fatalf("%s field %s:\nplanned %+v\nmapped  %+v", d.ID, name, g, w)
			}
		}
		if planned.Indexed() != mapped.Indexed() {
			t.Fatalf("%s: indexed %v, mapped %v", d.ID, planned.Indexed(), mapped.Indexed())
		}
	}
	if len(plan.stems.m) == 0 {
		t.Fatal("the plan's analyzers do not stem through its memo")
	}
	if withGeo == 0 || withAreas == 0 || withOpen == 0 {
		t.Fatalf("the documents miss a kind of field: %d with a point, %d with areas, %d with hours", withGeo, withAreas, withOpen)
	}
}

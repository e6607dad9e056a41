package search

import (
	"reflect"
	"testing"

	"github.com/blevesearch/bleve/v2/document"

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

// TestDocPlan_MatchesMapper: the documents Apply builds directly equal what
// Bleve's mapper builds from the struct, field for field: names, array
// positions, options, values and analysed tokens (all and pairs analysed
// once for both). Bleve's composite _all
// field, which the plan leaves out, is empty in the mapper's.
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
		if len(planned.Fields) != len(mapped.Fields) {
			t.Fatalf("%s: %d fields planned, %d mapped", d.ID, len(planned.Fields), len(mapped.Fields))
		}
		for j, want := range mapped.Fields {
			got := planned.Fields[j]
			if reflect.TypeOf(got) != reflect.TypeOf(want) || got.Name() != want.Name() || got.Options() != want.Options() ||
				!reflect.DeepEqual(got.ArrayPositions(), want.ArrayPositions()) || string(got.Value()) != string(want.Value()) {
				t.Fatalf("%s field %d: planned %T %s %v %v %q, mapped %T %s %v %v %q", d.ID, j,
					got, got.Name(), got.Options(), got.ArrayPositions(), got.Value(),
					want, want.Name(), want.Options(), want.ArrayPositions(), want.Value())
			}
			got.Analyze()
			want.Analyze()
			if got.AnalyzedLength() != want.AnalyzedLength() || !reflect.DeepEqual(got.AnalyzedTokenFrequencies(), want.AnalyzedTokenFrequencies()) {
				t.Fatalf("%s field %s: planned tokens %v, mapped %v", d.ID, want.Name(), got.AnalyzedTokenFrequencies(), want.AnalyzedTokenFrequencies())
			}
			for _, c := range mapped.CompositeFields { // as scorch's analysis does
				c.Compose(want.Name(), want.AnalyzedLength(), want.AnalyzedTokenFrequencies())
			}
		}
		for _, c := range mapped.CompositeFields {
			if c.AnalyzedLength() != 0 || len(c.AnalyzedTokenFrequencies()) != 0 {
				t.Fatalf("%s: the mapper's composite %s holds tokens", d.ID, c.Name())
			}
		}
		if planned.Indexed() != mapped.Indexed() {
			t.Fatalf("%s: indexed %v, mapped %v", d.ID, planned.Indexed(), mapped.Indexed())
		}
	}
	if withGeo == 0 || withAreas == 0 || withOpen == 0 {
		t.Fatalf("the documents miss a kind of field: %d with a point, %d with areas, %d with hours", withGeo, withAreas, withOpen)
	}
}

// Package search owns the Bleve index: its mapping, the documents built from
// HSDS services (one per service_at_location), and the queries behind
// GET /search and the HSDS search, postcode and proximity parameters. The
// index is derived from the database and can always be rebuilt.
package search

import (
	"fmt"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/porter"
	"github.com/blevesearch/bleve/v2/analysis/token/shingle"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/mapping"
)

// MappingVersion changes whenever the mapping or the way documents are built
// changes; an index built with another version is rebuilt at start.
const MappingVersion = "21"

// Text is indexed twice: every text of a document in "all" (recall), and
// the service name and its taxonomy terms again on their own, so a match
// there weighs more than one in a description.
const (
	fieldAll   = "all"
	fieldName  = "name"
	fieldTerms = "terms"
	fieldPairs = "pairs"

	analyzerPairs = "en_pairs"

	fieldAreaCells = "area_cells"
	fieldAreaKeys  = "area_keys"
	fieldAreaGeo   = "area_geo"
)

// Boosts of a match in the name and in the taxonomy terms, on top of the
// match in "all".
const (
	boostName  = 3.0
	boostTerms = 2.0
)

func newMapping() (mapping.IndexMapping, error) {
	im := bleve.NewIndexMapping()
	im.ScoringModel = "bm25"
	im.DefaultAnalyzer = en.AnalyzerName
	// Word pairs, for quoted phrases: "all" keeps no positions (they were a
	// quarter of the index and of its build time), so a phrase matches
	// documents holding each of its consecutive pairs of words (stop words
	// leave a "_" gap on both sides alike).
	if err := im.AddCustomTokenFilter("pairs", map[string]any{"type": shingle.Name, "min": 2.0, "max": 2.0, "output_original": false}); err != nil {
		return nil, fmt.Errorf("search: mapping: %w", err)
	}
	if err := im.AddCustomAnalyzer(analyzerPairs, map[string]any{"type": custom.Name, "tokenizer": unicode.Name,
		"token_filters": []any{en.PossessiveName, lowercase.Name, en.StopName, porter.Name, "pairs"}}); err != nil {
		return nil, fmt.Errorf("search: mapping: %w", err)
	}
	doc := bleve.NewDocumentStaticMapping()

	text := func() *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = en.AnalyzerName
		f.Store = false
		f.IncludeTermVectors = true // phrase queries need positions
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}
	kw := func(store bool) *mapping.FieldMapping {
		f := bleve.NewKeywordFieldMapping()
		f.Analyzer = keyword.Name
		f.Store = store
		f.IncludeTermVectors = false
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}
	all := text()
	all.IncludeTermVectors = false // phrases match word pairs instead
	doc.AddFieldMappingsAt(fieldAll, all)
	pairs := text()
	pairs.Analyzer = analyzerPairs
	pairs.IncludeTermVectors = false
	doc.AddFieldMappingsAt(fieldPairs, pairs)
	doc.AddFieldMappingsAt(fieldName, text())
	terms := text()
	terms.IncludeTermVectors = false // never matched as a phrase
	doc.AddFieldMappingsAt(fieldTerms, terms)
	for _, name := range []string{"service_id", "location_id", "organization_id"} {
		doc.AddFieldMappingsAt(name, kw(true))
	}
	hash := kw(true)
	hash.Index = false // read, never searched
	doc.AddFieldMappingsAt("h", hash)
	for _, name := range []string{"term_ids", "codes", "taxonomy_ids", "status", "attending", "open_z", "cells",
		"categories", "languages", "cost"} {
		doc.AddFieldMappingsAt(name, kw(false))
	}
	// Faceted fields keep doc values: facets read them per hit.
	for _, name := range []string{"facets", "tz"} {
		f := kw(false)
		f.DocValues = true
		doc.AddFieldMappingsAt(name, f)
	}
	sortKW := kw(false)
	sortKW.DocValues = true // (Bleve sorts wrongly on a field that is not also indexed)
	doc.AddFieldMappingsAt("name_sort", sortKW)

	doc.AddFieldMappingsAt("min_age_k", kw(false))
	doc.AddFieldMappingsAt("max_age_k", kw(false))
	updated := kw(false)
	updated.DocValues = true
	doc.AddFieldMappingsAt("updated_k", updated)
	doc.AddFieldMappingsAt("updated_d", kw(false))
	doc.AddFieldMappingsAt("cap", kw(false))
	doc.AddFieldMappingsAt("fresh_k", kw(false))
	doc.AddFieldMappingsAt("cap_k", kw(false))
	for _, name := range []string{"wheelchair", "has_area"} {
		b := bleve.NewBooleanFieldMapping()
		b.Store, b.IncludeInAll, b.DocValues = false, false, false
		doc.AddFieldMappingsAt(name, b)
	}

	geo := bleve.NewGeoPointFieldMapping()
	geo.Store, geo.IncludeInAll, geo.DocValues = false, false, true
	doc.AddFieldMappingsAt("geo", geo)

	doc.AddFieldMappingsAt(fieldAreaCells, kw(false))
	areaKeys := kw(false)
	areaKeys.DocValues = true // counted per query: the boundary polygons to test
	doc.AddFieldMappingsAt(fieldAreaKeys, areaKeys)
	areaGeo := kw(true)
	areaGeo.Index = false
	doc.AddFieldMappingsAt(fieldAreaGeo, areaGeo)

	im.DefaultMapping = doc
	im.StoreDynamic = false
	im.IndexDynamic = false
	im.DocValuesDynamic = false
	return im, nil
}

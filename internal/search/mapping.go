// Package search owns the Bleve index: its mapping, the documents built from
// HSDS services (one per service_at_location), and the queries behind
// GET /search and the HSDS search, postcode and proximity parameters. The
// index is derived from the database and can always be rebuilt.
package search

import (
	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/mapping"
)

// MappingVersion changes whenever the mapping or the way documents are built
// changes; an index built with another version is rebuilt at start.
const MappingVersion = "13"

// Text is indexed twice: every text of a document in "all" (recall), and
// the service name and its taxonomy terms again on their own, so a match
// there weighs more than one in a description.
const (
	fieldAll   = "all"
	fieldName  = "name"
	fieldTerms = "terms"

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

func newMapping() mapping.IndexMapping {
	im := bleve.NewIndexMapping()
	im.ScoringModel = "bm25"
	im.DefaultAnalyzer = en.AnalyzerName
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
	doc.AddFieldMappingsAt(fieldAll, text())
	doc.AddFieldMappingsAt(fieldName, text())
	terms := text()
	terms.IncludeTermVectors = false // never matched as a phrase
	doc.AddFieldMappingsAt(fieldTerms, terms)
	for _, name := range []string{"service_id", "location_id", "organization_id", "h"} {
		doc.AddFieldMappingsAt(name, kw(true))
	}
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
	sortKW.DocValues = true
	doc.AddFieldMappingsAt("name_sort", sortKW)

	num := func(docValues bool) *mapping.FieldMapping {
		f := bleve.NewNumericFieldMapping()
		f.Store, f.IncludeInAll, f.DocValues = false, false, docValues
		return f
	}
	doc.AddFieldMappingsAt("min_age_k", kw(false))
	doc.AddFieldMappingsAt("max_age_k", kw(false))
	doc.AddFieldMappingsAt("updated", num(true))
	for _, name := range []string{"lat", "lon"} {
		f := num(false)
		f.Index, f.Store = false, true
		doc.AddFieldMappingsAt(name, f)
	}

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
	return im
}

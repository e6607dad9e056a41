package search

import (
	"context"

	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
)

// unscored marks a query that only selects: inside a scored query (the
// freshness of a capacity report) it adds nothing to the score, and where
// Bleve runs it alone (service-area candidates) its term searchers combine
// as bitmaps. The search's own filters are bitmaps already (filterbits.go),
// which look through the mark.
type unscored struct{ q query.Query }

func (u unscored) Searcher(ctx context.Context, i index.IndexReader, m mapping.IndexMapping, opts bsearch.SearcherOptions) (bsearch.Searcher, error) {
	opts.Score = "none"
	opts.IncludeTermVectors = false
	opts.Explain = false
	return u.q.Searcher(ctx, i, m, opts)
}

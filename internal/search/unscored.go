package search

import (
	"context"

	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
)

// unscored wraps the filters of a search. Its searcher runs without
// scoring, so Bleve combines term filters as bitmap unions and
// intersections, and it joins the text query as a conjunction child rather
// than as a BooleanQuery filter: a selective filter then leads and the text
// query is only scored on documents that pass it. (A BooleanQuery filter is
// checked after the text query has found and scored every one of its hits.)
type unscored struct{ q query.Query }

func (u unscored) Searcher(ctx context.Context, i index.IndexReader, m mapping.IndexMapping, opts bsearch.SearcherOptions) (bsearch.Searcher, error) {
	opts.Score = "none"
	opts.IncludeTermVectors = false
	opts.Explain = false
	return u.q.Searcher(ctx, i, m, opts)
}

package search

import (
	"context"
	"fmt"

	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/collector"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
)

// run executes q on one snapshot and returns the page [from, from+size):
//
//  1. the filters become one bitmap (filterbits.go);
//  2. without text, that bitmap is the result set, paged in index order
//     or by distance from arrays of points (coords.go); sorting by name or
//     update time is Bleve's collector over the bitmap;
//  3. with text, Bleve scores the text query only on the filter documents
//     the text may match (filtered, textbits.go), and the documents it
//     yields are the result set;
//  4. facets intersect the result set with cached posting lists.
//
// Everything reads the same snapshot, so a write in between cannot make
// the page, the total and the facets disagree.
func (s *Searcher) run(ctx context.Context, q Query, from, size int, facets bool) (Result, error) {
	text, filter, err := s.build(ctx, q)
	if err != nil {
		return Result{}, err
	}
	e, err := s.openSnapshot()
	if err != nil {
		return Result{}, err
	}
	defer e.Close()
	docs, err := e.filter(ctx, filter)
	if err != nil {
		return Result{}, err
	}
	var page []scoredDoc
	sortBy := EffectiveSort(q)
	switch {
	case text == nil && (sortBy == SortRelevance || sortBy == SortDistance && q.Near == nil):
		// Unscored: every score is equal, so the order is the index's.
		page = e.indexOrder(docs, from, size)
	case text == nil && sortBy == SortDistance:
		if page, err = e.byDistance(docs, *q.Near, from, size); err != nil {
			return Result{}, err
		}
	default:
		if page, docs, err = e.sorted(ctx, q, text, docs, from, size); err != nil {
			return Result{}, err
		}
	}
	out := Result{Total: int(docs.cardinality()), Hits: make([]Hit, 0, len(page))}
	for _, p := range page {
		h, err := e.hit(p.doc)
		if err != nil {
			return Result{}, err
		}
		h.Score = p.score
		out.Hits = append(out.Hits, h)
	}
	if facets {
		f, openCount, err := e.facetCounts(ctx, docs, q.openInstant())
		if err != nil {
			return Result{}, err
		}
		f.OpenNow = FacetOpen{True: openCount, False: out.Total - openCount}
		out.Facets = f
	}
	return out, nil
}

// sorted runs Bleve's collector for the page in q's order: over the text
// query's matches among docs, scored, when there is text; over docs
// otherwise. It returns the page and the result set.
func (e *snapshot) sorted(ctx context.Context, q Query, text query.Query, docs docSet, from, size int) ([]scoredDoc, docSet, error) {
	var f *filtered
	if text != nil {
		var err error
		if docs, err = e.candidates(ctx, text, docs); err != nil {
			return nil, nil, err
		}
	}
	all := e.global(docs)
	var sr bsearch.Searcher = newBitmapSearcher(all)
	if text != nil {
		r := &candidateReader{IndexSnapshot: e.r, e: e, cands: docs}
		ts, err := text.Searcher(bm25(ctx), r, e.s.ix.b.Mapping(), bsearch.SearcherOptions{})
		if err != nil {
			return nil, nil, fmt.Errorf("search: %w", err)
		}
		f = newFiltered(ts, all)
		sr = f
	}
	coll := collector.NewTopNCollector(size, from, e.s.order(q))
	err := coll.Collect(ctx, sr, e.r)
	_ = sr.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("search: %w", err)
	}
	page := make([]scoredDoc, 0, len(coll.Results()))
	for _, dm := range coll.Results() {
		page = append(page, scoredDoc{doc: dm.IndexInternalID.Value(), score: dm.Score})
	}
	if f != nil {
		docs = e.split(f.matches())
	}
	return page, docs, nil
}

type scoredDoc struct {
	doc   uint64
	score float64
}

// indexOrder pages through docs in document order.
func (e *snapshot) indexOrder(docs docSet, from, size int) []scoredDoc {
	out := make([]scoredDoc, 0, size)
	skip := uint64(max(from, 0))
	for i, bm := range docs {
		n := bm.GetCardinality()
		if skip >= n {
			skip -= n
			continue
		}
		it := bm.Iterator()
		if skip > 0 {
			first, err := bm.Select(uint32(skip))
			if err != nil {
				return out
			}
			it.AdvanceIfNeeded(first)
			skip = 0
		}
		for len(out) < size && it.HasNext() {
			out = append(out, scoredDoc{doc: e.v.offsets[i] + uint64(it.Next())})
		}
		if len(out) == size {
			break
		}
	}
	return out
}

// bm25 tells Bleve's searchers the scoring model, as Bleve's own search
// does from the index mapping.
func bm25(ctx context.Context) context.Context {
	return context.WithValue(ctx, bsearch.GetScoringModelCallbackKey,
		bsearch.GetScoringModelCallbackFn(func() string { return index.BM25Scoring }))
}

// hit reads a document's id and stored ids.
func (e *snapshot) hit(doc uint64) (Hit, error) {
	i, local := e.v.locate(doc)
	var h Hit
	err := e.v.segs[i].VisitDocument(local, func(field string, _ byte, value []byte, _ []uint64) bool {
		switch field {
		case "_id":
			h.ID = string(value)
		case "service_id":
			h.ServiceID = string(value)
		case "location_id":
			h.LocationID = string(value)
		case "organization_id":
			h.OrganizationID = string(value)
		}
		return true
	})
	if err != nil {
		return Hit{}, fmt.Errorf("search: read document %d: %w", doc, err)
	}
	return h, nil
}

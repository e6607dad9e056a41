package search

import (
	"reflect"

	"github.com/RoaringBitmap/roaring/v2"
	bsearch "github.com/blevesearch/bleve/v2/search"
	index "github.com/blevesearch/bleve_index_api"
)

// bitmapSearcher yields the documents of a bitmap, unscored, for Bleve's
// collector when it sorts filter-only results by a field.
type bitmapSearcher struct {
	bm *roaring.Bitmap
	it roaring.IntPeekable
}

func newBitmapSearcher(bm *roaring.Bitmap) *bitmapSearcher {
	return &bitmapSearcher{bm: bm, it: bm.Iterator()}
}

func (b *bitmapSearcher) match(ctx *bsearch.SearchContext, doc uint32) *bsearch.DocumentMatch {
	dm := ctx.DocumentMatchPool.Get()
	dm.IndexInternalID = index.NewIndexInternalID(dm.IndexInternalID, uint64(doc))
	return dm
}

func (b *bitmapSearcher) Next(ctx *bsearch.SearchContext) (*bsearch.DocumentMatch, error) {
	if !b.it.HasNext() {
		return nil, nil
	}
	return b.match(ctx, b.it.Next()), nil
}

func (b *bitmapSearcher) Advance(ctx *bsearch.SearchContext, id index.IndexInternalID) (*bsearch.DocumentMatch, error) {
	b.it.AdvanceIfNeeded(uint32(id.Value()))
	return b.Next(ctx)
}

func (b *bitmapSearcher) Close() error               { return nil }
func (b *bitmapSearcher) Weight() float64            { return 1 }
func (b *bitmapSearcher) SetQueryNorm(float64)       {}
func (b *bitmapSearcher) Count() uint64              { return b.bm.GetCardinality() }
func (b *bitmapSearcher) Min() int                   { return 0 }
func (b *bitmapSearcher) DocumentMatchPoolSize() int { return 1 }
func (b *bitmapSearcher) Size() int {
	return int(reflect.TypeFor[bitmapSearcher]().Size()) + int(b.bm.GetSizeInBytes())
}

// filtered yields the scored matches of a text searcher that are in a
// filter bitmap, and records every document it yields (the whole result
// set, for the total and the facets: Bleve's collector reads a searcher to
// its end).
//
// It walks whichever side is smaller. With a selective filter it asks the
// text searcher to Advance to each filter document in turn, so the text is
// scored only there; a conjunction would also step the text searcher
// through its own matches between them (with dozens of sub-searchers for
// the words, synonyms, prefixes and typos, each step costs). With a broad
// filter it steps through the text matches and tests each in the bitmap.
type filtered struct {
	text     bsearch.Searcher
	filter   *roaring.Bitmap
	it       roaring.IntPeekable // filter documents, when the filter leads
	byFilter bool
	done     bool
	seen     *roaring.Bitmap
	buf      []uint32 // recorded, not yet added to seen
}

// filterLeads says when the filter drives: each Advance of the text
// searcher costs several of its Next steps.
const filterLeads = 4

func newFiltered(text bsearch.Searcher, filter *roaring.Bitmap) *filtered {
	f := &filtered{text: text, filter: filter, seen: roaring.New()}
	if filter.GetCardinality()*filterLeads < text.Count() {
		f.byFilter = true
		f.it = filter.Iterator()
	}
	return f
}

func (f *filtered) record(dm *bsearch.DocumentMatch) *bsearch.DocumentMatch {
	f.buf = append(f.buf, uint32(dm.IndexInternalID.Value()))
	if len(f.buf) == 4096 {
		f.flush()
	}
	return dm
}

func (f *filtered) flush() {
	f.seen.AddMany(f.buf)
	f.buf = f.buf[:0]
}

// matches is every document yielded.
func (f *filtered) matches() *roaring.Bitmap {
	f.flush()
	return f.seen
}

func (f *filtered) Next(ctx *bsearch.SearchContext) (*bsearch.DocumentMatch, error) {
	if f.done {
		return nil, nil
	}
	if !f.byFilter {
		dm, err := f.text.Next(ctx)
		return f.fromText(ctx, dm, err)
	}
	var id index.IndexInternalID
	for f.it.HasNext() {
		want := f.it.Next()
		id = index.NewIndexInternalID(id, uint64(want))
		dm, err := f.text.Advance(ctx, id)
		if err != nil || dm == nil {
			f.done = dm == nil
			return nil, err
		}
		got := uint32(dm.IndexInternalID.Value())
		if got == want {
			return f.record(dm), nil
		}
		// The text matches nothing between: skip the filter to where it is.
		f.it.AdvanceIfNeeded(got)
		if f.it.HasNext() && f.it.PeekNext() == got {
			f.it.Next()
			return f.record(dm), nil
		}
		ctx.DocumentMatchPool.Put(dm)
	}
	f.done = true
	return nil, nil
}

func (f *filtered) Advance(ctx *bsearch.SearchContext, id index.IndexInternalID) (*bsearch.DocumentMatch, error) {
	// Bleve's collector only calls Next; advancing is by the filter.
	if f.byFilter {
		f.it.AdvanceIfNeeded(uint32(id.Value()))
		return f.Next(ctx)
	}
	dm, err := f.text.Advance(ctx, id)
	return f.fromText(ctx, dm, err)
}

// fromText steps the text searcher from dm, its current match, to its
// first match in the filter.
func (f *filtered) fromText(ctx *bsearch.SearchContext, dm *bsearch.DocumentMatch, err error) (*bsearch.DocumentMatch, error) {
	for {
		if err != nil || dm == nil {
			f.done = dm == nil
			return nil, err
		}
		if f.filter.Contains(uint32(dm.IndexInternalID.Value())) {
			return f.record(dm), nil
		}
		ctx.DocumentMatchPool.Put(dm)
		dm, err = f.text.Next(ctx)
	}
}

func (f *filtered) Close() error               { return f.text.Close() }
func (f *filtered) Weight() float64            { return f.text.Weight() }
func (f *filtered) SetQueryNorm(n float64)     { f.text.SetQueryNorm(n) }
func (f *filtered) Count() uint64              { return min(f.text.Count(), f.filter.GetCardinality()) }
func (f *filtered) Min() int                   { return 0 }
func (f *filtered) DocumentMatchPoolSize() int { return f.text.DocumentMatchPoolSize() + 1 }
func (f *filtered) Size() int                  { return f.text.Size() + int(f.filter.GetSizeInBytes()) }

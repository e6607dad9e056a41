package search

import (
	"sync"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/token/porter"
)

// porterMemo is the Porter stemmer with a memory: a directory's text is a
// few thousand distinct words said again and again, and stemming each
// anew was a sixth of a rebuild's analysis. Stems are the stemmer's own,
// so documents index the same words as without it (TestDocPlan_MatchesMapper).
type porterMemo struct {
	stem analysis.TokenFilter
	mu   sync.RWMutex
	m    map[string][]byte
}

// maxMemoStems bounds the cache; words past it are stemmed every time.
const maxMemoStems = 200_000

func newPorterMemo() *porterMemo {
	return &porterMemo{stem: porter.NewPorterStemmer(), m: map[string][]byte{}}
}

// Filter stems input in place, as the Porter filter does. Cached stems are
// shared between tokens: nothing after the stemmer writes into a term.
func (c *porterMemo) Filter(input analysis.TokenStream) analysis.TokenStream {
	for _, tok := range input {
		if tok.KeyWord {
			continue
		}
		c.mu.RLock()
		s, ok := c.m[string(tok.Term)]
		c.mu.RUnlock()
		if ok {
			tok.Term = s
			continue
		}
		word := string(tok.Term)
		c.stem.Filter(analysis.TokenStream{tok})
		c.mu.Lock()
		if len(c.m) < maxMemoStems {
			c.m[word] = tok.Term
		}
		c.mu.Unlock()
	}
	return input
}

// withPorterMemo is a copy of an analyzer whose Porter filter remembers its
// stems in c; any other analyzer is returned as it is.
func withPorterMemo(a analysis.Analyzer, c *porterMemo) analysis.Analyzer {
	d, ok := a.(*analysis.DefaultAnalyzer)
	if !ok {
		return a
	}
	var filters []analysis.TokenFilter
	for i, f := range d.TokenFilters {
		if _, ok := f.(*porter.PorterStemmer); ok {
			if filters == nil {
				filters = append([]analysis.TokenFilter(nil), d.TokenFilters...)
			}
			filters[i] = c
		}
	}
	if filters == nil {
		return a
	}
	cp := *d
	cp.TokenFilters = filters
	return &cp
}

package search

import (
	"context"
	"fmt"

	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
)

// Candidates of a text query. Scoring a document costs an Advance of each
// of the text query's dozens of term searchers, and an Advance inside a
// posting list decodes the frequencies it skips, so scoring every filter
// document is slow even when few match the text. textBits finds, from the
// cached posting-list bitmaps, a superset of the documents the text query
// can match; only filter documents in it are scored. It is a superset, not
// the answer: Bleve's searcher still decides each match and its score, so
// an approximation here (phrases as all their words, any unknown query as
// everything) only costs time.

// textBits returns a superset of the documents of within that q matches;
// ok is false when it cannot tell (every document may match). Each posting
// list is cut to within before it is combined, so a small filter keeps
// every step small.
func (e *snapshot) textBits(ctx context.Context, q query.Query, within docSet) (d docSet, ok bool, err error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	switch q := q.(type) {
	case unscored:
		return e.textBits(ctx, q.q, within)
	case *query.BooleanQuery:
		if q.Must != nil {
			return e.textBits(ctx, q.Must, within)
		}
	case *query.DisjunctionQuery:
		parts := make([]docSet, 0, len(q.Disjuncts))
		for _, c := range q.Disjuncts {
			d, ok, err := e.textBits(ctx, c, within)
			if err != nil || !ok {
				return nil, false, err
			}
			parts = append(parts, d)
		}
		return or(len(e.v.segs), parts), true, nil
	case *query.ConjunctionQuery:
		var parts []docSet
		for _, c := range q.Conjuncts {
			d, ok, err := e.textBits(ctx, c, within)
			if err != nil {
				return nil, false, err
			}
			if ok {
				parts = append(parts, d)
			}
		}
		if len(parts) == 0 {
			return nil, false, nil
		}
		return and(parts...), true, nil
	case *query.TermQuery:
		d, err := e.term(q.FieldVal, q.Term)
		if err != nil {
			return nil, false, err
		}
		return and(within, d), true, nil
	case *query.PrefixQuery:
		d, err := e.bits(ctx, q)
		if err != nil {
			return nil, false, err
		}
		return and(within, d), true, nil
	case *query.MatchQuery:
		return e.matchBits(q.FieldVal, q.Match, q.Fuzziness, q.Prefix, q.Operator == query.MatchQueryOperatorAnd, within)
	case *query.MatchPhraseQuery:
		return e.matchBits(q.FieldVal, q.MatchPhrase, 0, 0, true, within)
	}
	return nil, false, nil
}

// matchBits is the documents holding the analysed words of text in field
// (all of them, or any), each word or, with fuzziness, any term within that
// many edits of it.
func (e *snapshot) matchBits(field, text string, fuzziness, prefix int, all bool, within docSet) (docSet, bool, error) {
	toks, ok := e.analyze(field, text)
	if !ok {
		return nil, false, nil
	}
	if len(toks) == 0 {
		return e.empty(), true, nil
	}
	parts := make([]docSet, 0, len(toks))
	for _, word := range toks {
		terms := []string{word}
		if fuzziness > 0 {
			var err error
			if terms, err = e.fuzzyTerms(field, word, fuzziness, prefix); err != nil {
				return nil, false, err
			}
		}
		sets := make([]docSet, 0, len(terms))
		for _, term := range terms {
			d, err := e.term(field, term)
			if err != nil {
				return nil, false, err
			}
			sets = append(sets, and(within, d))
		}
		parts = append(parts, or(len(e.v.segs), sets))
	}
	if all {
		return and(parts...), true, nil
	}
	return or(len(e.v.segs), parts), true, nil
}

// analyze is text's terms as field's analyzer makes them (ok false: no
// analyzer), once per snapshot: a query matches each word in three fields
// of one analyzer.
func (e *snapshot) analyze(field, text string) (terms []string, ok bool) {
	m := e.s.ix.b.Mapping()
	name := m.AnalyzerNameForPath(field)
	key := name + "\x00" + text
	if got, ok := e.analyzed[key]; ok {
		return got, true
	}
	an := m.AnalyzerNamed(name)
	if an == nil {
		return nil, false
	}
	for _, t := range an.Analyze([]byte(text)) {
		terms = append(terms, string(t.Term))
	}
	if e.analyzed == nil {
		e.analyzed = map[string][]string{}
	}
	e.analyzed[key] = terms
	return terms, true
}

// fuzzyTerms lists the terms of field within fuzziness edits of word that
// share its first prefix characters, as Bleve's fuzzy searcher finds them.
func (e *snapshot) fuzzyTerms(field, word string, fuzziness, prefix int) ([]string, error) {
	// Bleve's rule: cut at the first character boundary at or after the
	// prefix length in bytes.
	pre := word
	for i := range word {
		if i >= prefix {
			pre = word[:i]
			break
		}
	}
	entries, err := e.fuzzyEntries(field, word, fuzziness, pre)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(entries))
	for i, de := range entries {
		out[i] = de.Term
	}
	return out, nil
}

// candidates narrows filter documents to those the text query may match.
func (e *snapshot) candidates(ctx context.Context, text query.Query, docs docSet) (docSet, error) {
	t, ok, err := e.textBits(ctx, text, docs)
	if err != nil || !ok {
		return docs, err
	}
	return t, nil
}

// candidateReader is the snapshot as the text query's searchers see it:
// each term reads only its postings at the candidates (postings.go), with
// its true document count; a term none of whose documents is a candidate
// reads as empty. The idf, the query norm and the coordination factors stay
// as they are, so every candidate's score is the one Bleve would give it.
// (Most of a query's typo and prefix terms miss a small candidate set
// entirely.)
type candidateReader struct {
	*scorch.IndexSnapshot
	e     *snapshot
	cands docSet
}

func (c *candidateReader) TermFieldReader(ctx context.Context, term []byte, field string, includeFreq, includeNorm, includeTermVectors bool) (index.TermFieldReader, error) {
	d, err := c.e.term(field, string(term))
	if err != nil {
		return nil, err
	}
	hits := false
	var n uint64
	for i, bm := range d {
		n += bm.AndCardinality(c.e.liveDocs()[i])
		hits = hits || bm.Intersects(c.cands[i])
	}
	switch {
	case !hits:
		return emptyTerm(n), nil
	case includeTermVectors: // a phrase: positions are not decoded
		return c.IndexSnapshot.TermFieldReader(ctx, term, field, includeFreq, includeNorm, includeTermVectors)
	}
	return c.e.newCandidateTerm(field, string(term), c.cands, n)
}

// emptyTerm is a term reader that matches nothing, of a term found in n
// documents.
type emptyTerm uint64

func (emptyTerm) Next(*index.TermFieldDoc) (*index.TermFieldDoc, error) { return nil, nil }
func (emptyTerm) Advance(index.IndexInternalID, *index.TermFieldDoc) (*index.TermFieldDoc, error) {
	return nil, nil
}
func (n emptyTerm) Count() uint64 { return uint64(n) }
func (emptyTerm) Close() error    { return nil }
func (emptyTerm) Size() int       { return 8 }

// FieldDictFuzzyAutomaton serves Bleve's fuzzy searcher the terms
// fuzzyTerms found (one dictionary walk per query and word, not two). The
// automaton is only used to match synonym terms, which this index has none
// of.
func (c *candidateReader) FieldDictFuzzyAutomaton(field, term string, fuzziness int, prefix string) (index.FieldDict, index.FuzzyAutomaton, error) {
	entries, err := c.e.fuzzyEntries(field, term, fuzziness, prefix)
	if err != nil {
		return nil, nil, err
	}
	return &listDict{entries: entries}, nil, nil
}

func (c *candidateReader) FieldDictFuzzy(field, term string, fuzziness int, prefix string) (index.FieldDict, error) {
	d, _, err := c.FieldDictFuzzyAutomaton(field, term, fuzziness, prefix)
	return d, err
}

// listDict is a field dictionary read from a list.
type listDict struct {
	entries []index.DictEntry
	next    int
}

func (l *listDict) Next() (*index.DictEntry, error) {
	if l.next >= len(l.entries) {
		return nil, nil
	}
	l.next++
	return &l.entries[l.next-1], nil
}
func (l *listDict) Close() error      { return nil }
func (l *listDict) Cardinality() int  { return len(l.entries) }
func (l *listDict) BytesRead() uint64 { return 0 }

// fuzzyEntries lists the terms of field within fuzziness edits of word
// starting with prefix, with their distances, once per snapshot.
func (e *snapshot) fuzzyEntries(field, word string, fuzziness int, prefix string) ([]index.DictEntry, error) {
	key := fmt.Sprintf("%s\x00%s\x00%d\x00%s", field, word, fuzziness, prefix)
	if got, ok := e.fuzzy[key]; ok {
		return got, nil
	}
	fd, err := e.r.FieldDictFuzzy(field, word, fuzziness, prefix)
	if err != nil {
		return nil, fmt.Errorf("search: fuzzy terms of %q: %w", word, err)
	}
	defer fd.Close()
	var out []index.DictEntry
	for {
		de, err := fd.Next()
		if err != nil {
			return nil, fmt.Errorf("search: fuzzy terms of %q: %w", word, err)
		}
		if de == nil {
			break
		}
		out = append(out, *de)
	}
	if e.fuzzy == nil {
		e.fuzzy = map[string][]index.DictEntry{}
	}
	e.fuzzy[key] = out
	return out, nil
}

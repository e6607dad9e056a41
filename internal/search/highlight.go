package search

import (
	"html"
	"strings"
	"sync"
	"unicode"

	"github.com/blevesearch/bleve/v2/analysis"
)

// snippetRunes is about how much text a highlight shows around a match.
const snippetRunes = 160

// Highlights marks the words of text query in each of fields (name ->
// text), wrapping matches in <mark></mark>; the rest is HTML-escaped, so a
// client may render it as HTML. Long texts are cut to a snippet around the
// first match. It works on the rows a page returns, so nothing needs to be
// stored in the index. Fields without a match are left out.
func (s *Searcher) Highlights(query string, fields map[string]string) map[string]string {
	return s.Highlighter(query)(fields)
}

// Highlighter analyses query once and returns Highlights for it, for
// marking every result of a page.
func (s *Searcher) Highlighter(query string) func(fields map[string]string) map[string]string {
	want := s.queryStems(query)
	return func(fields map[string]string) map[string]string {
		if len(want) == 0 {
			return nil
		}
		out := map[string]string{}
		for name, text := range fields {
			if h, ok := s.mark(text, want); ok {
				out[name] = h
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
}

// queryStems are the stems of the query's words and of their synonyms.
func (s *Searcher) queryStems(q string) map[string]bool {
	toks := parseText(q)
	want := map[string]bool{}
	for _, t := range s.syn.terms(s.an, toks, false) {
		for _, phrase := range append([]string{t.text}, t.alts...) {
			for _, w := range strings.Fields(phrase) {
				if st := stem(s.an, w); st != "" {
					want[st] = true
				}
			}
		}
	}
	return want
}

type span struct{ start, end int } // byte offsets

// mark wraps the words of text whose stems are wanted.
func (s *Searcher) mark(text string, want map[string]bool) (string, bool) {
	var spans []span
	start := -1
	for i, r := range text + " " {
		word := unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\''
		switch {
		case word && start < 0:
			start = i
		case !word && start >= 0:
			if want[s.stems.of(s.an, text[start:i])] {
				spans = append(spans, span{start, i})
			}
			start = -1
		}
	}
	if len(spans) == 0 {
		return "", false
	}
	// A window of about snippetRunes bytes from shortly before the first match.
	from, to := 0, len(text)
	if len(text) > snippetRunes {
		from = max(0, spans[0].start-snippetRunes/4)
		// Start on a word: forward to the next space, but never past the
		// first match (a long token such as a URL may hold it).
		for from > 0 && from < spans[0].start && text[from-1] != ' ' {
			from++
		}
		to = min(len(text), from+snippetRunes)
		for to < len(text) && text[to] != ' ' {
			to++
		}
	}
	var b strings.Builder
	if from > 0 {
		b.WriteString("…")
	}
	pos := from
	for _, sp := range spans {
		if sp.start < from || sp.end > to {
			continue
		}
		b.WriteString(html.EscapeString(text[pos:sp.start]))
		b.WriteString("<mark>")
		b.WriteString(html.EscapeString(text[sp.start:sp.end]))
		b.WriteString("</mark>")
		pos = sp.end
	}
	b.WriteString(html.EscapeString(text[pos:to]))
	if to < len(text) {
		b.WriteString("…")
	}
	return b.String(), true
}

// stemCache remembers the stems of words as written: highlighting a page
// stems every word of fifty names and descriptions, and they repeat from
// page to page.
type stemCache struct {
	mu sync.RWMutex
	m  map[string]string
}

// maxStems bounds the words remembered.
const maxStems = 100000

func (c *stemCache) of(an analysis.Analyzer, w string) string {
	c.mu.RLock()
	st, ok := c.m[w]
	c.mu.RUnlock()
	if ok {
		return st
	}
	st = stem(an, w)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxStems {
		c.m = map[string]string{}
	}
	c.m[w] = st
	c.mu.Unlock()
	return st
}

package search

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/registry"
)

// Bounds of a text query.
const (
	MaxTextLen   = 500 // characters of q
	MaxTextWords = 40  // words of q, after quotes are read
)

// term is one unit of a parsed text query: a word, or a phrase the user
// quoted, or a phrase found in the synonym list.
type term struct {
	text   string // as typed, lower case
	phrase bool   // quoted by the user: match as a phrase
	// allWords marks a phrase of the synonym list found in the text: every
	// word must match, in any order. (Matched as a phrase, it cost a
	// position check on every document holding its words.)
	allWords bool
	last     bool     // the last word typed, still being typed: also a prefix
	alts     []string // synonyms (phrases) found for text
}

// token is a word of the query with the quote group it belongs to.
type token struct {
	word  string
	group int // 0: unquoted; n: the n-th quoted phrase
}

// parseText splits q into words and quoted phrases. A quote without its
// partner is read as plain text, never an error.
func parseText(q string) []token {
	quotes := strings.Count(q, `"`)
	if quotes%2 == 1 {
		// Drop the last, unpaired quote.
		i := strings.LastIndex(q, `"`)
		q = q[:i] + " " + q[i+1:]
	}
	var out []token
	group, inQuote := 0, false
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			g := 0
			if inQuote {
				g = group
			}
			out = append(out, token{word: strings.ToLower(cur.String()), group: g})
			cur.Reset()
		}
	}
	for _, r := range q {
		switch {
		case r == '"':
			flush()
			inQuote = !inQuote
			if inQuote {
				group++
			}
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' || r == '-' && cur.Len() > 0:
			cur.WriteRune(r)
		default:
			flush()
		}
	}
	flush()
	return out
}

// Synonyms are groups of equivalent phrases, matched on stemmed words.
type Synonyms struct {
	byStem map[string][]string // stemmed phrase -> the group's phrases as written
	maxLen int                 // longest phrase, in words
}

// ParseSynonyms reads one group per line, phrases separated by commas;
// '#' starts a comment.
func ParseSynonyms(r io.Reader) (*Synonyms, error) {
	an, err := englishAnalyzer()
	if err != nil {
		return nil, err
	}
	s := &Synonyms{byStem: map[string][]string{}}
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		var group []string
		for _, p := range strings.Split(text, ",") {
			p = strings.ToLower(strings.Join(strings.Fields(p), " "))
			if p != "" {
				group = append(group, p)
			}
		}
		if len(group) == 0 {
			continue
		}
		if len(group) == 1 {
			return nil, fmt.Errorf("search: synonyms line %d: a group needs at least two phrases", line)
		}
		for _, p := range group {
			key := stemKey(an, strings.Fields(p))
			if key == "" {
				continue
			}
			s.byStem[key] = append(s.byStem[key], group...)
			s.maxLen = max(s.maxLen, len(strings.Fields(key)))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("search: read synonyms: %w", err)
	}
	for k, v := range s.byStem {
		s.byStem[k] = uniqStrings(v)
	}
	return s, nil
}

func uniqStrings(v []string) []string {
	var out []string
	for _, x := range v {
		out = appendUniq(out, x)
	}
	return out
}

func englishAnalyzer() (analysis.Analyzer, error) {
	an, err := registry.NewCache().AnalyzerNamed(en.AnalyzerName)
	if err != nil {
		return nil, fmt.Errorf("search: english analyzer: %w", err)
	}
	return an, nil
}

// stem is the analysed form of one word ("" for a stop word).
func stem(an analysis.Analyzer, w string) string {
	ts := an.Analyze([]byte(w))
	if len(ts) == 0 {
		return ""
	}
	return string(ts[0].Term)
}

func stemKey(an analysis.Analyzer, words []string) string {
	var out []string
	for _, w := range words {
		if s := stem(an, w); s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, " ")
}

// terms turns parsed tokens into query terms: quoted groups become phrases,
// runs of unquoted words that spell a synonym become one term with its
// alternatives, the rest are words. endsInWord says the user is still typing
// the last word (no space after it).
func (s *Synonyms) terms(an analysis.Analyzer, toks []token, endsInWord bool) []term {
	stems := make([]string, len(toks)) // each word analysed once
	for i, t := range toks {
		stems[i] = stem(an, t.word)
	}
	var out []term
	for i := 0; i < len(toks); {
		t := toks[i]
		if t.group > 0 {
			j := i
			var words []string
			for j < len(toks) && toks[j].group == t.group {
				words = append(words, toks[j].word)
				j++
			}
			out = append(out, term{text: strings.Join(words, " "), phrase: len(words) > 1})
			i = j
			continue
		}
		matched := false
		if s != nil {
			for n := min(s.maxLen+2, len(toks)-i); n >= 1 && !matched; n-- {
				window := stems[i : i+n]
				if slices.ContainsFunc(toks[i:i+n], func(t token) bool { return t.group != 0 }) {
					continue
				}
				if window[0] == "" || window[n-1] == "" {
					continue // phrases do not start or end on a stop word
				}
				key := strings.Join(slices.DeleteFunc(slices.Clone(window), func(x string) bool { return x == "" }), " ")
				alts, found := s.byStem[key]
				if !found {
					continue
				}
				words := make([]string, n)
				for k := range n {
					words[k] = toks[i+k].word
				}
				var others []string
				for _, a := range alts {
					if stemKey(an, strings.Fields(a)) != key {
						others = append(others, a)
					}
				}
				out = append(out, term{text: strings.Join(words, " "), allWords: n > 1, alts: others})
				i += n
				matched = true
			}
		}
		if !matched {
			out = append(out, term{text: t.word})
			i++
		}
	}
	if endsInWord && len(out) > 0 {
		l := &out[len(out)-1]
		if !l.phrase && len(l.alts) == 0 && len(toks) > 0 && toks[len(toks)-1].group == 0 {
			l.last = true
		}
	}
	return out
}

// wordLen counts characters, not bytes.
func wordLen(w string) int { return utf8.RuneCountInString(w) }

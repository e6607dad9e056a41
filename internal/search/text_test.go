package search

import (
	"bytes"
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"

	"github.com/linkage-org/linkage/seed"
)

func TestParseText(t *testing.T) {
	tok := func(w string, g int) token { return token{word: w, group: g} }
	cases := []struct {
		in   string
		want []token
	}{
		{"", nil},
		{"   ", nil},
		{"Food Bank", []token{tok("food", 0), tok("bank", 0)}},
		{"  FOOD\tbank\n", []token{tok("food", 0), tok("bank", 0)}},
		{`"Legal Aid" clinic`, []token{tok("legal", 1), tok("aid", 1), tok("clinic", 0)}},
		{`rent "legal aid" "food bank"`, []token{tok("rent", 0), tok("legal", 1), tok("aid", 1), tok("food", 2), tok("bank", 2)}},
		{`"a b""c d"`, []token{tok("a", 1), tok("b", 1), tok("c", 2), tok("d", 2)}},
		{`"shelter"`, []token{tok("shelter", 1)}},
		// An unpaired quote is dropped; its words are kept as plain text.
		{`"legal aid`, []token{tok("legal", 0), tok("aid", 0)}},
		{`legal aid"`, []token{tok("legal", 0), tok("aid", 0)}},
		{`"legal aid" "food`, []token{tok("legal", 1), tok("aid", 1), tok("food", 0)}},
		{`"`, nil},
		{`"""`, nil},
		{`""`, nil},
		// Punctuation splits words; apostrophes and inner hyphens stay.
		{"food,bank;shelter.", []token{tok("food", 0), tok("bank", 0), tok("shelter", 0)}},
		{"it's x-ray -minus", []token{tok("it's", 0), tok("x-ray", 0), tok("minus", 0)}},
		{"a.b/c\\d*e+f(g)h:i", []token{tok("a", 0), tok("b", 0), tok("c", 0), tok("d", 0), tok("e", 0), tok("f", 0), tok("g", 0), tok("h", 0), tok("i", 0)}},
		{"name:food +shelter -x ~y ^2", []token{tok("name", 0), tok("food", 0), tok("shelter", 0), tok("x", 0), tok("y", 0), tok("2", 0)}},
		{"Café Ünïcode 東京 123", []token{tok("café", 0), tok("ünïcode", 0), tok("東京", 0), tok("123", 0)}},
		{"food 🍎 bank", []token{tok("food", 0), tok("bank", 0)}},
		{"*", nil},
	}
	for _, c := range cases {
		got := parseText(c.in)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("parseText(%q)\n got %v\nwant %v", c.in, got, c.want)
		}
	}
}

const testSynonyms = "food bank, food pantry\nrent help, rental assistance\n# comment\n"

func mustSynonyms(t testing.TB, text string) *Synonyms {
	t.Helper()
	syn, err := ParseSynonyms(strings.NewReader(text))
	if err != nil {
		t.Fatalf("ParseSynonyms: %v", err)
	}
	return syn
}

func TestParseSynonyms(t *testing.T) {
	syn := mustSynonyms(t, testSynonyms)
	wantKeys := []string{"food bank", "food pantri", "rent help", "rental assist"}
	var keys []string
	for k := range syn.byStem {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, wantKeys) {
		t.Errorf("keys = %q, want %q", keys, wantKeys)
	}
	if got := syn.byStem["food pantri"]; !slices.Equal(got, []string{"food bank", "food pantry"}) {
		t.Errorf("food pantry group = %q", got)
	}
	if syn.maxLen != 2 {
		t.Errorf("maxLen = %d, want 2", syn.maxLen)
	}

	// Case, spacing and trailing comments are normalised; a blank phrase is
	// skipped.
	syn = mustSynonyms(t, "  Food   Bank ,, FOOD SHELF # trailing, comment\n\n")
	if got := syn.byStem["food shelf"]; !slices.Equal(got, []string{"food bank", "food shelf"}) {
		t.Errorf("normalised group = %q", got)
	}
	if _, ok := syn.byStem["comment"]; ok {
		t.Error("a comment was read as a phrase")
	}

	// A phrase in two groups gets both groups, without duplicates.
	syn = mustSynonyms(t, "shelter, emergency housing\nshelter, refuge\n")
	if got := syn.byStem["shelter"]; !slices.Equal(got, []string{"shelter", "emergency housing", "refuge"}) {
		t.Errorf("merged group = %q", got)
	}

	for _, bad := range []string{
		"food bank\n",
		"a, b\nlonely\n",
		"food bank, \n",
		"food bank # , food pantry\n",
	} {
		if _, err := ParseSynonyms(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseSynonyms(%q): no error for a one-phrase group", bad)
		}
	}
	for _, ok := range []string{"", "# only a comment\n", "\n\n  \n"} {
		syn, err := ParseSynonyms(strings.NewReader(ok))
		if err != nil || syn == nil || len(syn.byStem) != 0 {
			t.Errorf("ParseSynonyms(%q) = %v, %v; want empty list", ok, syn, err)
		}
	}
}

func TestParseSynonyms_Shipped(t *testing.T) {
	syn, err := ParseSynonyms(bytes.NewReader(seed.Synonyms()))
	if err != nil {
		t.Fatalf("seed/synonyms.txt: %v", err)
	}
	if n := len(syn.byStem); n < 50*2 {
		t.Errorf("shipped list has %d keys, want at least %d (50 groups of two)", n, 50*2)
	}
	groups := 0
	for _, line := range strings.Split(string(seed.Synonyms()), "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
			groups++
		}
	}
	if groups < 50 {
		t.Errorf("shipped list has %d groups, want at least 50", groups)
	}
	for k, v := range syn.byStem {
		if len(v) < 2 {
			t.Errorf("key %q has group %q of fewer than two phrases", k, v)
		}
	}
	// The file promises phrases of at most four words.
	if syn.maxLen > 4 {
		t.Errorf("longest phrase has %d stemmed words, want at most 4", syn.maxLen)
	}
	an := mustAnalyzer(t)
	for _, c := range []struct{ query, alt string }{
		{"food banks", "food pantry"},
		{"food stamps", "snap"},
		{"rental assistance", "rent help"},
	} {
		terms := syn.terms(an, parseText(c.query), false)
		if len(terms) != 1 || !slices.Contains(terms[0].alts, c.alt) {
			t.Errorf("shipped list: %q gives %+v, want one term with alternative %q", c.query, terms, c.alt)
		}
	}
}

func mustAnalyzer(t testing.TB) analysis.Analyzer {
	t.Helper()
	an, err := englishAnalyzer()
	if err != nil {
		t.Fatal(err)
	}
	return an
}

func TestTerms(t *testing.T) {
	syn := mustSynonyms(t, testSynonyms)
	an := mustAnalyzer(t)
	cases := []struct {
		name       string
		q          string
		endsInWord bool
		syn        *Synonyms
		want       []term
	}{
		{"synonym by stems", "food banks near me", true, syn, []term{
			{text: "food banks", allWords: true, alts: []string{"food pantry"}},
			{text: "near"},
			{text: "me", last: true},
		}},
		{"synonym the other way", "Food Pantries", false, syn, []term{
			{text: "food pantries", allWords: true, alts: []string{"food bank"}},
		}},
		{"synonym last is not a prefix", "rental assistance", true, syn, []term{
			{text: "rental assistance", allWords: true, alts: []string{"rent help"}},
		}},
		{"synonym between words", "emergency rent help now", true, syn, []term{
			{text: "emergency"},
			{text: "rent help", allWords: true, alts: []string{"rental assistance"}},
			{text: "now", last: true},
		}},
		{"stop words do not start a synonym", "the food bank", false, syn, []term{
			{text: "the"},
			{text: "food bank", allWords: true, alts: []string{"food pantry"}},
		}},
		{"stop words do not end a synonym", "rent help me", true, syn, []term{
			{text: "rent help", allWords: true, alts: []string{"rental assistance"}},
			{text: "me", last: true},
		}},
		{"last word is a prefix when typing", "legal ai", true, syn, []term{
			{text: "legal"}, {text: "ai", last: true},
		}},
		{"no prefix after a space", "legal ai", false, syn, []term{
			{text: "legal"}, {text: "ai"},
		}},
		{"quoted phrase", `"Legal Aid" clinic`, true, syn, []term{
			{text: "legal aid", phrase: true}, {text: "clinic", last: true},
		}},
		{"quoted phrase last is not a prefix", `clinic "legal aid"`, true, syn, []term{
			{text: "clinic"}, {text: "legal aid", phrase: true},
		}},
		{"quoted single word is a word, not a prefix", `"shelter"`, true, syn, []term{
			{text: "shelter"},
		}},
		{"quoted synonym gets no alternatives", `"food bank"`, true, syn, []term{
			{text: "food bank", phrase: true},
		}},
		{"unpaired quote read as text", `"food bank`, true, syn, []term{
			{text: "food bank", allWords: true, alts: []string{"food pantry"}},
		}},
		{"no synonyms", "food banks", true, nil, []term{
			{text: "food"}, {text: "banks", last: true},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.syn.terms(an, parseText(c.q), c.endsInWord)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("terms(%q, %v)\n got %+v\nwant %+v", c.q, c.endsInWord, got, c.want)
			}
		})
	}
}

// A run of words whose stems spell a synonym only once stop words are
// dropped ("help with the rent" for "help with rent") must still find a
// service named with the group's phrase, as it does with no synonym list.
func TestSearch_SynonymWithStopWords(t *testing.T) {
	docs := []Document{{ID: "d-rent", ServiceID: "s1", Name: "Help with rent", NameSort: "help with rent", Status: "active"}}
	plain := newTestSearcher(t, nil, docs)
	withSyn := newTestSearcher(t, mustSynonyms(t, "rent help, rental assistance, help with rent\n"), docs)
	for _, q := range []string{"help with rent", "help with the rent", "help rent"} {
		for name, s := range map[string]*Searcher{"no synonyms": plain, "synonyms": withSyn} {
			t.Run(q+"/"+name, func(t *testing.T) {
				res, err := s.Search(context.Background(), Query{Text: q})
				if err != nil {
					t.Fatal(err)
				}
				if res.Total != 1 {
					t.Errorf("Search(%q) found %d, want the service named \"Help with rent\"", q, res.Total)
				}
			})
		}
	}
}

func TestTextQuery_Empty(t *testing.T) {
	s := newTestSearcher(t, mustSynonyms(t, testSynonyms), nil)
	for _, q := range []string{"", "   ", "\t\n", "!!!", `"""`, "*", "🍎"} {
		got, err := s.textQuery(q)
		if err != nil || got != nil {
			t.Errorf("textQuery(%q) = %v, %v; want nil, nil", q, got, err)
		}
	}
	for _, q := range []string{"food", "the", `"legal aid"`, "x"} {
		got, err := s.textQuery(q)
		if err != nil || got == nil {
			t.Errorf("textQuery(%q) = %v, %v; want a query", q, got, err)
		}
	}
}

// testDocs is a tiny directory for searching.
var testDocs = []Document{
	{ID: "d-pantry", ServiceID: "s1", Name: "Community Food Pantry", Description: "Free groceries every week.", NameSort: "community food pantry", Status: "active", TZ: "America/New_York"},
	{ID: "d-shelter", ServiceID: "s2", Name: "Night Shelter", Description: "Emergency beds for adults.", NameSort: "night shelter", Status: "active", TZ: "America/New_York"},
	{ID: "d-legal", ServiceID: "s3", Name: "Tenant Legal Aid", Description: "Help with eviction and rental assistance.", NameSort: "tenant legal aid", Status: "active", TZ: "America/New_York"},
	{ID: "d-counsel", ServiceID: "s4", Name: "Family Counseling", Description: "Counselors for families.", Terms: "Mental health", NameSort: "family counseling", Status: "active", TZ: "America/Chicago"},
	{ID: "d-closed", ServiceID: "s5", Name: "Old Food Bank", NameSort: "old food bank", Status: "inactive"},
}

// newTestSearcher is a searcher over an in-memory index holding docs
// (testDocs when nil).
func newTestSearcher(t testing.TB, syn *Synonyms, docs []Document) *Searcher {
	t.Helper()
	ix, err := Create("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ix.Close() })
	if docs == nil {
		docs = slices.Clone(testDocs)
	}
	if err := ix.Apply(context.Background(), docs, nil, 1); err != nil {
		t.Fatal(err)
	}
	s, err := NewSearcher(ix, syn)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSearch_Text(t *testing.T) {
	s := newTestSearcher(t, mustSynonyms(t, testSynonyms), nil)
	cases := []struct {
		q     string
		first string   // "" : no hits
		also  []string // other ids that must be hit
		not   []string // ids that must not be hit
	}{
		{"food pantry", "d-pantry", nil, []string{"d-closed"}},
		{"food banks", "d-pantry", nil, []string{"d-closed"}}, // synonym; the inactive bank is filtered
		{"shelter", "d-shelter", nil, nil},
		{"shleter", "d-shelter", nil, nil}, // typo
		{"shel", "d-shelter", nil, nil},    // prefix while typing
		{`"legal aid"`, "d-legal", nil, []string{"d-pantry"}},
		{`"aid legal"`, "", nil, nil}, // a phrase keeps its order
		{"rent help", "d-legal", nil, nil},
		{"counselling", "d-counsel", nil, nil},
		{"zzzz", "", nil, nil},
	}
	for _, c := range cases {
		res, err := s.Search(context.Background(), Query{Text: c.q, Size: 10})
		if err != nil {
			t.Errorf("Search(%q): %v", c.q, err)
			continue
		}
		var ids []string
		for _, h := range res.Hits {
			ids = append(ids, h.ID)
		}
		if c.first == "" {
			if len(ids) != 0 {
				t.Errorf("Search(%q) = %v, want no hits", c.q, ids)
			}
			continue
		}
		if len(ids) == 0 || ids[0] != c.first {
			t.Errorf("Search(%q) = %v, want %s first", c.q, ids, c.first)
		}
		for _, id := range c.also {
			if !slices.Contains(ids, id) {
				t.Errorf("Search(%q) = %v, want %s among them", c.q, ids, id)
			}
		}
		for _, id := range c.not {
			if slices.Contains(ids, id) {
				t.Errorf("Search(%q) = %v, want no %s", c.q, ids, id)
			}
		}
		if res.Total != len(ids) {
			t.Errorf("Search(%q): total %d, hits %d", c.q, res.Total, len(ids))
		}
	}
}

// FuzzTextQuery: no text a user can send (at most MaxTextLen characters and
// MaxTextWords fields, as the API checks) makes the text query panic or
// fail.
func FuzzTextQuery(f *testing.F) {
	syn, err := ParseSynonyms(bytes.NewReader(seed.Synonyms()))
	if err != nil {
		f.Fatal(err)
	}
	s := newTestSearcher(f, syn, nil)
	for _, q := range []string{
		"", " ", `"`, `""`, `"""`, `"legal aid`, `legal aid"`, `"food bank" "`,
		"food banks near me", "shleter", "counselling", "a", "the of and",
		"Café naïve 東京 مرحبا Привет", "🍎🍞 food 🏠", "\u0000\x00", "\xff\xfe", "e\u0301",
		strings.Repeat("a", 500), strings.Repeat("supercalifragilistic", 20), strings.Repeat("a ", 40),
		strings.Repeat("a,", 250), strings.Repeat(`"`, 99),
		"*", "?", "\\", `\"`, "foo*", "f?o", "'; DROP TABLE services; --", "1 OR 1=1", `' OR ''='`,
		"field:value", "name:food", "+food -bank", "+-~^", "food~2", "food^10", "(a OR b) AND c", "/regex.*/",
		"-", "--", "'", "''", "x-", "-x", "it's", "ÅÄÖ", "İstanbul", "ǅ", "\u200b", "\t\n\r",
	} {
		f.Add(q)
	}
	ctx := context.Background()
	fields := map[string]string{"name": "Community Food Pantry", "description": strings.Repeat("Free groceries and rent help. ", 20)}
	f.Fuzz(func(t *testing.T, q string) {
		if utf8.RuneCountInString(q) > MaxTextLen || len(strings.Fields(q)) > MaxTextWords {
			t.Skip()
		}
		for _, tk := range parseText(q) {
			if tk.word == "" || strings.ContainsAny(tk.word, "\" \t\n") || tk.group < 0 {
				t.Fatalf("parseText(%q): bad token %+v", q, tk)
			}
		}
		if _, err := s.textQuery(q); err != nil {
			t.Fatalf("textQuery(%q): %v", q, err)
		}
		res, err := s.Search(ctx, Query{Text: q, Size: 5})
		if err != nil {
			t.Fatalf("Search(%q): %v", q, err)
		}
		if len(res.Hits) > 5 || res.Total < len(res.Hits) {
			t.Fatalf("Search(%q): %d hits of %d", q, len(res.Hits), res.Total)
		}
		if utf8.ValidString(q) {
			for name, h := range s.Highlights(q, fields) {
				if !utf8.ValidString(h) || !strings.Contains(h, "<mark>") {
					t.Fatalf("Highlights(%q)[%s] = %q", q, name, h)
				}
			}
		}
	})
}

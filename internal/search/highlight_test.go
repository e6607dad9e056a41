package search

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// highlighter is a Searcher with only what Highlights uses.
func highlighter(t *testing.T) *Searcher {
	t.Helper()
	return &Searcher{an: mustAnalyzer(t), syn: mustSynonyms(t, testSynonyms)}
}

func TestHighlights(t *testing.T) {
	s := highlighter(t)
	cases := []struct {
		name   string
		query  string
		fields map[string]string
		want   map[string]string // nil: no highlights
	}{
		{"plain word", "shelter",
			map[string]string{"name": "Night Shelter", "description": "Beds for adults."},
			map[string]string{"name": "Night <mark>Shelter</mark>"}},
		{"stemmed match", "shelters",
			map[string]string{"name": "Night shelter for the sheltered"},
			map[string]string{"name": "Night <mark>shelter</mark> for the <mark>sheltered</mark>"}},
		// The English stemmer makes "counseling" and "counselling"
		// "counsel", but "counselor" stays "counselor": they do not meet.
		{"counselling matches counseling", "counselling",
			map[string]string{"name": "Family Counseling"},
			map[string]string{"name": "Family <mark>Counseling</mark>"}},
		{"counselor does not match counseling", "counselor",
			map[string]string{"name": "Family Counseling", "description": "Counselors for families."},
			map[string]string{"description": "<mark>Counselors</mark> for families."}},
		{"every occurrence, case kept", "food",
			map[string]string{"name": "FOOD and more food; Food!"},
			map[string]string{"name": "<mark>FOOD</mark> and more <mark>food</mark>; <mark>Food</mark>!"}},
		{"synonym alternatives are marked", "food bank",
			map[string]string{"name": "Community Food Pantry"},
			map[string]string{"name": "Community <mark>Food</mark> <mark>Pantry</mark>"}},
		{"quoted phrase words are marked", `"legal aid"`,
			map[string]string{"name": "Tenant Legal Aid"},
			map[string]string{"name": "Tenant <mark>Legal</mark> <mark>Aid</mark>"}},
		{"stop words are not marked", "the food",
			map[string]string{"name": "The Food Place"},
			map[string]string{"name": "The <mark>Food</mark> Place"}},
		{"html is escaped", "food",
			map[string]string{"name": `<b>Food</b> & "rent" 'help'`},
			map[string]string{"name": "&lt;b&gt;<mark>Food</mark>&lt;/b&gt; &amp; &#34;rent&#34; &#39;help&#39;"}},
		{"html in the query is only words", "<script>food</script>",
			map[string]string{"name": "Food <script>alert(1)</script>"},
			map[string]string{"name": "<mark>Food</mark> &lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;"}},
		{"unicode words", "café",
			map[string]string{"name": "Le Café Étoile"},
			map[string]string{"name": "Le <mark>Café</mark> Étoile"}},
		{"nothing matches", "zebra",
			map[string]string{"name": "Night Shelter", "description": "Beds."}, nil},
		{"a word inside another is not a match", "bed",
			map[string]string{"name": "Bedford Shelter"}, nil},
		{"empty query", "", map[string]string{"name": "Night Shelter"}, nil},
		{"stop words only", "the of and", map[string]string{"name": "The House of Bread and Fish"}, nil},
		{"punctuation only", `"" ** !!`, map[string]string{"name": "Night Shelter"}, nil},
		{"no fields", "shelter", nil, nil},
		{"empty field", "shelter", map[string]string{"name": ""}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := s.Highlights(c.query, c.fields)
			if c.want == nil {
				if got != nil {
					t.Fatalf("Highlights(%q) = %q, want nil", c.query, got)
				}
				return
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("Highlights(%q)\n got %q\nwant %q", c.query, got, c.want)
			}
		})
	}
}

func TestHighlights_Snippet(t *testing.T) {
	s := highlighter(t)
	filler := func(n int) string { return strings.TrimSpace(strings.Repeat("lorem ipsum ", n)) }
	cases := []struct {
		name        string
		text        string
		lead, trail bool // ellipsis expected before / after
	}{
		{"match in the middle", filler(30) + " the night shelter opens at nine " + filler(30), true, true},
		{"match at the start", "Shelter for adults. " + filler(40), false, true},
		{"match at the end", filler(40) + " emergency shelter", true, false},
		{"match near the start", "An emergency shelter for adults. " + filler(40), false, true},
		{"multibyte text around", strings.Repeat("é ü ", 40) + "shelter " + strings.Repeat("ñ ö ", 40), true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if len(c.text) <= snippetRunes {
				t.Fatalf("test text too short: %d", len(c.text))
			}
			got := s.Highlights("shelter", map[string]string{"d": c.text})["d"]
			if !strings.Contains(got, "<mark>") || !strings.Contains(strings.ToLower(got), "<mark>shelter</mark>") {
				t.Errorf("snippet has no marked match: %q", got)
			}
			if strings.HasPrefix(got, "…") != c.lead {
				t.Errorf("leading ellipsis = %v, want %v: %q", !c.lead, c.lead, got)
			}
			if strings.HasSuffix(got, "…") != c.trail {
				t.Errorf("trailing ellipsis = %v, want %v: %q", !c.trail, c.trail, got)
			}
			plain := strings.NewReplacer("<mark>", "", "</mark>", "", "…", "").Replace(got)
			if len(plain) >= len(c.text) {
				t.Errorf("snippet is not shorter than the text: %d >= %d", len(plain), len(c.text))
			}
			// About snippetRunes bytes, cut at spaces, so no more than
			// one word over.
			if len(plain) > snippetRunes+20 {
				t.Errorf("snippet is %d bytes, want about %d: %q", len(plain), snippetRunes, got)
			}
			if !strings.Contains(c.text, strings.TrimSpace(plain)) {
				t.Errorf("snippet is not a piece of the text: %q", plain)
			}
			if !utf8.ValidString(got) {
				t.Errorf("snippet is not valid UTF-8: %q", got)
			}
			// Cut at word boundaries.
			if c.lead && strings.HasPrefix(plain, " ") {
				t.Errorf("snippet starts with a space: %q", got)
			}
		})
	}
}

// When the first match follows more than a quarter snippet of text with no
// space (a URL, a slash list), the window start must not be pushed forward
// past the match.
func TestHighlights_SnippetMatchAfterLongToken(t *testing.T) {
	s := highlighter(t)
	text := strings.Repeat("intro ", 10) + "https://example.org/programs/emergency-assistance/shelter-beds " + strings.Repeat("more text ", 20)
	got := s.Highlights("shelter", map[string]string{"d": text})["d"]
	if !strings.Contains(got, "<mark>shelter</mark>") {
		t.Errorf("snippet has no marked match: %q", got)
	}
}

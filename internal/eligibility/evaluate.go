package eligibility

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Score is the extractor's record on one criterion code.
type Score struct {
	TP, FP, FN int
}

// Precision is TP over everything proposed (1 when nothing was).
func (s Score) Precision() float64 {
	if s.TP+s.FP == 0 {
		return 1
	}
	return float64(s.TP) / float64(s.TP+s.FP)
}

// Recall is TP over everything labelled (1 when nothing was).
func (s Score) Recall() float64 {
	if s.TP+s.FN == 0 {
		return 1
	}
	return float64(s.TP) / float64(s.TP+s.FN)
}

// Mistake is one sentence where the extractor and the label disagree.
type Mistake struct {
	Sentence        string
	Labelled, Found []string
}

// Evaluate runs Extract over a labelled set (sentence TAB criteria, see
// testdata/labelled.tsv) and scores it per code: a proposal counts only if
// its code and value both match the label (list values in any order).
func Evaluate(r io.Reader) (map[Code]*Score, []Mistake, int, error) {
	scores := map[Code]*Score{}
	for _, c := range Codes {
		scores[c] = &Score{}
	}
	var mistakes []Mistake
	n := 0
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		sentence, labels, ok := strings.Cut(line, "\t")
		if !ok {
			return nil, nil, 0, fmt.Errorf("labelled set: line %q has no tab", line)
		}
		n++
		want := map[string]bool{}
		for _, l := range strings.Split(labels, ";") {
			if l = strings.TrimSpace(l); l != "" && l != "-" {
				want[normalizeLabel(l)] = true
			}
		}
		got := map[string]bool{}
		for _, c := range Extract(sentence) {
			got[normalizeLabel(string(c.Code)+"="+c.Value)] = true
		}
		for l := range got {
			code := Code(strings.SplitN(l, "=", 2)[0])
			if scores[code] == nil {
				scores[code] = &Score{}
			}
			if want[l] {
				scores[code].TP++
			} else {
				scores[code].FP++
			}
		}
		for l := range want {
			code := Code(strings.SplitN(l, "=", 2)[0])
			if scores[code] == nil {
				return nil, nil, 0, fmt.Errorf("labelled set: unknown code in %q", l)
			}
			if !got[l] {
				scores[code].FN++
			}
		}
		if !mapsEqual(want, got) {
			mistakes = append(mistakes, Mistake{Sentence: sentence, Labelled: keys(want), Found: keys(got)})
		}
	}
	return scores, mistakes, n, sc.Err()
}

func normalizeLabel(l string) string {
	code, value, _ := strings.Cut(strings.TrimSpace(l), "=")
	parts := strings.Split(value, ",")
	for i := range parts {
		parts[i] = strings.ToLower(strings.TrimSpace(parts[i]))
	}
	slices.Sort(parts)
	return strings.TrimSpace(code) + "=" + strings.Join(parts, ",")
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func mapsEqual(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

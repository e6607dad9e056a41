package hsdsio

import (
	"cmp"
	"container/heap"
	"slices"
	"strings"
	"unicode/utf8"
)

// Lengths a kept problem is clipped to: a problem quotes the input, and a
// hostile input must not make its own report large.
const (
	maxProblemMessage = 400
	maxProblemField   = 200
	maxProblemID      = 100
	maxProblemSource  = 200
)

// Problems collects the problems of one input. With a limit it keeps the
// first ones in input order (file, then line, then field) and only counts
// the rest, so a file of a million broken rows costs a report of a fixed
// size; without one (0) it keeps everything.
type Problems struct {
	max   int
	seq   int
	kept  problemHeap
	total int
	fn    func(Problem)
}

// NewProblems keeps at most max problems (0: all of them).
func NewProblems(max int) *Problems { return &Problems{max: max} }

// ProblemFunc hands each problem, clipped as Add clips it, to fn and keeps
// none: for a caller that sorts a reader's problems itself.
func ProblemFunc(fn func(Problem)) *Problems { return &Problems{fn: fn} }

// Add records one problem, clipped to a bounded size.
func (p *Problems) Add(x Problem) {
	p.total++
	x.Source = clipText(printable(x.Source), maxProblemSource)
	x.Field = clipText(printable(x.Field), maxProblemField)
	x.RecordID = clipText(printable(x.RecordID), maxProblemID)
	x.Message = clipText(printable(x.Message), maxProblemMessage)
	if p.fn != nil {
		p.fn(x)
		return
	}
	item := seqProblem{Problem: x, seq: p.seq}
	p.seq++
	if p.max <= 0 || len(p.kept) < p.max {
		heap.Push(&p.kept, item)
		return
	}
	// Keep x only if it comes before the last problem kept.
	if before(item, p.kept[0]) {
		p.kept[0] = item
		heap.Fix(&p.kept, 0)
	}
}

// AddAll records each of xs.
func (p *Problems) AddAll(xs []Problem) {
	for _, x := range xs {
		p.Add(x)
	}
}

// Total is how many problems were added, kept or not.
func (p *Problems) Total() int { return p.total }

// Omitted is how many problems were counted but not kept.
func (p *Problems) Omitted() int { return p.total - len(p.kept) }

// List is the kept problems in input order.
func (p *Problems) List() []Problem {
	if len(p.kept) == 0 {
		return nil
	}
	items := slices.Clone([]seqProblem(p.kept))
	slices.SortFunc(items, func(a, b seqProblem) int { return compareProblems(a, b) })
	out := make([]Problem, len(items))
	for i, it := range items {
		out[i] = it.Problem
	}
	return out
}

// seqProblem remembers when a problem was added, so equal locations keep
// the order they were found in.
type seqProblem struct {
	Problem
	seq int
}

func compareProblems(a, b seqProblem) int {
	return cmp.Or(strings.Compare(a.Source, b.Source), cmp.Compare(a.Line, b.Line),
		strings.Compare(a.Field, b.Field), cmp.Compare(a.seq, b.seq))
}

func before(a, b seqProblem) bool { return compareProblems(a, b) < 0 }

// problemHeap is a max-heap: the root is the last problem kept, the one a
// problem found earlier in the input replaces.
type problemHeap []seqProblem

func (h problemHeap) Len() int           { return len(h) }
func (h problemHeap) Less(i, j int) bool { return before(h[j], h[i]) }
func (h problemHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *problemHeap) Push(x any)        { *h = append(*h, x.(seqProblem)) }
func (h *problemHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// printable makes a problem's text storable anywhere: an id or a field
// name quoted from a broken file may itself hold a NUL or bytes that are
// not UTF-8.
func printable(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "\u2400")
}

// clipText shortens s to at most max bytes on a character boundary, with
// an ellipsis when it was cut.
func clipText(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

package search

import (
	"fmt"
	"slices"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	index "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// Decoded posting lists. Scorch keeps a term's frequencies and norms in
// compressed chunks and advances through them one posting at a time, so a
// term searcher costs the length of its posting list even when it is asked
// for a hundred documents. The text terms of recent queries are therefore
// kept decoded (document, frequency, norm: 12 bytes a posting), per segment
// like every other cache here, and a term reader over them visits only the
// candidates: a binary search each. The values are the ones scorch reads,
// so scores do not change.

// decoded is one term's posting list in one segment.
type decoded struct {
	docs  []uint32
	freqs []uint32
	norms []float32
}

func (d *decoded) bytes() int { return 12 * len(d.docs) }

// postings caches decoded posting lists by segment, within a byte budget.
type postings struct {
	mu    sync.Mutex
	segs  map[uint64]map[string]*decoded
	bytes int
}

// maxDecodedBytes bounds the decoded posting lists kept in all (a common
// word's list at 100,000 services is under a megabyte).
const maxDecodedBytes = 32 << 20

func (p *postings) get(ss *scorch.SegmentSnapshot, field, term string) (*decoded, error) {
	key := field + "\x00" + term
	p.mu.Lock()
	if d := p.segs[ss.Id()][key]; d != nil {
		p.mu.Unlock()
		return d, nil
	}
	p.mu.Unlock()
	d, err := decode(ss, field, term)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.segs == nil || p.bytes+d.bytes() > maxDecodedBytes {
		// Start afresh rather than track use: the hot terms come back at
		// once.
		p.segs, p.bytes = map[uint64]map[string]*decoded{}, 0
	}
	if p.segs[ss.Id()] == nil {
		p.segs[ss.Id()] = map[string]*decoded{}
	}
	if old := p.segs[ss.Id()][key]; old != nil {
		p.bytes -= old.bytes()
	}
	p.segs[ss.Id()][key] = d
	p.bytes += d.bytes()
	return d, nil
}

// forget drops the segments no longer in v (merged away).
func (p *postings) forget(v snapshotView) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for id, m := range p.segs {
		if !slices.ContainsFunc(v.segs, func(ss *scorch.SegmentSnapshot) bool { return ss.Id() == id }) {
			for _, d := range m {
				p.bytes -= d.bytes()
			}
			delete(p.segs, id)
		}
	}
}

// decode reads a term's whole posting list in a segment, deleted documents
// included (candidates never are).
func decode(ss *scorch.SegmentSnapshot, field, term string) (*decoded, error) {
	pl, err := postingsOf(ss, field, term)
	if err != nil {
		return nil, err
	}
	n := pl.Count()
	d := &decoded{docs: make([]uint32, 0, n), freqs: make([]uint32, 0, n), norms: make([]float32, 0, n)}
	it := pl.Iterator(true, true, false, nil)
	for {
		p, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("search: postings of %s: %w", field, err)
		}
		if p == nil {
			return d, nil
		}
		d.docs = append(d.docs, uint32(p.Number()))
		d.freqs = append(d.freqs, uint32(p.Frequency()))
		d.norms = append(d.norms, float32(p.Norm()))
	}
}

// postingsOf is a term's posting list in one segment.
func postingsOf(ss *scorch.SegmentSnapshot, field, term string) (segment.PostingsList, error) {
	dict, err := ss.Segment().Dictionary(field)
	if err != nil {
		return nil, fmt.Errorf("search: dictionary of %s: %w", field, err)
	}
	pl, err := dict.PostingsList([]byte(term), nil, nil)
	if err != nil {
		return nil, fmt.Errorf("search: postings of %s: %w", field, err)
	}
	return pl, nil
}

// candidateTerm reads one term's postings at the candidates only, lazily:
// per segment it either walks the decoded list testing each document
// against the candidates, or, when the candidates are far fewer than the
// postings, looks each candidate up in the list.
type candidateTerm struct {
	term  string
	count uint64 // the term's documents, for its idf
	segs  []termSeg
	seg   int // current segment
	j     int // next posting of the current segment to consider
	it    roaring.IntPeekable
}

// termSeg is a segment's decoded postings and candidates.
type termSeg struct {
	off, end uint64 // the segment's global numbers: [off, end)
	d        *decoded
	cands    *roaring.Bitmap
	lookup   bool
}

// newCandidateTerm reads term at the candidates of each segment.
func (e *snapshot) newCandidateTerm(field, term string, cands docSet, count uint64) (*candidateTerm, error) {
	ct := &candidateTerm{term: term, count: count}
	for i, ss := range e.v.segs {
		c := cands[i]
		if c.IsEmpty() {
			continue
		}
		d, err := e.s.postings.get(ss, field, term)
		if err != nil {
			return nil, err
		}
		off := e.v.offsets[i]
		ct.segs = append(ct.segs, termSeg{off: off, end: off + ss.Segment().Count(), d: d, cands: c,
			lookup: c.GetCardinality()*8 < uint64(len(d.docs))})
	}
	ct.start(0)
	return ct, nil
}

// start moves to the beginning of segment i.
func (c *candidateTerm) start(i int) {
	c.seg, c.j, c.it = i, 0, nil
	if i < len(c.segs) && c.segs[i].lookup {
		c.it = c.segs[i].cands.Iterator()
	}
}

// next finds the next posting at a candidate: its index in the current
// segment's list, or false at the end.
func (c *candidateTerm) next() (int, bool) {
	for c.seg < len(c.segs) {
		s := &c.segs[c.seg]
		docs := s.d.docs
		if s.lookup {
			for c.it.HasNext() {
				k, found := slices.BinarySearch(docs[c.j:], c.it.Next())
				c.j += k
				if found {
					c.j++
					return c.j - 1, true
				}
			}
		} else {
			for c.j < len(docs) {
				c.j++
				if s.cands.Contains(docs[c.j-1]) {
					return c.j - 1, true
				}
			}
		}
		c.start(c.seg + 1)
	}
	return 0, false
}

func (c *candidateTerm) emit(k int, pre *index.TermFieldDoc) *index.TermFieldDoc {
	s := &c.segs[c.seg]
	if pre == nil {
		pre = &index.TermFieldDoc{}
	}
	pre.Term = c.term
	pre.ID = index.NewIndexInternalID(pre.ID, s.off+uint64(s.d.docs[k]))
	pre.Freq = uint64(s.d.freqs[k])
	pre.Norm = float64(s.d.norms[k])
	return pre
}

func (c *candidateTerm) Next(pre *index.TermFieldDoc) (*index.TermFieldDoc, error) {
	k, ok := c.next()
	if !ok {
		return nil, nil
	}
	return c.emit(k, pre), nil
}

func (c *candidateTerm) Advance(id index.IndexInternalID, pre *index.TermFieldDoc) (*index.TermFieldDoc, error) {
	want := id.Value()
	i, _ := slices.BinarySearchFunc(c.segs, want, func(s termSeg, w uint64) int {
		switch {
		case s.end <= w:
			return -1
		case s.off > w:
			return 1
		}
		return 0
	})
	if i >= len(c.segs) {
		c.start(len(c.segs))
		return nil, nil
	}
	s := &c.segs[i]
	if want < s.off {
		want = s.off // between segments: the start of the next
	}
	local := uint32(want - s.off)
	if i != c.seg || c.j > 0 && s.d.docs[c.j-1] >= local {
		c.start(i) // another segment, or back: from its start
	}
	k, _ := slices.BinarySearch(s.d.docs[c.j:], local)
	c.j += k
	if c.it != nil {
		c.it.AdvanceIfNeeded(local)
	}
	return c.Next(pre)
}

func (c *candidateTerm) Count() uint64 { return c.count }
func (c *candidateTerm) Close() error  { return nil }
func (c *candidateTerm) Size() int     { return 64 + 64*len(c.segs) }

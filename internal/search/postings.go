package search

import (
	"fmt"
	"slices"
	"sync"

	"github.com/blevesearch/bleve/v2/index/scorch"
	index "github.com/blevesearch/bleve_index_api"
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
const maxDecodedBytes = 64 << 20

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
	dict, err := ss.Segment().Dictionary(field)
	if err != nil {
		return nil, fmt.Errorf("search: dictionary of %s: %w", field, err)
	}
	pl, err := dict.PostingsList([]byte(term), nil, nil)
	if err != nil {
		return nil, fmt.Errorf("search: postings of %s: %w", field, err)
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

// candidateTerm reads one term's postings at the candidates only.
type candidateTerm struct {
	term  string
	count uint64 // the term's documents, for its idf
	docs  []uint64
	freqs []uint32
	norms []float32
	next  int
}

// newCandidateTerm collects the postings of term at the candidates of
// each segment.
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
		add := func(j int) {
			ct.docs = append(ct.docs, off+uint64(d.docs[j]))
			ct.freqs = append(ct.freqs, d.freqs[j])
			ct.norms = append(ct.norms, d.norms[j])
		}
		if c.GetCardinality()*8 < uint64(len(d.docs)) {
			// Few candidates: look each up.
			it := c.Iterator()
			for it.HasNext() {
				if j, ok := slices.BinarySearch(d.docs, it.Next()); ok {
					add(j)
				}
			}
			continue
		}
		for j, doc := range d.docs {
			if c.Contains(doc) {
				add(j)
			}
		}
	}
	return ct, nil
}

func (c *candidateTerm) at(pre *index.TermFieldDoc) *index.TermFieldDoc {
	if c.next >= len(c.docs) {
		return nil
	}
	if pre == nil {
		pre = &index.TermFieldDoc{}
	}
	pre.Term = c.term
	pre.ID = index.NewIndexInternalID(pre.ID, c.docs[c.next])
	pre.Freq = uint64(c.freqs[c.next])
	pre.Norm = float64(c.norms[c.next])
	c.next++
	return pre
}

func (c *candidateTerm) Next(pre *index.TermFieldDoc) (*index.TermFieldDoc, error) {
	return c.at(pre), nil
}

func (c *candidateTerm) Advance(id index.IndexInternalID, pre *index.TermFieldDoc) (*index.TermFieldDoc, error) {
	// From the start, not from the current place: Advance may also go back.
	c.next, _ = slices.BinarySearch(c.docs, id.Value())
	return c.at(pre), nil
}

func (c *candidateTerm) Count() uint64 { return c.count }
func (c *candidateTerm) Close() error  { return nil }
func (c *candidateTerm) Size() int     { return 16 * len(c.docs) }

package hsdsio

import "os"

// Scratch lends the package reader's external sort to other readers of
// tabular data (the HSDS 1.1 mapping joins its tables the same way), so
// they too hold a bounded amount of memory whatever the input's size. Its
// folder is named like the package reader's, so RemoveScratch also clears
// what a stopped process left of it.
type Scratch struct{ sp *spill }

// NewScratch makes a scratch folder in tempDir ("" is os.TempDir()); its
// sorts together hold at most memory bytes (0: 16 MiB) before writing
// sorted runs to it.
func NewScratch(tempDir string, memory int) (*Scratch, error) {
	if memory <= 0 {
		memory = defaultSortMemory
	}
	sp, err := newSpill(tempDir, memory)
	if err != nil {
		return nil, err
	}
	return &Scratch{sp: sp}, nil
}

// Dir is the scratch folder; files a caller writes there go with Close.
func (s *Scratch) Dir() string { return s.sp.dir }

// Close removes the folder and everything in it.
func (s *Scratch) Close() error {
	if err := s.sp.close(); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

// Sort returns a new, empty sort in the scratch space.
func (s *Scratch) Sort() *Sort { return &Sort{s: s.sp.sorter()} }

// Sort gives back what was added in order of its two keys (then of
// adding), as often as asked.
type Sort struct{ s *sorter }

// Add adds val under (k1, k2); the sort keeps val.
func (s *Sort) Add(k1, k2 string, val []byte) error { return s.s.add(k1, k2, val) }

// Each calls fn with every item in order; after the first read nothing
// more may be added. fn must not change val.
func (s *Sort) Each(fn func(k1, k2 string, val []byte) error) error {
	it, err := s.Iter()
	if err != nil {
		return err
	}
	defer it.Close()
	for {
		k1, k2, val, ok, err := it.Next()
		if err != nil || !ok {
			return err
		}
		if err := fn(k1, k2, val); err != nil {
			return err
		}
	}
}

// Iter reads the items in order, one at a time, for merging two sorts.
func (s *Sort) Iter() (*SortIter, error) {
	m, err := s.s.iter()
	if err != nil {
		return nil, err
	}
	return &SortIter{m: m}, nil
}

// Release frees the sort's memory and files; it is not read again.
func (s *Sort) Release() { s.s.release() }

// SortIter is one reading of a Sort.
type SortIter struct{ m *merge }

// Next is the next item; ok is false at the end. val must not be changed.
func (it *SortIter) Next() (k1, k2 string, val []byte, ok bool, err error) {
	x, ok, err := it.m.next()
	return x.k1, x.k2, x.val, ok, err
}

// Close ends the reading.
func (it *SortIter) Close() { it.m.close() }

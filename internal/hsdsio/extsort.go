package hsdsio

import (
	"bufio"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// An external sort: the tabular package reader joins its tables by sorting
// rows on the id that joins them, in memory up to a budget and in sorted
// run files beyond it, so a package of any size is read in bounded memory.

const (
	// itemOverhead is what an item costs beyond its bytes (headers, the
	// allocator's rounding), so the budget holds for tiny items too.
	itemOverhead = 96
	// fanIn is how many runs one merge reads at once; more are merged in
	// passes. Each open run costs one runBuffer.
	fanIn     = 16
	runBuffer = 32 << 10
)

// item is one entry of a sorter: ordered by k1, then k2, then the order
// it was added in.
type item struct {
	k1, k2 string
	val    []byte
	seq    int // order of adding, within one batch held in memory
}

func compareItems(a, b *item) int {
	if c := strings.Compare(a.k1, b.k1); c != 0 {
		return c
	}
	return strings.Compare(a.k2, b.k2)
}

// sortItems sorts a batch; the sequence number makes the order stable
// without the cost of a stable sort.
func sortItems(items []item) {
	slices.SortFunc(items, func(a, b item) int {
		if c := compareItems(&a, &b); c != 0 {
			return c
		}
		return a.seq - b.seq
	})
}

// spill is the scratch space of one read: every sorter's items count
// against one memory budget, and when they exceed it the sorter holding
// the most writes its items to a sorted run file.
type spill struct {
	dir     string
	budget  int
	held    int
	sorters []*sorter
	runs    int // run files made, for their names
}

// scratchPrefix names the folder of each read's sort runs.
const scratchPrefix = "linkage-package-"

// RemoveScratch deletes the sort folders that reads in dir left behind
// (a process stopped in the middle of one); call it when none is running.
func RemoveScratch(dir string) error {
	matches, err := filepath.Glob(filepath.Join(dir, scratchPrefix+"*"))
	if err != nil {
		return fmt.Errorf("hsdsio: find leftover sort folders: %w", err)
	}
	for _, m := range matches {
		if err := os.RemoveAll(m); err != nil {
			return fmt.Errorf("hsdsio: remove leftover sort folder: %w", err)
		}
	}
	return nil
}

func newSpill(tempDir string, budget int) (*spill, error) {
	dir, err := os.MkdirTemp(tempDir, scratchPrefix)
	if err != nil {
		return nil, fmt.Errorf("hsdsio: make scratch folder: %w", err)
	}
	return &spill{dir: dir, budget: budget}, nil
}

func (sp *spill) close() error {
	sp.sorters = nil
	return os.RemoveAll(sp.dir)
}

func (sp *spill) sorter() *sorter {
	s := &sorter{sp: sp}
	sp.sorters = append(sp.sorters, s)
	return s
}

// relieve writes the largest in-memory sorter to a run until the items
// held fit the budget again.
func (sp *spill) relieve() error {
	for sp.held > sp.budget {
		var big *sorter
		for _, s := range sp.sorters {
			if !s.released && (big == nil || s.bytes > big.bytes) {
				big = s
			}
		}
		if big == nil || big.bytes == 0 {
			return nil
		}
		if err := big.writeRun(); err != nil {
			return err
		}
	}
	return nil
}

// sorter collects items and gives them back in order, any number of times.
type sorter struct {
	sp       *spill
	items    []item
	sorted   bool // items are in order (set by finish)
	bytes    int
	runs     []string // sorted run files, oldest first
	finished bool
	released bool
}

// add takes ownership of val.
func (s *sorter) add(k1, k2 string, val []byte) error {
	if s.finished {
		return errors.New("hsdsio: add to a finished sorter")
	}
	s.items = append(s.items, item{k1: k1, k2: k2, val: val, seq: len(s.items)})
	n := len(k1) + len(k2) + len(val) + itemOverhead
	s.bytes += n
	s.sp.held += n
	return s.sp.relieve()
}

// writeRun sorts the items held and writes them to a new run file. An
// iteration already reading them keeps its own reference.
func (s *sorter) writeRun() error {
	if !s.sorted {
		sortItems(s.items)
	}
	s.sp.runs++
	name := filepath.Join(s.sp.dir, fmt.Sprintf("run-%d", s.sp.runs))
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("hsdsio: write sort run: %w", err)
	}
	w := bufio.NewWriterSize(f, 64<<10)
	for i := range s.items {
		writeItem(w, &s.items[i])
	}
	err = w.Flush()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("hsdsio: write sort run: %w", err)
	}
	s.runs = append(s.runs, name)
	s.sp.held -= s.bytes
	s.items, s.bytes, s.sorted = nil, 0, false
	return nil
}

// finish ends adding: the items are sorted and the runs few enough to be
// merged in one pass.
func (s *sorter) finish() error {
	if s.finished {
		return nil
	}
	if len(s.runs) > 0 && len(s.items) > 0 {
		if err := s.writeRun(); err != nil {
			return err
		}
	}
	s.finished = true
	if len(s.items) > 0 {
		sortItems(s.items)
		s.sorted = true
	}
	for len(s.runs) > fanIn {
		if err := s.mergeFirst(fanIn); err != nil {
			return err
		}
	}
	return nil
}

// mergeFirst merges the n oldest runs into one that takes their place, so
// items added earlier still come first among equals.
func (s *sorter) mergeFirst(n int) error {
	m, err := openMerge(s.runs[:n], nil)
	if err != nil {
		return err
	}
	defer m.close()
	s.sp.runs++
	name := filepath.Join(s.sp.dir, fmt.Sprintf("run-%d", s.sp.runs))
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("hsdsio: merge sort runs: %w", err)
	}
	w := bufio.NewWriterSize(f, 64<<10)
	for {
		it, ok, err := m.next()
		if err != nil {
			f.Close()
			return err
		}
		if !ok {
			break
		}
		writeItem(w, &it)
	}
	err = w.Flush()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("hsdsio: merge sort runs: %w", err)
	}
	for _, r := range s.runs[:n] {
		_ = os.Remove(r)
	}
	s.runs = append([]string{name}, s.runs[n:]...)
	return nil
}

// iter reads the items in order; the sorter must be finished.
func (s *sorter) iter() (*merge, error) {
	if !s.finished {
		if err := s.finish(); err != nil {
			return nil, err
		}
	}
	var mem []item
	if s.sorted {
		mem = s.items
	}
	return openMerge(s.runs, mem)
}

// release drops the items and runs: the sorter is not read again.
func (s *sorter) release() {
	s.sp.held -= s.bytes
	s.items, s.bytes = nil, 0
	for _, r := range s.runs {
		_ = os.Remove(r)
	}
	s.runs = nil
	s.released = true
	if i := slices.Index(s.sp.sorters, s); i >= 0 {
		s.sp.sorters = slices.Delete(s.sp.sorters, i, i+1)
	}
}

// writeItem writes one item; write errors surface at Flush.
func writeItem(w *bufio.Writer, it *item) {
	var n [binary.MaxVarintLen64]byte
	_, _ = w.Write(n[:binary.PutUvarint(n[:], uint64(len(it.k1)))])
	_, _ = w.WriteString(it.k1)
	_, _ = w.Write(n[:binary.PutUvarint(n[:], uint64(len(it.k2)))])
	_, _ = w.WriteString(it.k2)
	_, _ = w.Write(n[:binary.PutUvarint(n[:], uint64(len(it.val)))])
	_, _ = w.Write(it.val)
}

// run reads one run file.
type run struct {
	f   *os.File
	r   *bufio.Reader
	cur item
	idx int    // the run's age: ties go to the older run
	buf []byte // for keys, which become strings
}

func (r *run) advance() (bool, error) {
	var keys [2]string
	for i := range keys {
		n, err := binary.ReadUvarint(r.r)
		if err == io.EOF && i == 0 {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("hsdsio: read sort run: %w", err)
		}
		r.buf = slices.Grow(r.buf[:0], int(n))[:n]
		if _, err := io.ReadFull(r.r, r.buf); err != nil {
			return false, fmt.Errorf("hsdsio: read sort run: %w", err)
		}
		keys[i] = string(r.buf)
	}
	n, err := binary.ReadUvarint(r.r)
	if err != nil {
		return false, fmt.Errorf("hsdsio: read sort run: %w", err)
	}
	val := make([]byte, n)
	if _, err := io.ReadFull(r.r, val); err != nil {
		return false, fmt.Errorf("hsdsio: read sort run: %w", err)
	}
	r.cur = item{k1: keys[0], k2: keys[1], val: val}
	return true, nil
}

// merge yields the items of several runs and of an in-memory list (the
// newest) in order.
type merge struct {
	h   runHeap
	all []*run
	mem []item
	mi  int
}

func openMerge(files []string, mem []item) (*merge, error) {
	m := &merge{mem: mem}
	for i, name := range files {
		f, err := os.Open(name)
		if err != nil {
			m.close()
			return nil, fmt.Errorf("hsdsio: open sort run: %w", err)
		}
		r := &run{f: f, r: bufio.NewReaderSize(f, runBuffer), idx: i}
		m.all = append(m.all, r)
		ok, err := r.advance()
		if err != nil {
			m.close()
			return nil, err
		}
		if ok {
			m.h = append(m.h, r)
		}
	}
	heap.Init(&m.h)
	return m, nil
}

// next is the next item in order; ok is false at the end.
func (m *merge) next() (item, bool, error) {
	if len(m.h) == 0 {
		if m.mi < len(m.mem) {
			m.mi++
			return m.mem[m.mi-1], true, nil
		}
		return item{}, false, nil
	}
	top := m.h[0]
	// The in-memory items are the newest: they win only when smaller.
	if m.mi < len(m.mem) && compareItems(&m.mem[m.mi], &top.cur) < 0 {
		m.mi++
		return m.mem[m.mi-1], true, nil
	}
	it := top.cur
	ok, err := top.advance()
	if err != nil {
		return item{}, false, err
	}
	if ok {
		heap.Fix(&m.h, 0)
	} else {
		heap.Pop(&m.h)
	}
	return it, true, nil
}

func (m *merge) close() {
	for _, r := range m.all {
		_ = r.f.Close()
	}
	m.all, m.h = nil, nil
}

type runHeap []*run

func (h runHeap) Len() int { return len(h) }
func (h runHeap) Less(i, j int) bool {
	if c := compareItems(&h[i].cur, &h[j].cur); c != 0 {
		return c < 0
	}
	return h[i].idx < h[j].idx
}
func (h runHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)   { *h = append(*h, x.(*run)) }
func (h *runHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

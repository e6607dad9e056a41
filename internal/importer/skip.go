package importer

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strconv"

	"github.com/linkage-org/linkage/internal/hsdsio"
	"github.com/linkage-org/linkage/internal/store"
)

// OnError says what an import does with a record that has a problem.
type OnError string

const (
	// OnErrorFail writes nothing if any record has a problem (the default).
	OnErrorFail OnError = "fail"
	// OnErrorSkip leaves out each record with a problem and every record
	// that depends on one left out, and writes the rest.
	OnErrorSkip OnError = "skip"
)

// ParseOnError reads an on-error setting; "" is OnErrorFail.
func ParseOnError(s string) (OnError, bool) {
	switch OnError(s) {
	case "", OnErrorFail:
		return OnErrorFail, true
	case OnErrorSkip:
		return OnErrorSkip, true
	}
	return "", false
}

// skips decides which records an OnErrorSkip import leaves out: those with
// a problem of their own, those that hold a row the reader had a problem
// with, and, to a fixed point, those naming an id that only records left
// out define.
type skips struct {
	recs    []recInfo
	sources []string
	srcIdx  map[string]int16
	skipped []bool
	// Problems the reader reported, to be matched with the records they
	// are in; input counts those about the whole input.
	reader  []readerProblem
	atRow   map[srcLine][]int // (file, row) → reader problems
	atID    map[string][]int  // record id → reader problems
	input   int
	problem func(hsdsio.Problem)
}

type recInfo struct {
	id       string
	line     int32
	source   int16
	kind     uint8
	services int32 // nested services of an organization
}

type srcLine struct {
	source string
	line   int
}

type readerProblem struct {
	p       hsdsio.Problem
	matched bool
}

var kindCodes = map[string]uint8{hsdsio.KindTaxonomyTerm: 1, hsdsio.KindOrganization: 2, hsdsio.KindService: 3}
var kindNames = map[uint8]string{1: "taxonomy term", 2: "organization", 3: "service"}
var kindEntities = map[uint8]string{1: "taxonomy_term", 2: "organization", 3: "service"}

func newSkips(problem func(hsdsio.Problem)) *skips {
	return &skips{srcIdx: map[string]int16{}, atRow: map[srcLine][]int{}, atID: map[string][]int{}, problem: problem}
}

// fromReader takes a problem the reader found, before or between records.
func (s *skips) fromReader(p hsdsio.Problem) {
	if p.Input || p.Line == 0 {
		s.input++
		return
	}
	i := len(s.reader)
	s.reader = append(s.reader, readerProblem{p: p})
	k := srcLine{p.Source, p.Line}
	s.atRow[k] = append(s.atRow[k], i)
	if p.RecordID != "" {
		s.atID[p.RecordID] = append(s.atID[p.RecordID], i)
	}
}

// record notes record seq and skips it if the reader had a problem with
// its own row or with a row nested in it (a tabular package keeps a row
// with a bad cell, without the value).
func (s *skips) record(seq int, r hsdsio.Record) {
	src, ok := s.srcIdx[r.Source]
	if !ok {
		src = int16(len(s.sources))
		s.srcIdx[r.Source] = src
		s.sources = append(s.sources, r.Source)
	}
	info := recInfo{id: r.ID(), line: int32(r.Line), source: src, kind: kindCodes[r.Kind]}
	if r.Organization != nil {
		info.services = int32(len(r.Organization.Services))
	}
	for len(s.recs) < seq {
		s.recs = append(s.recs, recInfo{})
		s.skipped = append(s.skipped, false)
	}
	s.recs = append(s.recs, info)
	s.skipped = append(s.skipped, false)
	if len(s.reader) == 0 {
		return
	}
	if is := s.atRow[srcLine{r.Source, r.Line}]; len(is) > 0 {
		for _, i := range is {
			s.reader[i].matched = true
		}
		s.skip(seq)
	}
	if len(s.atID) == 0 {
		return
	}
	root := r.Document()
	// A row of another file with the id of a record nested in this one
	// (a phone of phones.csv) is part of this record. In the record's own
	// file only its own row is (a JSON document the reader could not read,
	// a repeated id's later row, is no part of it).
	walk(reflect.ValueOf(root), "", func(v any, ptr string) {
		f := reflect.ValueOf(v).Elem().FieldByName("ID")
		if f.Kind() != reflect.String {
			return
		}
		for _, i := range s.atID[f.String()] {
			rp := &s.reader[i]
			if rp.p.Source == r.Source {
				continue
			}
			rp.matched = true
			s.skip(seq)
			s.problem(hsdsio.Problem{Source: r.Source, Line: r.Line, RecordID: r.ID(), Field: ptr,
				Message: fmt.Sprintf("holds %s row %d, which has a problem (listed there)", rp.p.Source, rp.p.Line)})
		}
	})
}

func (s *skips) skip(seq int) {
	if seq >= 0 && seq < len(s.skipped) {
		s.skipped[seq] = true
	}
}

func (s *skips) isSkipped(seq int) bool { return seq >= 0 && seq < len(s.skipped) && s.skipped[seq] }

func (s *skips) where(seq int) string {
	ri := s.recs[seq]
	return s.sources[ri.source] + ":" + strconv.Itoa(int(ri.line))
}

func (s *skips) at(seq int, ptr string) hsdsio.Problem {
	ri := s.recs[seq]
	return hsdsio.Problem{Source: s.sources[ri.source], Line: int(ri.line), RecordID: ri.id, Field: ptr}
}

// unread counts the rows and documents the reader left out that no record
// holds: a line that is not JSON, a row whose parent is not in the package.
func (s *skips) unread() int {
	rows := map[srcLine]bool{}
	for _, rp := range s.reader {
		if !rp.matched {
			rows[srcLine{rp.p.Source, rp.p.Line}] = true
		}
	}
	return len(rows)
}

// cascade skips, to a fixed point, every record naming an id that only
// skipped records define and the directory does not have. missing are
// the ids nobody has (each namer is skipped with its problem), leaving
// out those in keep (taxonomies created from their terms' names).
func (s *skips) cascade(ctx context.Context, st *store.Store, d *deps, missing map[string][]string, keep map[string]bool) error {
	for _, entity := range refEntities {
		for _, id := range missing[entity] {
			if entity == "taxonomy" && keep[id] {
				continue
			}
			k, ok := d.keys[ref{entity, id}]
			if !ok {
				continue
			}
			for _, n := range d.names[k] {
				if n.soft {
					continue
				}
				s.skip(int(n.rec))
				p := s.at(int(n.rec), n.ptr)
				p.Message = missingMessage(entity, id)
				s.problem(p)
			}
		}
	}
	live := append([]int32(nil), d.count...)
	var queue []int
	for seq, sk := range s.skipped {
		if sk {
			queue = append(queue, seq)
		}
	}
	for len(queue) > 0 {
		var gone []int32
		for _, seq := range queue {
			for _, k := range d.defines(seq) {
				live[k]--
				if live[k] == 0 {
					gone = append(gone, k)
				}
			}
		}
		queue = queue[:0]
		if len(gone) == 0 {
			break
		}
		kept, err := s.inDirectory(ctx, st, d, gone)
		if err != nil {
			return err
		}
		for _, k := range gone {
			if kept[k] {
				continue
			}
			r, def := d.refOf[k], int(d.first[k])
			for _, n := range d.names[k] {
				if s.isSkipped(int(n.rec)) {
					continue
				}
				s.skip(int(n.rec))
				queue = append(queue, int(n.rec))
				p := s.at(int(n.rec), n.ptr)
				p.Message = s.dependsMessage(r, def)
				s.problem(p)
			}
		}
	}
	return nil
}

// inDirectory says which of keys the directory already has: a record
// skipped in the input but stored before still satisfies what names it.
func (s *skips) inDirectory(ctx context.Context, st *store.Store, d *deps, keys []int32) (map[int32]bool, error) {
	byEntity := map[string][]string{}
	for _, k := range keys {
		if r := d.refOf[k]; canonical(r.id) {
			byEntity[r.entity] = append(byEntity[r.entity], r.id)
		}
	}
	out := map[int32]bool{}
	entities := make([]string, 0, len(byEntity))
	for e := range byEntity {
		entities = append(entities, e)
	}
	sort.Strings(entities)
	for _, e := range entities {
		found, err := st.ExistingIDs(ctx, e, byEntity[e])
		if err != nil {
			return nil, err
		}
		for id := range found {
			if k, ok := d.keys[ref{e, id}]; ok {
				out[k] = true
			}
		}
	}
	return out, nil
}

// dependsMessage says which skipped record a dependent needed.
func (s *skips) dependsMessage(r ref, def int) string {
	ri := s.recs[def]
	if kindEntities[ri.kind] == r.entity && ri.id == r.id {
		return fmt.Sprintf("names %s %s, which is skipped (see %s)", entityLabel[r.entity], r.id, s.where(def))
	}
	return fmt.Sprintf("names %s %s of %s %s, which is skipped (see %s)", entityLabel[r.entity], r.id,
		kindNames[ri.kind], ri.id, s.where(def))
}

// count adds up the records skipped, by kind.
func (s *skips) count() Counts {
	var c Counts
	for seq, sk := range s.skipped {
		if !sk {
			continue
		}
		switch ri := s.recs[seq]; ri.kind {
		case 1:
			c.Terms++
		case 2:
			c.Organizations++
			c.Services += int(ri.services)
		case 3:
			c.Services++
		}
	}
	return c
}

// anyWritten says whether a record that is not skipped names r.
func (s *skips) anyWritten(d *deps, r ref) bool {
	k, ok := d.keys[r]
	if !ok {
		return false
	}
	for _, n := range d.names[k] {
		if !n.soft && !s.isSkipped(int(n.rec)) {
			return true
		}
	}
	return false
}

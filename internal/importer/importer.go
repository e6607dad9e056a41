// Package importer loads HSDS files into the directory as one unit: it
// validates every record, checks every reference, and only then writes, in
// one transaction per file, so a file with any problem changes nothing.
package importer

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/hsdsio"
	"github.com/linkage-org/linkage/internal/store"
)

// Options control an import.
type Options struct {
	DryRun bool
	// Actor is written as updated_by in the import's metadata rows.
	Actor string
	// Progress, if set, is called as records are written (done of total).
	Progress func(done, total int)
	// BatchSize is how many top-level records are written per statement group.
	BatchSize int
	// Check, if set, may refuse records (an agency importing another
	// agency's records): each problem it returns fails the import.
	Check func(r hsdsio.Record) []hsdsio.Problem
	// Writer, if set, is whom the import writes for: nested records held
	// by organizations it may not write are problems (nil: the operator).
	Writer *store.Writer
}

// Report says what an import did or, with problems, why it did nothing.
type Report struct {
	Source        string
	Terms         int
	Organizations int
	Services      int
	Problems      []hsdsio.Problem
	Took          time.Duration
	Written       bool
}

// Records is the number of records read (nested services counted).
func (r *Report) Records() int { return r.Terms + r.Organizations + r.Services }

// ErrProblems is returned (wrapped) when the input has problems.
var ErrProblems = errors.New("the input has problems; nothing was written")

// maxProblems bounds the report of a badly broken file.
const maxProblems = 10000

// source reads the records of one input, possibly twice (JSON is streamed
// twice rather than held in memory).
type source struct {
	name string
	read func(fn func(hsdsio.Record) error) ([]hsdsio.Problem, error)
	done func()
}

func open(path string) (*source, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, apperr.Wrap(err, apperr.Invalid, "cannot read %s", path)
	}
	name := filepath.Base(path)
	packageSource := func(fsys fs.FS, done func()) *source {
		return &source{name: name, done: done, read: func(fn func(hsdsio.Record) error) ([]hsdsio.Problem, error) {
			recs, probs, err := hsdsio.ReadPackage(fsys)
			if err != nil {
				return probs, err
			}
			for _, r := range recs {
				if err := fn(r); err != nil {
					return probs, err
				}
			}
			return probs, nil
		}}
	}
	switch {
	case info.IsDir():
		return packageSource(os.DirFS(path), func() {}), nil
	case strings.EqualFold(filepath.Ext(path), ".zip"):
		zr, err := zip.OpenReader(path)
		if err != nil {
			return nil, apperr.Wrap(err, apperr.Invalid, "cannot open zip %s", path)
		}
		return packageSource(zr, func() { _ = zr.Close() }), nil
	default:
		return &source{name: name, done: func() {}, read: func(fn func(hsdsio.Record) error) ([]hsdsio.Problem, error) {
			f, err := os.Open(path)
			if err != nil {
				return nil, fmt.Errorf("open %s: %w", path, err)
			}
			defer f.Close()
			return hsdsio.ReadJSON(f, name, fn)
		}}, nil
	}
}

// Import loads the file, folder or zip at path.
func Import(ctx context.Context, st *store.Store, path string, opts Options) (Report, error) {
	src, err := open(path)
	if err != nil {
		return Report{Source: path}, err
	}
	defer src.done()
	return run(ctx, st, src, opts)
}

// ImportFS loads the JSON or JSON Lines file name of fsys (embedded data).
func ImportFS(ctx context.Context, st *store.Store, fsys fs.FS, name string, opts Options) (Report, error) {
	src := &source{name: name, done: func() {}, read: func(fn func(hsdsio.Record) error) ([]hsdsio.Problem, error) {
		f, err := fsys.Open(name)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", name, err)
		}
		defer f.Close()
		return hsdsio.ReadJSON(f, name, fn)
	}}
	return run(ctx, st, src, opts)
}

// ImportGenerated loads records produced by gen, which must yield the same
// records each time it is called (it runs once to validate, once to write):
// a deterministic generator goes through the same checks as a file.
func ImportGenerated(ctx context.Context, st *store.Store, name string, gen func(fn func(hsdsio.Record) error) error, opts Options) (Report, error) {
	src := &source{name: name, done: func() {}, read: func(fn func(hsdsio.Record) error) ([]hsdsio.Problem, error) {
		return nil, gen(fn)
	}}
	return run(ctx, st, src, opts)
}

func run(ctx context.Context, st *store.Store, src *source, opts Options) (Report, error) {
	start := time.Now()
	if opts.BatchSize <= 0 {
		opts.BatchSize = 200
	}
	if opts.Actor == "" {
		opts.Actor = "linkage import"
	}
	rep := Report{Source: src.name}

	// Pass 1: validate every record and collect what it defines and names.
	refs := newRefs()
	var owners *ownerCheck
	if opts.Writer != nil {
		owners = &ownerCheck{st: st, writer: *opts.Writer, size: opts.BatchSize, problem: func(p hsdsio.Problem) {
			if len(rep.Problems) < maxProblems {
				rep.Problems = append(rep.Problems, p)
			}
		}}
	}
	probs, err := src.read(func(r hsdsio.Record) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		rep.count(r)
		if r.Kind == hsdsio.KindService && r.Service.OrganizationID == "" {
			rep.Problems = append(rep.Problems, hsdsio.Problem{Source: r.Source, Line: r.Line, RecordID: r.ID(),
				Field: "/organization_id", Message: "is required: every service belongs to an organization (give organization_id or a nested organization)"})
		}
		for _, p := range validate(r) {
			if len(rep.Problems) < maxProblems {
				rep.Problems = append(rep.Problems, p)
			}
		}
		if opts.Check != nil {
			for _, p := range opts.Check(r) {
				if len(rep.Problems) < maxProblems {
					rep.Problems = append(rep.Problems, p)
				}
			}
		}
		refs.add(r)
		if owners != nil {
			return owners.add(ctx, r)
		}
		return nil
	})
	if err == nil && owners != nil {
		err = owners.flush(ctx)
	}
	rep.Problems = append(probs, rep.Problems...)
	if err != nil {
		return rep, fmt.Errorf("import %s: read: %w", src.name, err)
	}
	if rep.Records() == 0 && len(rep.Problems) == 0 {
		rep.Problems = append(rep.Problems, hsdsio.Problem{Source: src.name, Message: "the input holds no HSDS records"})
	}

	// References to records neither in the file nor in the directory.
	err = st.InTx(ctx, func(tx *store.Tx) error {
		missing, err := refs.missing(ctx, tx)
		if err != nil {
			return err
		}
		rep.Problems = append(rep.Problems, missing...)
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("import %s: check references: %w", src.name, err)
	}
	if len(rep.Problems) > 0 || opts.DryRun {
		rep.Took = time.Since(start)
		if len(rep.Problems) > 0 {
			return rep, ErrProblems
		}
		return rep, nil
	}

	// Pass 2: write everything in one transaction.
	total, done := rep.Records(), 0
	err = st.InTx(ctx, func(tx *store.Tx) error {
		if opts.Writer != nil {
			tx.ActAs(*opts.Writer)
		}
		if err := tx.DeferConstraints(ctx); err != nil {
			return err
		}
		batch := &store.Documents{}
		flush := func() error {
			if batch.Len() == 0 {
				return nil
			}
			if err := tx.WriteDocuments(ctx, batch, "import", opts.Actor); err != nil {
				return err
			}
			done += batch.Len()
			for i := range batch.Organizations {
				done += len(batch.Organizations[i].Services)
			}
			if opts.Progress != nil {
				opts.Progress(done, total)
			}
			batch = &store.Documents{}
			return nil
		}
		_, err := src.read(func(r hsdsio.Record) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			switch r.Kind {
			case hsdsio.KindTaxonomyTerm:
				batch.Terms = append(batch.Terms, *r.Term)
			case hsdsio.KindOrganization:
				batch.Organizations = append(batch.Organizations, *r.Organization)
			case hsdsio.KindService:
				batch.Services = append(batch.Services, *r.Service)
			}
			if batch.Len() >= opts.BatchSize {
				return flush()
			}
			return nil
		})
		if err != nil {
			return err
		}
		return flush()
	})
	if err != nil {
		rep.Took = time.Since(start)
		return rep, fmt.Errorf("import %s: write: %w", src.name, err)
	}
	rep.Written = true
	if err := st.Optimize(ctx); err != nil {
		rep.Took = time.Since(start)
		return rep, fmt.Errorf("import %s: written, but refreshing statistics failed: %w", src.name, err)
	}
	rep.Took = time.Since(start)
	return rep, nil
}

func (r *Report) count(rec hsdsio.Record) {
	switch rec.Kind {
	case hsdsio.KindTaxonomyTerm:
		r.Terms++
	case hsdsio.KindOrganization:
		r.Organizations++
		r.Services += len(rec.Organization.Services)
	case hsdsio.KindService:
		r.Services++
	}
}

// validate runs the HSDS rules on one record and locates each problem.
func validate(r hsdsio.Record) []hsdsio.Problem {
	var err error
	switch r.Kind {
	case hsdsio.KindTaxonomyTerm:
		err = r.Term.Validate()
	case hsdsio.KindOrganization:
		err = r.Organization.Validate()
	case hsdsio.KindService:
		err = r.Service.Validate()
	}
	if err == nil {
		return nil
	}
	e, ok := apperr.As(err)
	if !ok || len(e.Fields) == 0 {
		return []hsdsio.Problem{{Source: r.Source, Line: r.Line, RecordID: r.ID(), Message: err.Error()}}
	}
	out := make([]hsdsio.Problem, len(e.Fields))
	for i, f := range e.Fields {
		out[i] = hsdsio.Problem{Source: r.Source, Line: r.Line, RecordID: r.ID(), Field: f.Pointer, Message: f.Message}
	}
	return out
}

// refs tracks the ids a file defines and the ids it names, by entity.
type refs struct {
	defined map[string]map[string]bool
	named   map[string]map[string]hsdsio.Problem // entity → id → where first named
}

func newRefs() *refs {
	return &refs{defined: map[string]map[string]bool{}, named: map[string]map[string]hsdsio.Problem{}}
}

func (r *refs) define(entity, id string) {
	if id == "" {
		return
	}
	if r.defined[entity] == nil {
		r.defined[entity] = map[string]bool{}
	}
	r.defined[entity][id] = true
}

func (r *refs) name(entity, id string, at hsdsio.Problem) {
	if id == "" {
		return
	}
	if r.named[entity] == nil {
		r.named[entity] = map[string]hsdsio.Problem{}
	}
	if _, ok := r.named[entity][id]; !ok {
		r.named[entity][id] = at
	}
}

func (r *refs) add(rec hsdsio.Record) {
	at := func(field string) hsdsio.Problem {
		return hsdsio.Problem{Source: rec.Source, Line: rec.Line, RecordID: rec.ID(), Field: field}
	}
	var root any
	switch rec.Kind {
	case hsdsio.KindTaxonomyTerm:
		root = rec.Term
	case hsdsio.KindOrganization:
		root = rec.Organization
	case hsdsio.KindService:
		root = rec.Service
	}
	walk(reflect.ValueOf(root), "", func(v any, ptr string) {
		switch x := v.(type) {
		case *hsds.Organization:
			r.define("organization", x.ID)
		case *hsds.Location:
			r.define("location", x.ID)
		case *hsds.Program:
			r.define("program", x.ID)
		case *hsds.Unit:
			r.define("unit", x.ID)
		case *hsds.TaxonomyTerm:
			r.define("taxonomy_term", x.ID)
		case *hsds.Service:
			r.define("service", x.ID)
			r.name("organization", x.OrganizationID, at(ptr+"/organization_id"))
			r.name("program", x.ProgramID, at(ptr+"/program_id"))
		case *hsds.ServiceAtLocation:
			r.name("location", x.LocationID, at(ptr+"/location_id"))
		case *hsds.Attribute:
			r.name("taxonomy_term", x.TaxonomyTermID, at(ptr+"/taxonomy_term_id"))
		case *hsds.ServiceCapacity:
			r.name("unit", x.UnitID, at(ptr+"/unit_id"))
		}
	})
}

// walk visits every struct pointer in v's graph with its JSON pointer.
func walk(v reflect.Value, ptr string, fn func(v any, ptr string)) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		fn(v.Interface(), ptr)
		walk(v.Elem(), ptr, fn)
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := v.Field(i)
			if f.Kind() != reflect.Slice && f.Kind() != reflect.Pointer {
				continue
			}
			tag := strings.Split(t.Field(i).Tag.Get("json"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			walk(f, ptr+"/"+tag, fn)
		}
	case reflect.Slice:
		for i := range v.Len() {
			walk(v.Index(i).Addr(), fmt.Sprintf("%s/%d", ptr, i), fn)
		}
	}
}

var entityLabel = map[string]string{
	"organization": "organization", "location": "location", "program": "program",
	"unit": "unit", "taxonomy_term": "taxonomy term", "service": "service",
}

// missing reports named ids that neither the file nor the directory has.
func (r *refs) missing(ctx context.Context, tx *store.Tx) ([]hsdsio.Problem, error) {
	var out []hsdsio.Problem
	for _, entity := range []string{"organization", "program", "location", "taxonomy_term", "unit"} {
		var ask []string
		for id := range r.named[entity] {
			// A malformed id was already reported by validation; asking the
			// database about it would only be a type error on PostgreSQL.
			if u, err := uuid.Parse(id); err != nil || u.String() != id {
				continue
			}
			if !r.defined[entity][id] {
				ask = append(ask, id)
			}
		}
		if len(ask) == 0 {
			continue
		}
		found, err := tx.ExistingIDs(ctx, entity, ask)
		if err != nil {
			return nil, err
		}
		for _, id := range ask {
			if found[id] {
				continue
			}
			p := r.named[entity][id]
			p.Message = fmt.Sprintf("names %s %s, which is neither in this input nor in the directory", entityLabel[entity], id)
			out = append(out, p)
			if len(out) >= maxProblems {
				return out, nil
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Source != out[j].Source {
			return out[i].Source < out[j].Source
		}
		if out[i].Line != out[j].Line {
			return out[i].Line < out[j].Line
		}
		return out[i].Field < out[j].Field
	})
	return out, nil
}

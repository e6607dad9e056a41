// Package importer loads HSDS files into the directory as one unit: it
// validates every record, checks every reference, and only then writes, in
// one transaction per file, so a file with any problem changes nothing.
// An import told to skip (OnErrorSkip) leaves out instead each record with
// a problem and every record that depends on one left out, and writes the
// rest, still in one transaction.
package importer

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/hsds11"
	"github.com/linkage-org/linkage/internal/hsdsio"
	"github.com/linkage-org/linkage/internal/store"
)

// Options control an import.
type Options struct {
	DryRun bool
	// OnError says what a record with a problem does: fail the import
	// (OnErrorFail, the default) or be left out with whatever depends on
	// it (OnErrorSkip).
	OnError OnError
	// Actor is written as updated_by in the import's metadata rows (""
	// names As, or "linkage import" for the operator).
	Actor string
	// Progress, if set, is called as records are written (done of total).
	Progress func(done, total int)
	// BatchSize is how many top-level records are written per statement group.
	BatchSize int
	// Check, if set, may refuse records (an agency importing another
	// agency's records): each problem it returns fails the import.
	Check func(r hsdsio.Record) []hsdsio.Problem
	// As, if set, is whom the import writes for: nested records held by
	// organizations it may not write are problems, and the records it
	// moves are audited as its (nil: the operator).
	As *store.Actor
	// Name is what problems and errors call the input (an upload's own
	// file name); "" uses the path.
	Name string
	// Limits bound the uncompressed size of the input (zero: none).
	Limits hsdsio.Limits
	// TempDir holds a tabular package's sort files while it is read; ""
	// is the system's temporary folder.
	TempDir string
}

// Report says what an import did or, with problems, why it did nothing.
type Report struct {
	Source string
	// Terms, Organizations and Services count the records read (nested
	// services counted).
	Terms         int
	Organizations int
	Services      int
	OnError       OnError
	// Imported counts the records written, or that a dry run would write;
	// it is zero when problems stopped the import.
	Imported Counts
	// Skipped counts the records an OnErrorSkip import left out, and
	// Unreadable the documents or rows it could not read at all (a line
	// that is not JSON, a row whose parent is not in the package).
	Skipped    Counts
	Unreadable int
	// TaxonomiesCreated are the taxonomies the import created (a dry run:
	// would create) from the taxonomy name its terms carry, by name.
	TaxonomiesCreated []hsds.Taxonomy
	// Problems are the first MaxProblems problems in input order;
	// ProblemsOmitted counts the rest. With OnErrorSkip each is a record
	// left out: its own problems, or what it depends on.
	Problems        []hsdsio.Problem
	ProblemsOmitted int
	Took            time.Duration
	Written         bool
	// Format is the HSDS version the input was read as when it was not
	// 3.1 ("HSDS 1.1"), and Unmapped what of it 3.1 could not take as it
	// was: notes, not problems (see hsds11).
	Format   string
	Unmapped []hsds11.Note
}

// Records is the number of records read (nested services counted).
func (r *Report) Records() int { return r.Terms + r.Organizations + r.Services }

// Counts counts records by kind (nested services counted).
type Counts struct {
	Terms, Organizations, Services int
}

// Total is the number of records counted.
func (c Counts) Total() int { return c.Terms + c.Organizations + c.Services }

func (c Counts) minus(d Counts) Counts {
	return Counts{c.Terms - d.Terms, c.Organizations - d.Organizations, c.Services - d.Services}
}

// ErrProblems is returned (wrapped) when the input has problems.
var ErrProblems = errors.New("the input has problems; nothing was written")

// MaxProblems bounds the report of a badly broken file: the first ones
// show what to fix, and a million more would only make the report (and a
// job's stored problems) as large as the file.
const MaxProblems = 1000

// The settings that hold the limits, named in the messages that refuse an
// input, so whoever reads one knows what to change.
const (
	EntryLimitSetting = "LINKAGE_IMPORT_MAX_ENTRY_BYTES"
	TotalLimitSetting = "LINKAGE_IMPORT_MAX_TOTAL_BYTES"
)

// source reads the records of one input, possibly twice: JSON is streamed
// twice rather than held in memory, a package is sorted once on disk and
// read back twice.
type source struct {
	name string
	read func(ctx context.Context, probs *hsdsio.Problems, fn func(hsdsio.Record) error) error
	done func()
	// finish, if set, completes the report once the import has run (an
	// HSDS 1.1 source tells its problems in 1.1 terms).
	finish func(*Report)
}

func open(path string, opts Options) (*source, error) {
	name := opts.Name
	if name == "" {
		name = path
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, apperr.Wrap(err, apperr.Invalid, "cannot read %s", name)
	}
	switch {
	case info.IsDir():
		return packageSource(name, os.DirFS(path), opts, func() {}), nil
	case strings.EqualFold(filepath.Ext(path), ".zip"):
		zr, err := zip.OpenReader(path)
		if err != nil {
			return nil, notZip(name, err)
		}
		if err := hsdsio.CheckZip(&zr.Reader, opts.Limits); err != nil {
			_ = zr.Close()
			return nil, limitError(name, err)
		}
		return packageSource(name, zr, opts, func() { _ = zr.Close() }), nil
	default:
		if lim := opts.Limits.TotalBytes; lim > 0 && info.Size() > lim {
			return nil, limitError(name, &hsdsio.LimitError{Name: name, Size: info.Size(), Limit: lim, Total: true})
		}
		return &source{name: name, done: func() {}, read: func(_ context.Context, probs *hsdsio.Problems, fn func(hsdsio.Record) error) error {
			f, err := os.Open(path)
			if err != nil {
				return fmt.Errorf("open %s: %w", name, err)
			}
			defer f.Close()
			// A JSON file is the whole input: only the total limit applies.
			r := hsdsio.CountReader(f, name, hsdsio.Limits{TotalBytes: opts.Limits.TotalBytes})
			return limitError(name, hsdsio.StreamJSON(r, filepath.Base(name), probs, fn))
		}}, nil
	}
}

// packageSource reads a tabular package once (sorting it on disk) and its
// records as often as asked. An HSDS 1.x package is mapped to 3.1 first.
func packageSource(name string, fsys fs.FS, opts Options, done func()) *source {
	if hsds11.Is(fsys) {
		return legacySource(name, fsys, opts, done)
	}
	var pkg *hsdsio.Package
	src := &source{name: name}
	src.read = func(ctx context.Context, probs *hsdsio.Problems, fn func(hsdsio.Record) error) error {
		if pkg == nil {
			p, err := hsdsio.OpenPackage(ctx, fsys, hsdsio.PackageOptions{Limits: opts.Limits, TempDir: opts.TempDir, Problems: probs})
			if err != nil {
				return limitError(name, err)
			}
			pkg = p
		}
		return pkg.Records(fn)
	}
	src.done = func() {
		if pkg != nil {
			_ = pkg.Close()
		}
		done()
	}
	return src
}

// CheckLimits refuses, before anything is expanded, an input whose
// declared size is over lim: a JSON file's size, or what a zip's central
// directory declares for each entry and in total. It is what an upload is
// checked with before it is accepted; Import checks again, and also
// counts what it actually reads.
func CheckLimits(path, name string, lim hsdsio.Limits) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("importer: check %s: %w", name, err)
	}
	if !strings.EqualFold(filepath.Ext(path), ".zip") {
		if lim.TotalBytes > 0 && info.Size() > lim.TotalBytes {
			return limitError(name, &hsdsio.LimitError{Name: name, Size: info.Size(), Limit: lim.TotalBytes, Total: true})
		}
		return nil
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		return notZip(name, err)
	}
	defer zr.Close()
	return limitError(name, hsdsio.CheckZip(&zr.Reader, lim))
}

// notZip says what to send instead of a .zip that is not one.
func notZip(name string, err error) error {
	return apperr.Wrap(err, apperr.Invalid, "%s is not a zip archive that can be read: send an HSDS tabular data package "+
		"(datapackage.json and the CSV files) compressed as .zip, or the records as a .json or .jsonl file", filepath.Base(name))
}

// limitError turns a limit hsdsio found into a TooLarge that names the
// limit and its setting; other errors pass.
func limitError(name string, err error) error {
	var le *hsdsio.LimitError
	if !errors.As(err, &le) {
		return err
	}
	base := filepath.Base(name)
	what := le.Name + " in " + base
	if filepath.Base(le.Name) == base {
		what = base
	}
	setting, limit := EntryLimitSetting, "one file of an import may hold at most "+bytesText(le.Limit)+" uncompressed"
	if le.Total {
		setting, limit = TotalLimitSetting, "an import may hold at most "+bytesText(le.Limit)+" uncompressed, all its files together"
		what = base
	}
	size := "expands to " + bytesText(le.Size)
	switch {
	case le.Counted:
		size = "expands to more than " + bytesText(le.Limit) + ", more than it declares"
	case le.Total && what != le.Name && le.Name != base:
		size = "expands to at least " + bytesText(le.Size)
	case le.Total:
		size = "holds " + bytesText(le.Size)
	}
	return apperr.E(apperr.TooLarge, "%s %s; %s (setting %s). Split it into smaller imports, or have the operator raise %s.",
		what, size, limit, setting, setting)
}

// bytesText writes a size in bytes with its binary unit.
func bytesText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%d bytes (%.1f GiB)", n, float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%d bytes (%.1f MiB)", n, float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d bytes", n)
}

// Import loads the file, folder or zip at path.
func Import(ctx context.Context, st *store.Store, path string, opts Options) (Report, error) {
	name := opts.Name
	if name == "" {
		name = path
	}
	src, err := open(path, opts)
	if err != nil {
		return Report{Source: name}, fmt.Errorf("import %s: %w", name, err)
	}
	defer src.done()
	rep, err := run(ctx, st, src, opts)
	if src.finish != nil {
		src.finish(&rep)
	}
	return rep, err
}

// ImportFS loads the JSON or JSON Lines file name of fsys (embedded data).
func ImportFS(ctx context.Context, st *store.Store, fsys fs.FS, name string, opts Options) (Report, error) {
	src := &source{name: name, done: func() {}, read: func(_ context.Context, probs *hsdsio.Problems, fn func(hsdsio.Record) error) error {
		f, err := fsys.Open(name)
		if err != nil {
			return fmt.Errorf("open %s: %w", name, err)
		}
		defer f.Close()
		return hsdsio.StreamJSON(f, name, probs, fn)
	}}
	return run(ctx, st, src, opts)
}

// ImportGenerated loads records produced by gen, which must yield the same
// records each time it is called (it runs once to validate, once to write):
// a deterministic generator goes through the same checks as a file.
func ImportGenerated(ctx context.Context, st *store.Store, name string, gen func(fn func(hsdsio.Record) error) error, opts Options) (Report, error) {
	src := &source{name: name, done: func() {}, read: func(_ context.Context, _ *hsdsio.Problems, fn func(hsdsio.Record) error) error {
		return gen(fn)
	}}
	return run(ctx, st, src, opts)
}

func run(ctx context.Context, st *store.Store, src *source, opts Options) (Report, error) {
	start := time.Now()
	opts.defaults()
	rep := Report{Source: src.name, OnError: opts.OnError}
	probs := hsdsio.NewProblems(MaxProblems)
	finish := func() {
		rep.Problems, rep.ProblemsOmitted = probs.List(), probs.Omitted()
		rep.Took = time.Since(start)
	}

	sk, readProbs, problem := sorting(probs, opts.OnError)

	// Pass 1: validate every record and collect what it defines and names.
	refs := newRefs(sk != nil)
	err := check(ctx, st, src, opts, &rep, readProbs, refs, sk, problem)
	if err != nil {
		finish()
		return rep, fmt.Errorf("import %s: read: %w", src.name, err)
	}
	if rep.Records() == 0 && probs.Total() == 0 {
		problem(-1, hsdsio.Problem{Source: filepath.Base(src.name), Message: "the input holds no HSDS records", Input: true})
	}

	// References to records neither in the file nor in the directory, and,
	// skipping, every record that names one left out.
	create := map[string]bool{} // taxonomy ids to create from their terms' names
	if err := checkRefs(ctx, st, refs, sk, create, probs); err != nil {
		finish()
		return rep, fmt.Errorf("import %s: check references: %w", src.name, err)
	}
	read := Counts{rep.Terms, rep.Organizations, rep.Services}
	failed := probs.Total() > 0
	if sk != nil {
		rep.Skipped, rep.Unreadable = sk.count(), sk.unread()
		// Skipping cannot get round a problem of the whole input, and an
		// input of which nothing can be written is not imported either.
		failed = sk.input > 0 || probs.Total() > 0 && read.minus(rep.Skipped).Total() == 0
	}
	if failed {
		finish()
		return rep, ErrProblems
	}
	rep.Imported = read.minus(rep.Skipped)
	taxonomies := createdTaxonomies(create, refs, sk)
	rep.TaxonomiesCreated = byName(taxonomies)
	if opts.DryRun {
		finish()
		return rep, nil
	}

	// Pass 2: write everything (but what is skipped) in one transaction.
	err = write(ctx, st, src, opts, sk, taxonomies, rep.Imported.Total())
	if err != nil {
		finish()
		rep.Imported, rep.TaxonomiesCreated = Counts{}, nil
		return rep, fmt.Errorf("import %s: write: %w", src.name, refused(src.name, err))
	}
	rep.Written = true
	if err := st.Optimize(ctx); err != nil {
		finish()
		return rep, fmt.Errorf("import %s: written, but refreshing statistics failed: %w", src.name, err)
	}
	finish()
	return rep, nil
}

// defaults fills in what o leaves zero.
func (o *Options) defaults() {
	if o.BatchSize <= 0 {
		o.BatchSize = 200
	}
	if o.Actor == "" && (o.As == nil || o.As.Operator) {
		o.Actor = "linkage import"
	}
	if o.OnError == "" {
		o.OnError = OnErrorFail
	}
}

// sorting is where an import's problems go: all to probs and, for an
// import that skips (sk), each also to the record it leaves out, or to
// the input as a whole, which still fails it. readProbs takes what the
// reader finds, problem what the checks find in record seq (-1: none).
func sorting(probs *hsdsio.Problems, onError OnError) (sk *skips, readProbs *hsdsio.Problems, problem func(seq int, p hsdsio.Problem)) {
	readProbs = probs
	if onError == OnErrorSkip {
		sk = newSkips(probs.Add)
		readProbs = hsdsio.ProblemFunc(func(p hsdsio.Problem) {
			probs.Add(p)
			sk.fromReader(p)
		})
	}
	problem = func(seq int, p hsdsio.Problem) {
		probs.Add(p)
		switch {
		case sk == nil:
		case seq < 0:
			sk.input++
		default:
			sk.skip(seq)
		}
	}
	return sk, readProbs, problem
}

// byName lists ts by name (by id among equal names).
func byName(ts map[string]*hsds.Taxonomy) []hsds.Taxonomy {
	var out []hsds.Taxonomy
	for _, id := range slices.Sorted(maps.Keys(ts)) {
		out = append(out, *ts[id])
	}
	slices.SortStableFunc(out, func(a, b hsds.Taxonomy) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// check is pass 1: it reads src, counts its records in rep, validates
// each (and runs opts.Check and, for an agency, the ownership check),
// and collects in refs what each defines and names. problem takes each
// problem with the record it is in.
func check(ctx context.Context, st *store.Store, src *source, opts Options, rep *Report, readProbs *hsdsio.Problems,
	refs *refs, sk *skips, problem func(seq int, p hsdsio.Problem)) error {
	var owners *ownerCheck
	if opts.As != nil && !opts.As.MayWriteAll() {
		owners = &ownerCheck{st: st, actor: *opts.As, size: opts.BatchSize, problem: problem}
	}
	seq := -1
	err := src.read(ctx, readProbs, func(r hsdsio.Record) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		seq++
		rep.count(r)
		if sk != nil {
			sk.record(seq, r)
		}
		if r.Kind == hsdsio.KindService && r.Service.OrganizationID == "" {
			problem(seq, hsdsio.Problem{Source: r.Source, Line: r.Line, RecordID: r.ID(),
				Field: "/organization_id", Message: "is required: every service belongs to an organization (give organization_id or a nested organization)"})
		}
		for _, p := range validate(r) {
			problem(seq, p)
		}
		if opts.Check != nil {
			for _, p := range opts.Check(r) {
				problem(seq, p)
			}
		}
		refs.add(seq, r)
		if owners != nil {
			return owners.add(ctx, seq, r)
		}
		return nil
	})
	if err == nil && owners != nil {
		err = owners.flush(ctx)
	}
	return err
}

// checkRefs finds the references to records neither in the input nor in
// the directory: each is a problem, or, skipping (sk), leaves out every
// record that names it and, to a fixed point, what depends on those. A
// taxonomy its terms name is not missing: create takes its id.
func checkRefs(ctx context.Context, st *store.Store, refs *refs, sk *skips, create map[string]bool, probs *hsdsio.Problems) error {
	missing, err := refs.missing(ctx, st)
	if err != nil {
		return err
	}
	for _, id := range missing["taxonomy"] {
		if refs.taxonomyNames[id] != "" {
			create[id] = true
		}
	}
	if sk != nil {
		return sk.cascade(ctx, st, refs.deps, missing, create)
	}
	for _, entity := range refEntities {
		for _, id := range missing[entity] {
			if entity == "taxonomy" && create[id] {
				continue
			}
			p := refs.named[entity][id]
			p.Message = missingMessage(entity, id)
			probs.Add(p)
		}
	}
	return nil
}

// write reads src again and writes its records, but those sk skips, in
// batches of one transaction (store.ImportDocuments), reporting progress
// of total.
func write(ctx context.Context, st *store.Store, src *source, opts Options, sk *skips, taxonomies map[string]*hsds.Taxonomy, total int) error {
	actor := store.OperatorActor("cli", "")
	if opts.As != nil {
		actor = *opts.As
	}
	done := 0
	return st.ImportDocuments(ctx, actor, opts.Actor, func(writeDocs func(*store.Documents) error) error {
		batch := &store.Documents{}
		flush := func() error {
			if batch.Len() == 0 {
				return nil
			}
			if err := writeDocs(batch); err != nil {
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
		// The input read cleanly in pass 1 (or its problems left records
		// out); a second count of the same problems would be noise.
		seq := -1
		err := src.read(ctx, hsdsio.NewProblems(1), func(r hsdsio.Record) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			seq++
			if sk != nil && sk.isSkipped(seq) {
				return nil
			}
			if len(taxonomies) > 0 {
				attachTaxonomies(r, taxonomies)
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
}

// createdDescription describes a taxonomy an import created from the name
// its terms carry (HSDS requires a description).
const createdDescription = "Created by an import from the taxonomy name its terms carry; the input held no record of it."

// createdTaxonomies are the taxonomies of create that a term written
// names, with the name such a term carries.
func createdTaxonomies(create map[string]bool, refs *refs, sk *skips) map[string]*hsds.Taxonomy {
	out := map[string]*hsds.Taxonomy{}
	for id := range create {
		if sk != nil && !sk.anyWritten(refs.deps, ref{"taxonomy", id}) {
			continue
		}
		out[id] = &hsds.Taxonomy{ID: id, Name: refs.taxonomyNames[id], Description: createdDescription}
	}
	return out
}

// attachTaxonomies gives each term of r that names a taxonomy of ts, and
// carries no taxonomy_detail, that taxonomy, which the write then creates.
func attachTaxonomies(r hsdsio.Record, ts map[string]*hsds.Taxonomy) {
	root := r.Document()
	walk(reflect.ValueOf(root), "", func(v any, _ string) {
		if t, ok := v.(*hsds.TaxonomyTerm); ok && t.TaxonomyDetail == nil {
			if x := ts[t.TaxonomyID]; x != nil {
				d := *x
				t.TaxonomyDetail = &d
			}
		}
	})
}

// refused is what a person reads when the database refuses a write that
// every check before it let through: a plain sentence, never the driver's
// text (the wrapped error keeps that for the log).
func refused(name string, err error) error {
	e, ok := apperr.As(err)
	if !ok || (e.Kind != apperr.Unprocessable && e.Kind != apperr.Conflict) {
		return err
	}
	return apperr.Wrap(err, e.Kind, "%s was not imported: the database refused it (%s), so nothing was written. "+
		"The checks that run before writing should have found this; please report it, with the file.",
		filepath.Base(name), strings.TrimSuffix(strings.TrimSuffix(e.Msg, "."), "; nothing was written"))
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

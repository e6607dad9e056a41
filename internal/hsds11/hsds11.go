// Package hsds11 maps an HSDS 1.1 tabular data package (the format of HSDS
// Transformer exports, Ohana and many 211 directories) to HSDS 3.1.
//
// It only maps. Convert writes the mapped records as a 3.1 tabular package
// in a scratch folder, which hsdsio reads like any other, so they take the
// path of every import: the same join, checks, validation and writes.
// What 3.1 cannot hold as 1.1 had it (a table or column it has no place
// for, a value that does not fit) is left out or kept in another form and
// told in Notes; that is not a problem, and the import goes on.
//
// 1.1 ids are often integers, and the same number names records of
// different tables; 3.1 ids are UUIDs. Each 1.1 id becomes a version 5
// UUID of a fixed namespace, the table and the id, so a reference maps to
// the id of the row it names and a second import of the same package
// updates what the first wrote. Ids that are UUIDs already are kept.
package hsds11

import (
	"context"
	"io/fs"
	"os"

	"github.com/linkage-org/linkage/internal/hsdsio"
)

// Version names the format this package reads, as reports say it.
const Version = "HSDS 1.1"

// Options bound what a conversion may cost.
type Options struct {
	Limits   hsdsio.Limits    // on the 1.1 package's files, as for a 3.1 package
	TempDir  string           // where the scratch folder goes; "" is os.TempDir()
	Problems *hsdsio.Problems // CSV that cannot be read; nil keeps them all, unread
	Memory   int              // bytes held for sorting (0: defaultMemory)
}

// defaultMemory is half the 3.1 reader's sort budget: the mapped package
// is read after the conversion, and the conversion's sorts (with the
// slack of their growing lists) should not hold more than that read does.
const defaultMemory = 8 << 20

// Package is a converted package: a 3.1 tabular package on disk, the notes
// on what did not map, and what is needed to tell problems of the 3.1
// package in the 1.1 package's terms.
type Package struct {
	sc     *hsdsio.Scratch
	dir    string
	inputs []input
	notes  []Note
}

// FS is the 3.1 package, for hsdsio.OpenPackage (without limits: the 1.1
// package was counted against them, and the mapped one is somewhat larger,
// UUIDs being longer than the ids they replace).
func (p *Package) FS() fs.FS { return os.DirFS(p.dir) }

// Notes are what did not map as it was, by file and column.
func (p *Package) Notes() []Note { return p.notes }

// Close removes the scratch folder.
func (p *Package) Close() error { return p.sc.Close() }

// Convert maps the 1.1 package in fsys (a folder or a zip; see Is). The
// error is for I/O failures, a limit of opts.Limits exceeded (a
// *hsdsio.LimitError) and a damaged archive; a file that cannot be read
// as CSV is a problem in opts.Problems, as in a 3.1 package.
func Convert(ctx context.Context, fsys fs.FS, opts Options) (pkg *Package, err error) {
	root, err := hsdsio.PackageRoot(fsys)
	if err != nil {
		return nil, err
	}
	if opts.Problems == nil {
		opts.Problems = hsdsio.NewProblems(0)
	}
	ins := resolve(root)
	if err := checkDeclared(root, ins, opts.Limits); err != nil {
		return nil, err
	}
	if opts.Memory <= 0 {
		opts.Memory = defaultMemory
	}
	sc, err := hsdsio.NewScratch(opts.TempDir, opts.Memory)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = sc.Close()
		}
	}()
	out, err := newOutput(sc.Dir())
	if err != nil {
		return nil, err
	}
	c := &converter{ctx: ctx, root: root, inputs: ins, probs: opts.Problems, budget: &budget{lim: opts.Limits},
		sc: sc, out: out, notes: newNotes()}
	err = c.run()
	if cerr := out.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return &Package{sc: sc, dir: out.dir, inputs: ins, notes: c.notes.list()}, nil
}

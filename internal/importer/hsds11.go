package importer

import (
	"context"
	"io/fs"

	"github.com/linkage-org/linkage/internal/hsds11"
	"github.com/linkage-org/linkage/internal/hsdsio"
)

// legacySource reads an HSDS 1.1 package: hsds11 maps it to a 3.1 package
// on disk once, which is then read like any other, so its records meet
// every check a 3.1 package's do. The report gets what did not map, and
// its problems are told in the 1.1 package's files, rows and ids.
func legacySource(name string, fsys fs.FS, opts Options, done func()) *source {
	var conv *hsds11.Package
	var pkg *hsdsio.Package
	src := &source{name: name}
	src.read = func(ctx context.Context, probs *hsdsio.Problems, fn func(hsdsio.Record) error) error {
		if pkg == nil {
			if conv == nil {
				c, err := hsds11.Convert(ctx, fsys, hsds11.Options{Limits: opts.Limits, TempDir: opts.TempDir, Problems: probs})
				if err != nil {
					return limitError(name, err)
				}
				conv = c
			}
			p, err := hsdsio.OpenPackage(ctx, conv.FS(), hsdsio.PackageOptions{TempDir: opts.TempDir, Problems: probs})
			if err != nil {
				return err
			}
			pkg = p
		}
		return pkg.Records(fn)
	}
	src.finish = func(rep *Report) {
		rep.Format = hsds11.Version
		if conv != nil {
			rep.Unmapped = conv.Notes()
			rep.Problems = conv.Explain(rep.Problems)
		}
	}
	src.done = func() {
		if pkg != nil {
			_ = pkg.Close()
		}
		if conv != nil {
			_ = conv.Close()
		}
		done()
	}
	return src
}

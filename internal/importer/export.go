package importer

import (
	"archive/zip"
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/hsdsio"
	"github.com/linkage-org/linkage/internal/store"
)

// Export formats.
const (
	FormatJSON = "json" // JSON Lines: terms, organizations (with locations), then services, fully nested
	FormatCSV  = "csv"  // HSDS tabular data package in a directory
)

// ExportReport counts what an export wrote.
type ExportReport struct {
	Terms, Organizations, Services int
}

// Export writes the whole directory to path in format. The JSON Lines file
// holds every record kind (import reads them back by shape), so an export
// re-imports into an identical directory.
func Export(ctx context.Context, st *store.Store, format, path string) (ExportReport, error) {
	var rep ExportReport
	switch format {
	case FormatJSON:
		f, err := os.Create(path)
		if err != nil {
			return rep, fmt.Errorf("export: %w", err)
		}
		bw := bufio.NewWriterSize(f, 1<<20)
		w := hsdsio.NewJSONLinesWriter(bw)
		err = exportTo(ctx, st, &rep,
			func(t *hsds.TaxonomyTerm) error { return w.Write(t) },
			func(o *hsds.Organization) error { return w.Write(o) },
			func(s *hsds.Service) error { return w.Write(s) })
		if err == nil {
			err = bw.Flush()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return rep, fmt.Errorf("export %s: %w", path, err)
		}
		return rep, nil
	case FormatCSV:
		w, err := hsdsio.NewPackageWriter(path)
		if err != nil {
			return rep, fmt.Errorf("export: %w", err)
		}
		err = exportTo(ctx, st, &rep, w.WriteTerm, w.WriteOrganization, w.WriteService)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return rep, fmt.Errorf("export %s: %w", path, err)
		}
		return rep, nil
	}
	return rep, apperr.E(apperr.Invalid, "export format must be json or csv, not %q", format)
}

func exportTo(ctx context.Context, st *store.Store, rep *ExportReport,
	term func(*hsds.TaxonomyTerm) error, org func(*hsds.Organization) error, svc func(*hsds.Service) error) error {
	if err := st.StreamTaxonomyTerms(ctx, store.Filter{}, func(t *hsds.TaxonomyTerm) error {
		rep.Terms++
		return term(t)
	}); err != nil {
		return err
	}
	// Services follow as records of their own, fully nested.
	if err := st.StreamOrganizations(ctx, store.Filter{}, store.ShapeOwn, func(o *hsds.Organization) error {
		rep.Organizations++
		return org(o)
	}); err != nil {
		return err
	}
	return st.StreamServices(ctx, store.Filter{}, store.ShapeFull, func(s *hsds.Service) error {
		rep.Services++
		return svc(s)
	})
}

// ExportJSONLines streams the whole directory to w as JSON Lines (the
// format of Export's FormatJSON).
func ExportJSONLines(ctx context.Context, st *store.Store, w io.Writer) (ExportReport, error) {
	var rep ExportReport
	bw := bufio.NewWriterSize(w, 64<<10)
	jw := hsdsio.NewJSONLinesWriter(bw)
	err := exportTo(ctx, st, &rep,
		func(t *hsds.TaxonomyTerm) error { return jw.Write(t) },
		func(o *hsds.Organization) error { return jw.Write(o) },
		func(s *hsds.Service) error { return jw.Write(s) })
	if err == nil {
		err = bw.Flush()
	}
	return rep, err
}

// ExportZip writes the whole directory to w as an HSDS tabular data package
// in a .zip. The package is built in a temporary directory first (its CSV
// files are written side by side), then zipped to w.
func ExportZip(ctx context.Context, st *store.Store, w io.Writer) (ExportReport, error) {
	dir, err := os.MkdirTemp("", "linkage-export-")
	if err != nil {
		return ExportReport{}, fmt.Errorf("export: %w", err)
	}
	defer os.RemoveAll(dir)
	pkg := filepath.Join(dir, "package")
	rep, err := Export(ctx, st, FormatCSV, pkg)
	if err != nil {
		return rep, err
	}
	zw := zip.NewWriter(w)
	entries, err := os.ReadDir(pkg)
	if err != nil {
		return rep, fmt.Errorf("export: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		if err := addToZip(zw, filepath.Join(pkg, e.Name()), e.Name()); err != nil {
			return rep, err
		}
	}
	return rep, zw.Close()
}

func addToZip(zw *zip.Writer, path, name string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer f.Close()
	out, err := zw.Create(name)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if _, err := io.Copy(out, f); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

package importer

import (
	"bufio"
	"context"
	"fmt"
	"os"

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

package seedgen

import (
	"fmt"

	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/hsdsio"
)

// WritePackage writes the terms and the directory cfg generates as an HSDS
// tabular data package in the new folder dir (about 2.9 KB of CSV a
// service): the input of import tests and benchmarks at any size.
func WritePackage(dir string, cfg Config, terms []hsds.TaxonomyTerm) error {
	w, err := hsdsio.NewPackageWriter(dir)
	if err != nil {
		return fmt.Errorf("synthetic package: %w", err)
	}
	for i := range terms {
		if err := w.WriteTerm(&terms[i]); err != nil {
			return fmt.Errorf("synthetic package: %w", err)
		}
	}
	err = Generate(cfg, terms, func(o *hsds.Organization) error {
		svcs := o.Services
		o.Services = nil
		if err := w.WriteOrganization(o); err != nil {
			return err
		}
		for i := range svcs {
			if err := w.WriteService(&svcs[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		return fmt.Errorf("synthetic package: %w", err)
	}
	return nil
}

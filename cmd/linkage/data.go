package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/config"
	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/hsdsio"
	"github.com/linkage-org/linkage/internal/importer"
	"github.com/linkage-org/linkage/internal/seedgen"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/seed"
)

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progress returns a progress callback: a bar on a terminal, nothing
// otherwise (the summary line says what happened).
func progress(stderr io.Writer, what string) (func(done, total int), func()) {
	if !isTerminal(stderr) {
		return nil, func() {}
	}
	var bar *progressbar.ProgressBar
	return func(done, total int) {
			if bar == nil {
				bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription(what),
					progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("records"),
					progressbar.OptionThrottle(100*time.Millisecond))
			}
			_ = bar.Set(done)
		}, func() {
			if bar != nil {
				_ = bar.Finish()
				fmt.Fprintln(stderr)
			}
		}
}

func cmdImport(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	fs := flags("import [--dry-run] [--on-error fail|skip] [--agency ID] [--max-entry-bytes N] [--max-total-bytes N] [--extract-eligibility] PATH", `Load HSDS data into the directory: a JSON array or JSON Lines file of fully nested
services (organization nested), organizations (locations and services nested) or taxonomy terms,
or an HSDS tabular data package (a folder or .zip with datapackage.json and CSV files).
Records are upserted by id. The whole file is one transaction: if any record has a problem,
nothing is written and the first 1,000 problems are listed with their line/row, record id and
field, with the count of the rest. With --on-error=skip, each record with a problem is left out
instead, with every record that depends on it (a service of an organization left out, a term
under a term left out, a service at a location left out), and the rest is written; each record
left out is listed with its line, id, field and what is wrong or what it depends on. A problem of
the input as a whole (not a zip, too large, unreadable) still fails the import.`, stdout)
	dry := fs.Bool("dry-run", false, "check the input and report every problem without writing anything")
	onErr := fs.String("on-error", string(importer.OnErrorFail), "what a record with a problem does: fail (write nothing) or skip (leave it and the records that depend on it out, write the rest)")
	agency := fs.String("agency", "", "import as this agency (its id): only its organizations' records, and no nested record of another agency's")
	maxEntry := fs.Int64("max-entry-bytes", cfg.ImportMaxEntry, "largest uncompressed file of a zip or package folder (default from LINKAGE_IMPORT_MAX_ENTRY_BYTES; 0: no limit)")
	maxTotal := fs.Int64("max-total-bytes", cfg.ImportMaxTotal, "largest uncompressed input, all files together (default from LINKAGE_IMPORT_MAX_TOTAL_BYTES; 0: no limit)")
	extract := fs.Bool("extract-eligibility", false, "after the import, propose structured eligibility criteria from the services' free text (as 'linkage eligibility extract')")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	onError, ok := importer.ParseOnError(*onErr)
	if !ok {
		return fmt.Errorf("--on-error must be fail or skip, not %q", *onErr)
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if *maxEntry < 0 || *maxTotal < 0 {
		return fmt.Errorf("--max-entry-bytes and --max-total-bytes must be 0 (no limit) or a number of bytes")
	}
	opts := importer.Options{DryRun: *dry, OnError: onError, Limits: hsdsio.Limits{EntryBytes: *maxEntry, TotalBytes: *maxTotal}}
	if *agency != "" {
		if opts, err = agencyImport(ctx, st, *agency, opts); err != nil {
			return err
		}
	}
	onProgress, finish := progress(stderr, "importing")
	opts.Progress = onProgress
	rep, err := importer.Import(ctx, st, fs.Arg(0), opts)
	finish()
	printUnmapped(stdout, rep)
	for _, p := range rep.Problems {
		fmt.Fprintln(stdout, p.String())
	}
	if rep.ProblemsOmitted > 0 {
		fmt.Fprintf(stdout, "... and %d more problems, not listed (the first %d are above)\n", rep.ProblemsOmitted, len(rep.Problems))
	}
	if err != nil {
		if errors.Is(err, importer.ErrProblems) {
			hint := " (--on-error=skip imports the records without problems and lists those it leaves out)"
			if onError == importer.OnErrorSkip {
				hint = " (skipping leaves out records, but not a problem of the whole input, nor an input with nothing to import)"
			}
			return fmt.Errorf("%s: %d problem(s); nothing was written%s", rep.Source, len(rep.Problems)+rep.ProblemsOmitted, hint)
		}
		return plainError(log, err)
	}
	verb, would := "imported", ""
	if *dry {
		verb, would = "checked (dry run, nothing written)", "would import "
	}
	rate := float64(rep.Imported.Services) / rep.Took.Seconds()
	fmt.Fprintf(stdout, "%s %s: %s%s in %s (%.0f services/s)\n",
		verb, rep.Source, would, countsText(rep.Imported), rep.Took.Round(time.Millisecond), rate)
	if onError == importer.OnErrorSkip {
		fmt.Fprintf(stdout, "skipped %s", countsText(rep.Skipped))
		if rep.Unreadable > 0 {
			fmt.Fprintf(stdout, ", and %d lines or rows that could not be read", rep.Unreadable)
		}
		if rep.Skipped.Total()+rep.Unreadable > 0 {
			fmt.Fprint(stdout, ": each is listed above with its problem or what it depends on")
		}
		fmt.Fprintln(stdout)
	}
	if n := len(rep.TaxonomiesCreated); n > 0 {
		names := make([]string, n)
		for i, x := range rep.TaxonomiesCreated {
			names[i] = fmt.Sprintf("%q (%s)", x.Name, x.ID)
		}
		verb := "created"
		if *dry {
			verb = "would create"
		}
		fmt.Fprintf(stdout, "%s %d %s from their terms' names: %s\n", verb, n, plural(n, "taxonomy", "taxonomies"), strings.Join(names, ", "))
	}
	if *extract {
		er, err := importer.ExtractEligibility(ctx, st, "linkage import", *dry, nil)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "eligibility: %d criteria proposed for %d of %d services (inferred, for agencies to confirm)\n", er.Proposed, er.WithRules, er.Services)
	}
	return nil
}

// countsText writes counts of records as the summary lines do.
func countsText(c importer.Counts) string {
	return fmt.Sprintf("%d %s, %d %s, %d %s", c.Organizations, plural(c.Organizations, "organization", "organizations"),
		c.Services, plural(c.Services, "service", "services"), c.Terms, plural(c.Terms, "taxonomy term", "taxonomy terms"))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// plainError is what the import command says of a write the database
// refused: the sentence written for a person, never the driver's text
// under it (logged at debug level for whoever needs it). Other errors
// read as they are: an unreadable file says why.
func plainError(log *slog.Logger, err error) error {
	e, ok := apperr.As(err)
	if !ok || (e.Kind != apperr.Unprocessable && e.Kind != apperr.Conflict) {
		return err
	}
	log.Debug("import failed", "err", err)
	return errors.New(e.Msg)
}

// printUnmapped says that an older HSDS package was mapped to 3.1 and
// what of it did not map as it was (notes, not problems).
func printUnmapped(w io.Writer, rep importer.Report) {
	if rep.Format == "" {
		return
	}
	fmt.Fprintf(w, "%s is an %s package: it was mapped to HSDS 3.1.\n", rep.Source, rep.Format)
	if len(rep.Unmapped) > 0 {
		fmt.Fprintln(w, "What HSDS 3.1 could not take as it was (notes, not problems):")
	}
	for _, n := range rep.Unmapped {
		fmt.Fprintln(w, "  "+n.String())
	}
}

// agencyImport scopes an import to agency id, as POST /imports does for
// the agency's keys.
func agencyImport(ctx context.Context, st *store.Store, id string, opts importer.Options) (importer.Options, error) {
	ag, err := st.AgencyByID(ctx, strings.ToLower(id))
	if err != nil {
		return opts, fmt.Errorf("--agency %s: no such agency (GET /agencies as an admin lists them)", id)
	}
	orgs, err := st.AgencyOrganizations(ctx, ag.ID)
	if err != nil {
		return opts, err
	}
	by := "linkage import for agency " + ag.ID
	opts.Actor = by
	opts.Check = importer.AgencyScope(orgs)
	// The operator acts for the agency: held to its organizations, and
	// the records it moves are audited under the agency.
	as := store.OperatorActor("cli", "linkage import")
	as.Principal.AgencyID, as.Principal.Organizations = ag.ID, orgs
	opts.As = &as
	return opts, nil
}

func cmdExport(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flags("export --format json|csv PATH", `Write the whole directory: json is a JSON Lines file (taxonomy terms, organizations with
their locations, then fully nested services), csv an HSDS tabular data package in the folder PATH.
Both import back with 'linkage import'.`, stdout)
	format := fs.String("format", "json", "json (JSON Lines) or csv (tabular data package folder)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || (*format != importer.FormatJSON && *format != importer.FormatCSV) {
		fs.Usage()
		return errUsage
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	rep, err := importer.Export(ctx, st, *format, fs.Arg(0))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "exported %d organizations, %d services, %d taxonomy terms to %s in %s\n",
		rep.Organizations, rep.Services, rep.Terms, fs.Arg(0), time.Since(start).Round(time.Millisecond))
	return nil
}

func cmdSeed(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "demo" && args[0] != "synthetic") {
		fmt.Fprintln(stdout, "Usage: linkage seed demo | linkage seed synthetic --services N --seed S [--out FILE]")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return errUsage
	}
	if args[0] == "demo" {
		fs := flags("seed demo", "Load the demo dataset (Palmetto County, FL: organizations, services, taxonomy). Existing records with the same ids are replaced.", stdout)
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		st, err := openStore(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer st.Close()
		return loadDemo(ctx, st, log)
	}
	fs := flags("seed synthetic --services N --seed S [--out FILE]", `Generate a realistic synthetic directory (many metros, varied text, schedules, languages,
ages, costs, our taxonomy), deterministic for a given seed. Without --out it is written to the
database in one transaction, like an import; with --out it is written as a JSON Lines file
that 'linkage import' loads.`, stdout)
	n := fs.Int("services", 1000, "number of services to generate")
	seedN := fs.Int64("seed", 1, "random seed: the same seed gives the same directory")
	out := fs.String("out", "", "write JSON Lines to this file instead of the database")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *n < 1 || *n > 10_000_000 {
		return fmt.Errorf("--services must be between 1 and 10000000")
	}
	terms, err := seed.Taxonomy()
	if err != nil {
		return err
	}
	start := time.Now()
	genCfg := seedgen.Config{Services: *n, Seed: *seedN}
	if *out != "" {
		if err := writeSynthetic(ctx, *out, genCfg, terms); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "generated %d services to %s in %s\n", *n, *out, time.Since(start).Round(time.Millisecond))
		return nil
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	// The generator is deterministic, so it can feed the importer's two
	// passes: synthetic data gets the same validation and writes as a file.
	gen := func(fn func(hsdsio.Record) error) error {
		for i := range terms {
			if err := fn(hsdsio.Record{Kind: hsdsio.KindTaxonomyTerm, Source: "synthetic", Term: &terms[i]}); err != nil {
				return err
			}
		}
		line := len(terms)
		return seedgen.Generate(genCfg, terms, func(o *hsds.Organization) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			line++
			return fn(hsdsio.Record{Kind: hsdsio.KindOrganization, Source: "synthetic", Line: line, Organization: o})
		})
	}
	onProgress, finish := progress(stderr, "generating")
	rep, err := importer.ImportGenerated(ctx, st, "synthetic", gen, importer.Options{Actor: "linkage seed", Progress: onProgress})
	finish()
	if err != nil {
		for _, p := range rep.Problems[:min(20, len(rep.Problems))] {
			fmt.Fprintln(stderr, p.String())
		}
		return err
	}
	took := time.Since(start)
	fmt.Fprintf(stdout, "generated %d services into the %s database in %s (%.0f services/s)\n", rep.Services, st.Dialect(), took.Round(time.Millisecond), float64(rep.Services)/took.Seconds())
	return nil
}

// writeSynthetic writes taxonomy terms then organizations as JSON Lines,
// until ctx ends (ten million services take a while).
func writeSynthetic(ctx context.Context, path string, gen seedgen.Config, terms []hsds.TaxonomyTerm) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w := hsdsio.NewJSONLinesWriter(bw)
	for i := range terms {
		if err := w.Write(&terms[i]); err != nil {
			f.Close()
			return err
		}
	}
	err = seedgen.Generate(gen, terms, func(o *hsds.Organization) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return w.Write(o)
	})
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

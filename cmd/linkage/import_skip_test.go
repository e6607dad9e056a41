package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/config"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

const fixture211 = "../../internal/importer/testdata/211-export.jsonl"

// linkage import refuses the 211 fixture whole by default and says how to
// import the rest; --dry-run --on-error=skip says what it would write,
// skip and create, and writes nothing; --on-error=skip writes it. On both
// databases.
func TestCLI_ImportOnErrorSkip(t *testing.T) {
	ctx := context.Background()
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			env := envMap(map[string]string{"LINKAGE_DATA_DIR": t.TempDir(), "LINKAGE_DATABASE_URL": storetest.URL(t, d)})
			counts := func() map[string]int64 {
				t.Helper()
				cfg, err := config.Load(env)
				if err != nil {
					t.Fatal(err)
				}
				st, err := openStore(ctx, cfg, slog.New(slog.DiscardHandler))
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				c, err := st.Counts(ctx)
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			importCmd := func(args ...string) (int, string, string) {
				var out, errOut bytes.Buffer
				code := run(ctx, append([]string{"import"}, append(args, fixture211)...), env, &out, &errOut)
				return code, out.String(), errOut.String()
			}

			// Opening the store adds the eligibility taxonomy.
			base := counts()
			same := func(c map[string]int64) bool {
				return c["organizations"]+c["services"] == 0 && c["taxonomy_terms"] == base["taxonomy_terms"] && c["taxonomies"] == base["taxonomies"]
			}
			code, out, errOut := importCmd()
			if code != 1 || strings.Count(out, "\n") != 2 || !strings.Contains(out, "211-export.jsonl:17: record ") ||
				!strings.Contains(out, "211-export.jsonl:22: record ") || !strings.Contains(errOut, "2 problem(s); nothing was written") ||
				!strings.Contains(errOut, "--on-error=skip") {
				t.Fatalf("default: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
			}
			if c := counts(); !same(c) {
				t.Fatalf("the refused import wrote %v", c)
			}

			skipped := []string{":17: ", ":18: ", ":22: ", ":27: ", ":29: ", ":31: "}
			check := func(what, out string, want ...string) {
				t.Helper()
				for _, s := range skipped {
					if !strings.Contains(out, "211-export.jsonl"+s+"record ") {
						t.Errorf("%s lists no skipped record at line %s:\n%s", what, s, out)
					}
				}
				for _, w := range want {
					if !strings.Contains(out, w) {
						t.Errorf("%s lacks %q:\n%s", what, w, out)
					}
				}
			}
			code, out, errOut = importCmd("--dry-run", "--on-error=skip")
			if code != 0 {
				t.Fatalf("dry run: exit %d %s %s", code, out, errOut)
			}
			check("dry run", out, "checked (dry run, nothing written) ", ": would import 9 organizations, 23 services, 16 taxonomy terms in ",
				"skipped 3 organizations, 9 services, 2 taxonomy terms: each is listed above",
				`would create 1 taxonomy from their terms' names: "Palmetto 211 Local Service Tags" (`)
			if c := counts(); !same(c) {
				t.Fatalf("the dry run wrote %v", c)
			}

			code, out, errOut = importCmd("--on-error", "skip")
			if code != 0 {
				t.Fatalf("skip: exit %d %s %s", code, out, errOut)
			}
			check("skip", out, "imported ", ": 9 organizations, 23 services, 16 taxonomy terms in ",
				"skipped 3 organizations, 9 services, 2 taxonomy terms", `created 1 taxonomy from their terms' names: "Palmetto 211 Local Service Tags" (`)
			if c := counts(); c["organizations"] != 9 || c["services"] != 23 || c["taxonomy_terms"] != base["taxonomy_terms"]+16 || c["taxonomies"] != base["taxonomies"]+2 {
				t.Fatalf("the skip import wrote %v", c)
			}

			if code, _, errOut := importCmd("--on-error=later"); code != 1 || !strings.Contains(errOut, "--on-error must be fail or skip") {
				t.Errorf("--on-error=later: exit %d %s", code, errOut)
			}
		})
	}
}

// A write the database refuses reads as its sentence, never the driver's.
func TestPlainError(t *testing.T) {
	driver := errors.New(`ERROR: insert or update on table "locations" violates foreign key constraint "locations_organization_id_fkey" (SQLSTATE 23503)`)
	err := fmt.Errorf("import x: write: %w", apperr.Wrap(driver, apperr.Unprocessable, "x.jsonl was not imported: the database refused it"))
	if got := plainError(slog.New(slog.DiscardHandler), err).Error(); got != "x.jsonl was not imported: the database refused it" {
		t.Errorf("plain error %q", got)
	}
	other := fmt.Errorf("import x: %w", apperr.Wrap(errors.New("open x: no such file or directory"), apperr.Invalid, "cannot read x"))
	if got := plainError(slog.New(slog.DiscardHandler), other).Error(); !strings.Contains(got, "no such file") {
		t.Errorf("an unreadable file should say why: %q", got)
	}
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"

	"github.com/linkage-org/linkage/internal/config"
	"github.com/linkage-org/linkage/internal/importer"
)

// cmdEligibility runs `linkage eligibility extract [--dry-run]`: the
// extractor over every service, storing its proposals as inferred criteria.
func cmdEligibility(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "extract" {
		fmt.Fprintln(stdout, "Usage: linkage eligibility extract [--dry-run]")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return errUsage
	}
	fs := flags("eligibility extract [--dry-run]", `Read every service's eligibility_description, fees_description and description and
store the criteria they state (ages, income limits, veterans, residency, ...) as eligibility
attributes marked inferred, with the phrase each came from. Codes a service already has are left
alone. Agencies confirm or reject each one (POST /services/{id}/eligibility/{attribute_id}).
Prints a JSON report.`, stdout)
	dry := fs.Bool("dry-run", false, "report what would be proposed without writing anything")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := importer.ExtractEligibility(ctx, st, "linkage eligibility extract", *dry, nil)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// Command linkage is the Linkage community resource directory: the HSDS API
// server and its operator commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	_ "time/tzdata" // location zones work on hosts and images without a zone database

	"github.com/linkage-org/linkage/internal/config"
)

const usage = `linkage: community resource directory and referral API (HSDS 3.1)

Usage:
  linkage <command> [flags]

Commands:
  serve              run the HTTP API (migrates first; loads the demo data into an empty database when LINKAGE_DEMO=true)
  migrate            apply database migrations and exit
  import [--dry-run] [--on-error skip] [--agency ID] [--extract-eligibility] PATH
                     load HSDS data: JSON array or JSON Lines of services/organizations/taxonomy terms, or a tabular data package (folder or .zip);
                     --on-error skip leaves out the records with problems (and those depending on them) and writes the rest
  export --format json|csv PATH
                     write the whole directory as JSON Lines or as an HSDS tabular data package
  reindex [--check]  rebuild the search index from the database (--check: compare them, exit 1 on a difference)
  apikey create [--agency ID] --role ROLE --name NAME
                     create an API key (admin, agency, caseworker or portal); prints it once
  import-postcodes FILE
                     load postcode centroids (US Census ZCTA Gazetteer format)
  seed demo          load the demo dataset (Palmetto County, FL)
  eligibility extract [--dry-run]
                     propose structured eligibility criteria from every service's free text (inferred, for agencies to confirm)
  seed synthetic --services N --seed S [--out FILE]
                     generate a realistic synthetic directory into the database (or a JSON Lines file)
  check-hsds [--per-page N] URL
                     validate a running HSDS 3.1 API against the HSDS JSON Schemas, as the Open Referral validator does
  version, --version print the version

Run 'linkage <command> --help' for a command's flags and the settings it reads.

Environment:
`

var version = "dev"

// versionLine names the build: the module version (or the -X version),
// the VCS revision and time, and whether the tree had changes.
func versionLine(bi *debug.BuildInfo, ok bool) string {
	v := version
	if !ok {
		return "linkage " + v
	}
	if mv := bi.Main.Version; v == "dev" && mv != "" && mv != "(devel)" {
		v = mv
	}
	line := "linkage " + v
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		line += " (" + rev
		if t := settings["vcs.time"]; t != "" {
			line += ", " + t
		}
		if settings["vcs.modified"] == "true" {
			line += ", modified"
		}
		line += ")"
	}
	return line + ", " + bi.GoVersion
}

func main() {
	ctx, stop := signalContext()
	defer stop()
	code := run(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// signalContext is the root context of every command: SIGTERM or SIGINT
// cancels it, and whatever the command waits on (queries, index batches,
// locks) ends. After the first signal the default comes back, so a second
// one stops the process at once, whatever a graceful stop still waits for.
func signalContext() (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() { <-ctx.Done(); stop() }()
	return ctx, stop
}

// run is main without the process: testable, and every exit path returns a code.
func run(ctx context.Context, args []string, env func(string) (string, bool), stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stdout)
		return 0
	}
	// Commands that read no settings work whatever the environment says.
	switch args[0] {
	case "version", "--version":
		fmt.Fprintln(stdout, versionLine(debug.ReadBuildInfo()))
		return 0
	case "check-hsds":
		return exitCode(ctx, args[0], cmdCheckHSDS(ctx, args[1:], stdout), stderr)
	}
	cfg, err := config.Load(env)
	if err != nil {
		fmt.Fprintf(stderr, "linkage: configuration: %v\n", err)
		return 2
	}
	log := newLogger(cfg, stderr)
	cmd, rest := args[0], args[1:]
	var runErr error
	switch cmd {
	case "serve":
		runErr = cmdServe(ctx, cfg, log, rest, stdout)
	case "migrate":
		runErr = cmdMigrate(ctx, cfg, log, rest, stdout)
	case "import":
		runErr = cmdImport(ctx, cfg, log, rest, stdout, stderr)
	case "export":
		runErr = cmdExport(ctx, cfg, log, rest, stdout)
	case "seed":
		runErr = cmdSeed(ctx, cfg, log, rest, stdout, stderr)
	case "reindex":
		runErr = cmdReindex(ctx, cfg, log, rest, stdout, stderr)
	case "apikey":
		runErr = cmdAPIKey(ctx, cfg, log, rest, stdout)
	case "import-postcodes":
		runErr = cmdImportPostcodes(ctx, cfg, log, rest, stdout)
	case "eligibility":
		runErr = cmdEligibility(ctx, cfg, log, rest, stdout)
	default:
		fmt.Fprintf(stderr, "linkage: unknown command %q\n\n", cmd)
		printUsage(stderr)
		return 2
	}
	return exitCode(ctx, cmd, runErr, stderr)
}

// exitCode reports how command cmd ended, on stderr, and gives its exit status.
func exitCode(ctx context.Context, cmd string, runErr error, stderr io.Writer) int {
	switch {
	case runErr == nil:
		return 0
	case errors.Is(runErr, flag.ErrHelp):
		return 0
	case errors.Is(runErr, errUsage):
		return 2
	case ctx.Err() != nil:
		fmt.Fprintf(stderr, "linkage %s: interrupted by a signal before it finished: %v\n", cmd, runErr)
		return 1
	default:
		fmt.Fprintf(stderr, "linkage %s: %v\n", cmd, runErr)
		return 1
	}
}

var errUsage = errors.New("usage")

func printUsage(w io.Writer) {
	fmt.Fprint(w, usage)
	config.WriteHelp(w, config.Settings())
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// flags builds a FlagSet whose --help prints the command's usage, its
// flags and the settings it reads (name begins with the command).
func flags(name, synopsis string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: linkage %s\n\n%s\n", name, strings.TrimSpace(synopsis))
		fs.PrintDefaults()
		if settings := config.For(strings.Fields(name)[0]); len(settings) > 0 {
			fmt.Fprint(out, "\nEnvironment (docs/configuration.md):\n")
			config.WriteHelp(out, settings)
		}
	}
	return fs
}

// parse parses args; a bad flag is a usage error (exit 2).
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}

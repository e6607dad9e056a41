package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/config"
	"github.com/linkage-org/linkage/internal/seal"
	"github.com/linkage-org/linkage/internal/store"
)

// cmdAPIKey creates API keys: `linkage apikey create --agency ID --role
// ROLE --name NAME`. The key is printed alone on the last line, so a script
// can take it with `tail -n 1`; it is stored only as a hash.
func cmdAPIKey(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(stdout, "Usage: linkage apikey create [--agency ID] --role admin|agency|caseworker|portal --name NAME")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return errUsage
	}
	fs := flags("apikey create [--agency ID] --role ROLE --name NAME", `Create an API key and print it. It is shown only now: Linkage keeps its hash.
Every role but admin belongs to an agency (--agency); admin keys belong to none.`, stdout)
	agency := fs.String("agency", "", "agency id (every role but admin)")
	roleName := fs.String("role", "", "admin, agency, caseworker or portal")
	name := fs.String("name", "", "what the key is for, e.g. the person or system using it")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	role, err := auth.ParseRole(*roleName)
	if err != nil {
		return fmt.Errorf("--role: %w", err)
	}
	*name = strings.TrimSpace(*name)
	switch {
	case *name == "" || len(*name) > store.MaxNameLen:
		return fmt.Errorf("--name: give what the key is for (at most %d characters)", store.MaxNameLen)
	case role.NeedsAgency() && *agency == "":
		return fmt.Errorf("--agency: a %s key belongs to an agency; give its id (GET /agencies lists them)", role)
	case !role.NeedsAgency() && *agency != "":
		return fmt.Errorf("--agency: admin keys belong to no agency")
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	var agencyID *string
	if *agency != "" {
		agencyID = agency
	}
	k, err := st.CreateKey(ctx, store.OperatorActor("cli", "cli"), agencyID, role, *name)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Created %s key %s (%s). It is shown once; keep it safe:\n", role, k.Prefix, k.ID)
	fmt.Fprintln(stdout, k.Key)
	return nil
}

// The demo agencies: two partner agencies managing demo organizations,
// and a case management agency managing none (its staff refer clients).
var demoAgencies = []struct {
	name string
	orgs []string
}{
	{"Greater Palmetto Food Network", []string{
		"2668a8c7-583f-5548-aa78-98c6a7f84363", // Greater Palmetto Food Bank
		"eb87cf6e-7ebf-5bf5-9a08-e18ba9737f92", // Bayside Community Kitchen
		"bc999952-40f5-5f60-a7b1-4c5808455a7a", // Meals at Home Palmetto
	}},
	{"Bayview Behavioral Health", []string{
		"dc39c38d-2bd8-5382-9c38-eb1c3cfa6023", // Bayview Behavioral Health Center
		"57c45521-b50f-5c62-ac28-0392b1fb1d0f", // Palmetto Crisis Center
	}},
	{"Palmetto Family Navigators", nil},
}

// demoKeysFile holds the demo keys in the data dir (demo mode only).
const demoKeysFile = "demo-keys.txt"

// ensureDemoAccess creates the demo agencies and one key per role on the
// first start of a demo, writes the keys to demo-keys.txt in the data dir,
// and returns that file's text (printed at every start).
func ensureDemoAccess(ctx context.Context, st *store.Store, dataDir string) (string, error) {
	path := filepath.Join(dataDir, demoKeysFile)
	if b, err := os.ReadFile(path); err == nil {
		return string(b), nil
	}
	existing, err := st.Agencies(ctx)
	if err != nil {
		return "", err
	}
	if len(existing) > 0 {
		return "", nil // an operator's agencies: no demo keys
	}
	var b strings.Builder
	b.WriteString("# Linkage demo API keys (demo mode only). Send one as: Authorization: Bearer <key>\n")
	if err := createDemoAccess(ctx, st, &b); err != nil {
		return "", fmt.Errorf("demo agencies: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return "", err
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return b.String(), nil
}

// demoKeys are the demo's keys: one per role, of the agency at that
// index in demoAgencies (-1: none).
var demoKeys = []struct {
	role   auth.Role
	agency int
	person string // the staff person the key acts for, if any
}{{auth.Admin, -1, ""}, {auth.Agency, 0, ""}, {auth.Agency, 1, ""}, {auth.Caseworker, 2, "Dana Reyes"}, {auth.Portal, 2, ""}}

// createDemoAccess creates the demo agencies and keys in one transaction,
// audited as the demo's operator, and writes a line per key to b.
func createDemoAccess(ctx context.Context, st *store.Store, b *strings.Builder) error {
	agencies := make([]store.AgencyChange, len(demoAgencies))
	for i := range demoAgencies {
		agencies[i] = store.AgencyChange{Name: &demoAgencies[i].name, OrganizationIDs: &demoAgencies[i].orgs}
	}
	keys := make([]store.KeySpec, len(demoKeys))
	for i, k := range demoKeys {
		keys[i] = store.KeySpec{Agency: k.agency, Role: k.role, Name: "demo " + string(k.role)}
		if k.person != "" {
			email, role := strings.ToLower(strings.ReplaceAll(k.person, " ", "."))+"@demo.example", string(k.role)
			keys[i].Person = &store.PersonInput{Name: &k.person, Email: &email, Role: &role}
		}
	}
	_, created, err := st.SetUpAccess(ctx, store.OperatorActor("demo", "demo"), agencies, keys)
	if err != nil {
		return err
	}
	for i, k := range demoKeys {
		label := "no agency"
		if k.agency >= 0 {
			label = demoAgencies[k.agency].name
		}
		if k.person != "" {
			label += " (" + k.person + ")"
		}
		fmt.Fprintf(b, "%-10s  %-32s  %s\n", k.role, label, created[i].Key)
	}
	return nil
}

// dataKeyFile holds the generated data key of demo mode.
const dataKeyFile = "data-key.txt"

// errSharedDataKey is why `serve` on PostgreSQL will not start without
// LINKAGE_DATA_KEY. Every replica seals and opens the same rows, so they
// need one key given to all of them: a replica whose key went missing (a
// Secret not mounted) would refuse cases and referrals while the others
// served them, and demo mode's key, generated into one replica's data dir
// (an emptyDir or tmpfs in the shipped manifests), would seal values no
// other replica, nor this one after a restart, could read.
var errSharedDataKey = errors.New("LINKAGE_DATA_KEY is not set: with PostgreSQL every replica needs the same data key " +
	"(it seals client details, notes and webhook secrets). Make one with `openssl rand -base64 32`, " +
	"give it to every replica, and keep a copy apart from the database backups")

// requireSharedDataKey refuses a PostgreSQL server without LINKAGE_DATA_KEY;
// SQLite (one process, its key file beside its database) keeps demo mode's
// generated key and the directory-only mode without one.
func requireSharedDataKey(cfg config.Config) error {
	if cfg.DataKey != "" {
		return nil
	}
	if dialect, _, err := store.ParseURL(cfg.DatabaseURL); err == nil && dialect == store.Postgres {
		return errSharedDataKey
	}
	return nil
}

// dataKeys builds the keyring that seals personal data: LINKAGE_DATA_KEY
// (with LINKAGE_DATA_KEYS_OLD for reading), or in demo mode a key generated
// once into the data dir. Without either, cases and referrals are refused
// (503) while the directory still serves.
func dataKeys(cfg config.Config, log *slog.Logger) (*seal.Keyring, error) {
	key := cfg.DataKey
	if key == "" && cfg.Demo {
		path := filepath.Join(cfg.DataDir, dataKeyFile)
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			key = strings.TrimSpace(string(b))
		case errors.Is(err, os.ErrNotExist):
			if key, err = seal.NewKey(); err != nil {
				return nil, err
			}
			if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
				return nil, fmt.Errorf("create data dir: %w", err)
			}
			if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
				return nil, fmt.Errorf("write demo data key: %w", err)
			}
			log.Warn("demo mode: generated a data key for personal data; set LINKAGE_DATA_KEY in production", "file", path)
		default:
			return nil, fmt.Errorf("read demo data key: %w", err)
		}
	}
	if key == "" {
		log.Warn("LINKAGE_DATA_KEY is not set: cases and referrals are unavailable (503) until it is")
		return nil, nil
	}
	k, err := seal.Parse(key, cfg.DataKeysOld...)
	if err != nil {
		return nil, fmt.Errorf("LINKAGE_DATA_KEY: %w", err)
	}
	return k, nil
}

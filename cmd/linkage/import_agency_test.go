package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/linkage-org/linkage/internal/config"
	"github.com/linkage-org/linkage/internal/store"
)

// `linkage import --agency ID` imports as that agency: its organizations
// only, and no nested record another agency holds.
func TestImportAsAgency(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	env := envMap(map[string]string{"LINKAGE_DATA_DIR": dir})
	for _, f := range []string{"../../seed/demo/taxonomy.json", "../../seed/demo/organizations.json"} {
		if code := run(ctx, []string{"import", f}, env, io.Discard, io.Discard); code != 0 {
			t.Fatalf("import %s: exit %d", f, code)
		}
	}
	cfg, err := config.Load(env)
	if err != nil {
		t.Fatal(err)
	}
	st, err := openStore(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	const foodBank, crisis = "2668a8c7-583f-5548-aa78-98c6a7f84363", "57c45521-b50f-5c62-ac28-0392b1fb1d0f"
	var agencyB string
	_, err = st.Fixture(ctx, func(tx store.Fixture) error {
		if _, err := tx.CreateAgency(ctx, "Food Network", []string{foodBank}); err != nil {
			return err
		}
		b, err := tx.CreateAgency(ctx, "Crisis Services", []string{crisis})
		agencyB = b.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	first := func(org string) map[string]any {
		svcs, _, err := st.ListServices(ctx, store.Filter{OrganizationID: org}, store.Paging{Number: 1, Size: 1}, store.ShapeList)
		if err != nil || len(svcs) == 0 {
			t.Fatalf("a service of %s: %v", org, err)
		}
		s, err := st.ServiceByID(ctx, svcs[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(s)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return m
	}
	a, b := first(foodBank), first(crisis)
	phones, _ := a["phones"].([]any)
	if len(phones) == 0 {
		t.Fatal("the food bank's first service has no phone")
	}
	phoneA := phones[0].(map[string]any)
	phoneA["number"] = "305-555-0666"
	delete(phoneA, "service_id")
	b["phones"] = []any{phoneA}
	_ = st.Close()
	line, _ := json.Marshal(b)
	file := filepath.Join(dir, "takeover.jsonl")
	if err := os.WriteFile(file, append(line, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}

	var out, errOut bytes.Buffer
	code := run(ctx, []string{"import", "--agency", agencyB, file}, env, &out, &errOut)
	if code != 1 || !strings.Contains(out.String(), "takeover.jsonl:1") || !strings.Contains(out.String(), phoneA["id"].(string)) ||
		!strings.Contains(out.String(), "does not manage") {
		t.Fatalf("agency B imports A's phone: exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
	// An unknown agency is refused; the operator may move the phone.
	out.Reset()
	if code := run(ctx, []string{"import", "--agency", "00000000-0000-4000-8000-000000000000", file}, env, &out, &errOut); code == 0 {
		t.Errorf("an unknown agency: exit 0: %s", out.String())
	}
	if code := run(ctx, []string{"import", file}, env, &out, &errOut); code != 0 {
		t.Fatalf("operator import: exit %d: %s %s", code, out.String(), errOut.String())
	}
}

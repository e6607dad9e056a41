package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/config"
	"github.com/linkage-org/linkage/internal/httpapi"
	"github.com/linkage-org/linkage/internal/indexsync"
	"github.com/linkage-org/linkage/internal/indexsync/indexsynctest"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// Demo mode makes three agencies and a key of every role once, keeps them in
// demo-keys.txt, and each key works as its role. The creations are in the
// audit log, as the API's and the CLI's are.
func TestDemoAccess(t *testing.T) {
	storetest.Each(t, testDemoAccess)
}

func testDemoAccess(t *testing.T, st *store.Store) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := loadDemo(ctx, st, storetest.Logger()); err != nil {
		t.Fatal(err)
	}
	text, err := ensureDemoAccess(ctx, st, dir)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ensureDemoAccess(ctx, st, dir)
	if err != nil || again != text {
		t.Fatalf("second start: %v, keys changed: %v", err, again != text)
	}
	agencies, err := st.Agencies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	managing := 0
	for _, a := range agencies {
		if len(a.OrganizationIDs) > 0 {
			managing++
		}
	}
	if len(agencies) != 3 || managing != 2 {
		t.Fatalf("%d demo agencies, %d managing organizations; want 3 and 2", len(agencies), managing)
	}
	if fi, err := os.Stat(filepath.Join(dir, demoKeysFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("demo-keys.txt: %v %v", fi, err)
	}

	e, err := httpapi.New(httpapi.Deps{Store: st, Index: indexsynctest.Ready(t, st, indexsync.Options{}), Logger: storetest.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	defer srv.Close()
	roles := map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || strings.HasPrefix(line, "#") {
			continue
		}
		key := f[len(f)-1]
		req, _ := http.NewRequest("GET", srv.URL+"/me", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var me struct{ Role string }
		_ = json.NewDecoder(resp.Body).Decode(&me)
		resp.Body.Close()
		if resp.StatusCode != 200 || me.Role != f[0] {
			t.Errorf("demo %s key: %d, role %q", f[0], resp.StatusCode, me.Role)
		}
		roles[me.Role] = true
	}
	for _, r := range auth.Roles {
		if !roles[string(r)] {
			t.Errorf("no demo key for role %s", r)
		}
	}

	var admin string
	for _, line := range strings.Split(text, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "admin" {
			admin = f[len(f)-1]
		}
	}
	req, _ := http.NewRequest("GET", srv.URL+"/audit?per_page=100", nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var log struct {
		Contents []struct {
			Role         string  `json:"role"`
			AgencyID     *string `json:"agency_id"`
			Action       string  `json:"action"`
			ResourceType string  `json:"resource_type"`
			ResourceID   string  `json:"resource_id"`
			ClientAddr   string  `json:"client_addr"`
			RequestID    string  `json:"request_id"`
			Detail       string  `json:"detail"`
		} `json:"contents"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&log)
	resp.Body.Close()
	created := map[string]int{}
	for _, e := range log.Contents {
		if e.Role != "operator" || e.Action != "create" || e.ClientAddr != "demo" || e.RequestID != "demo" || e.ResourceID == "" {
			t.Errorf("audit entry %+v", e)
		}
		if e.ResourceType == "api_key" && (e.AgencyID == nil) != (e.Detail == "role=admin") {
			t.Errorf("key entry %+v: only the admin key belongs to no agency", e)
		}
		if e.ResourceType == "agency" && (e.AgencyID == nil || *e.AgencyID != e.ResourceID) {
			t.Errorf("agency entry %+v names another agency", e)
		}
		created[e.ResourceType]++
	}
	if created["agency"] != 3 || created["api_key"] != len(auth.Roles)+1 || created["person"] != 1 || len(created) != 3 {
		t.Errorf("audit log after the demo's first start: %v, want 3 agencies, %d keys and the caseworker key's person", created, len(auth.Roles)+1)
	}
}

// `linkage apikey create` prints the key alone on its last line, and
// refuses what cannot be a key.
func TestCLI_APIKey(t *testing.T) {
	dir := t.TempDir()
	env := envMap(map[string]string{"LINKAGE_DATA_DIR": dir})
	ctx := context.Background()
	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"apikey", "create", "--role", "admin", "--name", "ops"}, env, &out, &errOut); code != 0 {
		t.Fatalf("admin key: exit %d: %s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if last := lines[len(lines)-1]; !auth.WellFormed(last) {
		t.Fatalf("last line %q is not a key", last)
	}
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "linkage.db"), storetest.Logger())
	if err != nil {
		t.Fatal(err)
	}
	entries, _, err := st.AuditLog(ctx, store.AuditFilter{ResourceType: "api_key"}, store.Paging{Number: 1, Size: 10})
	st.Close()
	if err != nil || len(entries) != 1 || entries[0].Role != "operator" || entries[0].ClientAddr != "cli" || entries[0].Detail != "role=admin" {
		t.Fatalf("audit of the CLI's key: %+v %v", entries, err)
	}
	for _, args := range [][]string{
		{"apikey", "create", "--role", "agency", "--name", "x"},                                                         // no agency
		{"apikey", "create", "--role", "root", "--name", "x"},                                                           // no such role
		{"apikey", "create", "--role", "admin"},                                                                         // no name
		{"apikey", "create", "--role", "admin", "--name", "x", "--agency", storetest.ID("a")},                           // admin with an agency
		{"apikey", "create", "--role", "caseworker", "--name", "x", "--agency", "00000000-0000-0000-0000-000000000000"}, // unknown agency
	} {
		out.Reset()
		errOut.Reset()
		if code := run(ctx, args, env, &out, &errOut); code == 0 || errOut.Len() == 0 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut.String())
		}
	}
}

// Demo keys go to a person's terminal, never into a JSON log stream.
func TestShowDemoKeys(t *testing.T) {
	const keys = "agency   Food Network   lnk_12345678_secret\n"
	for format, shown := range map[string]bool{"text": true, "json": false} {
		var out, logs bytes.Buffer
		log := slog.New(slog.NewJSONHandler(&logs, nil))
		showDemoKeys(&out, log, config.Config{LogFormat: format, DataDir: "data"}, keys)
		if strings.Contains(out.String(), "lnk_") != shown || strings.Contains(logs.String(), "lnk_") {
			t.Errorf("%s logs: stdout %q, log %q", format, out.String(), logs.String())
		}
		if !shown && !strings.Contains(logs.String(), demoKeysFile) {
			t.Errorf("json logs do not say where the keys are: %q", logs.String())
		}
	}
}

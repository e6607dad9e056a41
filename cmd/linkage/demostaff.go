package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/store"
)

// demoStaffFile keeps the demo's console accounts, printed at each start.
const demoStaffFile = "demo-staff.txt"

// demoStaff are the demo's console accounts, one per role: the agency of
// demoAgencies at that index, and the person (Dana Reyes already acts
// for the demo caseworker key).
var demoStaff = []struct {
	role   auth.Role
	agency int
	name   string
}{{auth.Caseworker, 2, "Dana Reyes"}, {auth.Agency, 0, "Sam Okafor"}, {auth.Admin, 2, "Alex Morgan"}}

// ensureDemoStaff gives the demo agencies their console accounts with
// generated passwords, once, and returns the lines to print ("" when the
// agencies are not the demo's).
func ensureDemoStaff(ctx context.Context, st *store.Store, dataDir string) (string, error) {
	path := filepath.Join(dataDir, demoStaffFile)
	if b, err := os.ReadFile(path); err == nil {
		return string(b), nil
	}
	agencies, err := st.Agencies(ctx)
	if err != nil {
		return "", err
	}
	byName := map[string]string{}
	for _, a := range agencies {
		byName[a.Name] = a.ID
	}
	var b strings.Builder
	b.WriteString("# Linkage demo console accounts (demo mode only): sign in at /app\n")
	op := store.OperatorActor("demo", "demo")
	for _, d := range demoStaff {
		agencyID := byName[demoAgencies[d.agency].name]
		if agencyID == "" {
			return "", nil
		}
		email := strings.ToLower(strings.ReplaceAll(d.name, " ", ".")) + "@demo.example"
		id, err := demoPerson(ctx, st, op, agencyID, d.name, email, string(d.role))
		if err != nil {
			return "", err
		}
		pw := demoPassword()
		if err := st.SetPasswordDirect(ctx, op, id, pw); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%-10s  %-32s  %-28s  %s\n", d.role, demoAgencies[d.agency].name, email, pw)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return b.String(), nil
}

// demoPerson is the id of the person of agencyID with email, made if new.
func demoPerson(ctx context.Context, st *store.Store, op store.Actor, agencyID, name, email, role string) (string, error) {
	people, _, err := st.People(ctx, agencyID, store.Paging{Number: 1, Size: 100})
	if err != nil {
		return "", err
	}
	for _, p := range people {
		if p.Email == email {
			return p.ID, nil
		}
	}
	p, err := st.CreatePerson(ctx, op, agencyID, store.PersonInput{Name: &name, Email: &email, Role: &role})
	return p.ID, err
}

// demoPassword is a random password of 16 letters and digits in groups
// of four, easy to type from a terminal.
func demoPassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	var out strings.Builder
	for i, x := range b {
		if i > 0 && i%4 == 0 {
			out.WriteByte('-')
		}
		out.WriteByte(alphabet[int(x)%len(alphabet)])
	}
	return out.String()
}

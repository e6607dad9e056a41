package auth

import (
	"strings"
	"testing"
)

func TestNewKey(t *testing.T) {
	k1, p1, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	k2, _, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	if k1 == k2 {
		t.Fatal("two keys are equal")
	}
	if !strings.HasPrefix(k1, p1+"_") || !WellFormed(k1) {
		t.Fatalf("key %q (prefix %q) is not well formed", k1, p1)
	}
	if string(Hash(k1)) == string(Hash(k2)) || len(Hash(k1)) != 32 {
		t.Fatal("hashes of different keys are equal, or not SHA-256")
	}
	for _, bad := range []string{"", "lnk_", k1[:len(k1)-1], "xyz" + k1[3:], strings.Replace(k1, "_", "-", 2), k1 + "A"} {
		if WellFormed(bad) {
			t.Errorf("WellFormed(%q) = true", bad)
		}
	}
}

func TestParseRole(t *testing.T) {
	for _, r := range []string{"admin", "Agency", " caseworker ", "portal"} {
		if _, err := ParseRole(r); err != nil {
			t.Errorf("ParseRole(%q): %v", r, err)
		}
	}
	for _, r := range []string{"", "root", "anonymous"} {
		if _, err := ParseRole(r); err == nil {
			t.Errorf("ParseRole(%q) accepted", r)
		}
	}
}

func TestWrite(t *testing.T) {
	const own, other = "own-org", "other-org"
	agency := Principal{Role: Agency, AgencyID: "a", Organizations: []string{own}}
	cases := []struct {
		name          string
		p             Principal
		owner, before string
		newOrg        bool
		want          Decision
	}{
		{"anonymous", Principal{}, own, own, false, Unauthenticated},
		{"admin, any record", Principal{Role: Admin}, other, other, false, Allow},
		{"agency, own record", agency, own, own, false, Allow},
		{"agency, new record in own organization", agency, own, "", false, Allow},
		{"agency, another agency's record", agency, other, other, false, Forbidden},
		{"agency, new record in another organization", agency, other, "", false, Forbidden},
		{"agency, moves own record away", agency, other, own, false, Forbidden},
		{"agency, takes another's record", agency, own, other, false, Forbidden},
		{"agency, new organization", agency, "new", "", true, Allow},
		{"caseworker", Principal{Role: Caseworker, Organizations: []string{own}}, own, own, false, Forbidden},
		{"portal", Principal{Role: Portal}, own, own, false, Forbidden},
	}
	for _, c := range cases {
		if got := Write(c.p, c.owner, c.before, c.newOrg); got != c.want {
			t.Errorf("%s: Write = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestAdminOnly(t *testing.T) {
	for role, want := range map[Role]Decision{Admin: Allow, Agency: Forbidden, Caseworker: Forbidden, Portal: Forbidden, Anonymous: Unauthenticated} {
		if got := AdminOnly(Principal{Role: role}); got != want {
			t.Errorf("AdminOnly(%q) = %v, want %v", role, got, want)
		}
	}
}

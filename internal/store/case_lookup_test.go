package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/referral"
	"github.com/linkage-org/linkage/internal/store"
)

// lookupDigests are the case_lookup rows of case id, as "kind digest", and
// every column of them as text.
func lookupDigests(t *testing.T, s *store.Store, id string) (map[string]bool, string) {
	t.Helper()
	rows, err := s.DB().Query(`SELECT case_id, agency_id, kind, digest FROM case_lookup WHERE case_id = $1`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	var all strings.Builder
	for rows.Next() {
		var c, a, k, d string
		if err := rows.Scan(&c, &a, &k, &d); err != nil {
			t.Fatal(err)
		}
		out[d] = true
		all.WriteString(strings.Join([]string{c, a, k, d}, "|") + "\n")
	}
	return out, all.String()
}

func TestStore_CaseLookup(t *testing.T) {
	eachReferralEnv(t, func(t *testing.T, e *referralEnv) {
		ctx := context.Background()
		other := e.receiver
		other.Principal.Role = auth.Caseworker
		in := testCase()
		in.Client = &referral.Client{GivenName: "María", FamilyName: "Lopez", BirthDate: "1988-04-12"}
		mine, _, err := e.s.CreateCase(ctx, e.sender, in, store.Idempotency{})
		if err != nil {
			t.Fatal(err)
		}
		in2 := testCase()
		in2.Client = in.Client
		theirs, _, err := e.s.CreateCase(ctx, other, in2, store.Idempotency{})
		if err != nil {
			t.Fatal(err)
		}
		t.Run("RevealsNothing", func(t *testing.T) {
			a, rawA := lookupDigests(t, e.s, mine.ID)
			b, rawB := lookupDigests(t, e.s, theirs.ID)
			if len(a) != 3 || len(b) != 3 { // maria, lopez, the birth date
				t.Fatalf("digests: %d and %d, want 3 each", len(a), len(b))
			}
			for d := range a {
				if b[d] {
					t.Errorf("the same name in two agencies has the same digest %s", d)
				}
			}
			for _, v := range []string{"maria", "María", "lopez", "1988-04-12", "name\x00maria", "birth_date\x001988-04-12"} {
				sum := sha256.Sum256([]byte(v))
				if a[hex.EncodeToString(sum[:])] || b[hex.EncodeToString(sum[:])] {
					t.Errorf("a digest is the unkeyed SHA-256 of %q", v)
				}
			}
			for _, clear := range []string{"maria", "mar", "lopez", "1988", "María"} {
				if strings.Contains(strings.ToLower(rawA+rawB), strings.ToLower(clear)) {
					t.Errorf("the lookup rows hold %q: %s%s", clear, rawA, rawB)
				}
			}
		})
		t.Run("OwnAgencyOnly", func(t *testing.T) {
			for _, tt := range []struct {
				a    store.Actor
				want []string
			}{{e.sender, []string{e.cs.ID, mine.ID}}, {other, []string{theirs.ID}}} {
				cases, total, err := e.s.ListCases(ctx, tt.a, store.CaseFilter{Search: []string{"maria", "lopez"}}, store.Paging{Number: 1, Size: 10})
				var got []string
				for _, c := range cases {
					got = append(got, c.ID)
				}
				slices.Sort(got)
				want := slices.Sorted(slices.Values(tt.want))
				if err != nil || total != int64(len(want)) || !slices.Equal(got, want) {
					t.Errorf("search as %s: %v %d %v, want %v", tt.a.Principal.AgencyID, got, total, err, want)
				}
			}
			cases, _, err := e.s.ListCases(ctx, e.sender, store.CaseFilter{Search: []string{"maria"}, BirthDate: "1988-04-13"}, store.Paging{Number: 1, Size: 10})
			if err != nil || len(cases) != 0 {
				t.Errorf("another birth date: %d cases %v", len(cases), err)
			}
		})
	})
}

func TestNameTokens(t *testing.T) {
	for in, want := range map[string]string{
		"María":             "maria",
		"Pérez-Soto":        "perez soto",
		"O'Brien, Seán":     "obrien sean",
		"  ANA   ana  ":     "ana",
		"Nguyễn Thị Thu":    "nguyen thi thu",
		"!!!":               "",
		"Zoë Ångström-Lund": "zoe angstrom lund",
	} {
		if got := strings.Join(store.NameTokens(in), " "); got != want {
			t.Errorf("NameTokens(%q) = %q, want %q", in, got, want)
		}
	}
}

package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

func digest(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

func claim(t *testing.T, s *store.Store, agency, key, hash, id string) (string, error) {
	t.Helper()
	return s.ClaimIdempotencyKey(context.Background(), agency, key, "referral", hash, id)
}

func storedKeys(t *testing.T, s *store.Store) []string {
	t.Helper()
	rows, err := s.DB().Query("SELECT key FROM idempotency_keys ORDER BY key")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// The table holds a digest of each Idempotency-Key, never the key a client
// sent; a retry with the key still answers the first creation.
func TestStore_IdempotencyKeyDigest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		agencyA, agencyB := storetest.ID("agency a"), storetest.ID("agency b")
		const key = "maria-lopez-food-1"
		first := storetest.ID("referral 1")
		if prior, err := claim(t, s, agencyA, key, "body-1", first); err != nil || prior != "" {
			t.Fatalf("first claim: %q %v", prior, err)
		}
		if got := storedKeys(t, s); len(got) != 1 || got[0] == key || got[0] != digest(key) {
			t.Fatalf("stored keys %q, want only the SHA-256 of %q", got, key)
		}
		if prior, err := claim(t, s, agencyA, key, "body-1", storetest.ID("referral 2")); err != nil || prior != first {
			t.Errorf("replay: %q %v, want the first referral %s", prior, err, first)
		}
		if _, err := claim(t, s, agencyA, key, "body-2", storetest.ID("referral 3")); apperr.KindOf(err) != apperr.Unprocessable {
			t.Errorf("the key with another body: %v, want Unprocessable", err)
		}
		// Still scoped to the agency: another agency's same key is its own.
		if prior, err := claim(t, s, agencyB, key, "body-1", storetest.ID("referral 4")); err != nil || prior != "" {
			t.Errorf("another agency's claim of the same key: %q %v", prior, err)
		}
	})
}

// Keys stored in plain text before the digest migration do not stay: on
// PostgreSQL they are hashed in place (a retry across the upgrade still
// replays), on SQLite, which has no SHA-256 in SQL, they are dropped.
func TestStore_IdempotencyDigestMigration(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			s, err := store.Open(ctx, storetest.URL(t, d), storetest.Logger())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			if err := s.MigrateTo(ctx, 5); err != nil {
				t.Fatal(err)
			}
			agency, id := storetest.ID("agency a"), storetest.ID("referral 1")
			const key = "maria-lopez-food-1"
			_, err = s.DB().ExecContext(ctx, `INSERT INTO idempotency_keys (agency_id, key, request_hash, resource_type, resource_id, created_at)
				VALUES ($1, $2, $3, $4, $5, $6)`, agency, key, "body-1", "referral", id, time.Now().UTC())
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			got := storedKeys(t, s)
			prior, err := claim(t, s, agency, key, "body-1", storetest.ID("referral 2"))
			if err != nil {
				t.Fatal(err)
			}
			switch d {
			case store.Postgres:
				if len(got) != 1 || got[0] != digest(key) || prior != id {
					t.Errorf("after the migration: keys %q, replay %q; want the digest and the first referral", got, prior)
				}
			default:
				if len(got) != 0 || prior != "" {
					t.Errorf("after the migration: keys %q, replay %q; want none", got, prior)
				}
			}
		})
	}
}

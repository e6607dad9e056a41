package store_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// TestPGArray_RoundTrip: the loaders' array parameter reads back in
// PostgreSQL as the very strings it was given, whatever they hold.
func TestPGArray_RoundTrip(t *testing.T) {
	st := storetest.Open(t, store.Postgres)
	ids := []string{"8c7f5a0e-3b1d-4c2a-9e6f-1a2b3c4d5e6f", `with "quotes"`, `back\slash`, "comma,brace{}", "space s", "", "NULL", "ünïcødé"}
	v, err := store.PGArrayValue(ids)
	if err != nil {
		t.Fatal(err)
	}
	var got string
	if err := st.DB().QueryRowContext(context.Background(), "SELECT array_to_json($1::text[])::text", v).Scan(&got); err != nil {
		t.Fatal(err)
	}
	var back []string
	if err := json.Unmarshal([]byte(got), &back); err != nil {
		t.Fatalf("%s: %v", got, err)
	}
	if !slices.Equal(back, ids) {
		t.Fatalf("read back %q, want %q", back, ids)
	}
}

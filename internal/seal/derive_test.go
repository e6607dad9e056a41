package seal_test

import (
	"bytes"
	"testing"

	"github.com/linkage-org/linkage/internal/seal"
)

func TestKeyring_DeriveKeys(t *testing.T) {
	k1, _ := seal.NewKey()
	k2, _ := seal.NewKey()
	ring, err := seal.Parse(k2, k1)
	if err != nil {
		t.Fatal(err)
	}
	old, _ := seal.Parse(k1)
	a, _ := ring.DeriveKeys("agency:a")
	b, _ := ring.DeriveKeys("agency:b")
	again, _ := ring.DeriveKeys("agency:a")
	fromOld, _ := old.DeriveKeys("agency:a")
	if len(a) != 2 || len(a[0]) != 32 || !bytes.Equal(a[0], again[0]) {
		t.Fatalf("derived keys: %d, not stable", len(a))
	}
	if bytes.Equal(a[0], b[0]) || bytes.Equal(a[0], a[1]) {
		t.Error("two labels, or two data keys, derive the same key")
	}
	// The older key's derivation is the one it made when it was current.
	if !bytes.Equal(a[1], fromOld[0]) {
		t.Error("an older key derives another key than it did as the current one")
	}
}

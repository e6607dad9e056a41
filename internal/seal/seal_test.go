package seal

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestSeal_RoundTripAndRotation(t *testing.T) {
	oldKey, _ := NewKey()
	newKey, _ := NewKey()
	before, err := Parse(oldKey)
	if err != nil {
		t.Fatal(err)
	}
	ad := []byte("case:1/client")
	sealed, err := before.Seal([]byte("Ana Diaz"), ad)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "Ana") || KeyIDOf(sealed) != before.CurrentID() {
		t.Fatalf("sealed value %q leaks or lacks its key id", sealed)
	}
	again, _ := before.Seal([]byte("Ana Diaz"), ad)
	if again == sealed {
		t.Error("two seals of one value are equal: the nonce is not random")
	}
	// Rotate: the new key seals, the old one still opens old values.
	after, err := Parse(newKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := after.Open(sealed, ad); err != nil || !bytes.Equal(got, []byte("Ana Diaz")) {
		t.Fatalf("Open after rotation = %q, %v", got, err)
	}
	fresh, _ := after.Seal([]byte("x"), ad)
	if KeyIDOf(fresh) == KeyIDOf(sealed) {
		t.Error("after rotation new values still use the old key")
	}
	// Without the old key, the old value names the missing key.
	only, _ := Parse(newKey)
	if _, err := only.Open(sealed, ad); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Open without the old key: %v", err)
	}
	// A value moved to another record does not open.
	if _, err := after.Open(sealed, []byte("case:2/client")); err == nil {
		t.Error("a value opened under other additional data")
	}
	// Tampering is detected.
	b := []byte(sealed)
	b[len(b)-2] ^= 1
	if _, err := after.Open(string(b), ad); err == nil {
		t.Error("a tampered value opened")
	}
}

func TestSeal_ParseRejectsBadKeys(t *testing.T) {
	for _, k := range []string{"", "c2hvcnQ=", "not base64!!"} {
		if _, err := Parse(k); err == nil {
			t.Errorf("Parse(%q) accepted", k)
		}
	}
}

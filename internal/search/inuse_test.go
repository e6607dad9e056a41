package search

import (
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// An index another opener holds is reported in use at once, and Open gives
// up after lockWait with ErrInUse instead of waiting for the lock forever.
// (Bleve's lock is a flock, which two opens conflict on even in one process.)
func TestIndex_InUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index")
	if InUse(path) {
		t.Fatal("a missing index is in use")
	}
	ix, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if !InUse(path) {
		t.Fatal("an open index is not reported in use")
	}
	start := time.Now()
	_, err = Open(path)
	if !errors.Is(err, ErrInUse) || errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open of an index held open: %v, want ErrInUse (not a reason to rebuild)", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("Open waited %s for the lock", took)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if InUse(path) {
		t.Fatal("a closed index is still in use")
	}
	ix, err = Open(path)
	if err != nil {
		t.Fatalf("Open after the holder closed it: %v", err)
	}
	_ = ix.Close()
}

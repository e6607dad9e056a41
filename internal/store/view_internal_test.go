package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/seal"
)

// A view of a transaction is the store bound to the transaction: it must
// see every setting of the store (clock, keyring, hooks, counters), not the
// ones someone remembered to copy.
func TestTx_ViewSharesSettings(t *testing.T) {
	ctx := context.Background()
	key, err := seal.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := seal.Parse(key)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	hooked := 0
	s, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "view.db"), nil,
		WithClock(func() time.Time { return at }), WithKeyring(keys), WithBeforeCommit(func() { hooked++ }), WithDefaultTZ("Europe/Paris"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	err = s.inTx(ctx, func(tx *txn) error {
		v := tx.View()
		if v.shared != s.shared {
			t.Fatal("the view has settings of its own")
		}
		if !v.now().Equal(at) || v.keys != keys || v.defaultTZ != "Europe/Paris" || v.beforeCommit == nil {
			t.Fatalf("the view lost a setting: now %v, keys %v, tz %q", v.now(), v.keys != nil, v.defaultTZ)
		}
		v.beforeCommit()
		before := s.QueryCount()
		if err := v.db.WithContext(ctx).Exec("SELECT 1").Error; err != nil {
			return err
		}
		if s.QueryCount() != before+1 || v.QueryCount() != s.QueryCount() {
			t.Fatalf("the view's statements are not counted: %d then %d", before, s.QueryCount())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if hooked != 1 {
		t.Fatalf("before-commit hook ran %d times through the view, want 1", hooked)
	}
}

package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// A transaction with deferred foreign keys whose rows name a record that
// does not exist fails with a client's error, before its COMMIT, and
// leaves the database writable (SQLite used to keep the failed
// transaction open on a pooled connection, and every later write failed).
func TestStore_DeferredReferencesChecked(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.Organization("dangling", 1, "T-1")
		org.Services[0].Phones[0].ContactID = storetest.ID("no such contact")
		docs := &store.Documents{Terms: []hsds.TaxonomyTerm{storetest.Term("T-1", "")}, Organizations: []hsds.Organization{org}}
		_, err := st.Fixture(ctx, func(tx store.Fixture) error {
			if err := tx.DeferConstraints(ctx); err != nil {
				return err
			}
			return tx.WriteDocuments(ctx, docs, "import", "test")
		})
		if apperr.KindOf(err) != apperr.Unprocessable {
			t.Fatalf("a phone naming no contact: %v, want a 422-kind error", err)
		}
		// What a person reads names the records in plain words, on both
		// databases, and never quotes the driver.
		e, _ := apperr.As(err)
		if !strings.Contains(e.Msg, "phone") || !strings.Contains(e.Msg, "contact") || !strings.Contains(e.Msg, "does not exist") {
			t.Errorf("message %q should say which record names what", e.Msg)
		}
		for _, raw := range []string{"SQLSTATE", "violates", "FOREIGN KEY", "foreign key", "constraint", "_fkey"} {
			if strings.Contains(e.Msg, raw) {
				t.Errorf("message %q quotes the database (%s)", e.Msg, raw)
			}
		}
		for i := range 3 { // every pooled connection can write afterwards
			ok := storetest.Organization("fine"+string(rune('a'+i)), 1, "T-1")
			_, err := st.Fixture(ctx, func(tx store.Fixture) error {
				return tx.WriteDocuments(ctx, &store.Documents{Terms: []hsds.TaxonomyTerm{storetest.Term("T-1", "")}, Organizations: []hsds.Organization{ok}}, "import", "test")
			})
			if err != nil {
				t.Fatalf("a write after the refused one: %v", err)
			}
		}
	})
}

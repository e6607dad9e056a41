package storetest

import (
	"context"
	"testing"

	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/store"
)

// Access is a fixture's agencies and keys, made in one transaction and
// left out of the audit log, so a test's audit log holds only what the
// test did.
type Access struct {
	Agencies []store.AgencyChange
	Keys     []store.KeySpec
}

// SetUp creates x in st and returns the agencies' ids and the keys'
// secrets, in x's order.
func (x Access) SetUp(t testing.TB, st *store.Store) (agencies, keys []string) {
	t.Helper()
	ctx := context.Background()
	_, err := st.Fixture(ctx, func(tx store.Fixture) error {
		for _, a := range x.Agencies {
			var orgs []string
			if a.OrganizationIDs != nil {
				orgs = *a.OrganizationIDs
			}
			ag, err := tx.CreateAgency(ctx, *a.Name, orgs)
			if err != nil {
				return err
			}
			agencies = append(agencies, ag.ID)
		}
		for _, k := range x.Keys {
			var agency *string
			if k.Agency >= 0 {
				agency = &agencies[k.Agency]
			}
			created, err := tx.NewKey(ctx, agency, k.Role, k.Name)
			if err != nil {
				return err
			}
			keys = append(keys, created.Key)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("set up agencies and keys: %v", err)
	}
	return agencies, keys
}

// NewAgency is the change that creates agency name managing orgs.
func NewAgency(name string, orgs ...string) store.AgencyChange {
	return store.AgencyChange{Name: &name, OrganizationIDs: &orgs}
}

// NewKey is a key of role named name, of the agency at index agency (-1:
// none).
func NewKey(agency int, role auth.Role, name string) store.KeySpec {
	return store.KeySpec{Agency: agency, Role: role, Name: name}
}

package store

import (
	"context"

	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/eligibility"
	"github.com/linkage-org/linkage/internal/hsds"
)

// Fixture is what tests, benchmarks and seeding may write below the
// workflows, in one transaction: records as an import writes them, and
// agencies and keys without audit lines (so a test's audit log holds only
// what the test did). The front ends never use it: every request and
// command goes through a workflow method, which owns its transaction and
// its rules.
type Fixture interface {
	WriteDocuments(ctx context.Context, docs *Documents, action, actor string) error
	WriteRecords(ctx context.Context, docs *Documents, meta []hsds.Metadata) error
	DeferConstraints(ctx context.Context) error
	DeleteService(ctx context.Context, id string) error
	CreateAgency(ctx context.Context, name string, orgIDs []string) (Agency, error)
	NewKey(ctx context.Context, agencyID *string, role auth.Role, name string) (CreatedKey, error)
	CreateWebhook(ctx context.Context, w *Webhook, secret string) error
	ProposeEligibility(ctx context.Context, serviceID string, cs []eligibility.Criterion, terms map[eligibility.Code]string, actor string) error
}

var _ Fixture = (*txn)(nil)

// Fixture runs fn in one transaction (everything lands or nothing) and
// returns the highest search outbox seq it wrote (0: nothing searchable),
// for a test that waits for the index.
func (s *Store) Fixture(ctx context.Context, fn func(Fixture) error) (int64, error) {
	return s.inTxSeq(ctx, func(t *txn) error { return fn(t) })
}

package store

import (
	"context"

	"github.com/linkage-org/linkage/internal/eligibility"
)

// The import workflows: the importer reads what it checks without a
// transaction, and writes through these methods, each one transaction.

// ExistingIDs reports which of ids exist as records of entity, outside any
// transaction (an import's checks before it writes).
func (s *Store) ExistingIDs(ctx context.Context, entity string, ids []string) (map[string]bool, error) {
	// A txn over the pool reads as the store does; it is never committed.
	return (&txn{s: s, db: s.db}).ExistingIDs(ctx, entity, ids)
}

// MayWriteAll says whether a may write every organization's records (an
// admin, or the operator with no agency scope): its imports need no
// ownership checks.
func (a Actor) MayWriteAll() bool { return a.writer().may("") }

// CheckOwnershipFor is CheckOwnership for what actor may write; an actor
// who may write anything has no violations.
func (s *Store) CheckOwnershipFor(ctx context.Context, docs *Documents, actor Actor) ([]Violation, error) {
	w := actor.writer()
	if w.may("") {
		return nil, nil
	}
	return s.CheckOwnership(ctx, docs, *w)
}

// ImportDocuments writes, in one transaction with foreign keys checked at
// its commit (an input may name a record before the record), the
// documents produce hands to write, a batch at a time, for actor: records
// of organizations it may not write are refused, and moves are audited as
// its. by is the updated_by of the metadata rows ("": the actor's name). Nothing
// is written unless produce returns nil.
func (s *Store) ImportDocuments(ctx context.Context, actor Actor, by string, produce func(write func(*Documents) error) error) error {
	w := actor.writer()
	switch {
	case by != "":
	case actor.Operator:
		by = "operator"
	default:
		by = actor.by()
	}
	return s.inTx(ctx, func(tx *txn) error {
		if w != nil {
			w.By = by
			tx.ActAs(*w)
		}
		if err := tx.DeferConstraints(ctx); err != nil {
			return err
		}
		return produce(func(docs *Documents) error { return tx.WriteDocuments(ctx, docs, "import", by) })
	})
}

// EligibilityProposal is the criteria proposed for one service.
type EligibilityProposal struct {
	ServiceID string
	Criteria  []eligibility.Criterion
}

// ProposeEligibilities stores proposals in one transaction (see
// txn.ProposeEligibility); by is the updated_by of their metadata rows.
func (s *Store) ProposeEligibilities(ctx context.Context, ps []EligibilityProposal, terms map[eligibility.Code]string, by string) error {
	return s.inTx(ctx, func(tx *txn) error {
		for _, p := range ps {
			if err := tx.ProposeEligibility(ctx, p.ServiceID, p.Criteria, terms, by); err != nil {
				return err
			}
		}
		return nil
	})
}

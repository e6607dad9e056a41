package store

import "context"

// ClaimIdempotencyKey claims key in a transaction of its own, for the
// tests of the key table.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, agencyID, key, resourceType, hash, resourceID string) (prior string, err error) {
	err = s.inTx(ctx, func(tx *txn) error {
		prior, err = tx.claimIdempotencyKey(ctx, agencyID, key, resourceType, hash, resourceID)
		return err
	})
	return prior, err
}

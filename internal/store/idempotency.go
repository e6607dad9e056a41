package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/linkage-org/linkage/internal/apperr"
)

// IdempotencyWindow is how long an Idempotency-Key is remembered.
const IdempotencyWindow = 24 * time.Hour

type idempotencyRow struct {
	AgencyID     string `gorm:"primaryKey"`
	Key          string `gorm:"primaryKey"` // keyDigest of the client's key
	RequestHash  string
	ResourceType string
	ResourceID   string
	CreatedAt    time.Time
}

func (idempotencyRow) TableName() string { return "idempotency_keys" }

// Idempotency is the Idempotency-Key a creation came with ("" for none)
// and the request it came with, whose digest tells a retry from another
// request under the same key.
type Idempotency struct {
	Key     string
	Request []byte
}

// idempotent runs create in one transaction under idem's key, scoped to
// a's agency, with the new resource's id. When an earlier creation under
// the key committed, create does not run: that resource's id comes back
// with replayed set.
func (s *Store) idempotent(ctx context.Context, a Actor, resourceType string, idem Idempotency, create func(tx *txn, id string) error) (id string, replayed bool, err error) {
	id = uuid.NewString()
	err = s.inTx(ctx, func(tx *txn) error {
		if idem.Key != "" {
			sum := sha256.Sum256(idem.Request)
			prior, err := tx.claimIdempotencyKey(ctx, a.Principal.AgencyID, idem.Key, resourceType, hex.EncodeToString(sum[:]), id)
			if err != nil || prior != "" {
				id, replayed = prior, prior != ""
				return err
			}
		}
		return create(tx, id)
	})
	if err != nil {
		return "", false, err
	}
	return id, replayed, nil
}

// claimIdempotencyKey takes key for agencyID's creation of resourceID, a
// resourceType, with the given request hash. If an earlier creation under
// the key committed within the window, it returns that resource's id (and
// the caller answers with it, creating nothing); the same key with another
// request is a 422. A concurrent first use waits for the other
// transaction (PostgreSQL's unique index; SQLite's single writer).
func (t *txn) claimIdempotencyKey(ctx context.Context, agencyID, key, resourceType, hash, resourceID string) (string, error) {
	key = keyDigest(key)
	now := t.s.now().UTC().Truncate(time.Microsecond)
	db := t.db.WithContext(ctx)
	row := idempotencyRow{AgencyID: agencyID, Key: key, RequestHash: hash, ResourceType: resourceType, ResourceID: resourceID, CreatedAt: now}
	res := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
	if res.Error != nil {
		return "", mapErr(res.Error, "claim idempotency key")
	}
	if res.RowsAffected == 1 {
		return "", nil
	}
	var prior idempotencyRow
	err := db.Where("agency_id = ? AND key = ?", agencyID, key).Take(&prior).Error
	if err == nil && prior.CreatedAt.Before(now.Add(-IdempotencyWindow)) {
		// Expired: the key starts over.
		if err := db.Where("agency_id = ? AND key = ?", agencyID, key).Delete(&idempotencyRow{}).Error; err != nil {
			return "", mapErr(err, "expire idempotency key")
		}
		return "", mapErr(db.Create(&row).Error, "claim idempotency key")
	}
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", apperr.E(apperr.Conflict, "a request with this Idempotency-Key is still running; retry in a moment")
	}
	if err != nil {
		return "", mapErr(err, "read idempotency key")
	}
	if prior.RequestHash != hash || prior.ResourceType != resourceType {
		return "", apperr.WithFields(apperr.Unprocessable, "This Idempotency-Key was used for a different request in the last 24 hours; use a new key for a new request.",
			apperr.FieldErrors{{Parameter: "Idempotency-Key", Message: "was used with a different body"}})
	}
	return prior.ResourceID, nil
}

// keyDigest is what is stored of an Idempotency-Key: its SHA-256, hex.
// Clients put what they like in a key (a client's name, say); the table
// then holds nothing personal, and a retry finds its first request by
// the same digest. The scope stays the agency (the row's other key).
func keyDigest(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// apperrNotFound is the not-found error of a private resource.
func apperrNotFound(what, id string) error {
	return apperr.E(apperr.NotFound, "no %s has id %s", what, id)
}

// AuditReads records, in a transaction of its own, that a read personal
// data of the resources ids (detail names what).
func (s *Store) AuditReads(ctx context.Context, a Actor, resourceType string, ids []string, detail string) error {
	if len(ids) == 0 {
		return nil
	}
	es := make([]AuditEntry, len(ids))
	for i, id := range ids {
		es[i] = a.auditEntry("read", resourceType, id, detail)
	}
	return s.inTx(ctx, func(tx *txn) error { return tx.AuditBatch(ctx, es) })
}

// AuditBatch appends entries in one statement (reads of many cases).
func (t *txn) AuditBatch(ctx context.Context, es []AuditEntry) error {
	if len(es) == 0 {
		return nil
	}
	now := t.s.now().UTC().Truncate(time.Microsecond)
	for i := range es {
		if es[i].At.IsZero() {
			es[i].At = now
		}
	}
	return mapErr(t.db.WithContext(ctx).CreateInBatches(es, batchSize(t.db, 11)).Error, "append audit entries")
}

// jobLockKey is the PostgreSQL advisory lock of the periodic jobs: one
// replica at a time runs them.
const jobLockKey = 0x4c6b4a6f6273 // "LkJobs"

// WithJobLock runs fn if this process gets the periodic-job lock, and
// reports whether it ran. On SQLite the process is the only one.
func (s *Store) WithJobLock(ctx context.Context, fn func(context.Context) error) (bool, error) {
	if s.dialect != Postgres {
		return true, fn(ctx)
	}
	conn, err := s.sqlDB.Conn(ctx)
	if err != nil {
		return false, mapErr(err, "job lock connection")
	}
	defer conn.Close()
	var got bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", jobLockKey).Scan(&got); err != nil {
		return false, mapErr(err, "take job lock")
	}
	if !got {
		return false, nil
	}
	defer func() {
		// A fresh context: the lock must be released even when ctx ended.
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", jobLockKey)
	}()
	return true, fn(ctx)
}

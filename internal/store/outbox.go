package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Entities a change names.
const (
	EntityService      = "service"
	EntityOrganization = "organization"
	EntityLocation     = "location"
	EntityTaxonomyTerm = "taxonomy_term"
)

// Change is one row of the search outbox: a directory record that changed
// (or was deleted) in a committed transaction.
type Change struct {
	Seq       int64
	Entity    string
	EntityID  string
	CreatedAt time.Time
}

type outboxRow struct {
	Seq       int64 `gorm:"primaryKey;autoIncrement"`
	Entity    string
	EntityID  string
	CreatedAt time.Time
}

func (outboxRow) TableName() string { return "search_outbox" }

// outboxLockKey is the PostgreSQL advisory lock writers hold from taking
// their outbox sequence numbers until commit. It makes seq order equal commit
// order, so an indexer reading "seq > cursor" can never skip a slow
// transaction that took a lower number and committed later.
const outboxLockKey = 0x4c6b4f7574 // "LkOut"

// change remembers that a record changed in this transaction.
func (t *txn) change(entity string, ids ...string) {
	for _, id := range ids {
		t.changes = append(t.changes, Change{Entity: entity, EntityID: id})
	}
}

// flushOutbox appends the transaction's changes to the outbox. It runs last
// in the transaction, so the advisory lock is held only until commit.
func (t *txn) flushOutbox(ctx context.Context) error {
	if len(t.changes) == 0 {
		return nil
	}
	if t.s.dialect == Postgres {
		if err := t.db.WithContext(ctx).Exec("SELECT pg_advisory_xact_lock(?)", outboxLockKey).Error; err != nil {
			return fmt.Errorf("lock search outbox: %w", err)
		}
	}
	now := t.s.now().UTC()
	seen := make(map[Change]bool, len(t.changes))
	rows := make([]outboxRow, 0, len(t.changes))
	for _, c := range t.changes {
		if seen[c] {
			continue
		}
		seen[c] = true
		rows = append(rows, outboxRow{Entity: c.Entity, EntityID: c.EntityID, CreatedAt: now})
	}
	size := batchSize(t.db, 3)
	if err := t.db.WithContext(ctx).Omit(clause.Associations).CreateInBatches(rows, size).Error; err != nil {
		return fmt.Errorf("append to search outbox: %w", err)
	}
	// Under the lock (or SQLite's single writer) the highest seq is ours.
	if err := t.db.WithContext(ctx).Model(&outboxRow{}).Select("MAX(seq)").Scan(&t.lastSeq).Error; err != nil {
		return fmt.Errorf("read search outbox: %w", err)
	}
	return nil
}

// ChangesAfter returns up to limit outbox rows with seq above after, in seq
// order.
func (s *Store) ChangesAfter(ctx context.Context, after int64, limit int) ([]Change, error) {
	var rows []outboxRow
	if err := s.db.WithContext(ctx).Where("seq > ?", after).Order("seq").Limit(limit).Find(&rows).Error; err != nil {
		return nil, mapErr(err, "read search outbox")
	}
	out := make([]Change, len(rows))
	for i, r := range rows {
		out[i] = Change{Seq: r.Seq, Entity: r.Entity, EntityID: r.EntityID, CreatedAt: r.CreatedAt}
	}
	return out, nil
}

// LastChangeSeq is the highest seq in the outbox (or the highest pruned, if
// the outbox is empty): what an index must have applied to be current.
func (s *Store) LastChangeSeq(ctx context.Context) (int64, error) {
	var last *int64
	if err := s.db.WithContext(ctx).Model(&outboxRow{}).Select("MAX(seq)").Scan(&last).Error; err != nil {
		return 0, mapErr(err, "read search outbox")
	}
	pruned, err := s.PrunedThrough(ctx)
	if err != nil {
		return 0, err
	}
	if last == nil {
		return pruned, nil
	}
	return max(*last, pruned), nil
}

// DatabaseID is this database's identity, made once by its migrations: an
// index records it, so an index beside another database is never taken
// for current.
func (s *Store) DatabaseID(ctx context.Context) (string, error) {
	var id string
	if err := s.db.WithContext(ctx).Table("search_outbox_state").Where("id = 1").Select("database_id").Scan(&id).Error; err != nil {
		return "", mapErr(err, "read database identity")
	}
	return id, nil
}

// PrunedThrough is the highest seq removed from the outbox: an index whose
// cursor is below it has missed changes and must be rebuilt.
func (s *Store) PrunedThrough(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.WithContext(ctx).Table("search_outbox_state").Where("id = 1").Select("pruned_through").Scan(&n).Error; err != nil {
		return 0, mapErr(err, "read search outbox state")
	}
	return n, nil
}

// PruneChanges deletes outbox rows created before cutoff and returns how
// many it removed.
func (s *Store) PruneChanges(ctx context.Context, cutoff time.Time) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var top *int64
		if err := tx.Model(&outboxRow{}).Where("created_at < ?", cutoff.UTC()).Select("MAX(seq)").Scan(&top).Error; err != nil {
			return err
		}
		if top == nil {
			return nil
		}
		res := tx.Where("seq <= ?", *top).Delete(&outboxRow{})
		if res.Error != nil {
			return res.Error
		}
		n = res.RowsAffected
		return tx.Exec("UPDATE search_outbox_state SET pruned_through = ? WHERE id = 1 AND pruned_through < ?", *top, *top).Error
	})
	return n, mapErr(err, "prune search outbox")
}

// AffectedServiceIDs resolves changes to the services whose search
// documents they touch: a service itself, an organization's services, the
// services delivered at a location, and the services classified under a
// taxonomy term or any of its descendants. Deleted records resolve to
// nothing here; the indexer also asks the index what it holds for them.
func (s *Store) AffectedServiceIDs(ctx context.Context, changes []Change) ([]string, error) {
	var svc, org, loc, term []string
	for _, c := range changes {
		switch c.Entity {
		case EntityService:
			svc = append(svc, c.EntityID)
		case EntityOrganization:
			org = append(org, c.EntityID)
		case EntityLocation:
			loc = append(loc, c.EntityID)
		case EntityTaxonomyTerm:
			term = append(term, c.EntityID)
		}
	}
	out := svc
	pluck := func(q *gorm.DB) error {
		var ids []string
		if err := q.Pluck("id", &ids).Error; err != nil {
			return err
		}
		out = append(out, ids...)
		return nil
	}
	db := s.db.WithContext(ctx)
	for _, part := range chunks(uniq(org)) {
		if err := pluck(db.Model(&serviceRow{}).Where("organization_id IN ?", part)); err != nil {
			return nil, mapErr(err, "resolve organization changes")
		}
	}
	for _, part := range chunks(uniq(loc)) {
		if err := pluck(db.Model(&serviceRow{}).Where("id IN (SELECT service_id FROM service_at_locations WHERE location_id IN ?)", part)); err != nil {
			return nil, mapErr(err, "resolve location changes")
		}
	}
	for _, id := range uniq(term) {
		if err := pluck(db.Model(&serviceRow{}).Where("id IN (SELECT link_id FROM attributes WHERE taxonomy_term_id IN ("+termTree+"))", id)); err != nil {
			return nil, mapErr(err, "resolve taxonomy term changes")
		}
	}
	return uniq(out), nil
}

func chunks(ids []string) [][]string {
	var out [][]string
	for start := 0; start < len(ids); start += inChunk {
		out = append(out, ids[start:min(start+inChunk, len(ids))])
	}
	return out
}

// DeleteService removes a service with everything it owns (its phones,
// schedules, service_at_locations...; not its organization or locations)
// and records the change. Its HSDS metadata rows stay as history.
func (t *txn) DeleteService(ctx context.Context, id string) error {
	svcs, err := newLoader(ctx, t.db).services([]string{id}, shapeFull)
	if err != nil {
		return mapErr(err, "delete service %s", id)
	}
	if len(svcs) == 0 {
		return mapErr(gorm.ErrRecordNotFound, "delete service %s", id)
	}
	s := svcs[0]
	for j := range s.ServiceAtLocations {
		s.ServiceAtLocations[j].Location = nil
	}
	s.Organization, s.Program, s.Metadata = nil, nil, nil
	old := &graph{}
	old.addService(&s)
	if err := t.deleteOwned(ctx, old); err != nil {
		return err
	}
	if err := t.db.WithContext(ctx).Exec("DELETE FROM services WHERE id = ?", id).Error; err != nil {
		return mapErr(err, "delete service %s", id)
	}
	t.change(EntityService, id)
	return nil
}

// Postcode is the centroid of a postal code area.
type Postcode struct {
	Code      string `gorm:"primaryKey"`
	Latitude  float64
	Longitude float64
	State     *string
}

// TableName is the table of postcodes.
func (Postcode) TableName() string { return "postcodes" }

// UpsertPostcodes writes centroids, replacing those with the same code, in
// one transaction.
func (s *Store) UpsertPostcodes(ctx context.Context, pcs []Postcode) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		size := batchSize(tx, 4)
		for start := 0; start < len(pcs); start += size {
			part := pcs[start:min(start+size, len(pcs))]
			if err := tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&part).Error; err != nil {
				return err
			}
		}
		return nil
	})
	return mapErr(err, "write postcodes")
}

// PostcodeByCode returns the centroid of code, or NotFound.
func (s *Store) PostcodeByCode(ctx context.Context, code string) (Postcode, error) {
	var p Postcode
	err := s.db.WithContext(ctx).Where("code = ?", code).Take(&p).Error
	if err != nil {
		return p, mapErr(err, "postcode %s", code)
	}
	return p, nil
}

// CountPostcodes is how many centroids are loaded.
func (s *Store) CountPostcodes(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Postcode{}).Count(&n).Error
	return n, mapErr(err, "count postcodes")
}

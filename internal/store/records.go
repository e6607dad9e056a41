package store

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/hsds"
)

// Reads bound to a write transaction, so a write checks and changes the
// same state (If-Match, ownership, referential integrity).

// View is a read-only Store bound to the transaction: its reads see the
// transaction's own writes and locks. Do not write through it.
func (t *txn) View() *Store {
	return &Store{db: t.db, shared: t.s.shared}
}

// lockRecord serializes writers of one record (and of its creation) until
// the transaction ends. SQLite transactions already hold the database's
// write lock from their start.
func (t *txn) lockRecord(ctx context.Context, entity, id string) error {
	if t.s.dialect != Postgres {
		return nil
	}
	err := t.db.WithContext(ctx).Exec("SELECT pg_advisory_xact_lock(hashtext(?))", entity+":"+strings.ToLower(id)).Error
	return mapErr(err, "lock %s %s", entity, id)
}

// WriteRecords writes documents from the API: children in a document
// replace the stored ones, every root's last_modified becomes now, the
// metadata rows a client sent are ignored (history is the server's), and
// meta, the field-level history of this change, is appended.
func (t *txn) WriteRecords(ctx context.Context, docs *Documents, meta []hsds.Metadata) error {
	g := documentsGraph(docs, true)
	now := t.s.now().UTC().Truncate(time.Microsecond)
	g.touch(now)
	g.ignoreMetadata = false
	for i := range meta {
		m := meta[i]
		if m.ID == "" {
			m.ID = uuid.NewString()
		}
		if m.LastActionDate == "" {
			m.LastActionDate = now.Format(HistoryTime)
		}
		g.metadata.put(m.ID, metadataToRow(&m))
	}
	moves, err := t.write(ctx, g, true)
	if err != nil {
		return ownershipProblem(mapErr(err, "write records"), docs)
	}
	if err := t.recordMoves(ctx, moves, docs, ""); err != nil {
		return err
	}
	t.change(EntityService, g.serviceRoots...)
	t.change(EntityOrganization, g.orgRoots...)
	t.change(EntityLocation, g.locationRoots...)
	return nil
}

// HistoryTime is how metadata dates are written: fixed width, so that
// they sort as text in time order.
const HistoryTime = "2006-01-02T15:04:05.000000Z"

// addMetadata appends history rows.
func (t *txn) addMetadata(ctx context.Context, meta []hsds.Metadata) error {
	if len(meta) == 0 {
		return nil
	}
	rows := make([]metadataRow, len(meta))
	now := t.s.now().UTC().Format(HistoryTime)
	for i := range meta {
		m := meta[i]
		if m.ID == "" {
			m.ID = uuid.NewString()
		}
		if m.LastActionDate == "" {
			m.LastActionDate = now
		}
		rows[i] = metadataToRow(&m)
	}
	return mapErr(insertNew(ctx, t.db, rows), "write history")
}

// History lists the metadata rows of one record, newest first.
func (s *Store) History(ctx context.Context, resourceType, id string, p Paging) ([]hsds.Metadata, int64, error) {
	q := s.db.WithContext(ctx).Model(&metadataRow{}).Where("resource_id = ? AND resource_type = ?", strings.ToLower(id), resourceType)
	var rows []metadataRow
	total, err := page(q, "last_action_date DESC, id DESC", p, &rows, "history")
	if err != nil {
		return nil, 0, err
	}
	out := make([]hsds.Metadata, len(rows))
	for i := range rows {
		out[i] = metadataFromRow(&rows[i])
	}
	return out, total, nil
}

// countWhere counts the rows of table matching where.
func (t *txn) countWhere(ctx context.Context, table, where string, args ...any) (int64, error) {
	var n int64
	err := t.db.WithContext(ctx).Table(table).Where(where, args...).Count(&n).Error
	return n, mapErr(err, "count %s", table)
}

// deleteOrganization removes an organization with what it owns directly.
// One that still has services or locations is a conflict: they are
// records of their own, deleted on purpose, not as a side effect.
func (t *txn) deleteOrganization(ctx context.Context, id string) error {
	for _, table := range []string{"services", "locations"} {
		n, err := t.countWhere(ctx, table, "organization_id = ?", id)
		if err != nil {
			return err
		}
		if n > 0 {
			return apperr.E(apperr.Conflict, "organization %s still has %d %s; delete or move them first", id, n, table)
		}
	}
	orgs, err := newLoader(ctx, t.db).organizationsOwnChildren([]string{id})
	if err != nil {
		return mapErr(err, "delete organization %s", id)
	}
	old := &graph{}
	for i := range orgs {
		orgs[i].Metadata = nil
		old.addOrganization(&orgs[i])
	}
	if err := t.deleteOwned(ctx, old); err != nil {
		return err
	}
	for _, stmt := range []string{"DELETE FROM programs WHERE organization_id = ?", "DELETE FROM organizations WHERE id = ?"} {
		if err := t.db.WithContext(ctx).Exec(stmt, id).Error; err != nil {
			return mapErr(err, "delete organization %s", id)
		}
	}
	t.change(EntityOrganization, id)
	return nil
}

// deleteLocation removes a location with what it owns. A location services
// are still offered at is a conflict.
func (t *txn) deleteLocation(ctx context.Context, id string) error {
	n, err := t.countWhere(ctx, "service_at_locations", "location_id = ?", id)
	if err != nil {
		return err
	}
	if n > 0 {
		return apperr.E(apperr.Conflict, "location %s still has %d service_at_locations; delete them first", id, n)
	}
	l := newLoader(ctx, t.db)
	locs, err := l.locations([]string{id})
	if err != nil {
		return mapErr(err, "delete location %s", id)
	}
	l.want(id)
	if err := l.decorate(); err != nil {
		return mapErr(err, "delete location %s", id)
	}
	old := &graph{}
	for _, loc := range locs {
		l.decorateLocation(&loc)
		loc.Metadata = nil
		old.addLocation(&loc)
	}
	if err := t.deleteOwned(ctx, old); err != nil {
		return err
	}
	if err := t.db.WithContext(ctx).Exec("DELETE FROM locations WHERE id = ?", id).Error; err != nil {
		return mapErr(err, "delete location %s", id)
	}
	t.change(EntityLocation, id)
	return nil
}

func (t *txn) deleteOwned(ctx context.Context, old *graph) error {
	owned := old.ownedIDs()
	for _, table := range deleteOrder {
		for _, part := range chunks(owned[table]) {
			if err := t.db.WithContext(ctx).Exec("DELETE FROM "+table+" WHERE id IN ?", part).Error; err != nil {
				return mapErr(err, "delete %s", table)
			}
		}
	}
	return nil
}

// StaleService is a service not changed or verified since a cutoff.
type StaleService struct {
	ID               string    `json:"id"`
	Name             string    `json:"name"`
	OrganizationID   string    `json:"organization_id"`
	OrganizationName string    `json:"organization_name"`
	AgencyID         *string   `json:"agency_id"`
	LastModified     time.Time `json:"last_modified"`
	AssuredDate      string    `json:"assured_date"`
}

// StaleServices lists services whose last change is before cutoff and that
// were not verified (assured_date) on or after its day, oldest first; only
// those of agencyID's organizations unless agencyID is "".
func (s *Store) StaleServices(ctx context.Context, cutoff time.Time, agencyID string, limit int) ([]StaleService, error) {
	day := cutoff.UTC().Format(time.DateOnly)
	q := s.db.WithContext(ctx).Table("services AS s").
		Select("s.id, s.name, s.organization_id, o.name AS organization_name, ao.agency_id, s.last_modified, COALESCE(s.assured_date, '') AS assured_date").
		Joins("JOIN organizations o ON o.id = s.organization_id").
		Joins("LEFT JOIN agency_organizations ao ON ao.organization_id = s.organization_id").
		Where("s.last_modified < ?", cutoff.UTC()).
		Where("(s.assured_date IS NULL OR s.assured_date = '' OR s.assured_date < ?)", day)
	if agencyID != "" {
		q = q.Where("ao.agency_id = ?", agencyID)
	}
	var out []StaleService
	err := q.Order("s.last_modified, s.id").Limit(limit).Scan(&out).Error
	for i := range out {
		out[i].LastModified = out[i].LastModified.UTC()
	}
	return out, mapErr(err, "list stale services")
}

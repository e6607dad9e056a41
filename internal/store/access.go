package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/linkage-org/linkage/internal/apperr"
)

// Agency is a tenant: it manages organizations and acts through API keys.
type Agency struct {
	ID              string
	Name            string
	CreatedAt       time.Time
	OrganizationIDs []string
	// TZ is the IANA zone the agency works in: its own, or the default
	// zone (LINKAGE_DEFAULT_TZ) while it names none. Only a zone it names
	// is stored, so an agency that names none follows the default.
	TZ string
}

type agencyRow struct {
	ID        string `gorm:"primaryKey"`
	Name      string
	CreatedAt time.Time
	TZ        string `gorm:"column:tz"`
}

func (agencyRow) TableName() string { return "agencies" }

type agencyOrgRow struct {
	OrganizationID string `gorm:"primaryKey"`
	AgencyID       string
}

func (agencyOrgRow) TableName() string { return "agency_organizations" }

// APIKey is a key as listed: never its secret.
type APIKey struct {
	ID         string `gorm:"primaryKey"`
	AgencyID   *string
	Role       string
	Name       string
	Prefix     string
	Hash       []byte
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
	// PersonID is the staff person the key acts for, if any.
	PersonID *string
	// Filled on KeyByHash: the person's name and whether they are active.
	PersonName   string `gorm:"-"`
	PersonActive bool   `gorm:"-"`
}

// TableName is the table of API keys.
func (APIKey) TableName() string { return "api_keys" }

// Limits of names people type.
const (
	MaxNameLen = 200
)

// CreateAgency adds an agency managing orgIDs (each managed by no other
// agency yet).
func (t *txn) CreateAgency(ctx context.Context, name string, orgIDs []string) (Agency, error) {
	a := Agency{ID: uuid.NewString(), Name: name, CreatedAt: t.s.now().UTC().Truncate(time.Microsecond)}
	if err := t.db.WithContext(ctx).Create(&agencyRow{ID: a.ID, Name: a.Name, CreatedAt: a.CreatedAt}).Error; err != nil {
		return Agency{}, mapErr(err, "create agency")
	}
	if err := t.SetAgencyOrganizations(ctx, a.ID, orgIDs); err != nil {
		return Agency{}, err
	}
	a.OrganizationIDs = normIDs(orgIDs)
	a.TZ = t.s.zoneName("")
	return a, nil
}

func normIDs(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, strings.ToLower(id))
	}
	return uniq(out)
}

// zoneName is the zone of an agency whose stored zone is tz: its own, or
// the default ("" goes back to it).
func (s *Store) zoneName(tz string) string {
	switch {
	case tz != "":
		return tz
	case s.defaultTZ != "":
		return s.defaultTZ
	}
	return "UTC"
}

// SetAgencyTZ sets the time zone an agency works in.
func (t *txn) SetAgencyTZ(ctx context.Context, id, tz string) error {
	t.s.zones.Delete(id)
	return mapErr(t.db.WithContext(ctx).Model(&agencyRow{}).Where("id = ?", id).Update("tz", tz).Error, "set agency time zone")
}

// RenameAgency changes an agency's name.
func (t *txn) RenameAgency(ctx context.Context, id, name string) error {
	return mapErr(t.db.WithContext(ctx).Model(&agencyRow{}).Where("id = ?", id).Update("name", name).Error, "rename agency")
}

// SetAgencyOrganizations makes orgIDs exactly the organizations agencyID
// manages. An organization another agency manages is a conflict: it must be
// released there first, so no agency loses one by accident.
func (t *txn) SetAgencyOrganizations(ctx context.Context, agencyID string, orgIDs []string) error {
	orgIDs = normIDs(orgIDs)
	if len(orgIDs) > 0 {
		exist, err := t.ExistingIDs(ctx, "organization", orgIDs)
		if err != nil {
			return err
		}
		var fe apperr.FieldErrors
		for i, id := range orgIDs {
			if !exist[id] {
				fe.Add(fmt.Sprintf("/organization_ids/%d", i), "no organization has id %s", id)
			}
		}
		if len(fe) > 0 {
			return apperr.WithFields(apperr.Unprocessable, "Some organizations do not exist.", fe)
		}
		var taken []agencyOrgRow
		if err := t.db.WithContext(ctx).Where("organization_id IN ? AND agency_id <> ?", orgIDs, agencyID).Find(&taken).Error; err != nil {
			return mapErr(err, "check agency organizations")
		}
		if len(taken) > 0 {
			return apperr.E(apperr.Conflict, "organization %s is managed by agency %s; remove it from that agency first", taken[0].OrganizationID, taken[0].AgencyID)
		}
	}
	if err := t.db.WithContext(ctx).Where("agency_id = ?", agencyID).Delete(&agencyOrgRow{}).Error; err != nil {
		return mapErr(err, "replace agency organizations")
	}
	for _, id := range orgIDs {
		if err := t.db.WithContext(ctx).Create(&agencyOrgRow{OrganizationID: id, AgencyID: agencyID}).Error; err != nil {
			return mapErr(err, "add agency organization")
		}
	}
	return nil
}

// AddAgencyOrganization makes agencyID manage a (new) organization.
func (t *txn) AddAgencyOrganization(ctx context.Context, agencyID, orgID string) error {
	err := t.db.WithContext(ctx).Create(&agencyOrgRow{OrganizationID: strings.ToLower(orgID), AgencyID: agencyID}).Error
	return mapErr(err, "add agency organization")
}

// Agencies lists every agency with its organizations, by name.
func (s *Store) Agencies(ctx context.Context) ([]Agency, error) {
	var rows []agencyRow
	if err := s.db.WithContext(ctx).Order("name, id").Find(&rows).Error; err != nil {
		return nil, mapErr(err, "list agencies")
	}
	var links []agencyOrgRow
	if err := s.db.WithContext(ctx).Order("organization_id").Find(&links).Error; err != nil {
		return nil, mapErr(err, "list agency organizations")
	}
	orgs := map[string][]string{}
	for _, l := range links {
		orgs[l.AgencyID] = append(orgs[l.AgencyID], l.OrganizationID)
	}
	out := make([]Agency, len(rows))
	for i, r := range rows {
		out[i] = Agency{ID: r.ID, Name: r.Name, CreatedAt: r.CreatedAt.UTC(), OrganizationIDs: orgs[r.ID], TZ: s.zoneName(r.TZ)}
		if out[i].OrganizationIDs == nil {
			out[i].OrganizationIDs = []string{}
		}
	}
	return out, nil
}

// AgencyByID is one agency with its organizations.
func (s *Store) AgencyByID(ctx context.Context, id string) (Agency, error) {
	var r agencyRow
	if err := s.db.WithContext(ctx).Where("id = ?", strings.ToLower(id)).Take(&r).Error; err != nil {
		if err == gorm.ErrRecordNotFound {
			return Agency{}, apperr.E(apperr.NotFound, "no agency has id %s", id)
		}
		return Agency{}, mapErr(err, "read agency")
	}
	orgs, err := s.AgencyOrganizations(ctx, r.ID)
	if err != nil {
		return Agency{}, err
	}
	return Agency{ID: r.ID, Name: r.Name, CreatedAt: r.CreatedAt.UTC(), OrganizationIDs: orgs, TZ: s.zoneName(r.TZ)}, nil
}

// AgencyOrganizations lists the ids of the organizations agencyID manages.
func (s *Store) AgencyOrganizations(ctx context.Context, agencyID string) ([]string, error) {
	out := []string{}
	err := s.db.WithContext(ctx).Model(&agencyOrgRow{}).Where("agency_id = ?", agencyID).Order("organization_id").Pluck("organization_id", &out).Error
	return out, mapErr(err, "list agency organizations")
}

// CreateKey stores a new key (its hash only).
func (t *txn) CreateKey(ctx context.Context, k *APIKey) error {
	k.ID = uuid.NewString()
	k.CreatedAt = t.s.now().UTC().Truncate(time.Microsecond)
	return mapErr(t.db.WithContext(ctx).Create(k).Error, "create key")
}

// Keys lists the keys of agencyID ("" : every key), newest first.
func (s *Store) Keys(ctx context.Context, agencyID string) ([]APIKey, error) {
	q := s.db.WithContext(ctx).Order("created_at DESC, id")
	if agencyID != "" {
		q = q.Where("agency_id = ?", agencyID)
	}
	out := []APIKey{}
	return out, mapErr(q.Find(&out).Error, "list keys")
}

// RevokeKey revokes key keyID of agencyID. Revoking twice keeps the first
// time. A key of another agency is not found.
func (t *txn) RevokeKey(ctx context.Context, agencyID, keyID string) (APIKey, error) {
	var k APIKey
	err := t.db.WithContext(ctx).Where("id = ? AND agency_id = ?", strings.ToLower(keyID), agencyID).Take(&k).Error
	if err == gorm.ErrRecordNotFound {
		return APIKey{}, apperr.E(apperr.NotFound, "agency %s has no key %s", agencyID, keyID)
	}
	if err != nil {
		return APIKey{}, mapErr(err, "read key")
	}
	if k.RevokedAt == nil {
		now := t.s.now().UTC().Truncate(time.Microsecond)
		if err := t.db.WithContext(ctx).Model(&APIKey{}).Where("id = ?", k.ID).Update("revoked_at", now).Error; err != nil {
			return APIKey{}, mapErr(err, "revoke key")
		}
		k.RevokedAt = &now
	}
	return k, nil
}

// KeyByHash finds the key with hash; revoked keys are returned too (the
// caller refuses them).
func (s *Store) KeyByHash(ctx context.Context, hash []byte) (APIKey, error) {
	// One query for the key and its person: it runs on every request.
	var row struct {
		APIKey
		KeyPersonName   *string
		KeyPersonActive *bool
	}
	err := s.db.WithContext(ctx).Model(&APIKey{}).Select("api_keys.*, people.name AS key_person_name, people.active AS key_person_active").
		Joins("LEFT JOIN people ON people.id = api_keys.person_id").Where("api_keys.hash = ?", hash).Take(&row).Error
	if err == gorm.ErrRecordNotFound {
		return APIKey{}, apperr.E(apperr.Unauthenticated, "unknown API key")
	}
	if err != nil {
		return APIKey{}, mapErr(err, "read key")
	}
	k := row.APIKey
	if row.KeyPersonName != nil && row.KeyPersonActive != nil {
		k.PersonName, k.PersonActive = *row.KeyPersonName, *row.KeyPersonActive
	}
	return k, nil
}

// TouchKey records that key id is used now (by the store's clock).
func (s *Store) TouchKey(ctx context.Context, id string) error {
	now := s.now().UTC().Truncate(time.Microsecond)
	err := s.db.WithContext(ctx).Model(&APIKey{}).Where("id = ?", id).Update("last_used_at", now).Error
	return mapErr(err, "touch key")
}

// AuditEntry is one line of the audit log: who did what to which resource.
// It never holds personal values or secrets, only ids and field names.
type AuditEntry struct {
	ID           int64 `gorm:"primaryKey"`
	At           time.Time
	KeyID        *string
	Role         string
	AgencyID     *string
	Action       string
	ResourceType string
	ResourceID   string
	ClientAddr   string
	RequestID    string
	Detail       string
	// PersonID is the staff person who acted, where there is one;
	// PersonName is filled on AuditLog reads.
	PersonID   *string
	PersonName string `gorm:"-"`
}

// TableName is the audit log table.
func (AuditEntry) TableName() string { return "audit_log" }

// Audit appends e to the audit log in the transaction of the change it
// records.
func (t *txn) Audit(ctx context.Context, e AuditEntry) error {
	if e.At.IsZero() {
		e.At = t.s.now()
	}
	e.At = e.At.UTC().Truncate(time.Microsecond)
	return mapErr(t.db.WithContext(ctx).Create(&e).Error, "append audit entry")
}

// AuditFilter narrows the audit log.
type AuditFilter struct {
	AgencyID     string
	ResourceType string
	ResourceID   string
	From, To     *time.Time
}

// AuditLog lists entries matching f, newest first, with the total.
func (s *Store) AuditLog(ctx context.Context, f AuditFilter, p Paging) ([]AuditEntry, int64, error) {
	q := s.db.WithContext(ctx).Model(&AuditEntry{})
	if f.AgencyID != "" {
		q = q.Where("agency_id = ?", f.AgencyID)
	}
	if f.ResourceType != "" {
		q = q.Where("resource_type = ?", f.ResourceType)
	}
	if f.ResourceID != "" {
		q = q.Where("resource_id = ?", f.ResourceID)
	}
	q = between(q, "at", f.From, f.To)
	out := []AuditEntry{}
	total, err := page(q, "id DESC", p, &out, "audit log")
	if err != nil {
		return nil, 0, err
	}
	var people []string
	for i := range out {
		out[i].At = out[i].At.UTC()
		if out[i].PersonID != nil {
			people = append(people, *out[i].PersonID)
		}
	}
	names, err := s.PersonNames(ctx, people)
	for i := range out {
		if out[i].PersonID != nil {
			out[i].PersonName = names[*out[i].PersonID]
		}
	}
	return out, total, err
}

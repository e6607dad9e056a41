package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/referral"
)

// Case is a caseworker's record of one client: who they are (sealed at
// rest), what they need, and what they agreed to share. httpapi has its
// own JSON shape of it.
type Case struct {
	ID        string
	AgencyID  string
	CreatedBy *string
	Status    string
	Client    referral.Client
	Needs     []referral.Need
	Consent   *referral.Consent
	// Assessment is the client's situation (sealed); its risks always a
	// list.
	Assessment referral.Assessment
	// Area is the case's one clear geographic value (caseArea).
	Area      string
	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Case statuses.
const (
	CaseOpen   = "open"
	CaseClosed = "closed"
)

type caseRow struct {
	ID        string `gorm:"primaryKey"`
	AgencyID  string
	CreatedBy *string
	Status    string
	Client    string // sealed JSON of referral.Client
	Consent   *string
	// Assessment is sealed JSON of referral.Assessment; nil when empty.
	Assessment *string
	Area       string
	Version    int
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

func (caseRow) TableName() string { return "cases" }

type needRow struct {
	ID        string `gorm:"primaryKey"`
	CaseID    string
	Position  int
	Domain    string
	Status    string
	Note      *string // sealed
	UpdatedAt time.Time
}

func (needRow) TableName() string { return "case_needs" }

// sealText seals a personal value bound to its record and field; "" stays
// empty (nil).
func (s *Store) sealText(v, record, field string) (*string, error) {
	if v == "" {
		return nil, nil
	}
	if s.keys == nil {
		return nil, apperr.E(apperr.Unavailable, "personal data cannot be stored: LINKAGE_DATA_KEY is not set")
	}
	out, err := s.keys.Seal([]byte(v), []byte(record+"/"+field))
	if err != nil {
		return nil, fmt.Errorf("store: seal %s: %w", field, err)
	}
	return &out, nil
}

func (s *Store) openText(v *string, record, field string) (string, error) {
	if v == nil || *v == "" {
		return "", nil
	}
	if s.keys == nil {
		return "", apperr.E(apperr.Unavailable, "personal data cannot be read: LINKAGE_DATA_KEY is not set")
	}
	out, err := s.keys.Open(*v, []byte(record+"/"+field))
	if err != nil {
		return "", fmt.Errorf("store: open %s of %s: %w", field, record, err)
	}
	return string(out), nil
}

func (s *Store) toCaseRow(c *Case) (caseRow, error) {
	raw, err := json.Marshal(c.Client)
	if err != nil {
		return caseRow{}, fmt.Errorf("store: encode client: %w", err)
	}
	client, err := s.sealText(string(raw), "case:"+c.ID, "client")
	if err != nil {
		return caseRow{}, err
	}
	c.Area = caseArea(c)
	r := caseRow{ID: c.ID, AgencyID: c.AgencyID, CreatedBy: c.CreatedBy, Status: c.Status, Client: *client,
		Area: c.Area, Version: c.Version, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if r.Assessment, err = s.sealAssessment(c); err != nil {
		return caseRow{}, err
	}
	if c.Consent != nil {
		b, err := json.Marshal(c.Consent)
		if err != nil {
			return caseRow{}, fmt.Errorf("store: encode consent: %w", err)
		}
		v := string(b)
		r.Consent = &v
	}
	return r, nil
}

func (s *Store) fromCaseRow(r caseRow, needs []needRow) (Case, error) {
	c := Case{ID: r.ID, AgencyID: r.AgencyID, CreatedBy: r.CreatedBy, Status: r.Status, Version: r.Version, Area: r.Area,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), Needs: []referral.Need{}}
	raw, err := s.openText(&r.Client, "case:"+r.ID, "client")
	if err != nil {
		return Case{}, err
	}
	if err := json.Unmarshal([]byte(raw), &c.Client); err != nil {
		return Case{}, fmt.Errorf("store: decode client of case %s: %w", r.ID, err)
	}
	if err := s.openAssessment(r, &c); err != nil {
		return Case{}, err
	}
	if r.Consent != nil {
		c.Consent = &referral.Consent{}
		if err := json.Unmarshal([]byte(*r.Consent), c.Consent); err != nil {
			return Case{}, fmt.Errorf("store: decode consent of case %s: %w", r.ID, err)
		}
	}
	for _, n := range needs {
		note, err := s.openText(n.Note, "need:"+n.ID, "note")
		if err != nil {
			return Case{}, err
		}
		c.Needs = append(c.Needs, referral.Need{ID: n.ID, Domain: n.Domain, Status: n.Status, Note: note})
	}
	return c, nil
}

// createCase stores a new case; c gets its version, times and, if it has
// none, its id.
func (t *txn) createCase(ctx context.Context, c *Case) error {
	now := t.s.now().UTC().Truncate(time.Microsecond)
	if c.ID == "" {
		c.ID = uuid.NewString()
	}
	c.Version, c.CreatedAt, c.UpdatedAt = 1, now, now
	if c.Status == "" {
		c.Status = CaseOpen
	}
	row, err := t.s.toCaseRow(c)
	if err != nil {
		return err
	}
	if err := t.db.WithContext(ctx).Create(&row).Error; err != nil {
		return mapErr(err, "create case")
	}
	return t.writeNeeds(ctx, c, now)
}

// writeNeeds replaces the needs of c, keeping the ids of needs it names (a
// referral may point at one); a need left out that a referral points at is
// a Conflict, never a referral unlinked.
func (t *txn) writeNeeds(ctx context.Context, c *Case, now time.Time) error {
	keep := []string{}
	for i := range c.Needs {
		n := &c.Needs[i]
		if n.ID == "" {
			n.ID = uuid.NewString()
		}
		keep = append(keep, n.ID)
	}
	gone := t.db.WithContext(ctx).Model(&needRow{}).Where("case_id = ?", c.ID)
	if len(keep) > 0 {
		gone = gone.Where("id NOT IN ?", keep)
	}
	var drop []string
	if err := gone.Order("position").Pluck("id", &drop).Error; err != nil {
		return mapErr(err, "read dropped case needs")
	}
	if len(drop) > 0 {
		if err := t.keepLinkedNeeds(ctx, drop); err != nil {
			return err
		}
		if err := t.db.WithContext(ctx).Where("case_id = ? AND id IN ?", c.ID, drop).Delete(&needRow{}).Error; err != nil {
			return mapErr(err, "replace case needs")
		}
	}
	for i, n := range c.Needs {
		note, err := t.s.sealText(n.Note, "need:"+n.ID, "note")
		if err != nil {
			return err
		}
		row := needRow{ID: n.ID, CaseID: c.ID, Position: i, Domain: n.Domain, Status: n.Status, Note: note, UpdatedAt: now}
		err = t.db.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "id"}}, DoUpdates: clause.AssignmentColumns([]string{"position", "domain", "status", "note", "updated_at"}),
			Where: clause.Where{Exprs: []clause.Expression{clause.Expr{SQL: "case_needs.case_id = ?", Vars: []any{c.ID}}}}}).Create(&row).Error
		if err != nil {
			return mapErr(err, "write case need")
		}
	}
	return nil
}

// CaseByID reads case id of agencyID. Another agency's case is not found,
// so its existence is not revealed.
func (s *Store) CaseByID(ctx context.Context, id, agencyID string) (Case, error) {
	cs, err := s.casesByIDs(ctx, s.db.WithContext(ctx), []string{strings.ToLower(id)}, agencyID)
	if err != nil {
		return Case{}, err
	}
	if len(cs) == 0 {
		return Case{}, apperr.E(apperr.NotFound, "no case has id %s", id)
	}
	return cs[0], nil
}

// lockCase reads case id of agencyID for update: writers of one case take
// turns until the transaction ends.
func (t *txn) lockCase(ctx context.Context, id, agencyID string) (Case, error) {
	q := t.db.WithContext(ctx)
	if t.s.dialect == Postgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	cs, err := t.s.casesByIDs(ctx, q, []string{strings.ToLower(id)}, agencyID)
	if err != nil {
		return Case{}, err
	}
	if len(cs) == 0 {
		return Case{}, apperr.E(apperr.NotFound, "no case has id %s", id)
	}
	return cs[0], nil
}

func (s *Store) casesByIDs(ctx context.Context, q *gorm.DB, ids []string, agencyID string) ([]Case, error) {
	var rows []caseRow
	if err := q.Where("id IN ? AND agency_id = ?", ids, agencyID).Find(&rows).Error; err != nil {
		return nil, mapErr(err, "read cases")
	}
	return s.withNeeds(ctx, rows)
}

func (s *Store) withNeeds(ctx context.Context, rows []caseRow) ([]Case, error) {
	if len(rows) == 0 {
		return []Case{}, nil
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	var needs []needRow
	if err := s.db.WithContext(ctx).Where("case_id IN ?", ids).Order("case_id, position").Find(&needs).Error; err != nil {
		return nil, mapErr(err, "read case needs")
	}
	byCase := map[string][]needRow{}
	for _, n := range needs {
		byCase[n.CaseID] = append(byCase[n.CaseID], n)
	}
	out := make([]Case, 0, len(rows))
	for _, r := range rows {
		c, err := s.fromCaseRow(r, byCase[r.ID])
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// updateCase writes c (read under lockCase and changed) and bumps its
// version.
func (t *txn) updateCase(ctx context.Context, c *Case) error {
	now := t.s.now().UTC().Truncate(time.Microsecond)
	c.Version++
	c.UpdatedAt = now
	row, err := t.s.toCaseRow(c)
	if err != nil {
		return err
	}
	res := t.db.WithContext(ctx).Model(&caseRow{}).Where("id = ? AND agency_id = ?", c.ID, c.AgencyID).
		Updates(map[string]any{"status": row.Status, "client": row.Client, "consent": row.Consent, "assessment": row.Assessment,
			"area": row.Area, "version": row.Version, "updated_at": now})
	if res.Error != nil {
		return mapErr(res.Error, "update case")
	}
	return t.writeNeeds(ctx, c, now)
}

// setNeedStatus changes one need's status (a client's follow-up answer).
func (t *txn) setNeedStatus(ctx context.Context, caseID, needID, status string) error {
	now := t.s.now().UTC().Truncate(time.Microsecond)
	err := t.db.WithContext(ctx).Model(&needRow{}).Where("id = ? AND case_id = ?", needID, caseID).
		Updates(map[string]any{"status": status, "updated_at": now}).Error
	if err != nil {
		return mapErr(err, "update need")
	}
	return mapErr(t.db.WithContext(ctx).Model(&caseRow{}).Where("id = ?", caseID).
		Updates(map[string]any{"version": gorm.Expr("version + 1"), "updated_at": now}).Error, "update case")
}

// CaseFilter narrows a case list; it filters only clear columns.
type CaseFilter struct {
	AgencyID     string
	Status       string
	NeedDomain   string
	NeedStatus   string
	From, To     *time.Time // created
	UpdatedSince *time.Time
	// Search and BirthDate find a client through the blind index
	// (case_lookup): every token of Search (CaseSearchTokens) must be one
	// of the client's name's, and the birth date (YYYY-MM-DD) exact.
	Search    []string
	BirthDate string
}

// Cases lists an agency's cases, most recently updated first.
func (s *Store) Cases(ctx context.Context, f CaseFilter, p Paging) ([]Case, int64, error) {
	q := s.db.WithContext(ctx).Model(&caseRow{}).Where("agency_id = ?", f.AgencyID)
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.NeedDomain != "" || f.NeedStatus != "" {
		sub := s.db.Model(&needRow{}).Select("case_id")
		if f.NeedDomain != "" {
			sub = sub.Where("domain = ?", f.NeedDomain)
		}
		if f.NeedStatus != "" {
			sub = sub.Where("status = ?", f.NeedStatus)
		}
		q = q.Where("id IN (?)", sub)
	}
	q = between(q, "created_at", f.From, f.To)
	if f.UpdatedSince != nil {
		q = q.Where("updated_at >= ?", f.UpdatedSince.UTC())
	}
	if len(f.Search) > 0 || f.BirthDate != "" {
		if err := s.backfillLookup(ctx, f.AgencyID); err != nil {
			return nil, 0, err
		}
		var err error
		if q, err = s.lookupFilter(q, f.AgencyID, f.Search, f.BirthDate); err != nil {
			return nil, 0, err
		}
	}
	var rows []caseRow
	total, err := page(q, "updated_at DESC, id", p, &rows, "cases")
	if err != nil {
		return nil, 0, err
	}
	out, err := s.withNeeds(ctx, rows)
	return out, total, err
}

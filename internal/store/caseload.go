package store

import (
	"context"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/referral"
)

// MaxCaseload bounds the open cases one caseload view sorts.
const MaxCaseload = 2000

// CaseloadItem is one open case of a caseload: its client's display name,
// its open needs, the next task due and how many are overdue.
type CaseloadItem struct {
	CaseID      string
	ClientName  string
	OpenNeeds   int
	NeedDomains map[string]int // open needs by domain
	NextDue     *Task
	Overdue     int
	UpdatedAt   time.Time
}

// caseloadRow is what the caseload reads of a case.
type caseloadRow struct {
	ID, Client string
	UpdatedAt  time.Time
}

// Caseload lists the open cases of one caseworker of a's agency (by key
// or person id; "" is a itself, or the whole agency for an agency key):
// cases with overdue tasks first, then by the next due task, then the
// most recently updated. A case is a caseworker's when it is with their
// person (cases.caseworker_id) or, with no person named, was opened with
// their key, or a key of their person (cases.created_by). Showing the client names is an audited
// read.
func (s *Store) Caseload(ctx context.Context, a Actor, caseworker string, p Paging) ([]CaseloadItem, int64, error) {
	q, err := s.caseloadQuery(ctx, a.Principal, caseworker)
	if err != nil {
		return nil, 0, err
	}
	var rows []caseloadRow
	if err := q.Select("id, client, updated_at").Order("updated_at DESC, id").Limit(MaxCaseload).Find(&rows).Error; err != nil {
		return nil, 0, mapErr(err, "read caseload")
	}
	items, err := s.caseloadFigures(ctx, a, rows)
	if err != nil {
		return nil, 0, err
	}
	sortCaseload(items)
	total := int64(len(items))
	from := min(p.offset(), len(items))
	items = items[from:min(from+p.Size, len(items))]
	return items, total, s.caseloadNames(ctx, a, items, rows)
}

// caseloadQuery selects the open cases of caseworker in p's agency.
func (s *Store) caseloadQuery(ctx context.Context, p auth.Principal, caseworker string) (*gorm.DB, error) {
	q := s.db.WithContext(ctx).Model(&caseRow{}).Where("agency_id = ? AND status = ?", p.AgencyID, CaseOpen)
	keyID, personID := "", ""
	switch {
	case caseworker != "":
		var err error
		if keyID, personID, err = s.caseworkerOf(ctx, p.AgencyID, caseworker); err != nil {
			return nil, err
		}
	case p.Role == auth.Caseworker:
		keyID, personID = p.KeyID, p.PersonID
	default:
		return q, nil // an agency key: the whole agency's open cases
	}
	if personID == "" {
		return q.Where("caseworker_id IS NULL AND created_by = ?", keyID), nil
	}
	// A person's cases: those with them, and those with no one named that
	// were opened with a key of theirs. (A key shared by an agency's staff
	// and acting for one person says nothing by itself about whose cases
	// it opened.)
	keys := s.db.Model(&APIKey{}).Select("id").Where("person_id = ?", personID)
	return q.Where("(caseworker_id = ? OR (caseworker_id IS NULL AND created_by IN (?)))", personID, keys), nil
}

// caseworkerOf reads id as a key of agency (with the person it acts for,
// if any) or a person of agency; another agency's is not found.
func (s *Store) caseworkerOf(ctx context.Context, agency, id string) (keyID, personID string, err error) {
	id = strings.ToLower(id)
	notFound := apperr.E(apperr.NotFound, "no key or person of your agency has id %s", id)
	if !isUUID(id) {
		return "", "", notFound
	}
	var keys []struct {
		ID       string
		PersonID *string
	}
	if err := s.db.WithContext(ctx).Model(&APIKey{}).Select("id, person_id").Where("id = ? AND agency_id = ?", id, agency).Find(&keys).Error; err != nil {
		return "", "", mapErr(err, "read caseworker key")
	}
	if len(keys) > 0 {
		return keys[0].ID, deref(keys[0].PersonID), nil
	}
	var n int64
	if err := s.db.WithContext(ctx).Table("people").Where("id = ? AND agency_id = ?", id, agency).Count(&n).Error; err != nil {
		return "", "", mapErr(err, "read caseworker person")
	}
	if n == 0 {
		return "", "", notFound
	}
	return "", id, nil
}

// caseloadFigures counts each case's open needs and open tasks, in one
// query each, and picks its next due task.
func (s *Store) caseloadFigures(ctx context.Context, a Actor, rows []caseloadRow) ([]CaseloadItem, error) {
	items := make([]CaseloadItem, len(rows))
	if len(rows) == 0 {
		return items, nil
	}
	ids := make([]string, len(rows))
	at := map[string]int{}
	for i, r := range rows {
		ids[i], at[r.ID] = r.ID, i
		items[i] = CaseloadItem{CaseID: r.ID, NeedDomains: map[string]int{}, UpdatedAt: r.UpdatedAt.UTC()}
	}
	var needs []needRow
	if err := s.db.WithContext(ctx).Model(&needRow{}).Select("case_id, domain").
		Where("case_id IN ? AND status IN ?", ids, []string{referral.NeedIdentified, referral.NeedInProgress}).Find(&needs).Error; err != nil {
		return nil, mapErr(err, "read caseload needs")
	}
	for _, n := range needs {
		it := &items[at[n.CaseID]]
		it.OpenNeeds++
		it.NeedDomains[n.Domain]++
	}
	var tasks []FollowUp
	if err := s.db.WithContext(ctx).Where("case_id IN ? AND assignee_agency_id = ? AND done_at IS NULL", ids, a.Principal.AgencyID).
		Order(worklistOrder).Find(&tasks).Error; err != nil {
		return nil, mapErr(err, "read caseload tasks")
	}
	now := s.now().UTC()
	var next []FollowUp
	for _, f := range tasks {
		it := &items[at[deref(f.CaseID)]]
		if f.DueAt.Before(now) {
			it.Overdue++
		}
		if it.NextDue == nil {
			it.NextDue = &Task{}
			next = append(next, f)
		}
	}
	dressed, err := s.dressTasks(ctx, a, next, false, false)
	if err != nil {
		return nil, err
	}
	for _, t := range dressed {
		*items[at[deref(t.FollowUp.CaseID)]].NextDue = t
	}
	return items, nil
}

// sortCaseload puts cases with overdue tasks first, then orders by the
// next due task (cases with none last), then the most recently updated.
func sortCaseload(items []CaseloadItem) {
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if (a.Overdue > 0) != (b.Overdue > 0) {
			return a.Overdue > 0
		}
		if (a.NextDue == nil) != (b.NextDue == nil) {
			return a.NextDue != nil
		}
		if a.NextDue != nil && !a.NextDue.DueAt.Equal(b.NextDue.DueAt) {
			return a.NextDue.DueAt.Before(b.NextDue.DueAt)
		}
		if !a.UpdatedAt.Equal(b.UpdatedAt) {
			return a.UpdatedAt.After(b.UpdatedAt)
		}
		return a.CaseID < b.CaseID
	})
}

// caseloadNames opens the client names of the cases shown and audits the
// reads.
func (s *Store) caseloadNames(ctx context.Context, a Actor, items []CaseloadItem, rows []caseloadRow) error {
	client := map[string]string{}
	for _, r := range rows {
		client[r.ID] = r.Client
	}
	audit := make([]AuditEntry, 0, len(items))
	for i := range items {
		name, err := s.clientName(caseRow{ID: items[i].CaseID, Client: client[items[i].CaseID]})
		if err != nil {
			return err
		}
		items[i].ClientName = name
		audit = append(audit, a.auditEntry("read", "case", items[i].CaseID, "client name (caseload)"))
	}
	if len(audit) == 0 {
		return nil
	}
	return s.inTx(ctx, func(tx *txn) error { return tx.AuditBatch(ctx, audit) })
}

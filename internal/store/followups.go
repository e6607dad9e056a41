package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/referral"
)

// FollowUp is one task of a worklist: a referral's (the lifecycle opens
// and closes those), a dated risk's (source_id is the risk), or one a
// caseworker added to a case.
type FollowUp struct {
	ID                string `gorm:"primaryKey"`
	ReferralID        *string
	CaseID            *string
	NeedID            *string
	SourceID          *string
	Kind              string
	Title             string
	Note              *string // sealed
	Priority          string
	AssigneeAgencyID  string
	AssigneeKeyID     *string
	AssigneePersonID  *string
	CreatedByKeyID    *string
	CreatedByPersonID *string
	DueAt             time.Time
	CreatedAt         time.Time
	DoneAt            *time.Time
	// Version counts the task's changes through the API (If-Match).
	Version int `gorm:"default:1"`
	// OverdueNotifiedAt is when followup.overdue was queued for the task.
	OverdueNotifiedAt *time.Time
	// Filled on reads.
	Overdue        bool   `gorm:"-"`
	ReferralStatus string `gorm:"-"`
	ServiceName    string `gorm:"-"`
}

// TableName is the follow-up task table.
func (FollowUp) TableName() string { return "followups" }

// agencyZone is the time zone an agency works in (its own, or the default),
// remembered for a minute: every referral move asks for it. The minute is
// the process's elapsed time, not the store's clock: it bounds a cache, and
// a test's fixed clock must not keep an entry forever.
func (t *txn) agencyZone(ctx context.Context, agencyID string) (*time.Location, error) {
	if z, ok := t.s.zones.Load(agencyID); ok && time.Since(z.(zoneEntry).at) < time.Minute {
		return z.(zoneEntry).loc, nil
	}
	var tz []string
	if err := t.db.WithContext(ctx).Model(&agencyRow{}).Where("id = ?", agencyID).Pluck("tz", &tz).Error; err != nil {
		return nil, mapErr(err, "read agency time zone")
	}
	name := t.s.zoneName("")
	if len(tz) > 0 {
		name = t.s.zoneName(tz[0])
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("store: agency %s time zone %q: %w", agencyID, name, err)
	}
	t.s.zones.Store(agencyID, zoneEntry{loc: loc, at: time.Now()})
	return loc, nil
}

type zoneEntry struct {
	loc *time.Location
	at  time.Time
}

// applyPlan closes the tasks of the kinds the plan names and opens its new
// tasks; a task of a kind already open moves to the new due time.
func (t *txn) applyPlan(ctx context.Context, r *Referral, p referral.Plan) error {
	now := t.s.now().UTC().Truncate(time.Microsecond)
	if len(p.Close) > 0 {
		kinds := make([]string, len(p.Close))
		for i, k := range p.Close {
			kinds[i] = string(k)
		}
		err := t.db.WithContext(ctx).Model(&FollowUp{}).Where("referral_id = ? AND kind IN ? AND done_at IS NULL", r.ID, kinds).Update("done_at", now).Error
		if err != nil {
			return mapErr(err, "close follow-ups")
		}
	}
	if len(p.Open) == 0 {
		return nil
	}
	// One read of the open tasks, then one insert of the new ones: a move
	// that opens two tasks costs two statements, not four.
	var open []FollowUp
	if err := t.db.WithContext(ctx).Select("id, kind").Where("referral_id = ? AND done_at IS NULL", r.ID).Find(&open).Error; err != nil {
		return mapErr(err, "read open follow-ups")
	}
	byKind := map[string]string{}
	for _, f := range open {
		byKind[f.Kind] = f.ID
	}
	var fresh []FollowUp
	for _, task := range p.Open {
		f := FollowUp{ReferralID: &r.ID, CaseID: &r.CaseID, NeedID: r.NeedID, Kind: string(task.Kind), Priority: r.Priority,
			DueAt: task.Due.UTC().Truncate(time.Microsecond), CreatedAt: now}
		if id, ok := byKind[f.Kind]; ok {
			err := t.db.WithContext(ctx).Model(&FollowUp{}).Where("id = ?", id).Updates(map[string]any{"due_at": f.DueAt, "overdue_notified_at": nil}).Error
			if err != nil {
				return mapErr(err, "move follow-up")
			}
			continue
		}
		if task.Side == referral.Sender || !r.InNetwork() {
			// Out of network, the caseworker does the receiver's tasks too.
			f.AssigneeAgencyID, f.AssigneeKeyID, f.AssigneePersonID = r.SenderAgencyID, r.SenderKeyID, r.SenderPersonID
		} else {
			f.AssigneeAgencyID = r.ReceiverAgencyID
		}
		f.ID = uuid.NewString()
		fresh = append(fresh, f)
	}
	if len(fresh) == 0 {
		return nil
	}
	return mapErr(t.db.WithContext(ctx).Create(&fresh).Error, "open follow-ups")
}

// FollowUpFilter selects a worklist.
type FollowUpFilter struct {
	AgencyID string
	// KeyID and PersonID, when either is set, narrow the list to the tasks
	// assigned to that key or that person (assignee=me).
	KeyID, PersonID string
	CaseID          string // "": every case's
	Priority        string // "": both
	DueBefore       *time.Time
	Overdue         bool
	Done            bool // list finished tasks instead of open ones
	Now             time.Time
}

// worklistOrder sorts by due time, urgent first at equal due time, then id.
const worklistOrder = "due_at, CASE WHEN priority = 'urgent' THEN 0 ELSE 1 END, id"

// Worklist lists a's agency's tasks as f selects them, soonest due first,
// each with its case, client display name (where a may see it), need and
// referral: one query for the tasks, one each for their referrals, cases,
// needs and the agencies named in titles. Showing a client's name is an
// audited read of its case.
func (s *Store) Worklist(ctx context.Context, a Actor, f FollowUpFilter, p Paging) ([]Task, int64, error) {
	f.AgencyID = a.Principal.AgencyID
	if f.CaseID != "" {
		var n int64
		if err := s.db.WithContext(ctx).Model(&caseRow{}).Where("id = ? AND agency_id = ?", f.CaseID, f.AgencyID).Count(&n).Error; err != nil {
			return nil, 0, mapErr(err, "read worklist case")
		}
		if n == 0 {
			return nil, 0, apperr.E(apperr.NotFound, "no case has id %s", f.CaseID)
		}
	}
	rows := []FollowUp{}
	total, err := page(s.followUpQuery(ctx, f), worklistOrder, p, &rows, "tasks")
	if err != nil {
		return nil, 0, err
	}
	out, err := s.showTasks(ctx, a, rows, false)
	return out, total, err
}

func (s *Store) followUpQuery(ctx context.Context, f FollowUpFilter) *gorm.DB {
	q := s.db.WithContext(ctx).Model(&FollowUp{}).Where("assignee_agency_id = ?", f.AgencyID)
	// A task given to a person is that person's alone; one given to no
	// person is its key's; one given to neither (a referral the agency
	// received) is everyone's in the agency until someone takes it.
	const unassigned = "(assignee_person_id IS NULL AND assignee_key_id IS NULL)"
	switch {
	case f.KeyID != "" && f.PersonID != "":
		q = q.Where("(assignee_person_id = ? OR (assignee_person_id IS NULL AND assignee_key_id = ?) OR "+unassigned+")", f.PersonID, f.KeyID)
	case f.PersonID != "":
		q = q.Where("(assignee_person_id = ? OR "+unassigned+")", f.PersonID)
	case f.KeyID != "":
		q = q.Where("((assignee_person_id IS NULL AND assignee_key_id = ?) OR "+unassigned+")", f.KeyID)
	}
	if f.CaseID != "" {
		q = q.Where("case_id = ?", f.CaseID)
	}
	if f.Priority != "" {
		q = q.Where("priority = ?", f.Priority)
	}
	if f.Done {
		q = q.Where("done_at IS NOT NULL")
	} else {
		q = q.Where("done_at IS NULL")
	}
	if f.DueBefore != nil {
		q = q.Where("due_at < ?", f.DueBefore.UTC())
	}
	if f.Overdue {
		q = q.Where("due_at < ? AND done_at IS NULL", f.Now.UTC())
	}
	return q
}

// FollowUpsOf lists the lifecycle's tasks of one referral, oldest first
// (the tasks an agency adds to a referral are its own worklist's, not the
// referral's: the other party never sees them).
func (s *Store) FollowUpsOf(ctx context.Context, r Referral) ([]FollowUp, error) {
	out := []FollowUp{}
	kinds := make([]string, len(referral.Kinds))
	for i, k := range referral.Kinds {
		kinds[i] = string(k)
	}
	err := s.db.WithContext(ctx).Where("referral_id = ? AND kind IN ?", r.ID, kinds).Order("created_at, id").Find(&out).Error
	now := s.now().UTC()
	for i := range out {
		f := &out[i]
		f.DueAt, f.CreatedAt, f.DoneAt = f.DueAt.UTC(), f.CreatedAt.UTC(), utcp(f.DoneAt)
		f.Overdue = f.DoneAt == nil && f.DueAt.Before(now)
		f.ReferralStatus, f.ServiceName = string(r.Status), r.ServiceName
	}
	return out, mapErr(err, "list referral follow-ups")
}

// NotifyOverdue queues followup.overdue, in one transaction, for up to
// limit open tasks that became overdue since they were last notified, and
// reports how many.
func (s *Store) NotifyOverdue(ctx context.Context, limit int) (n int, err error) {
	err = s.inTx(ctx, func(tx *txn) error {
		n, err = tx.notifyOverdue(ctx, limit)
		return err
	})
	return n, err
}

func (t *txn) notifyOverdue(ctx context.Context, limit int) (int, error) {
	now := t.s.now().UTC().Truncate(time.Microsecond)
	var due []FollowUp
	err := t.db.WithContext(ctx).Where("done_at IS NULL AND overdue_notified_at IS NULL AND due_at < ?", now).Order("due_at, id").Limit(limit).Find(&due).Error
	if err != nil {
		return 0, mapErr(err, "find overdue follow-ups")
	}
	for _, f := range due {
		if err := t.db.WithContext(ctx).Model(&FollowUp{}).Where("id = ?", f.ID).Update("overdue_notified_at", now).Error; err != nil {
			return 0, mapErr(err, "mark follow-up notified")
		}
		order := deref(f.ReferralID)
		if order == "" {
			order = deref(f.CaseID)
		}
		err := t.notify(ctx, Notice{Type: "followup.overdue", OrderKey: order, AgencyIDs: []string{f.AssigneeAgencyID},
			Data: map[string]any{"followup_id": f.ID, "referral_id": f.ReferralID, "case_id": f.CaseID, "kind": f.Kind, "due_at": f.DueAt.UTC(), "assignee_key_id": f.AssigneeKeyID}})
		if err != nil {
			return 0, err
		}
	}
	return len(due), nil
}

package store

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/linkage-org/linkage/internal/referral"
)

// RiskTask is the kind of the worklist task a dated risk opens.
const RiskTask = "risk"

// afterCaseWrite keeps what a case write implies in step, in its
// transaction: the tasks of the case's dated risks and, when the client
// changed, the case's lookup digests.
func (t *txn) afterCaseWrite(ctx context.Context, a Actor, c *Case, lead referral.Lead, clientChanged bool) error {
	if err := t.syncRiskTasks(ctx, a, c, lead); err != nil {
		return err
	}
	if c.Status == CaseClosed {
		// A closed case's own tasks are finished with it; its referrals'
		// tasks end with the referrals.
		now := t.s.now().UTC().Truncate(time.Microsecond)
		err := t.db.WithContext(ctx).Model(&FollowUp{}).Where("case_id = ? AND kind = ? AND done_at IS NULL", c.ID, KindTask).Update("done_at", now).Error
		if err != nil {
			return mapErr(err, "finish the closed case's tasks")
		}
	}
	if !clientChanged {
		return nil
	}
	return t.writeLookup(ctx, c)
}

// syncRiskTasks opens a task for each dated risk of open case c that has
// none, moves the task of a risk whose date (or kind) changed, and closes
// the tasks of risks removed, or of every risk once the case is closed.
// The title names the kind and date, so an unchanged title is an
// unchanged risk: its due time stays as it was set.
func (t *txn) syncRiskTasks(ctx context.Context, a Actor, c *Case, lead referral.Lead) error {
	want := map[string]referral.Risk{}
	if c.Status == CaseOpen {
		for _, r := range c.Assessment.Risks {
			if r.Date != "" {
				want[r.ID] = r
			}
		}
	}
	db := t.db.WithContext(ctx)
	var open []FollowUp
	err := db.Select("id, source_id, title").Where("case_id = ? AND kind = ? AND done_at IS NULL", c.ID, RiskTask).Find(&open).Error
	if err != nil {
		return mapErr(err, "read risk tasks")
	}
	if len(open) == 0 && len(want) == 0 {
		return nil
	}
	now := t.s.now().UTC().Truncate(time.Microsecond)
	zone, err := t.agencyZone(ctx, c.AgencyID)
	if err != nil {
		return err
	}
	for _, f := range open {
		r, ok := want[deref(f.SourceID)]
		delete(want, deref(f.SourceID))
		switch {
		case !ok:
			err = db.Model(&FollowUp{}).Where("id = ?", f.ID).Update("done_at", now).Error
		case f.Title != referral.RiskTitle(r):
			due, derr := lead.RiskDue(r.Date, zone, now)
			if derr != nil {
				return derr
			}
			err = db.Model(&FollowUp{}).Where("id = ?", f.ID).
				Updates(map[string]any{"title": referral.RiskTitle(r), "due_at": due.Truncate(time.Microsecond), "overdue_notified_at": nil}).Error
		}
		if err != nil {
			return mapErr(err, "update risk task")
		}
	}
	return t.openRiskTasks(ctx, a, c, want, lead, zone, now)
}

// openRiskTasks opens the tasks of the risks (of case c) that have none,
// assigned to the case's caseworker: its person if the case names one,
// and the key that opened it.
func (t *txn) openRiskTasks(ctx context.Context, a Actor, c *Case, risks map[string]referral.Risk, lead referral.Lead, zone *time.Location, now time.Time) error {
	if len(risks) == 0 {
		return nil
	}
	p := a.Principal
	fresh := make([]FollowUp, 0, len(risks))
	for _, r := range c.Assessment.Risks {
		if _, ok := risks[r.ID]; !ok {
			continue
		}
		due, err := lead.RiskDue(r.Date, zone, now)
		if err != nil {
			return err
		}
		f := FollowUp{ID: uuid.NewString(), CaseID: &c.ID, SourceID: &r.ID, Kind: RiskTask, Title: referral.RiskTitle(r),
			Priority: "urgent", AssigneeAgencyID: c.AgencyID, AssigneeKeyID: c.CreatedBy,
			CreatedByKeyID: nilIfEmpty(p.KeyID), CreatedByPersonID: nilIfEmpty(p.PersonID),
			DueAt: due.Truncate(time.Microsecond), CreatedAt: now}
		f.AssigneePersonID = c.CaseworkerID
		fresh = append(fresh, f)
	}
	return mapErr(t.db.WithContext(ctx).Create(&fresh).Error, "open risk tasks")
}

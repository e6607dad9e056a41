package store

import (
	"context"
	"slices"
	"strings"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/referral"
)

// NeedChange is a change to one need of a case, made under the case's row
// lock. A need carries no version of its own: Match checks the case's.
type NeedChange struct {
	// Match checks the case's current version against the one the caller
	// read (the API's If-Match); an error aborts the change.
	Match func(version int) error
	// Patch turns the need as stored into the need as changed; unused by
	// AddNeed and DeleteNeed.
	Patch func(cur referral.Need) (referral.Need, error)
	// Fields names what the change touches, for the audit row.
	Fields []string
}

// AddNeed adds need n to case caseID of a's agency, in one transaction with
// the case's new version, the audit row and idem's key; it answers the case
// and the new need's id. A replay under the key adds nothing and answers
// the first need (replayed true).
func (s *Store) AddNeed(ctx context.Context, a Actor, caseID string, n referral.Need, u NeedChange, idem Idempotency) (c Case, needID string, replayed bool, err error) {
	if err := problems(referral.CheckNeed(&n, ""), "The need is not valid; see errors."); err != nil {
		return Case{}, "", false, err
	}
	needID, replayed, err = s.idempotent(ctx, a, "need", idem, func(tx *txn, id string) error {
		if c, err = tx.lockCase(ctx, caseID, a.Principal.AgencyID); err != nil {
			return err
		}
		if err := match(u, c.Version); err != nil {
			return err
		}
		if len(c.Needs) >= referral.MaxNeeds {
			return apperr.E(apperr.Unprocessable, "The case already lists %d needs, the most it may.", referral.MaxNeeds)
		}
		n.ID = id
		c.Needs = append(c.Needs, n)
		if err := tx.updateCase(ctx, &c); err != nil {
			return err
		}
		return tx.AuditBatch(ctx, []AuditEntry{a.auditEntry("create", "need", id, "case="+c.ID+",domain,status,note")})
	})
	if err != nil || !replayed {
		return c, needID, replayed, err
	}
	c, err = s.CaseByID(ctx, caseID, a.Principal.AgencyID)
	return c, needID, true, err
}

// UpdateNeed changes need needID of case caseID of a's agency as u says,
// in one transaction: lock, precondition, patch, the need rules, the write
// (the case's version bumped) and its audit row. The other needs stay.
func (s *Store) UpdateNeed(ctx context.Context, a Actor, caseID, needID string, u NeedChange) (Case, error) {
	var c Case
	err := s.inTx(ctx, func(tx *txn) error {
		var i int
		var err error
		if c, i, err = tx.lockNeed(ctx, a, caseID, needID, u); err != nil {
			return err
		}
		n, err := u.Patch(c.Needs[i])
		if err != nil {
			return err
		}
		n.ID = c.Needs[i].ID
		if err := problems(referral.CheckNeed(&n, ""), "The need is not valid; see errors."); err != nil {
			return err
		}
		c.Needs[i] = n
		if err := tx.updateCase(ctx, &c); err != nil {
			return err
		}
		fields := slices.Sorted(slices.Values(u.Fields))
		return tx.AuditBatch(ctx, []AuditEntry{a.auditEntry("update", "need", n.ID, "case="+c.ID+","+strings.Join(fields, ","))})
	})
	return c, err
}

// DeleteNeed removes need needID from case caseID of a's agency, in one
// transaction with the case's new version and the audit row. A need some
// referral points at stays (409 naming the referrals): no write unlinks a
// referral.
func (s *Store) DeleteNeed(ctx context.Context, a Actor, caseID, needID string, u NeedChange) (Case, error) {
	var c Case
	err := s.inTx(ctx, func(tx *txn) error {
		var i int
		var err error
		if c, i, err = tx.lockNeed(ctx, a, caseID, needID, u); err != nil {
			return err
		}
		id := c.Needs[i].ID
		c.Needs = slices.Delete(c.Needs, i, i+1)
		if err := tx.updateCase(ctx, &c); err != nil {
			return err
		}
		return tx.AuditBatch(ctx, []AuditEntry{a.auditEntry("delete", "need", id, "case="+c.ID)})
	})
	return c, err
}

func match(u NeedChange, version int) error {
	if u.Match == nil {
		return nil
	}
	return u.Match(version)
}

// needAt is the index of need id in c; a need of no case of the caller's
// is not found.
func needAt(c Case, id string) (int, error) {
	id = strings.ToLower(id)
	for i, n := range c.Needs {
		if n.ID == id {
			return i, nil
		}
	}
	return 0, apperr.E(apperr.NotFound, "case %s has no need with id %s", c.ID, id)
}

// referralsOfNeeds lists, by need, the ids of the referrals that point at
// the needs ids.
func (t *txn) referralsOfNeeds(ctx context.Context, ids []string) (map[string][]string, error) {
	out := map[string][]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []referralRow
	err := t.db.WithContext(ctx).Select("id", "need_id").Where("need_id IN ?", ids).Order("created_at, id").Find(&rows).Error
	if err != nil {
		return nil, mapErr(err, "read referrals of needs")
	}
	for _, r := range rows {
		out[*r.NeedID] = append(out[*r.NeedID], r.ID)
	}
	return out, nil
}

// keepLinkedNeeds refuses to drop needs (ids) that referrals point at: a
// Conflict naming the referrals, so no write unlinks one.
func (t *txn) keepLinkedNeeds(ctx context.Context, ids []string) error {
	linked, err := t.referralsOfNeeds(ctx, ids)
	if err != nil || len(linked) == 0 {
		return err
	}
	var parts []string
	for _, id := range ids {
		if refs := linked[id]; len(refs) > 0 {
			parts = append(parts, "need "+id+" (referrals "+strings.Join(refs, ", ")+")")
		}
	}
	return apperr.E(apperr.Conflict, "A need with referrals cannot be removed: %s. Change its status instead.", strings.Join(parts, "; "))
}

// needAfterMove keeps the need of referral r (just moved) in step: a sent
// referral moves an identified need in progress; a referral that ended
// unsuccessfully (declined, cancelled, closed_unsuccessful) moves an in
// progress need back to identified unless another referral of the need is
// still open or completed. A need met stays met; a follow-up answer sets
// the need after a close (recordFollowUp).
func (t *txn) needAfterMove(ctx context.Context, r Referral) error {
	if r.NeedID == nil {
		return nil
	}
	switch r.Status {
	case referral.Sent:
		cs, err := t.View().CaseByID(ctx, r.CaseID, r.SenderAgencyID)
		if err != nil {
			return err
		}
		return t.needInProgress(ctx, r, &cs)
	case referral.Declined, referral.Cancelled, referral.ClosedUnsuccessful:
	default:
		return nil
	}
	if r.SentAt == nil {
		return nil // a draft cancelled before anyone saw it never moved the need
	}
	var live int64
	err := t.db.WithContext(ctx).Model(&referralRow{}).Where("need_id = ? AND id <> ? AND status NOT IN ?", *r.NeedID, r.ID,
		[]string{string(referral.Draft), string(referral.Declined), string(referral.Cancelled), string(referral.ClosedUnsuccessful)}).Count(&live).Error
	if err != nil {
		return mapErr(err, "count open referrals of need")
	}
	if live > 0 {
		return nil
	}
	var n needRow
	if err := t.db.WithContext(ctx).Select("status").Where("id = ?", *r.NeedID).Take(&n).Error; err != nil {
		return mapErr(err, "read need")
	}
	if n.Status != referral.NeedInProgress {
		return nil
	}
	return t.setNeedStatus(ctx, r.CaseID, *r.NeedID, referral.NeedIdentified)
}

// lockNeed locks case caseID of a's agency for a change of its need
// needID and checks u's precondition; it returns the case and the need's
// index in it.
func (t *txn) lockNeed(ctx context.Context, a Actor, caseID, needID string, u NeedChange) (Case, int, error) {
	c, err := t.lockCase(ctx, caseID, a.Principal.AgencyID)
	if err != nil {
		return c, 0, err
	}
	i, err := needAt(c, needID)
	if err != nil {
		return c, 0, err
	}
	return c, i, match(u, c.Version)
}

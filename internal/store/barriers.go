package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/referral"
)

// BarrierReport is the barrier report of the needs of cases opened in
// [from, to): a's agency's own cases, or everyone's for an admin. It holds
// no personal data and no case ids; counts below r.MinCount are
// suppressed.
func (s *Store) BarrierReport(ctx context.Context, a Actor, from, to time.Time, r referral.BarrierRules) ([]referral.BarrierGroup, error) {
	agency := a.Principal.AgencyID
	if a.Principal.Role == auth.Admin {
		agency = ""
	}
	rows, err := s.barrierRows(ctx, agency, from, to)
	if err != nil {
		return nil, err
	}
	return referral.Barriers(rows, s.now().UTC(), r), nil
}

// barrierRows reads the needs and, in a second query, their referrals.
func (s *Store) barrierRows(ctx context.Context, agency string, from, to time.Time) ([]referral.BarrierRow, error) {
	needs := s.db.WithContext(ctx).Table("case_needs AS n").Joins("JOIN cases c ON c.id = n.case_id").
		Where("c.created_at >= ? AND c.created_at < ?", from.UTC(), to.UTC())
	if agency != "" {
		needs = needs.Where("c.agency_id = ?", agency)
	}
	var ns []struct {
		ID, Domain, Status, Area string
		CreatedAt                time.Time
	}
	if err := needs.Session(&gorm.Session{}).Select("n.id, n.domain, n.status, c.area, c.created_at").Order("n.id").Scan(&ns).Error; err != nil {
		return nil, mapErr(err, "read needs for barrier report")
	}
	var refs []struct {
		NeedID, Status, Reason string
	}
	err := s.db.WithContext(ctx).Model(&referralRow{}).Select("need_id, status, reason").
		Where("need_id IN (?)", needs.Session(&gorm.Session{}).Select("n.id")).Scan(&refs).Error
	if err != nil {
		return nil, mapErr(err, "read referrals for barrier report")
	}
	byNeed := map[string][]referral.BarrierReferral{}
	for _, r := range refs {
		byNeed[r.NeedID] = append(byNeed[r.NeedID], referral.BarrierReferral{Status: referral.Status(r.Status), Reason: r.Reason})
	}
	out := make([]referral.BarrierRow, len(ns))
	for i, n := range ns {
		out[i] = referral.BarrierRow{Domain: n.Domain, Area: n.Area, Status: n.Status, IdentifiedAt: n.CreatedAt.UTC(), Referrals: byNeed[n.ID]}
	}
	return out, nil
}

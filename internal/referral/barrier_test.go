package referral

import (
	"testing"
	"time"
)

func TestBarrierOf(t *testing.T) {
	now := time.Date(2026, 12, 20, 12, 0, 0, 0, time.UTC)
	old, fresh := now.AddDate(0, 0, -15), now.AddDate(0, 0, -3)
	r := BarrierRules{ReferDays: 14, MinCount: 1}
	for _, c := range []struct {
		name string
		row  BarrierRow
		want string
	}{
		{"met", BarrierRow{Status: "met", IdentifiedAt: old, Referrals: []BarrierReferral{{Status: Declined}}}, "met"},
		{"old, never referred", BarrierRow{Status: "identified", IdentifiedAt: old}, "never_referred"},
		{"fresh, not yet", BarrierRow{Status: "identified", IdentifiedAt: fresh}, ""},
		{"fresh but unmet", BarrierRow{Status: "unmet", IdentifiedAt: fresh}, "never_referred"},
		{"all ended unmet", BarrierRow{Status: "identified", IdentifiedAt: old, Referrals: []BarrierReferral{{Status: Declined}, {Status: Cancelled}, {Status: ClosedUnsuccessful}}}, "referred_not_met"},
		{"one still open", BarrierRow{Status: "in_progress", IdentifiedAt: old, Referrals: []BarrierReferral{{Status: Declined}, {Status: Accepted}}}, ""},
		{"completed, awaiting the answer", BarrierRow{Status: "in_progress", IdentifiedAt: old, Referrals: []BarrierReferral{{Status: Completed}}}, ""},
		{"referred, unmet", BarrierRow{Status: "unmet", IdentifiedAt: old, Referrals: []BarrierReferral{{Status: Completed}}}, "referred_not_met"},
	} {
		if got := r.BarrierOf(c.row, now); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

func TestBarriers_Suppression(t *testing.T) {
	now := time.Date(2026, 12, 20, 12, 0, 0, 0, time.UTC)
	old := now.AddDate(0, 0, -30)
	var rows []BarrierRow
	for i := 0; i < 6; i++ {
		rows = append(rows, BarrierRow{Domain: "housing", Area: "294", Status: "identified", IdentifiedAt: old,
			Referrals: []BarrierReferral{{Status: Declined, Reason: "no_capacity"}}})
	}
	rows = append(rows, BarrierRow{Domain: "housing", Area: "294", Status: "met", IdentifiedAt: old},
		BarrierRow{Domain: "legal", Area: "", Status: "identified", IdentifiedAt: old,
			Referrals: []BarrierReferral{{Status: ClosedUnsuccessful, Reason: "lost_contact"}}})
	got := Barriers(rows, now, BarrierRules{ReferDays: 14, MinCount: 5})
	if len(got) != 2 || got[0].Key != "housing/294" || got[1].Key != "legal/unknown" || got[1].Name != "legal, area unknown" {
		t.Fatalf("groups = %+v", got)
	}
	h, l := got[0], got[1]
	if *h.Identified != 7 || *h.ReferredNotMet != 6 || *h.NeverReferred != 0 || h.Met != nil || !h.Suppressed ||
		len(h.TopReasons) != 1 || h.TopReasons[0] != (ReasonCount{"no_capacity", 6}) {
		t.Errorf("housing = %+v", h)
	}
	// One need: every non-zero count hidden, the reason too.
	if l.Identified != nil || l.ReferredNotMet != nil || *l.Met != 0 || !l.Suppressed || len(l.TopReasons) != 0 {
		t.Errorf("legal = %+v", l)
	}
}

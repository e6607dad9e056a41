package referral

import (
	"slices"
	"sort"
	"strings"
	"time"
)

// ReportRow is what the outcome report needs of one sent referral.
type ReportRow struct {
	ServiceID, ServiceName           string
	ReceiverAgencyID, SenderAgencyID string
	SenderKeyID                      string // the caseworker's key, "" if none was recorded
	// OutOfNetwork: made outside Linkage (its ReceiverAgencyID is the
	// sender's own, for the caseworker's side of the loop).
	OutOfNetwork                    bool
	Need                            string
	Status                          Status
	Reason, Outcome                 string
	NeedMet                         string // the client's follow-up answer, "" if none
	SentAt, RespondedAt, AcceptedAt *time.Time
}

// Figures are the outcome figures of one group of referrals. Rates are
// fractions (0..1) of the referrals they are rates of, nil when there is
// nothing to divide by; medians are in hours, nil when no referral had the
// step.
type Figures struct {
	Key             string         `json:"key"`
	Name            string         `json:"name,omitempty"`
	Sent            int            `json:"sent"`
	Responded       int            `json:"responded"`
	Accepted        int            `json:"accepted"`
	Declined        int            `json:"declined"`
	Completed       int            `json:"completed"`
	ClosedUnsuccess int            `json:"closed_unsuccessful"`
	Cancelled       int            `json:"cancelled"`
	Open            int            `json:"open"`
	AcceptanceRate  *float64       `json:"acceptance_rate"`
	CompletionRate  *float64       `json:"completion_rate"`
	MedianResponseH *float64       `json:"median_hours_to_first_response"`
	MedianAcceptH   *float64       `json:"median_hours_to_acceptance"`
	Outcomes        map[string]int `json:"outcomes"`
	DeclineReasons  map[string]int `json:"decline_reasons"`
	CloseReasons    map[string]int `json:"closed_unsuccessful_reasons"`
	FollowUps       int            `json:"client_followups"`
	NeedMetYes      int            `json:"need_met_yes"`
	NeedMetPartly   int            `json:"need_met_partly"`
	NeedMetNo       int            `json:"need_met_no"`
	NeedMetRate     *float64       `json:"need_met_rate"`
	responseHours   []float64
	acceptanceHours []float64
}

// GroupBy names a report grouping: by service, receiving agency, need,
// sending agency, caseworker (the sending key) or network (in_network or
// out_of_network).
var GroupBy = []string{"service", "agency", "need", "sender", "caseworker", "network"}

// Network group keys; OutOfNetwork is also the receiving-agency key of an
// out-of-network referral (no agency received it).
const (
	InNetworkKey    = "in_network"
	OutOfNetworkKey = "out_of_network"
)

// GroupKey is the key of r's group under groupBy.
func GroupKey(r ReportRow, groupBy string) string {
	switch groupBy {
	case "agency":
		if r.OutOfNetwork {
			return OutOfNetworkKey
		}
		return r.ReceiverAgencyID
	case "network":
		if r.OutOfNetwork {
			return OutOfNetworkKey
		}
		return InNetworkKey
	case "sender":
		return r.SenderAgencyID
	case "caseworker":
		return r.SenderKeyID
	case "need":
		return r.Need
	}
	return r.ServiceID
}

// Report groups rows by groupBy (one of GroupBy) and computes each group's
// figures, ordered by referrals sent (most first), then key; name names a
// group by its key (a service is named by the name it had when referred).
// The acceptance rate is accepted over answered (accepted or declined), the
// completion rate completed over accepted referrals that ended (completed
// or closed unsuccessful), the need-met rate yes over client answers.
func Report(rows []ReportRow, groupBy string, name func(key string) string) []Figures {
	groups := map[string]*Figures{}
	for _, r := range rows {
		key := GroupKey(r, groupBy)
		g := groups[key]
		if g == nil {
			n := r.ServiceName
			if groupBy != "service" && name != nil {
				n = name(key)
			}
			g = &Figures{Key: key, Name: n, Outcomes: map[string]int{}, DeclineReasons: map[string]int{}, CloseReasons: map[string]int{}}
			groups[key] = g
		}
		g.add(r)
	}
	out := make([]Figures, 0, len(groups))
	for _, g := range groups {
		g.finish()
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Sent != out[j].Sent {
			return out[i].Sent > out[j].Sent
		}
		return out[i].Key < out[j].Key
	})
	return out
}

func (g *Figures) add(r ReportRow) {
	g.Sent++
	if r.RespondedAt != nil {
		g.Responded++
		if r.SentAt != nil {
			g.responseHours = append(g.responseHours, r.RespondedAt.Sub(*r.SentAt).Hours())
		}
	}
	if r.AcceptedAt != nil {
		g.Accepted++
		if r.SentAt != nil {
			g.acceptanceHours = append(g.acceptanceHours, r.AcceptedAt.Sub(*r.SentAt).Hours())
		}
	}
	switch r.Status {
	case Declined:
		g.Declined++
		g.DeclineReasons[CanonicalReason(r.Reason)]++
	case Completed:
		g.Completed++
		g.Outcomes[r.Outcome]++
	case ClosedUnsuccessful:
		g.ClosedUnsuccess++
		g.CloseReasons[CanonicalReason(r.Reason)]++
	case Cancelled:
		g.Cancelled++
	default:
		g.Open++
	}
	switch r.NeedMet {
	case "yes":
		g.NeedMetYes++
	case "partly":
		g.NeedMetPartly++
	case "no":
		g.NeedMetNo++
	}
}

func ratio(n, d int) *float64 {
	if d == 0 {
		return nil
	}
	v := float64(n) / float64(d)
	return &v
}

// Median is the middle value (the mean of the two middle ones), nil for
// none.
func Median(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	s := slices.Sorted(slices.Values(xs))
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return &m
}

func (g *Figures) finish() {
	g.AcceptanceRate = ratio(g.Accepted, g.Accepted+g.Declined)
	ended := g.Completed + g.ClosedUnsuccess
	g.CompletionRate = ratio(g.Completed, ended)
	g.MedianResponseH = Median(g.responseHours)
	g.MedianAcceptH = Median(g.acceptanceHours)
	g.FollowUps = g.NeedMetYes + g.NeedMetPartly + g.NeedMetNo
	g.NeedMetRate = ratio(g.NeedMetYes, g.FollowUps)
}

// BarrierRow is what the barrier report needs of one identified need: its
// domain, the coarse area of its case, its status, when it was identified
// (the case's opening) and how its referrals went.
type BarrierRow struct {
	Domain, Area, Status string
	IdentifiedAt         time.Time
	Referrals            []BarrierReferral
}

// BarrierReferral is one referral of a need as the barrier report sees it.
type BarrierReferral struct {
	Status Status
	Reason string
}

// BarrierRules are the barrier report's settings: a need with no referral
// after ReferDays counts as never referred; a count below MinCount (but
// above zero) is suppressed, so a small group cannot point at a person.
type BarrierRules struct {
	ReferDays, MinCount int
}

// DefaultBarrierRules are LINKAGE_BARRIER_REFER_DAYS and
// LINKAGE_REPORT_MIN_COUNT as shipped.
var DefaultBarrierRules = BarrierRules{ReferDays: 14, MinCount: 5}

// BarrierGroup is the barrier figures of one need domain in one area. A
// count is nil when suppressed (Suppressed then says so).
type BarrierGroup struct {
	Key            string        `json:"key"`
	Name           string        `json:"name"`
	Need           string        `json:"need"`
	Area           string        `json:"area"`
	Identified     *int          `json:"identified"`
	NeverReferred  *int          `json:"never_referred"`
	ReferredNotMet *int          `json:"referred_not_met"`
	Met            *int          `json:"met"`
	Suppressed     bool          `json:"suppressed"`
	TopReasons     []ReasonCount `json:"top_reasons"`
}

// ReasonCount is how many declines or unsuccessful closes gave a reason.
type ReasonCount struct {
	Code  string `json:"code"`
	Count int    `json:"count"`
}

// unmetEnds are the ends of a referral that did not meet the need.
var unmetEnds = []Status{Declined, ClosedUnsuccessful, Cancelled}

// BarrierOf classifies one need at now: "met", "never_referred" (no
// referral, and unmet or identified ReferDays ago or more),
// "referred_not_met" (every referral ended without service, or the need is
// unmet) or "" (still being worked).
func (r BarrierRules) BarrierOf(row BarrierRow, now time.Time) string {
	if row.Status == "met" {
		return "met"
	}
	if len(row.Referrals) == 0 {
		if row.Status == "unmet" || !row.IdentifiedAt.After(now.AddDate(0, 0, -r.ReferDays)) {
			return "never_referred"
		}
		return ""
	}
	if row.Status == "unmet" {
		return "referred_not_met"
	}
	for _, ref := range row.Referrals {
		if !slices.Contains(unmetEnds, ref.Status) {
			return ""
		}
	}
	return "referred_not_met"
}

// Barriers groups needs by domain and area ("" is "unknown"), ordered by
// need then area, with the groups' counts (suppressed below MinCount) and
// their top three decline and unsuccessful-close reasons (a reason given
// fewer than MinCount times is left out).
func Barriers(rows []BarrierRow, now time.Time, r BarrierRules) []BarrierGroup {
	type tally struct {
		identified, never, notMet, met int
		reasons                        map[string]int
	}
	groups := map[[2]string]*tally{}
	for _, row := range rows {
		area := row.Area
		if area == "" {
			area = "unknown"
		}
		k := [2]string{row.Domain, area}
		g := groups[k]
		if g == nil {
			g = &tally{reasons: map[string]int{}}
			groups[k] = g
		}
		g.identified++
		switch r.BarrierOf(row, now) {
		case "met":
			g.met++
		case "never_referred":
			g.never++
		case "referred_not_met":
			g.notMet++
		}
		for _, ref := range row.Referrals {
			if (ref.Status == Declined || ref.Status == ClosedUnsuccessful) && ref.Reason != "" {
				g.reasons[CanonicalReason(ref.Reason)]++
			}
		}
	}
	out := make([]BarrierGroup, 0, len(groups))
	for k, g := range groups {
		b := BarrierGroup{Key: k[0] + "/" + k[1], Name: barrierName(k[0], k[1]), Need: k[0], Area: k[1], TopReasons: []ReasonCount{}}
		for _, c := range []struct {
			n   int
			out **int
		}{{g.identified, &b.Identified}, {g.never, &b.NeverReferred}, {g.notMet, &b.ReferredNotMet}, {g.met, &b.Met}} {
			if c.n > 0 && c.n < r.MinCount {
				b.Suppressed = true
				continue
			}
			n := c.n
			*c.out = &n
		}
		b.TopReasons = topReasons(g.reasons, r.MinCount)
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func barrierName(domain, area string) string {
	d := strings.ReplaceAll(domain, "_", " ")
	if area == "unknown" {
		return d + ", area unknown"
	}
	return d + " in " + area
}

// topReasons are the three reasons given most (at least min times each).
func topReasons(m map[string]int, least int) []ReasonCount {
	out := []ReasonCount{}
	for code, n := range m {
		if n >= least {
			out = append(out, ReasonCount{Code: code, Count: n})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Code < out[j].Code
	})
	return out[:min(len(out), 3)]
}

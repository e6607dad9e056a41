package referral

import (
	"slices"
	"sort"
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

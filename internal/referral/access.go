package referral

import "github.com/linkage-org/linkage/internal/auth"

// Sides tells a caller's relation to a referral between sender and
// receiver agencies. party is what the caller may read: keys of either
// agency with a role that works referrals (caseworker, agency). acting is
// the side whose moves the caller may make: the sender acts through its
// caseworkers; the receiver through caseworker or agency keys.
func Sides(p auth.Principal, sender, receiver string) (party, acting Side) {
	if p.AgencyID == "" || (p.Role != auth.Caseworker && p.Role != auth.Agency) {
		return None, None
	}
	if p.AgencyID == sender {
		party |= Sender
		if p.Role == auth.Caseworker {
			acting |= Sender
		}
	}
	if p.AgencyID == receiver {
		party |= Receiver
		acting |= Receiver
	}
	return party, acting
}

// WorksCases says whether a role may hold cases and send referrals.
func WorksCases(r auth.Role) bool { return r == auth.Caseworker }

// WorksReferrals says whether a role may read and answer referrals.
func WorksReferrals(r auth.Role) bool { return r == auth.Caseworker || r == auth.Agency }

// SidesOf is Sides for a referral made by method: an out-of-network
// referral (any method but linkage) has no receiving agency, so the
// sending agency's caseworkers record both sides' moves, and its agency
// keys read it; no other agency is a party.
func SidesOf(p auth.Principal, sender, receiver, method string) (party, acting Side) {
	if method == "" || method == MethodLinkage {
		return Sides(p, sender, receiver)
	}
	if p.AgencyID == "" || p.AgencyID != sender || !WorksReferrals(p.Role) {
		return None, None
	}
	if p.Role == auth.Caseworker {
		return Both, Both
	}
	return Both, None
}

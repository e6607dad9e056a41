package store

import (
	"context"
	"slices"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/referral"
)

// ReferralView is a referral as one party sees it: the client only as far
// as the consent shares it, the sender's private parts (its case, its key,
// the client's follow-up answer) only to the sender.
type ReferralView struct {
	// Referral has its note blanked where the reader may not see it.
	Referral
	// Party is what the reader may read as; Acting, the side whose moves
	// it may make.
	Party, Acting referral.Side
	AllowedMoves  []referral.Status // never nil
	Consent       string            // the case's consent status now
	Client        *referral.Client  // what is shared of the client; nil: nothing
	Needs         []referral.Need   // the case's needs (domain and status), if shared
	FollowUps     []FollowUp
	// ForwardedTo is the referral a forward of this one made.
	ForwardedTo *string
}

// Sender says whether the reader sees the referral as its sender.
func (v ReferralView) Sender() bool { return v.Party&referral.Sender != 0 }

// seeReferral builds what p sees of r, reading r's case unless cs is it,
// and names the personal data the view shows (for the read's audit).
func (s *Store) seeReferral(ctx context.Context, p auth.Principal, r Referral, cs *Case) (ReferralView, []string, error) {
	party, acting := referral.Sides(p, r.SenderAgencyID, r.ReceiverAgencyID)
	v := ReferralView{Referral: r, Party: party, Acting: acting, AllowedMoves: referral.Allowed(r.Status, acting)}
	if v.AllowedMoves == nil {
		v.AllowedMoves = []referral.Status{}
	}
	if cs == nil || cs.ID != r.CaseID {
		c, err := s.CaseByID(ctx, r.CaseID, r.SenderAgencyID)
		if err != nil {
			return ReferralView{}, nil, err
		}
		cs = &c
	}
	var read []string
	now := s.now()
	v.Consent = cs.Consent.Status(now)
	if party&referral.Sender == 0 && cs.Consent.Ended(now) {
		// Revoking consent (or its end) withdraws everything the client
		// shared through the referral from the receiving side, and the
		// sender's note about the client is part of it; consent_status
		// says why it is gone. The sending side owns the case and keeps
		// its note: consent governs sharing with receiving agencies.
		v.Note = ""
	}
	if shared, ok := referral.Shared(cs.Client, r.Share, cs.Consent, now); ok {
		v.Client = &shared
		read = append(read, "client")
	}
	if slices.Contains(r.Share, "needs") && cs.Consent.ActiveOn(now) {
		for _, n := range cs.Needs {
			v.Needs = append(v.Needs, referral.Need{Domain: n.Domain, Status: n.Status})
		}
	}
	var err error
	if r.Status == referral.Declined && r.Reason == referral.Forwarded {
		if v.ForwardedTo, err = s.forwardedTo(ctx, r.ID); err != nil {
			return ReferralView{}, nil, err
		}
	}
	if v.FollowUps, err = s.FollowUpsOf(ctx, r); err != nil {
		return ReferralView{}, nil, err
	}
	for i := range v.FollowUps {
		// Which caseworker of the other agency a task is for is theirs to know.
		if v.FollowUps[i].AssigneeAgencyID != p.AgencyID {
			v.FollowUps[i].AssigneeKeyID = nil
		}
	}
	if v.Note != "" {
		read = append(read, "note")
	}
	return v, read, nil
}

// ReferralEvents is the history of referral id as a, a party to it, may
// read it, oldest first; the read is audited.
func (s *Store) ReferralEvents(ctx context.Context, a Actor, id string, pg Paging) ([]Event, int64, error) {
	p := a.Principal
	r, err := s.ReferralByID(ctx, id, p.AgencyID)
	if err != nil {
		return nil, 0, err
	}
	party, _ := referral.Sides(p, r.SenderAgencyID, r.ReceiverAgencyID)
	if party == referral.Receiver && r.Status == referral.Draft {
		return nil, 0, apperr.E(apperr.NotFound, "no referral has id %s", id)
	}
	events, total, err := s.Events(ctx, r.ID, pg)
	if err != nil {
		return nil, 0, err
	}
	for i := range events {
		// The other agency's events say which agency, not which key.
		if events[i].AgencyID == nil || *events[i].AgencyID != p.AgencyID {
			events[i].KeyID = nil
		}
	}
	if party&referral.Sender == 0 {
		cs, err := s.CaseByID(ctx, r.CaseID, r.SenderAgencyID)
		if err != nil {
			return nil, 0, err
		}
		withholdNotes(events, p.AgencyID, cs.Consent.Ended(s.now()))
	}
	if err := s.AuditReads(ctx, a, "referral", []string{r.ID}, "events"); err != nil {
		return nil, 0, err
	}
	return events, total, nil
}

// withholdNotes blanks, in the history a receiving agency reads, what it
// may not see: the client's follow-up note (the sender's alone, as in the
// referral view) and, once the client's consent has ended, every note the
// sending side wrote (the referral's note is its created event's). The
// receiving agency's own notes stay: they are its records.
func withholdNotes(events []Event, agencyID string, consentEnded bool) {
	for i, e := range events {
		theirs := e.AgencyID == nil || *e.AgencyID != agencyID
		if e.NoteText != "" && (e.Kind == EventFollowUp || consentEnded && theirs) {
			events[i].NoteText, events[i].NoteWithheld = "", true
		}
	}
}

// forwardedTo is the id of the referral forwarded from referral id.
func (s *Store) forwardedTo(ctx context.Context, id string) (*string, error) {
	var ids []string
	if err := s.db.WithContext(ctx).Model(&referralRow{}).Where("forwarded_from = ?", id).Limit(1).Pluck("id", &ids).Error; err != nil {
		return nil, mapErr(err, "read forwarded referral")
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return &ids[0], nil
}

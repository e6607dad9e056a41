package store

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/referral"
)

// referralInvalid is the 422 of a referral that breaks the rules.
func referralInvalid(fe apperr.FieldErrors) error {
	return apperr.WithFields(apperr.Unprocessable, "The referral is not valid; see errors.", fe)
}

// checkReferralInput checks in's own fields (normalizing its ids and
// priority), before the case and the service are read.
func checkReferralInput(in *ReferralInput) apperr.FieldErrors {
	var fe apperr.FieldErrors
	in.CaseID, in.ServiceID, in.LocationID, in.NeedID = strings.ToLower(in.CaseID), strings.ToLower(in.ServiceID), strings.ToLower(in.LocationID), strings.ToLower(in.NeedID)
	for _, f := range []struct{ ptr, v string }{{"/case_id", in.CaseID}, {"/service_id", in.ServiceID}} {
		switch {
		case f.v == "":
			fe.Add(f.ptr, "is required")
		case !isUUID(f.v):
			fe.Add(f.ptr, "is not a UUID")
		}
	}
	for _, f := range []struct{ ptr, v string }{{"/location_id", in.LocationID}, {"/need_id", in.NeedID}} {
		if f.v != "" && !isUUID(f.v) {
			fe.Add(f.ptr, "is not a UUID")
		}
	}
	if in.Priority == "" {
		in.Priority = string(referral.Routine)
	}
	if in.Priority != string(referral.Routine) && in.Priority != string(referral.Urgent) {
		fe.Add("/priority", "must be routine or urgent")
	}
	if len(in.Note) > referral.MaxNoteLen {
		fe.Add("/note", "is longer than %d characters", referral.MaxNoteLen)
	}
	if in.NeedID == "" && in.Need == "" {
		fe.Add("/need", "is required: name the need this referral addresses (need_id of a case need, or its domain)")
	}
	if in.Method != "" && !slices.Contains(referral.Methods, in.Method) {
		fe.Add("/method", "must be one of %s", strings.Join(referral.Methods, ", "))
	}
	if in.ContactMode != "" && !slices.Contains(referral.ContactModes, in.ContactMode) {
		fe.Add("/contact_mode", "must be one of %s", strings.Join(referral.ContactModes, ", "))
	}
	return fe
}

// outOfNetwork is the message of a referral to a service no agency in
// Linkage answers for.
const outOfNetwork = "no agency in Linkage answers for this service's organization, so no one would answer a referral sent through Linkage; " +
	"record it as an out-of-network referral instead: send method phone, warm_handoff or self_referral (or email, in_person), " +
	"with appointment_at if you made one, and the follow-up runs on your side"

// checkMode checks how r's receiver and client will meet: an in-network
// referral needs contact_mode (share_contact, when the share includes
// contact, by default); an out-of-network one takes none, and only it may
// carry an appointment at creation.
func checkMode(r *Referral, in ReferralInput) apperr.FieldErrors {
	var fe apperr.FieldErrors
	if !r.InNetwork() {
		if in.ContactMode != "" {
			fe.Add("/contact_mode", "is for referrals sent through Linkage; an out-of-network referral was made with the service directly")
		}
		addTime(&fe, "/appointment_at", in.AppointmentAt)
		r.AppointmentAt = utcp(in.AppointmentAt)
		return fe
	}
	if in.AppointmentAt != nil {
		fe.Add("/appointment_at", "is set by the receiving agency when it accepts (or, out of network, by you when you record the referral)")
	}
	contact := slices.Contains(r.Share, "contact")
	switch {
	case in.ContactMode == "" && contact:
		r.ContactMode = referral.ShareContact
	case in.ContactMode == "":
		fe.Add("/contact_mode", "is required when the share does not include contact: send share_contact (with contact in share, under the client's consent) so the receiving agency can reach the client, or client_will_contact if the client will call the service")
	case in.ContactMode == referral.ShareContact && !contact:
		fe.Add("/contact_mode", "share_contact needs contact in share, under a consent in force that covers it; or send client_will_contact if the client will call the service")
	default:
		r.ContactMode = in.ContactMode
	}
	return fe
}

func isUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

// clipValue shortens a client's value for a message.
func clipValue(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// newReferral checks in against p's case, the service and the consent, and
// builds the referral to store with the case it was checked against.
func (t *txn) newReferral(ctx context.Context, p auth.Principal, in ReferralInput) (Referral, Case, error) {
	if fe := checkReferralInput(&in); len(fe) > 0 {
		return Referral{}, Case{}, referralInvalid(fe)
	}
	cs, tg, fe, err := t.referralParties(ctx, p, in)
	if err != nil {
		return Referral{}, Case{}, err
	}
	if len(fe) > 0 {
		return Referral{}, Case{}, referralInvalid(fe)
	}
	r := Referral{CaseID: cs.ID, SenderAgencyID: p.AgencyID, SenderKeyID: nilIfEmpty(p.KeyID), ReceiverAgencyID: tg.AgencyID,
		ServiceID: tg.ServiceID, ServiceName: tg.Name, Priority: in.Priority, Note: in.Note, Status: referral.Sent,
		Method: cmp.Or(in.Method, referral.MethodLinkage), SenderPersonID: nilIfEmpty(p.PersonID)}
	if !r.InNetwork() {
		r.ReceiverAgencyID = p.AgencyID // its loop runs on the sender's side
	}
	if in.Draft {
		r.Status = referral.Draft
	}
	if in.LocationID != "" {
		r.LocationID = &in.LocationID
	} else if len(tg.LocationIDs) == 1 {
		r.LocationID = &tg.LocationIDs[0]
	}
	fe = referralNeed(&r, cs, in)
	var want []string
	if in.Share != nil {
		want = *in.Share
		if want == nil {
			want = []string{}
		}
	}
	share, probs := referral.Share(cs.Consent, want, t.s.now())
	for _, pr := range probs {
		fe.Add(pr.Field, "%s", pr.Message)
	}
	if len(fe) > 0 {
		return Referral{}, Case{}, referralInvalid(fe)
	}
	r.Share = share
	if fe := checkMode(&r, in); len(fe) > 0 {
		return Referral{}, Case{}, referralInvalid(fe)
	}
	return r, cs, nil
}

// referralParties reads the case in refers from and the service it refers
// to, and says what makes either unfit.
func (t *txn) referralParties(ctx context.Context, p auth.Principal, in ReferralInput) (Case, Target, apperr.FieldErrors, error) {
	var fe apperr.FieldErrors
	view := t.View()
	cs, err := view.CaseByID(ctx, in.CaseID, p.AgencyID)
	if apperr.KindOf(err) == apperr.NotFound {
		fe.Add("/case_id", "your agency has no case with this id")
	} else if err != nil {
		return Case{}, Target{}, nil, err
	} else if cs.Status == CaseClosed {
		fe.Add("/case_id", "the case is closed; reopen it to refer from it")
	}
	tg, err := view.ReferralTarget(ctx, in.ServiceID)
	switch {
	case apperr.KindOf(err) == apperr.NotFound:
		fe.Add("/service_id", "no service has this id")
	case err != nil:
		return Case{}, Target{}, nil, err
	case tg.AgencyID == "" && (in.Method == "" || in.Method == referral.MethodLinkage):
		fe.Add("/service_id", outOfNetwork)
	case tg.Status != "" && tg.Status != "active":
		fe.Add("/service_id", "the service is %s; refer to an active service", tg.Status)
	case in.LocationID != "" && !slices.Contains(tg.LocationIDs, in.LocationID):
		fe.Add("/location_id", "is not one of the service's locations (%s)", strings.Join(tg.LocationIDs, ", "))
	}
	return cs, tg, fe, nil
}

// referralNeed points r at the need of cs that in names, and says what is
// wrong if none fits.
func referralNeed(r *Referral, cs Case, in ReferralInput) apperr.FieldErrors {
	for _, n := range cs.Needs {
		if (in.NeedID != "" && n.ID == in.NeedID) || (in.NeedID == "" && n.Domain == in.Need) {
			id := n.ID
			r.NeedID, r.NeedDomain = &id, n.Domain
			break
		}
	}
	var fe apperr.FieldErrors
	switch {
	case r.NeedID == nil && in.NeedID != "":
		fe.Add("/need_id", "is not a need of the case")
	case r.NeedID == nil:
		fe.Add("/need", "the case has no %s need; add it to the case first (domains: %s)", clipValue(in.Need), strings.Join(referral.Domains, ", "))
	case in.Need != "" && in.Need != r.NeedDomain:
		fe.Add("/need", "is %s but need_id names a %s need", clipValue(in.Need), r.NeedDomain)
	}
	return fe
}

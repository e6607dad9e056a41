package store

import (
	"context"
	"slices"
	"strings"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/referral"
)

// ForwardInput is what a receiving agency asks when it passes a referral
// on to another service.
type ForwardInput struct {
	ServiceID, LocationID string
	Note                  string // why, on the original's history
}

// ForwardReferral passes referral id, which a's agency receives and has not
// finished, to another in-network service, in one transaction: the
// original ends declined (reason forwarded, a's note on its history), and a
// new referral, forwarded_from the original, goes to the new service's
// agency with the same case, need, share, contact mode, priority, sender
// agency and sender key, so the referring caseworker keeps the loop. The
// sender hears referral.forwarded; the new receiver, referral.created. It
// answers the original as a now sees it (its forwarded_to names the new
// one, which a may not read); a replay under idem's key creates nothing.
func (s *Store) ForwardReferral(ctx context.Context, a Actor, id string, in ForwardInput, idem Idempotency, rules referral.Rules) (ReferralView, bool, error) {
	if fe := checkForwardInput(&in); len(fe) > 0 {
		return ReferralView{}, false, apperr.WithFields(apperr.Unprocessable, "The forward is not valid; see errors.", fe)
	}
	id = strings.ToLower(id)
	idem.Request = append([]byte(id+"\n"), idem.Request...) // a key forwards one referral
	newID, replayed, err := s.idempotent(ctx, a, "referral", idem, func(tx *txn, newID string) error {
		orig, err := tx.lockForward(ctx, a, id)
		if err != nil {
			return err
		}
		next, err := tx.forwarded(ctx, orig, in, newID)
		if err != nil {
			return err
		}
		m := ReferralMove{To: referral.Declined, Reason: referral.Forwarded, Note: in.Note}
		if err := tx.moveReferral(ctx, &orig, m, a, referral.Receiver, rules); err != nil {
			return err
		}
		if err := tx.createReferral(ctx, &next, a, referral.Sender, rules); err != nil {
			return err
		}
		err = tx.notify(ctx, Notice{Type: "referral.forwarded", OrderKey: orig.ID, AgencyIDs: []string{orig.SenderAgencyID},
			Data: map[string]any{"referral_id": orig.ID, "forwarded_to": next.ID, "service_id": next.ServiceID, "receiver_agency_id": next.ReceiverAgencyID,
				"by_agency_id": orig.ReceiverAgencyID, "priority": next.Priority, "at": next.CreatedAt}})
		if err != nil {
			return err
		}
		return tx.AuditBatch(ctx, []AuditEntry{a.auditEntry("forward", "referral", orig.ID, "to="+next.ID),
			a.auditEntry("create", "referral", next.ID, "forwarded_from="+orig.ID+",share="+strings.Join(next.Share, "+"))})
	})
	if err != nil {
		return ReferralView{}, false, err
	}
	if replayed {
		if id, err = s.forwardedFrom(ctx, newID); err != nil {
			return ReferralView{}, false, err
		}
	}
	v, err := s.ReadReferral(ctx, a, id)
	return v, replayed, err
}

func checkForwardInput(in *ForwardInput) apperr.FieldErrors {
	var fe apperr.FieldErrors
	in.ServiceID, in.LocationID = strings.ToLower(in.ServiceID), strings.ToLower(in.LocationID)
	switch {
	case in.ServiceID == "":
		fe.Add("/service_id", "is required: the service to pass the referral on to")
	case !isUUID(in.ServiceID):
		fe.Add("/service_id", "is not a UUID")
	}
	if in.LocationID != "" && !isUUID(in.LocationID) {
		fe.Add("/location_id", "is not a UUID")
	}
	if len(in.Note) > referral.MaxNoteLen {
		fe.Add("/note", "is longer than %d characters", referral.MaxNoteLen)
	}
	return fe
}

// lockForward locks referral id for a's forward and says why a may not.
func (t *txn) lockForward(ctx context.Context, a Actor, id string) (Referral, error) {
	r, party, acting, err := t.lockAsParty(ctx, id, a.Principal)
	switch {
	case err != nil:
		return Referral{}, err
	case party == referral.None:
		return Referral{}, apperr.E(apperr.NotFound, "no referral has id %s", id)
	case !r.InNetwork():
		return Referral{}, apperr.E(apperr.Conflict, "An out-of-network referral has no receiving agency to forward it; record a new referral to the other service.")
	case acting&referral.Receiver == 0:
		return Referral{}, apperr.E(apperr.Forbidden, "Only the receiving agency forwards a referral; the sender cancels it and refers again.")
	case r.Status == referral.Draft || r.Status.Terminal():
		return Referral{}, apperr.E(apperr.Conflict, "The referral is %s; only an open referral (sent, received, waitlisted, accepted or in_progress) is forwarded.", r.Status)
	}
	return r, nil
}

// forwarded is the referral a forward of orig to in's service makes, as
// newID, checked against the service and the client's consent.
func (t *txn) forwarded(ctx context.Context, orig Referral, in ForwardInput, newID string) (Referral, error) {
	var fe apperr.FieldErrors
	tg, err := t.View().ReferralTarget(ctx, in.ServiceID)
	switch {
	case apperr.KindOf(err) == apperr.NotFound:
		fe.Add("/service_id", "no service has this id")
	case err != nil:
		return Referral{}, err
	case tg.AgencyID == "":
		fe.Add("/service_id", "no agency in Linkage answers for this service, so it cannot receive a forward; decline the referral (say why in the note) and the sender can record an out-of-network referral to it")
	case tg.Status != "" && tg.Status != "active":
		fe.Add("/service_id", "the service is %s; forward to an active service", tg.Status)
	case tg.ServiceID == orig.ServiceID:
		fe.Add("/service_id", "is the service this referral is already for")
	case in.LocationID != "" && !slices.Contains(tg.LocationIDs, in.LocationID):
		fe.Add("/location_id", "is not one of the service's locations (%s)", strings.Join(tg.LocationIDs, ", "))
	}
	if len(fe) > 0 {
		return Referral{}, apperr.WithFields(apperr.Unprocessable, "The forward is not valid; see errors.", fe)
	}
	cs, err := t.View().CaseByID(ctx, orig.CaseID, orig.SenderAgencyID)
	if err != nil {
		return Referral{}, err
	}
	if _, probs := referral.Share(cs.Consent, orig.Share, t.s.now()); len(probs) > 0 {
		return Referral{}, apperr.E(apperr.Conflict, "The client's consent no longer covers what this referral shares, so it cannot be passed on; decline it, and the sender can refer again.")
	}
	from := orig.ID
	next := Referral{ID: newID, CaseID: orig.CaseID, NeedID: orig.NeedID, NeedDomain: orig.NeedDomain, SenderAgencyID: orig.SenderAgencyID,
		SenderKeyID: orig.SenderKeyID, SenderPersonID: orig.SenderPersonID, ReceiverAgencyID: tg.AgencyID, ServiceID: tg.ServiceID,
		ServiceName: tg.Name, Priority: orig.Priority, Note: orig.Note, Status: referral.Sent, Share: orig.Share,
		Method: referral.MethodLinkage, ContactMode: orig.ContactMode, ForwardedFrom: &from}
	if in.LocationID != "" {
		next.LocationID = &in.LocationID
	} else if len(tg.LocationIDs) == 1 {
		next.LocationID = &tg.LocationIDs[0]
	}
	return next, nil
}

// forwardedFrom is the referral the forward that made referral id came from.
func (s *Store) forwardedFrom(ctx context.Context, id string) (string, error) {
	var from []*string
	if err := s.db.WithContext(ctx).Model(&referralRow{}).Where("id = ?", id).Pluck("forwarded_from", &from).Error; err != nil {
		return "", mapErr(err, "read forwarded referral")
	}
	if len(from) == 0 || from[0] == nil {
		return "", apperr.E(apperr.NotFound, "no forward has made referral %s", id)
	}
	return *from[0], nil
}

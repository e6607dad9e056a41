package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm/clause"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/referral"
)

// ReferralInput is what a caseworker asks for when referring a case's
// client to a service.
type ReferralInput struct {
	CaseID, ServiceID, LocationID string
	NeedID, Need                  string // a need of the case, by id or by domain
	Priority                      string // routine (default) or urgent
	Note                          string
	// Share lists the parts of the client to share; nil shares what the
	// consent allows.
	Share *[]string
	Draft bool // keep it unsent
	// Method is how the referral is made (referral.Methods): "" is linkage
	// for a service an agency manages; any other is out of network.
	Method string
	// ContactMode (referral.ContactModes) is for in-network referrals: ""
	// is share_contact when the share includes contact.
	ContactMode string
	// AppointmentAt, out of network: the appointment the caseworker made.
	AppointmentAt *time.Time
}

// CreateReferral refers a's case's client to a service: in one
// transaction it checks in against the case, the service and the consent,
// stores the referral with its first event, follow-ups and notifications,
// moves the case's need to in progress once sent, audits the creation and
// takes idem's key; it answers the referral as a sees it. A replay under
// the key creates nothing and answers the first referral (replayed true),
// its read audited.
func (s *Store) CreateReferral(ctx context.Context, a Actor, in ReferralInput, idem Idempotency, rules referral.Rules) (v ReferralView, replayed bool, err error) {
	var r Referral
	var cs Case
	id, replayed, err := s.idempotent(ctx, a, "referral", idem, func(tx *txn, id string) error {
		var err error
		if r, cs, err = tx.newReferral(ctx, a.Principal, in); err != nil {
			return err
		}
		r.ID = id
		if err := tx.createReferral(ctx, &r, a, referral.Sender, rules); err != nil {
			return err
		}
		if r.Status == referral.Sent {
			if err := tx.needInProgress(ctx, r, &cs); err != nil {
				return err
			}
		}
		e := a.auditEntry("create", "referral", r.ID, "status="+string(r.Status)+",share="+strings.Join(r.Share, "+"))
		return tx.AuditBatch(ctx, []AuditEntry{e})
	})
	switch {
	case err != nil:
		return ReferralView{}, false, err
	case replayed:
		v, err = s.ReadReferral(ctx, a, id)
		return v, true, err
	}
	// Read after the commit, so the write lock is held no longer than the
	// write; the creator just wrote what it reads, so no read is audited.
	v, _, err = s.seeReferral(ctx, a.Principal, r, &cs)
	return v, false, err
}

// ReadReferral is referral id as a, a party to it, sees it; the personal
// data it shows is an audited read. Another agency's referral, and a
// draft for the receiver, do not exist.
func (s *Store) ReadReferral(ctx context.Context, a Actor, id string) (ReferralView, error) {
	r, err := s.ReferralByID(ctx, id, a.Principal.AgencyID)
	if err != nil {
		return ReferralView{}, err
	}
	if party, _ := sidesOf(a.Principal, r); party == referral.Receiver && r.Status == referral.Draft {
		return ReferralView{}, apperr.E(apperr.NotFound, "no referral has id %s", id) // a draft is the sender's alone
	}
	v, read, err := s.seeReferral(ctx, a.Principal, r, nil)
	if err != nil {
		return ReferralView{}, err
	}
	if len(read) > 0 {
		if err := s.AuditReads(ctx, a, "referral", []string{r.ID}, strings.Join(read, ",")); err != nil {
			return ReferralView{}, err
		}
	}
	return v, nil
}

// ReferralMove is a move a party asks of a referral.
type ReferralMove struct {
	To            referral.Status
	Reason        string
	Outcome       string
	Note          string
	AppointmentAt *time.Time
}

// check reports what is wrong with m's fields (422), before any lock.
func (m ReferralMove) check() error {
	var fe apperr.FieldErrors
	if !m.To.Valid() {
		fe.Add("/to", "must be one of %s", referral.JoinStatuses(referral.Statuses))
	}
	if len(m.Note) > referral.MaxNoteLen {
		fe.Add("/note", "is longer than %d characters", referral.MaxNoteLen)
	}
	addTime(&fe, "/appointment_at", m.AppointmentAt)
	if len(fe) == 0 {
		for _, pr := range m.domain().Check() {
			fe.Add("/"+pr.Field, "%s", pr.Message)
		}
	}
	if len(fe) > 0 {
		return apperr.WithFields(apperr.Unprocessable, "The move is not valid; see errors.", fe)
	}
	return nil
}

func (m ReferralMove) domain() referral.Move {
	return referral.Move{To: m.To, Reason: m.Reason, Outcome: m.Outcome, HasAppointment: m.AppointmentAt != nil}
}

// MoveReferral moves referral id as a asks, in one transaction: it locks
// the row, finds a's side, checks the move against the table (a move the
// table refuses is a Conflict naming the allowed moves), updates the row,
// appends the event, applies the follow-up rules, queues notifications,
// moves the case's need once sent (and back to identified once every
// referral of it ended unsuccessfully), and audits the move and the read of
// what a then sees.
func (s *Store) MoveReferral(ctx context.Context, a Actor, id string, m ReferralMove, rules referral.Rules) (ReferralView, error) {
	if err := m.check(); err != nil {
		return ReferralView{}, err
	}
	p := a.Principal
	var v ReferralView
	err := s.inTx(ctx, func(tx *txn) error {
		r, _, acting, err := tx.lockAsParty(ctx, id, p)
		if err != nil {
			return err
		}
		if acting == referral.None {
			return apperr.E(apperr.Forbidden, "This key can read the referral but not move it: the sending agency acts through caseworker keys.")
		}
		if err := referral.Next(r.Status, m.To, acting); err != nil {
			return apperr.E(apperr.Conflict, "%s.", err.Error())
		}
		if err := tx.moveReferral(ctx, &r, m, a, moveSide(acting, m.To), rules); err != nil {
			return err
		}
		if err := tx.needAfterMove(ctx, r); err != nil {
			return err
		}
		var read []string
		if v, read, err = tx.View().seeReferral(ctx, p, r, nil); err != nil {
			return err
		}
		// One statement for the move and the read: a transaction saved per move.
		es := []AuditEntry{a.auditEntry("transition", "referral", r.ID, string(m.To))}
		if len(read) > 0 {
			es = append(es, a.auditEntry("read", "referral", r.ID, strings.Join(read, ",")))
		}
		return tx.AuditBatch(ctx, es)
	})
	return v, err
}

// moveSide is the side a move to to is made on by a caller acting on
// acting: an agency on both sides of its own referral cancels and sends as
// the sender and answers as the receiver.
func moveSide(acting referral.Side, to referral.Status) referral.Side {
	if acting != referral.Both {
		return acting
	}
	if to == referral.Cancelled || to == referral.Sent {
		return referral.Sender
	}
	return referral.Receiver
}

// AddReferralNote appends a's note to referral id's history (either side,
// any state) with its audit row and notification.
func (s *Store) AddReferralNote(ctx context.Context, a Actor, id, note string) (Event, error) {
	note = strings.TrimSpace(note)
	switch {
	case note == "":
		return Event{}, apperr.WithFields(apperr.Unprocessable, "The note is empty.", apperr.FieldErrors{{Pointer: "/note", Message: "is required"}})
	case len(note) > referral.MaxNoteLen:
		return Event{}, apperr.WithFields(apperr.Unprocessable, "The note is too long.", apperr.FieldErrors{{Pointer: "/note", Message: fmt.Sprintf("is longer than %d characters", referral.MaxNoteLen)}})
	}
	p := a.Principal
	var ev Event
	err := s.inTx(ctx, func(tx *txn) error {
		r, party, _, err := tx.lockAsParty(ctx, id, p)
		if err != nil {
			return err
		}
		side := party
		if side == referral.Both {
			side = referral.Sender
		}
		if ev, err = tx.addReferralNote(ctx, &r, note, a, side); err != nil {
			return err
		}
		return tx.AuditBatch(ctx, []AuditEntry{a.auditEntry("note", "referral", r.ID, "note")})
	})
	return ev, err
}

// RecordFollowUp stores the client's own answer (needMet: yes, partly, no)
// once referral id has ended, for its referring caseworker: the need moves
// to match, the follow-up task closes, and the answer and the read of the
// referral a then sees are audited.
func (s *Store) RecordFollowUp(ctx context.Context, a Actor, id, needMet, note string) (ReferralView, error) {
	if !slices.Contains(referral.NeedMet, needMet) {
		return ReferralView{}, apperr.WithFields(apperr.Unprocessable, "The follow-up is not valid.", apperr.FieldErrors{{Pointer: "/need_met", Message: "must be yes, partly or no"}})
	}
	if len(note) > referral.MaxNoteLen {
		return ReferralView{}, apperr.WithFields(apperr.Unprocessable, "The follow-up is not valid.", apperr.FieldErrors{{Pointer: "/note", Message: fmt.Sprintf("is longer than %d characters", referral.MaxNoteLen)}})
	}
	p := a.Principal
	var v ReferralView
	err := s.inTx(ctx, func(tx *txn) error {
		r, err := tx.lockReferral(ctx, id, p.AgencyID)
		if err != nil {
			return err
		}
		_, acting := sidesOf(p, r)
		switch {
		case acting&referral.Sender == 0:
			return apperr.E(apperr.Forbidden, "Only the referring agency's caseworkers record the client's follow-up.")
		case r.Status != referral.Completed && r.Status != referral.ClosedUnsuccessful:
			return apperr.E(apperr.Conflict, "The referral is %s; the client's follow-up is recorded after it is completed or closed_unsuccessful.", r.Status)
		case r.FollowUpAt != nil:
			return apperr.E(apperr.Conflict, "The client's follow-up was already recorded on %s.", r.FollowUpAt.Format(time.RFC3339))
		}
		if err := tx.recordFollowUp(ctx, &r, needMet, note, a); err != nil {
			return err
		}
		var read []string
		if v, read, err = tx.View().seeReferral(ctx, p, r, nil); err != nil {
			return err
		}
		es := []AuditEntry{a.auditEntry("followup", "referral", r.ID, "need_met")}
		if len(read) > 0 {
			es = append(es, a.auditEntry("read", "referral", r.ID, strings.Join(read, ",")))
		}
		return tx.AuditBatch(ctx, es)
	})
	return v, err
}

// needInProgress marks the referral's need in progress once it is sent, if
// it was only identified; cs is the referral's case, as read in t.
func (t *txn) needInProgress(ctx context.Context, r Referral, cs *Case) error {
	if r.NeedID == nil {
		return nil
	}
	for i, n := range cs.Needs {
		if n.ID == *r.NeedID && n.Status == referral.NeedIdentified {
			cs.Needs[i].Status = referral.NeedInProgress
			cs.Version++
			return t.setNeedStatus(ctx, r.CaseID, n.ID, referral.NeedInProgress)
		}
	}
	return nil
}

// createReferral stores r (its case, service and receiver already checked)
// in status draft or sent, with its first event, follow-ups and
// notifications.
func (t *txn) createReferral(ctx context.Context, r *Referral, by Actor, side referral.Side, rules referral.Rules) error {
	now := t.s.now().UTC().Truncate(time.Microsecond)
	if r.ID == "" {
		r.ID = uuid.NewString()
	}
	r.Version, r.CreatedAt, r.UpdatedAt = 1, now, now
	if r.Status == referral.Sent {
		r.SentAt = &now
	}
	row, err := t.s.toReferralRow(r)
	if err != nil {
		return err
	}
	if err := t.db.WithContext(ctx).Create(&row).Error; err != nil {
		return mapErr(err, "create referral")
	}
	if _, err := t.appendEvent(ctx, r.ID, by, side, Event{Kind: EventCreated, ToStatus: string(r.Status)}, r.Note); err != nil {
		return err
	}
	if r.Status == referral.Sent {
		return t.afterMove(ctx, r, "", rules) // never a draft: no previous status
	}
	return nil
}

// appendEvent appends e, made by by on side, to a referral's history.
func (t *txn) appendEvent(ctx context.Context, referralID string, by Actor, side referral.Side, e Event, note string) (Event, error) {
	p := by.Principal
	e.ReferralID = referralID
	e.At = t.s.now().UTC().Truncate(time.Microsecond)
	e.KeyID, e.AgencyID, e.Role, e.Side = nilIfEmpty(p.KeyID), nilIfEmpty(p.AgencyID), string(p.Role), side.String()
	e.PersonID, e.PersonName = nilIfEmpty(p.PersonID), p.PersonName
	var err error
	if e.Note, err = t.s.sealText(note, "referral:"+referralID, "event_note"); err != nil {
		return Event{}, err
	}
	if err := t.db.WithContext(ctx).Create(&e).Error; err != nil {
		return Event{}, mapErr(err, "append referral event")
	}
	e.NoteText = note
	return e, nil
}

// lockAsParty locks referral id for p's change and says p's sides of it;
// a draft is the sender's alone, so its receiver is told it does not exist.
func (t *txn) lockAsParty(ctx context.Context, id string, p auth.Principal) (r Referral, party, acting referral.Side, err error) {
	r, err = t.lockReferral(ctx, id, p.AgencyID)
	if err != nil {
		return r, referral.None, referral.None, err
	}
	party, acting = sidesOf(p, r)
	if party == referral.Receiver && r.Status == referral.Draft {
		return r, referral.None, referral.None, apperr.E(apperr.NotFound, "no referral has id %s", id)
	}
	return r, party, acting, nil
}

// lockReferral is ReferralByID under a row lock, for a change.
func (t *txn) lockReferral(ctx context.Context, id, agencyID string) (Referral, error) {
	q := t.db.WithContext(ctx)
	if t.s.dialect == Postgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return t.s.partyReferral(q, id, agencyID)
}

// moveReferral moves r (read under lockReferral) as m asks, which the
// caller has checked against the table for side: it updates the row,
// appends the event, applies the follow-up rules and queues notifications.
func (t *txn) moveReferral(ctx context.Context, r *Referral, m ReferralMove, by Actor, side referral.Side, rules referral.Rules) error {
	appointment, note := m.AppointmentAt, m.Note
	m.Reason = m.domain().Canonical().Reason // stored and announced by its one name
	now := t.s.now().UTC().Truncate(time.Microsecond)
	from := r.Status
	r.Status, r.Version, r.UpdatedAt = m.To, r.Version+1, now
	if m.Reason != "" {
		r.Reason = m.Reason
	}
	if m.Outcome != "" {
		r.Outcome = m.Outcome
	}
	if appointment != nil {
		r.AppointmentAt = utcp(appointment)
	}
	switch {
	case m.To == referral.Sent:
		r.SentAt = &now
	case side&referral.Receiver != 0 && r.RespondedAt == nil && from != referral.Draft:
		r.RespondedAt = &now
	}
	if m.To == referral.Accepted && r.AcceptedAt == nil {
		r.AcceptedAt = &now
	}
	if m.To.Terminal() {
		r.ClosedAt = &now
	}
	err := t.db.WithContext(ctx).Model(&referralRow{}).Where("id = ?", r.ID).Updates(map[string]any{
		"status": string(r.Status), "version": r.Version, "updated_at": now, "reason": r.Reason, "outcome": r.Outcome,
		"appointment_at": r.AppointmentAt, "sent_at": r.SentAt, "responded_at": r.RespondedAt, "accepted_at": r.AcceptedAt, "closed_at": r.ClosedAt,
	}).Error
	if err != nil {
		return mapErr(err, "move referral")
	}
	ev := Event{Kind: EventStatus, FromStatus: string(from), ToStatus: string(m.To), Reason: m.Reason, Outcome: m.Outcome, AppointmentAt: utcp(appointment)}
	if _, err := t.appendEvent(ctx, r.ID, by, side, ev, note); err != nil {
		return err
	}
	if from == referral.Draft && m.To == referral.Cancelled {
		return nil // a draft no one else saw ends quietly
	}
	return t.afterMove(ctx, r, from, rules)
}

// afterMove applies the follow-up rules to a move and queues its
// notifications.
func (t *txn) afterMove(ctx context.Context, r *Referral, from referral.Status, rules referral.Rules) error {
	zone, err := t.agencyZone(ctx, r.ReceiverAgencyID)
	if err != nil {
		return err
	}
	plan := rules.PlanFor(referral.Change{From: from, To: r.Status, At: r.UpdatedAt, Appointment: r.AppointmentAt, ReceiverZone: zone,
		Priority: referral.Priority(r.Priority), OutOfNetwork: !r.InNetwork(), Reason: r.Reason})
	if err := t.applyPlan(ctx, r, plan); err != nil {
		return err
	}
	data := referralEvent(r, from)
	if !r.InNetwork() {
		// No agency receives it: only the sender's own systems hear of it.
		if from == "" || from == referral.Draft {
			return nil
		}
		return t.notify(ctx, Notice{Type: "referral.status_changed", OrderKey: r.ID, AgencyIDs: []string{r.SenderAgencyID}, Data: data})
	}
	if (from == "" || from == referral.Draft) && r.Status == referral.Sent {
		return t.notify(ctx, Notice{Type: "referral.created", OrderKey: r.ID, AgencyIDs: []string{r.ReceiverAgencyID}, Data: data})
	}
	return t.notify(ctx, Notice{Type: "referral.status_changed", OrderKey: r.ID, AgencyIDs: []string{r.SenderAgencyID, r.ReceiverAgencyID}, Data: data})
}

// referralEvent is what a webhook says of a referral: ids and states, never
// personal data (a subscriber reads the referral with its key for more).
func referralEvent(r *Referral, from referral.Status) map[string]any {
	d := map[string]any{"referral_id": r.ID, "status": r.Status, "service_id": r.ServiceID, "sender_agency_id": r.SenderAgencyID,
		"receiver_agency_id": r.Receiver(), "priority": r.Priority, "version": r.Version, "at": r.UpdatedAt, "method": r.Method}
	if from != "" {
		d["previous_status"] = from
	}
	if r.Reason != "" {
		d["reason"] = r.Reason
	}
	if r.Outcome != "" {
		d["outcome"] = r.Outcome
	}
	return d
}

// addReferralNote appends a note to r's history (either side, any state).
// A note from the sending side is a check-in: it closes the open check-in
// task.
func (t *txn) addReferralNote(ctx context.Context, r *Referral, note string, by Actor, side referral.Side) (Event, error) {
	now := t.s.now().UTC().Truncate(time.Microsecond)
	e, err := t.appendEvent(ctx, r.ID, by, side, Event{Kind: EventNote, FromStatus: string(r.Status), ToStatus: string(r.Status)}, note)
	if err != nil {
		return Event{}, err
	}
	if err := t.db.WithContext(ctx).Model(&referralRow{}).Where("id = ?", r.ID).Updates(map[string]any{"updated_at": now}).Error; err != nil {
		return Event{}, mapErr(err, "touch referral")
	}
	if side&referral.Sender != 0 {
		if err := t.applyPlan(ctx, r, referral.Plan{Close: []referral.Kind{referral.CheckIn}}); err != nil {
			return Event{}, err
		}
	}
	if r.Status != referral.Draft {
		to := []string{r.SenderAgencyID, r.ReceiverAgencyID}
		if !r.InNetwork() {
			to = to[:1]
		}
		err := t.notify(ctx, Notice{Type: "referral.note_added", OrderKey: r.ID, AgencyIDs: to,
			Data: map[string]any{"referral_id": r.ID, "event_id": e.ID, "status": r.Status, "by_agency_id": by.Principal.AgencyID, "at": e.At}})
		if err != nil {
			return Event{}, err
		}
	}
	return e, nil
}

// recordFollowUp stores the client's own answer after a referral closed
// (met: yes, partly, no) and moves the case's need to match.
func (t *txn) recordFollowUp(ctx context.Context, r *Referral, met, note string, by Actor) error {
	now := t.s.now().UTC().Truncate(time.Microsecond)
	r.FollowUpAnswer, r.FollowUpNote, r.FollowUpAt = met, note, &now
	r.Version++
	r.UpdatedAt = now
	fnote, err := t.s.sealText(note, "referral:"+r.ID, "followup_note")
	if err != nil {
		return err
	}
	err = t.db.WithContext(ctx).Model(&referralRow{}).Where("id = ?", r.ID).Updates(map[string]any{
		"followup_answer": met, "followup_note": fnote, "followup_at": now, "version": r.Version, "updated_at": now}).Error
	if err != nil {
		return mapErr(err, "record follow-up")
	}
	if _, err := t.appendEvent(ctx, r.ID, by, referral.Sender, Event{Kind: EventFollowUp, FromStatus: string(r.Status), ToStatus: string(r.Status), Outcome: "need_met_" + met}, note); err != nil {
		return err
	}
	if r.NeedID != nil {
		status := map[string]string{"yes": referral.NeedMetStatus, "partly": referral.NeedInProgress, "no": referral.NeedUnmet}[met]
		if err := t.setNeedStatus(ctx, r.CaseID, *r.NeedID, status); err != nil {
			return err
		}
	}
	return t.applyPlan(ctx, r, referral.Plan{Close: []referral.Kind{referral.ClientFollowUp}})
}

package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/referral"
)

// Referral is one referral of a case's client to a service.
type Referral struct {
	ID               string          `json:"id"`
	CaseID           string          `json:"case_id"`
	NeedID           *string         `json:"need_id"`
	NeedDomain       string          `json:"need"`
	SenderAgencyID   string          `json:"sender_agency_id"`
	SenderKeyID      *string         `json:"sender_key_id"`
	ReceiverAgencyID string          `json:"receiver_agency_id"`
	ServiceID        string          `json:"service_id"`
	ServiceName      string          `json:"service_name"`
	LocationID       *string         `json:"location_id"`
	Priority         string          `json:"priority"`
	Status           referral.Status `json:"status"`
	Share            []string        `json:"share"`
	Note             string          `json:"note,omitempty"`
	Reason           string          `json:"reason,omitempty"`
	Outcome          string          `json:"outcome,omitempty"`
	AppointmentAt    *time.Time      `json:"appointment_at"`
	FollowUpAnswer   string          `json:"-"`
	FollowUpNote     string          `json:"-"`
	FollowUpAt       *time.Time      `json:"-"`
	Version          int             `json:"version"`
	CreatedAt        time.Time       `json:"created_at"`
	UpdatedAt        time.Time       `json:"updated_at"`
	SentAt           *time.Time      `json:"sent_at"`
	RespondedAt      *time.Time      `json:"responded_at"`
	AcceptedAt       *time.Time      `json:"accepted_at"`
	ClosedAt         *time.Time      `json:"closed_at"`
}

type referralRow struct {
	ID               string `gorm:"primaryKey"`
	CaseID           string
	NeedID           *string
	NeedDomain       string
	SenderAgencyID   string
	SenderKeyID      *string
	ReceiverAgencyID string
	ServiceID        string
	ServiceName      string
	LocationID       *string
	Priority         string
	Status           string
	Share            string
	Note             *string
	Reason           string
	Outcome          string
	AppointmentAt    *time.Time
	FollowupAnswer   string
	FollowupNote     *string
	FollowupAt       *time.Time
	Version          int
	CreatedAt        time.Time
	UpdatedAt        time.Time
	SentAt           *time.Time
	RespondedAt      *time.Time
	AcceptedAt       *time.Time
	ClosedAt         *time.Time
}

func (referralRow) TableName() string { return "referrals" }

// Event is one entry of a referral's append-only history.
type Event struct {
	ID            int64      `json:"id" gorm:"primaryKey"`
	ReferralID    string     `json:"referral_id"`
	At            time.Time  `json:"at"`
	KeyID         *string    `json:"key_id"`
	Role          string     `json:"role"`
	AgencyID      *string    `json:"agency_id"`
	Side          string     `json:"side"`
	Kind          string     `json:"kind"` // created, status, note, followup
	FromStatus    string     `json:"from"`
	ToStatus      string     `json:"to"`
	Reason        string     `json:"reason,omitempty"`
	Outcome       string     `json:"outcome,omitempty"`
	AppointmentAt *time.Time `json:"appointment_at,omitempty"`
	Note          *string    `json:"-"`
	NoteText      string     `json:"note,omitempty" gorm:"-"`
	// NoteWithheld marks a note the reader may not see (set by httpapi).
	NoteWithheld bool `json:"note_withheld,omitempty" gorm:"-"`
}

// TableName is the referral history table.
func (Event) TableName() string { return "referral_events" }

// Event kinds.
const (
	EventCreated  = "created"
	EventStatus   = "status"
	EventNote     = "note"
	EventFollowUp = "followup"
)

// HistoryActor is who makes a change, as a referral's history records it.
type HistoryActor struct {
	KeyID    string
	Role     string
	AgencyID string
	Side     referral.Side
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (s *Store) toReferralRow(r *Referral) (referralRow, error) {
	share, err := json.Marshal(r.Share)
	if err != nil {
		return referralRow{}, fmt.Errorf("store: encode share: %w", err)
	}
	note, err := s.sealText(r.Note, "referral:"+r.ID, "note")
	if err != nil {
		return referralRow{}, err
	}
	fnote, err := s.sealText(r.FollowUpNote, "referral:"+r.ID, "followup_note")
	if err != nil {
		return referralRow{}, err
	}
	return referralRow{ID: r.ID, CaseID: r.CaseID, NeedID: r.NeedID, NeedDomain: r.NeedDomain, SenderAgencyID: r.SenderAgencyID,
		SenderKeyID: r.SenderKeyID, ReceiverAgencyID: r.ReceiverAgencyID, ServiceID: r.ServiceID, ServiceName: r.ServiceName,
		LocationID: r.LocationID, Priority: r.Priority, Status: string(r.Status), Share: string(share), Note: note,
		Reason: r.Reason, Outcome: r.Outcome, AppointmentAt: r.AppointmentAt, FollowupAnswer: r.FollowUpAnswer,
		FollowupNote: fnote, FollowupAt: r.FollowUpAt, Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		SentAt: r.SentAt, RespondedAt: r.RespondedAt, AcceptedAt: r.AcceptedAt, ClosedAt: r.ClosedAt}, nil
}

func utcp(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func (s *Store) fromReferralRow(r referralRow, withNotes bool) (Referral, error) {
	out := Referral{ID: r.ID, CaseID: r.CaseID, NeedID: r.NeedID, NeedDomain: r.NeedDomain, SenderAgencyID: r.SenderAgencyID,
		SenderKeyID: r.SenderKeyID, ReceiverAgencyID: r.ReceiverAgencyID, ServiceID: r.ServiceID, ServiceName: r.ServiceName,
		LocationID: r.LocationID, Priority: r.Priority, Status: referral.Status(r.Status), Reason: r.Reason, Outcome: r.Outcome,
		AppointmentAt: utcp(r.AppointmentAt), FollowUpAnswer: r.FollowupAnswer, FollowUpAt: utcp(r.FollowupAt), Version: r.Version,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), SentAt: utcp(r.SentAt), RespondedAt: utcp(r.RespondedAt),
		AcceptedAt: utcp(r.AcceptedAt), ClosedAt: utcp(r.ClosedAt), Share: []string{}}
	if err := json.Unmarshal([]byte(r.Share), &out.Share); err != nil {
		return Referral{}, fmt.Errorf("store: decode share of referral %s: %w", r.ID, err)
	}
	if withNotes {
		var err error
		if out.Note, err = s.openText(r.Note, "referral:"+r.ID, "note"); err != nil {
			return Referral{}, err
		}
		if out.FollowUpNote, err = s.openText(r.FollowupNote, "referral:"+r.ID, "followup_note"); err != nil {
			return Referral{}, err
		}
	}
	return out, nil
}

// CreateReferral stores r (its case, service and receiver already checked)
// in status draft or sent, with its first event, follow-ups and
// notifications.
func (t *Tx) CreateReferral(ctx context.Context, r *Referral, by HistoryActor, rules referral.Rules) error {
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
	if _, err := t.appendEvent(ctx, r.ID, by, Event{Kind: EventCreated, ToStatus: string(r.Status)}, r.Note); err != nil {
		return err
	}
	if r.Status == referral.Sent {
		return t.afterMove(ctx, r, referral.Draft, by, rules)
	}
	return nil
}

func (t *Tx) appendEvent(ctx context.Context, referralID string, by HistoryActor, e Event, note string) (Event, error) {
	e.ReferralID = referralID
	e.At = t.s.now().UTC().Truncate(time.Microsecond)
	e.KeyID, e.AgencyID, e.Role, e.Side = nilIfEmpty(by.KeyID), nilIfEmpty(by.AgencyID), by.Role, by.Side.String()
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

// ReferralByID reads referral id if agencyID is a party to it (sender or
// receiver); otherwise it is not found.
func (s *Store) ReferralByID(ctx context.Context, id, agencyID string) (Referral, error) {
	return s.partyReferral(s.db.WithContext(ctx), id, agencyID)
}

// LockReferral is ReferralByID under a row lock, for a change.
func (t *Tx) LockReferral(ctx context.Context, id, agencyID string) (Referral, error) {
	q := t.db.WithContext(ctx)
	if t.s.dialect == Postgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return t.s.partyReferral(q, id, agencyID)
}

// partyReferral reads referral id through q if agencyID sent or receives it.
func (s *Store) partyReferral(q *gorm.DB, id, agencyID string) (Referral, error) {
	var row referralRow
	err := q.Where("id = ? AND (sender_agency_id = ? OR receiver_agency_id = ?)", strings.ToLower(id), agencyID, agencyID).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Referral{}, apperr.E(apperr.NotFound, "no referral has id %s", id)
	}
	if err != nil {
		return Referral{}, mapErr(err, "read referral")
	}
	return s.fromReferralRow(row, true)
}

// MoveReferral moves r (read under LockReferral) as m asks, which the
// caller has checked against the table for by.Side: it updates the row,
// appends the event, applies the follow-up rules and queues notifications.
func (t *Tx) MoveReferral(ctx context.Context, r *Referral, m referral.Move, appointment *time.Time, note string, by HistoryActor, rules referral.Rules) error {
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
	case by.Side&referral.Receiver != 0 && r.RespondedAt == nil && from != referral.Draft:
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
	if _, err := t.appendEvent(ctx, r.ID, by, ev, note); err != nil {
		return err
	}
	if from == referral.Draft && m.To == referral.Cancelled {
		return nil // a draft no one else saw ends quietly
	}
	return t.afterMove(ctx, r, from, by, rules)
}

// afterMove applies the follow-up rules to a move and queues its
// notifications.
func (t *Tx) afterMove(ctx context.Context, r *Referral, from referral.Status, by HistoryActor, rules referral.Rules) error {
	zone, err := t.agencyZone(ctx, r.ReceiverAgencyID)
	if err != nil {
		return err
	}
	plan := rules.PlanFor(referral.Change{From: from, To: r.Status, At: r.UpdatedAt, Appointment: r.AppointmentAt, ReceiverZone: zone})
	if err := t.applyPlan(ctx, r, plan); err != nil {
		return err
	}
	data := referralEvent(r, from)
	if from == referral.Draft && r.Status == referral.Sent {
		return t.Notify(ctx, Notice{Type: "referral.created", OrderKey: r.ID, AgencyIDs: []string{r.ReceiverAgencyID}, Data: data})
	}
	return t.Notify(ctx, Notice{Type: "referral.status_changed", OrderKey: r.ID, AgencyIDs: []string{r.SenderAgencyID, r.ReceiverAgencyID}, Data: data})
}

// referralEvent is what a webhook says of a referral: ids and states, never
// personal data (a subscriber reads the referral with its key for more).
func referralEvent(r *Referral, from referral.Status) map[string]any {
	d := map[string]any{"referral_id": r.ID, "status": r.Status, "service_id": r.ServiceID, "sender_agency_id": r.SenderAgencyID,
		"receiver_agency_id": r.ReceiverAgencyID, "priority": r.Priority, "version": r.Version, "at": r.UpdatedAt}
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

// AddReferralNote appends a note to r's history (either side, any state).
// A note from the sending side is a check-in: it closes the open check-in
// task.
func (t *Tx) AddReferralNote(ctx context.Context, r *Referral, note string, by HistoryActor) (Event, error) {
	now := t.s.now().UTC().Truncate(time.Microsecond)
	e, err := t.appendEvent(ctx, r.ID, by, Event{Kind: EventNote, FromStatus: string(r.Status), ToStatus: string(r.Status)}, note)
	if err != nil {
		return Event{}, err
	}
	if err := t.db.WithContext(ctx).Model(&referralRow{}).Where("id = ?", r.ID).Updates(map[string]any{"updated_at": now}).Error; err != nil {
		return Event{}, mapErr(err, "touch referral")
	}
	if by.Side&referral.Sender != 0 {
		if err := t.applyPlan(ctx, r, referral.Plan{Close: []referral.Kind{referral.CheckIn}}); err != nil {
			return Event{}, err
		}
	}
	if r.Status != referral.Draft {
		err := t.Notify(ctx, Notice{Type: "referral.note_added", OrderKey: r.ID, AgencyIDs: []string{r.SenderAgencyID, r.ReceiverAgencyID},
			Data: map[string]any{"referral_id": r.ID, "event_id": e.ID, "status": r.Status, "by_agency_id": by.AgencyID, "at": e.At}})
		if err != nil {
			return Event{}, err
		}
	}
	return e, nil
}

// RecordFollowUp stores the client's own answer after a referral closed
// (met: yes, partly, no) and moves the case's need to match.
func (t *Tx) RecordFollowUp(ctx context.Context, r *Referral, met, note string, by HistoryActor) error {
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
	if _, err := t.appendEvent(ctx, r.ID, by, Event{Kind: EventFollowUp, FromStatus: string(r.Status), ToStatus: string(r.Status), Outcome: "need_met_" + met}, note); err != nil {
		return err
	}
	if r.NeedID != nil {
		status := map[string]string{"yes": referral.NeedMetStatus, "partly": referral.NeedInProgress, "no": referral.NeedUnmet}[met]
		if err := t.SetNeedStatus(ctx, r.CaseID, *r.NeedID, status); err != nil {
			return err
		}
	}
	return t.applyPlan(ctx, r, referral.Plan{Close: []referral.Kind{referral.ClientFollowUp}})
}

// Events lists a referral's history, oldest first, notes opened.
func (s *Store) Events(ctx context.Context, referralID string, p Paging) ([]Event, int64, error) {
	q := s.db.WithContext(ctx).Model(&Event{}).Where("referral_id = ?", referralID)
	out := []Event{}
	total, err := page(q, "id", p, &out, "referral events")
	if err != nil {
		return nil, 0, err
	}
	for i := range out {
		out[i].At = out[i].At.UTC()
		out[i].AppointmentAt = utcp(out[i].AppointmentAt)
		note, err := s.openText(out[i].Note, "referral:"+referralID, "event_note")
		if err != nil {
			return nil, 0, err
		}
		out[i].NoteText = note
	}
	return out, total, nil
}

// ReferralFilter narrows a referral list to one agency's side.
type ReferralFilter struct {
	AgencyID  string
	Direction string // sent or received
	Statuses  []string
	CaseID    string
	ServiceID string
	Need      string
	From, To  *time.Time // created
}

// Referrals lists referrals an agency sent or received, newest first,
// without notes (lists never open sealed values).
func (s *Store) Referrals(ctx context.Context, f ReferralFilter, p Paging) ([]Referral, int64, error) {
	q := s.db.WithContext(ctx).Model(&referralRow{})
	if f.Direction == "received" {
		q = q.Where("receiver_agency_id = ? AND status <> ?", f.AgencyID, string(referral.Draft))
	} else {
		q = q.Where("sender_agency_id = ?", f.AgencyID)
	}
	if len(f.Statuses) > 0 {
		q = q.Where("status IN ?", f.Statuses)
	}
	if f.CaseID != "" {
		q = q.Where("case_id = ?", f.CaseID)
	}
	if f.ServiceID != "" {
		q = q.Where("service_id = ?", f.ServiceID)
	}
	if f.Need != "" {
		q = q.Where("need_domain = ?", f.Need)
	}
	q = between(q, "created_at", f.From, f.To)
	var rows []referralRow
	total, err := page(q, "created_at DESC, id", p, &rows, "referrals")
	if err != nil {
		return nil, 0, err
	}
	out := make([]Referral, 0, len(rows))
	for _, r := range rows {
		x, err := s.fromReferralRow(r, false)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, x)
	}
	return out, total, nil
}

// ReportRows are the referrals an agency (or, with "", everyone) sent or
// received in [from, to), for the outcome report.
func (s *Store) ReportRows(ctx context.Context, agencyID string, from, to time.Time) ([]referral.ReportRow, error) {
	q := s.db.WithContext(ctx).Model(&referralRow{}).Where("sent_at >= ? AND sent_at < ?", from.UTC(), to.UTC())
	if agencyID != "" {
		q = q.Where("sender_agency_id = ? OR receiver_agency_id = ?", agencyID, agencyID)
	}
	var rows []struct {
		ServiceID, ServiceName, ReceiverAgencyID, SenderAgencyID, NeedDomain, Status, Reason, Outcome, FollowupAnswer string
		SentAt, RespondedAt, AcceptedAt                                                                               *time.Time
	}
	err := q.Select("service_id, service_name, receiver_agency_id, sender_agency_id, need_domain, status, reason, outcome, followup_answer, sent_at, responded_at, accepted_at").
		Order("sent_at, id").Find(&rows).Error
	if err != nil {
		return nil, mapErr(err, "read referrals for report")
	}
	out := make([]referral.ReportRow, len(rows))
	for i, r := range rows {
		out[i] = referral.ReportRow{ServiceID: r.ServiceID, ServiceName: r.ServiceName, ReceiverAgencyID: r.ReceiverAgencyID,
			SenderAgencyID: r.SenderAgencyID, Need: r.NeedDomain, Status: referral.Status(r.Status), Reason: r.Reason, Outcome: r.Outcome,
			NeedMet: r.FollowupAnswer, SentAt: utcp(r.SentAt), RespondedAt: utcp(r.RespondedAt), AcceptedAt: utcp(r.AcceptedAt)}
	}
	return out, nil
}

// Target is what a referral needs to know of a service: its name, status,
// the agency that answers for it ("" when no agency manages its
// organization) and its locations.
type Target struct {
	ServiceID, Name, Status, OrganizationID, AgencyID string
	LocationIDs                                       []string
}

// ReferralTarget reads the target of a referral to serviceID, in one
// query (a row per location).
func (s *Store) ReferralTarget(ctx context.Context, serviceID string) (Target, error) {
	var rows []struct {
		ID, Name, Status, OrganizationID, AgencyID string
		LocationID                                 *string
	}
	err := s.db.WithContext(ctx).Table("services AS s").
		Select("s.id, s.name, s.status, s.organization_id, COALESCE(CAST(ao.agency_id AS TEXT), '') AS agency_id, sal.location_id").
		Joins("LEFT JOIN agency_organizations ao ON ao.organization_id = s.organization_id").
		Joins("LEFT JOIN service_at_locations sal ON sal.service_id = s.id AND sal.location_id IS NOT NULL").
		Where("s.id = ?", strings.ToLower(serviceID)).Order("sal.location_id").Scan(&rows).Error
	if err != nil {
		return Target{}, mapErr(err, "read referral target")
	}
	if len(rows) == 0 {
		return Target{}, apperr.E(apperr.NotFound, "no service has id %s", serviceID)
	}
	r := rows[0]
	t := Target{ServiceID: r.ID, Name: r.Name, Status: r.Status, OrganizationID: r.OrganizationID, AgencyID: r.AgencyID, LocationIDs: []string{}}
	for _, row := range rows {
		if row.LocationID != nil {
			t.LocationIDs = append(t.LocationIDs, *row.LocationID)
		}
	}
	t.LocationIDs = slices.Compact(t.LocationIDs)
	return t, nil
}

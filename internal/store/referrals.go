package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/referral"
)

// Referral is one referral of a case's client to a service, as the store
// keeps it; httpapi has its own JSON shape of it.
type Referral struct {
	ID               string
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
	Status           referral.Status
	Share            []string
	Note             string
	Reason           string
	Outcome          string
	AppointmentAt    *time.Time
	FollowUpAnswer   string
	FollowUpNote     string
	FollowUpAt       *time.Time
	Version          int
	CreatedAt        time.Time
	UpdatedAt        time.Time
	SentAt           *time.Time
	RespondedAt      *time.Time
	AcceptedAt       *time.Time
	ClosedAt         *time.Time
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
	ID            int64 `gorm:"primaryKey"`
	ReferralID    string
	At            time.Time
	KeyID         *string
	Role          string
	AgencyID      *string
	Side          string
	Kind          string // created, status, note, followup
	FromStatus    string
	ToStatus      string
	Reason        string
	Outcome       string
	AppointmentAt *time.Time
	Note          *string // sealed
	NoteText      string  `gorm:"-"`
	// NoteWithheld marks a note the reader may not see (filled on reads).
	NoteWithheld bool `gorm:"-"`
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

// ReferralByID reads referral id if agencyID is a party to it (sender or
// receiver); otherwise it is not found.
func (s *Store) ReferralByID(ctx context.Context, id, agencyID string) (Referral, error) {
	return s.partyReferral(s.db.WithContext(ctx), id, agencyID)
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

// ReferralReport is the outcome report of the referrals sent in [from,
// to), grouped by groupBy (one of referral.GroupBy): of those a's agency
// sent or received, or, for an admin, of everyone's. Every group is named.
func (s *Store) ReferralReport(ctx context.Context, a Actor, groupBy string, from, to time.Time) ([]referral.Figures, error) {
	agency := a.Principal.AgencyID
	if a.Principal.Role == auth.Admin {
		agency = ""
	}
	rows, err := s.ReportRows(ctx, agency, from, to)
	if err != nil {
		return nil, err
	}
	name, err := s.reportNamer(ctx, groupBy, agency, rows)
	if err != nil {
		return nil, err
	}
	return referral.Report(rows, groupBy, name), nil
}

// reportNamer names the groups of a report grouped by groupBy for agency
// ("" for an admin). A caseworker is named by its key's name, which only
// the key's own agency (or an admin) sees: another agency's caseworker is
// "a caseworker of" that agency. Names carry no personal data.
func (s *Store) reportNamer(ctx context.Context, groupBy, agency string, rows []referral.ReportRow) (func(string) string, error) {
	switch groupBy {
	case "need":
		return func(k string) string {
			if k == "" {
				return "no need named"
			}
			return strings.ReplaceAll(k, "_", " ")
		}, nil
	case "agency", "sender", "caseworker":
	default:
		return nil, nil
	}
	agencies, err := s.Agencies(ctx)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, ag := range agencies {
		names[ag.ID] = ag.Name
	}
	if groupBy != "caseworker" {
		return func(k string) string { return names[k] }, nil
	}
	keys, err := s.Keys(ctx, agency)
	if err != nil {
		return nil, err
	}
	keyNames := map[string]string{}
	for _, k := range keys {
		keyNames[k.ID] = cmp.Or(k.Name, "key "+k.Prefix)
	}
	for _, r := range rows {
		if _, ok := keyNames[r.SenderKeyID]; !ok && r.SenderKeyID != "" {
			keyNames[r.SenderKeyID] = "a caseworker of " + names[r.SenderAgencyID]
		}
	}
	return func(k string) string {
		if n := keyNames[k]; n != "" {
			return n
		}
		return "no caseworker recorded"
	}, nil
}

// deref is *p, or "" for nil.
func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
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
		SenderKeyID                                                                                                   *string
		SentAt, RespondedAt, AcceptedAt                                                                               *time.Time
	}
	err := q.Select("service_id, service_name, receiver_agency_id, sender_agency_id, sender_key_id, need_domain, status, reason, outcome, followup_answer, sent_at, responded_at, accepted_at").
		Order("sent_at, id").Find(&rows).Error
	if err != nil {
		return nil, mapErr(err, "read referrals for report")
	}
	out := make([]referral.ReportRow, len(rows))
	for i, r := range rows {
		out[i] = referral.ReportRow{ServiceID: r.ServiceID, ServiceName: r.ServiceName, ReceiverAgencyID: r.ReceiverAgencyID,
			SenderAgencyID: r.SenderAgencyID, SenderKeyID: deref(r.SenderKeyID), Need: r.NeedDomain, Status: referral.Status(r.Status), Reason: r.Reason, Outcome: r.Outcome,
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

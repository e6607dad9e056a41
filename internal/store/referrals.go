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
	// Method is how the referral was made (referral.Methods): linkage, or
	// out of network, when ReceiverAgencyID is the sender's own.
	Method string
	// ContactMode is how an in-network receiver and the client meet
	// (referral.ContactModes); "" out of network.
	ContactMode    string
	ForwardedFrom  *string
	SenderPersonID *string
}

// InNetwork says whether an agency in Linkage receives r.
func (r Referral) InNetwork() bool { return r.Method == "" || r.Method == referral.MethodLinkage }

// Receiver is the receiving agency's id, nil for an out-of-network
// referral (whose stored receiver is the sender, for its side of the loop).
func (r Referral) Receiver() *string {
	if !r.InNetwork() {
		return nil
	}
	id := r.ReceiverAgencyID
	return &id
}

// sidesOf is p's relation to r (referral.SidesOf).
func sidesOf(p auth.Principal, r Referral) (party, acting referral.Side) {
	return referral.SidesOf(p, r.SenderAgencyID, r.ReceiverAgencyID, r.Method)
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
	Method           string
	ContactMode      string
	ForwardedFrom    *string
	SenderPersonID   *string
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
	// PersonID is the staff person who made the change, if any; PersonName
	// is filled on reads.
	PersonID   *string
	PersonName string `gorm:"-"`
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
		SentAt: r.SentAt, RespondedAt: r.RespondedAt, AcceptedAt: r.AcceptedAt, ClosedAt: r.ClosedAt,
		Method: cmp.Or(r.Method, referral.MethodLinkage), ContactMode: r.ContactMode, ForwardedFrom: r.ForwardedFrom, SenderPersonID: r.SenderPersonID}, nil
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
		AcceptedAt: utcp(r.AcceptedAt), ClosedAt: utcp(r.ClosedAt), Share: []string{},
		Method: r.Method, ContactMode: r.ContactMode, ForwardedFrom: r.ForwardedFrom, SenderPersonID: r.SenderPersonID}
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
	return out, total, s.namePeople(ctx, out)
}

// namePeople fills the names of the people who made events.
func (s *Store) namePeople(ctx context.Context, events []Event) error {
	var ids []string
	for _, e := range events {
		if e.PersonID != nil {
			ids = append(ids, *e.PersonID)
		}
	}
	names, err := s.PersonNames(ctx, ids)
	if err != nil {
		return err
	}
	for i := range events {
		if events[i].PersonID != nil {
			events[i].PersonName = names[*events[i].PersonID]
		}
	}
	return nil
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
	// Sort is the order: "priority" (urgent first, then soonest due),
	// "due" (soonest due first, then urgent first) or "" (newest first).
	Sort string
}

// dueKinds are the tasks whose due time is a referral's next deadline in a
// list: the receiver's response and outcome, and, out of network (where the
// caseworker stands in for the receiver), the check-in that the client
// connected.
const dueExpr = `(SELECT MIN(f.due_at) FROM followups f WHERE f.referral_id = referrals.id AND f.done_at IS NULL
 AND (f.kind IN ('response', 'outcome') OR (f.kind = 'checkin' AND referrals.method <> 'linkage')))`

// referralOrder is the ORDER BY of a list sorted by sort.
func referralOrder(sort string) string {
	const urgentFirst = "CASE WHEN priority = 'urgent' THEN 0 ELSE 1 END"
	// Referrals still being worked come before those that ended.
	const openFirst = "CASE WHEN status IN ('declined', 'completed', 'closed_unsuccessful', 'cancelled') THEN 1 ELSE 0 END"
	due := dueExpr + " IS NULL, " + dueExpr
	switch sort {
	case "priority":
		return openFirst + ", " + urgentFirst + ", " + due + ", created_at, id"
	case "due":
		return openFirst + ", " + due + ", " + urgentFirst + ", created_at, id"
	}
	return "created_at DESC, id"
}

// ReferralItem is a referral as a list shows it: with its next deadline,
// the sending agency's name and, within the client's consent, the client's
// display name and the start of the referral's note.
type ReferralItem struct {
	Referral
	// DueAt is when the open response or outcome task (out of network: the
	// caseworker's check-in) is due; nil when none is open.
	DueAt *time.Time
	// ClientName is the client's display name: the sender's own client,
	// or a receiver's while the share includes name under consent; nil
	// when not shared.
	ClientName *string
	// NoteExcerpt is the referral note's first NoteExcerptLen characters,
	// for a receiver only while consent holds.
	NoteExcerpt string
	SenderName  string
}

// NoteExcerptLen is how much of a referral's note a list shows.
const NoteExcerptLen = 140

// Referrals lists referrals a's agency sent or received (an out-of-network
// referral is only ever its sender's), in f's order, each with its next
// deadline, its sender's name and what the consent lets a see of the
// client; the personal data shown is an audited read.
func (s *Store) Referrals(ctx context.Context, a Actor, f ReferralFilter, p Paging) ([]ReferralItem, int64, error) {
	q := s.db.WithContext(ctx).Model(&referralRow{})
	if f.Direction == "received" {
		q = q.Where("receiver_agency_id = ? AND status <> ? AND method = ?", f.AgencyID, string(referral.Draft), referral.MethodLinkage)
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
	total, err := page(q, referralOrder(f.Sort), p, &rows, "referrals")
	if err != nil {
		return nil, 0, err
	}
	out := make([]ReferralItem, 0, len(rows))
	for _, r := range rows {
		x, err := s.fromReferralRow(r, true)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, ReferralItem{Referral: x})
	}
	if len(out) == 0 {
		return out, total, nil
	}
	read, err := s.fillItems(ctx, a.Principal, out)
	if err != nil {
		return nil, 0, err
	}
	return out, total, s.AuditReads(ctx, a, "referral", read, "list")
}

// fillItems adds to items their deadlines, senders' names and what p may
// see of each client and note, and says which referrals showed personal
// data.
func (s *Store) fillItems(ctx context.Context, p auth.Principal, items []ReferralItem) ([]string, error) {
	ids, caseIDs, senders := make([]string, len(items)), []string{}, []string{}
	for i, it := range items {
		ids[i] = it.ID
		caseIDs = append(caseIDs, it.CaseID)
		senders = append(senders, it.SenderAgencyID)
	}
	due, err := s.referralDue(ctx, ids)
	if err != nil {
		return nil, err
	}
	var cases []caseRow
	if err := s.db.WithContext(ctx).Where("id IN ?", slices.Compact(slices.Sorted(slices.Values(caseIDs)))).Find(&cases).Error; err != nil {
		return nil, mapErr(err, "read referral cases")
	}
	byCase := map[string]Case{}
	for _, row := range cases {
		c, err := s.fromCaseRow(row, nil)
		if err != nil {
			return nil, err
		}
		byCase[c.ID] = c
	}
	var ags []agencyRow
	if err := s.db.WithContext(ctx).Where("id IN ?", slices.Compact(slices.Sorted(slices.Values(senders)))).Find(&ags).Error; err != nil {
		return nil, mapErr(err, "read sender agencies")
	}
	names := map[string]string{}
	for _, ag := range ags {
		names[ag.ID] = ag.Name
	}
	now := s.now()
	var read []string
	for i := range items {
		it := &items[i]
		it.DueAt, it.SenderName = due[it.ID], names[it.SenderAgencyID]
		cs, ok := byCase[it.CaseID]
		if ok && seeListItem(it, cs, p, now) {
			read = append(read, it.ID)
		}
		it.Note = "" // a list shows the excerpt only
	}
	return read, nil
}

// seeListItem fills what p sees in a list of it's client and note: the
// sender's caseworkers their own client's name, anyone else the name only as
// the share and cs's consent allow (as a referral read shows the client);
// the note to the sender, and to the receiver while consent holds. It says
// whether that is personal data.
func seeListItem(it *ReferralItem, cs Case, p auth.Principal, now time.Time) bool {
	party, _ := sidesOf(p, it.Referral)
	sender := party&referral.Sender != 0
	name := ""
	if sender && p.Role == auth.Caseworker { // the case's own side; an agency key sees the share
		name = strings.TrimSpace(cs.Client.GivenName + " " + cs.Client.FamilyName)
	} else if shared, ok := referral.Shared(cs.Client, it.Share, cs.Consent, now); ok {
		name = strings.TrimSpace(shared.GivenName + " " + shared.FamilyName)
	}
	if name != "" {
		it.ClientName = &name
	}
	if sender || !cs.Consent.Ended(now) {
		it.NoteExcerpt = excerpt(it.Note, NoteExcerptLen)
	}
	return it.ClientName != nil || it.NoteExcerpt != ""
}

// excerpt is s cut to at most n runes, at a word where one is near, with an
// ellipsis when cut.
func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := string(r[:n])
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,.;:") + "…"
}

// referralDue is each referral's next deadline (dueExpr), by id.
func (s *Store) referralDue(ctx context.Context, ids []string) (map[string]*time.Time, error) {
	var tasks []struct {
		ReferralID, Kind, Method string
		DueAt                    time.Time
	}
	err := s.db.WithContext(ctx).Table("followups AS f").Select("f.referral_id, f.kind, f.due_at, r.method").
		Joins("JOIN referrals r ON r.id = f.referral_id").
		Where("f.referral_id IN ? AND f.done_at IS NULL AND f.kind IN ?", ids, []string{"response", "outcome", "checkin"}).Scan(&tasks).Error
	if err != nil {
		return nil, mapErr(err, "read referral deadlines")
	}
	out := map[string]*time.Time{}
	for _, t := range tasks {
		if t.Kind == string(referral.CheckIn) && t.Method == referral.MethodLinkage {
			continue
		}
		d := t.DueAt.UTC()
		if cur := out[t.ReferralID]; cur == nil || d.Before(*cur) {
			out[t.ReferralID] = &d
		}
	}
	return out, nil
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
	if agency != "" {
		// Another agency's caseworkers are one group, keyed by their
		// agency: their key ids are not the reader's to see.
		for i := range rows {
			if rows[i].SenderAgencyID != agency && rows[i].SenderKeyID != "" {
				rows[i].SenderKeyID = "agency:" + rows[i].SenderAgencyID
			}
		}
	}
	name, err := s.reportNamer(ctx, groupBy, agency, rows)
	if err != nil {
		return nil, err
	}
	return referral.Report(rows, groupBy, name), nil
}

// reportNamer names the groups of a report grouped by groupBy for agency
// ("" for an admin). A caseworker is named by its key's name, which only
// the key's own agency (or an admin) sees: another agency's caseworkers
// are one group, "caseworkers of" that agency. Names carry no personal
// data.
func (s *Store) reportNamer(ctx context.Context, groupBy, agency string, rows []referral.ReportRow) (func(string) string, error) {
	switch groupBy {
	case "need":
		return func(k string) string {
			if k == "" {
				return "no need named"
			}
			return strings.ReplaceAll(k, "_", " ")
		}, nil
	case "network":
		return func(k string) string {
			if k == referral.OutOfNetworkKey {
				return "out of network"
			}
			return "in network"
		}, nil
	case "agency", "sender", "caseworker":
	default:
		return nil, nil
	}
	agencies, err := s.Agencies(ctx)
	if err != nil {
		return nil, err
	}
	names := map[string]string{referral.OutOfNetworkKey: "out of network (no agency in Linkage)"}
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
			keyNames[r.SenderKeyID] = "caseworkers of " + names[r.SenderAgencyID]
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
		ServiceID, ServiceName, ReceiverAgencyID, SenderAgencyID, NeedDomain, Status, Reason, Outcome, FollowupAnswer, Method string
		SenderKeyID                                                                                                           *string
		SentAt, RespondedAt, AcceptedAt                                                                                       *time.Time
	}
	err := q.Select("service_id, service_name, receiver_agency_id, sender_agency_id, sender_key_id, need_domain, status, reason, outcome, followup_answer, method, sent_at, responded_at, accepted_at").
		Order("sent_at, id").Find(&rows).Error
	if err != nil {
		return nil, mapErr(err, "read referrals for report")
	}
	out := make([]referral.ReportRow, len(rows))
	for i, r := range rows {
		out[i] = referral.ReportRow{ServiceID: r.ServiceID, ServiceName: r.ServiceName, ReceiverAgencyID: r.ReceiverAgencyID,
			SenderAgencyID: r.SenderAgencyID, SenderKeyID: deref(r.SenderKeyID), Need: r.NeedDomain, Status: referral.Status(r.Status), Reason: r.Reason, Outcome: r.Outcome,
			NeedMet: r.FollowupAnswer, SentAt: utcp(r.SentAt), RespondedAt: utcp(r.RespondedAt), AcceptedAt: utcp(r.AcceptedAt),
			OutOfNetwork: r.Method != "" && r.Method != referral.MethodLinkage}
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

// ReferralPeers says whether a referral links agency and peer: one sent to
// the other through Linkage (a draft links no one; out of network, no
// agency received it), so each may read who the other is.
func (s *Store) ReferralPeers(ctx context.Context, agency, peer string) (bool, error) {
	if agency == "" || agency == peer {
		return false, nil
	}
	var ids []string
	err := s.db.WithContext(ctx).Model(&referralRow{}).
		Where("((sender_agency_id = ? AND receiver_agency_id = ?) OR (sender_agency_id = ? AND receiver_agency_id = ?)) AND status <> ? AND method = ?",
			agency, peer, peer, agency, string(referral.Draft), referral.MethodLinkage).Limit(1).Pluck("id", &ids).Error
	if err != nil {
		return false, mapErr(err, "read referral peers")
	}
	return len(ids) > 0, nil
}

// AcceptsReferrals says which of serviceIDs take referrals through
// Linkage: active, with an agency managing the organization (what
// CreateReferral needs to send one in network).
func (s *Store) AcceptsReferrals(ctx context.Context, serviceIDs []string) (map[string]bool, error) {
	var ids []string
	err := s.db.WithContext(ctx).Table("services AS s").Distinct("s.id").
		Joins("JOIN agency_organizations ao ON ao.organization_id = s.organization_id").
		Where("s.id IN ? AND s.status IN ?", serviceIDs, []string{"active", ""}).Pluck("s.id", &ids).Error
	if err != nil {
		return nil, mapErr(err, "read services that accept referrals")
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

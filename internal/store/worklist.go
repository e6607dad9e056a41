package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/linkage-org/linkage/internal/referral"
)

// Task is a worklist item as its agency sees it: the task, the case it
// belongs to (only the agency's own), the client's display name where the
// reader may see it, its need and referral, and a title for the
// lifecycle's tasks.
type Task struct {
	FollowUp
	// CaseID is the task's case when it is the reader's agency's own; a
	// received referral's case is the sender's, never shown.
	CaseID *string
	// Title is the caseworker's title, or one made for a lifecycle task.
	Title string
	// ClientName is the client's given and family name: nil unless the
	// case is the reader's agency's, or the referral shares the name
	// under consent that holds.
	ClientName *string
	Need       *TaskNeed
	Referral   *TaskReferral
	// NoteText is the opened note (single reads only); HasNote says
	// whether there is one.
	NoteText string
	HasNote  bool
}

// TaskNeed is the need a task is about.
type TaskNeed struct{ ID, Domain string }

// TaskReferral is the referral a task belongs to.
type TaskReferral struct {
	ID, Status, ServiceName string
}

// worklistRefs is what the worklist reads of the tasks' referrals.
type worklistRef struct {
	ID, Status, ServiceName, SenderAgencyID, ReceiverAgencyID, CaseID, Share, Method string
}

// showTasks dresses rows for a's agency in one query per related table,
// opens the client seal only for the names shown, and audits those reads
// (and the notes opened when withNote).
func (s *Store) showTasks(ctx context.Context, a Actor, rows []FollowUp, withNote bool) ([]Task, error) {
	return s.dressTasks(ctx, a, rows, withNote, true)
}

// dressTasks is showTasks, with client names only when names is set.
func (s *Store) dressTasks(ctx context.Context, a Actor, rows []FollowUp, withNote, names bool) ([]Task, error) {
	out := make([]Task, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	refs, err := s.worklistRefs(ctx, rows)
	if err != nil {
		return nil, err
	}
	cases := map[string]caseRow{}
	if names {
		if cases, err = s.worklistCases(ctx, rows); err != nil {
			return nil, err
		}
	}
	needs, err := s.worklistNeeds(ctx, rows)
	if err != nil {
		return nil, err
	}
	agencies, err := s.worklistAgencies(ctx, refs)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	var audit []AuditEntry
	named := map[string]bool{}
	for i, f := range rows {
		t, readName, err := s.showTask(f, a.Principal.AgencyID, refs, cases, needs, agencies, now)
		if err != nil {
			return nil, err
		}
		if readName != "" && !named[readName] {
			named[readName] = true
			audit = append(audit, a.auditEntry("read", "case", readName, "client name (worklist)"))
		}
		if withNote && f.Note != nil {
			if t.NoteText, err = s.openText(f.Note, "task:"+f.ID, "note"); err != nil {
				return nil, err
			}
			audit = append(audit, a.auditEntry("read", "task", f.ID, "note"))
		}
		out[i] = t
	}
	if len(audit) > 0 {
		if err := s.inTx(ctx, func(tx *txn) error { return tx.AuditBatch(ctx, audit) }); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// showTask is f as agency sees it, and the case whose client name it
// shows ("" for none).
func (s *Store) showTask(f FollowUp, agency string, refs map[string]worklistRef, cases map[string]caseRow, needs map[string]string,
	agencies map[string]string, now time.Time) (Task, string, error) {
	f.DueAt, f.CreatedAt, f.DoneAt = f.DueAt.UTC(), f.CreatedAt.UTC(), utcp(f.DoneAt)
	f.Overdue = f.DoneAt == nil && f.DueAt.Before(now)
	t := Task{FollowUp: f, Title: f.Title, HasNote: f.Note != nil}
	r, hasRef := refs[deref(f.ReferralID)]
	if hasRef {
		t.Referral = &TaskReferral{ID: r.ID, Status: r.Status, ServiceName: r.ServiceName}
		t.FollowUp.ReferralStatus, t.FollowUp.ServiceName = r.Status, r.ServiceName
	}
	if t.Title == "" {
		t.Title = lifecycleTitle(f.Kind, r.Status, agencies[r.SenderAgencyID], r.ServiceName, r.Method == "" || r.Method == referral.MethodLinkage)
	}
	if f.NeedID != nil {
		if d, ok := needs[*f.NeedID]; ok {
			t.Need = &TaskNeed{ID: *f.NeedID, Domain: d}
		}
	}
	c, ok := cases[deref(f.CaseID)]
	if !ok {
		return t, "", nil
	}
	show := c.AgencyID == agency
	if show {
		t.CaseID = &c.ID
	} else if hasRef {
		show = sharesName(r, c, now)
	}
	if !show {
		return t, "", nil
	}
	name, err := s.clientName(c)
	if err != nil {
		return Task{}, "", err
	}
	t.ClientName = &name
	return t, c.ID, nil
}

// sharesName says whether referral r shares its client's name with the
// receiver now: name in its share, and in the consent, which holds.
func sharesName(r worklistRef, c caseRow, now time.Time) bool {
	var share []string
	if json.Unmarshal([]byte(r.Share), &share) != nil || !slices.Contains(share, "name") || c.Consent == nil {
		return false
	}
	var consent referral.Consent
	if json.Unmarshal([]byte(*c.Consent), &consent) != nil {
		return false
	}
	return consent.ActiveOn(now) && slices.Contains(consent.Scope, "name")
}

// clientName opens the client of c and gives its display name.
func (s *Store) clientName(c caseRow) (string, error) {
	raw, err := s.openText(&c.Client, "case:"+c.ID, "client")
	if err != nil {
		return "", err
	}
	var cl referral.Client
	if err := json.Unmarshal([]byte(raw), &cl); err != nil {
		return "", fmt.Errorf("store: decode client of case %s: %w", c.ID, err)
	}
	name := cl.GivenName
	if cl.FamilyName != "" {
		if name != "" {
			name += " "
		}
		name += cl.FamilyName
	}
	return name, nil
}

// lifecycleTitle names a task of the referral lifecycle; out of the
// network the caseworker records the service's side too.
func lifecycleTitle(kind, status, sender, service string, inNetwork bool) string {
	if sender == "" {
		sender = "the referring agency"
	}
	if service == "" {
		service = "the service"
	}
	switch referral.Kind(kind) {
	case referral.Response:
		if !inNetwork {
			return "Record whether " + service + " took the referral"
		}
		return "Answer the referral from " + sender
	case referral.CheckIn:
		if status == string(referral.Declined) {
			return service + " declined: find the client another service"
		}
		if inNetwork && awaiting(status) {
			return "Make sure " + service + " answers the referral"
		}
		return "Check in with the client about " + service
	case referral.Outcome:
		if !inNetwork {
			return "Record the outcome at " + service
		}
		return "Record the outcome of the referral from " + sender
	case referral.ClientFollowUp:
		return "Ask the client whether " + service + " met the need"
	}
	return kind
}

func (s *Store) worklistRefs(ctx context.Context, rows []FollowUp) (map[string]worklistRef, error) {
	var ids []string
	for _, f := range rows {
		if f.ReferralID != nil {
			ids = append(ids, *f.ReferralID)
		}
	}
	out := map[string]worklistRef{}
	if len(ids) == 0 {
		return out, nil
	}
	var refs []worklistRef
	err := s.db.WithContext(ctx).Model(&referralRow{}).Select("id, status, service_name, sender_agency_id, receiver_agency_id, case_id, share, method").
		Where("id IN ?", slices.Compact(slices.Sorted(slices.Values(ids)))).Find(&refs).Error
	if err != nil {
		return nil, mapErr(err, "read worklist referrals")
	}
	for _, r := range refs {
		out[r.ID] = r
	}
	return out, nil
}

func (s *Store) worklistCases(ctx context.Context, rows []FollowUp) (map[string]caseRow, error) {
	var ids []string
	for _, f := range rows {
		if f.CaseID != nil {
			ids = append(ids, *f.CaseID)
		}
	}
	out := map[string]caseRow{}
	if len(ids) == 0 {
		return out, nil
	}
	var cs []caseRow
	err := s.db.WithContext(ctx).Model(&caseRow{}).Select("id, agency_id, client, consent").
		Where("id IN ?", slices.Compact(slices.Sorted(slices.Values(ids)))).Find(&cs).Error
	if err != nil {
		return nil, mapErr(err, "read worklist cases")
	}
	for _, c := range cs {
		out[c.ID] = c
	}
	return out, nil
}

func (s *Store) worklistNeeds(ctx context.Context, rows []FollowUp) (map[string]string, error) {
	var ids []string
	for _, f := range rows {
		if f.NeedID != nil {
			ids = append(ids, *f.NeedID)
		}
	}
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var ns []needRow
	if err := s.db.WithContext(ctx).Model(&needRow{}).Select("id, domain").Where("id IN ?", slices.Compact(slices.Sorted(slices.Values(ids)))).Find(&ns).Error; err != nil {
		return nil, mapErr(err, "read worklist needs")
	}
	for _, n := range ns {
		out[n.ID] = n.Domain
	}
	return out, nil
}

func (s *Store) worklistAgencies(ctx context.Context, refs map[string]worklistRef) (map[string]string, error) {
	var ids []string
	for _, r := range refs {
		ids = append(ids, r.SenderAgencyID)
	}
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var ags []agencyRow
	if err := s.db.WithContext(ctx).Select("id, name").Where("id IN ?", slices.Compact(slices.Sorted(slices.Values(ids)))).Find(&ags).Error; err != nil {
		return nil, mapErr(err, "read worklist agencies")
	}
	for _, ag := range ags {
		out[ag.ID] = ag.Name
	}
	return out, nil
}

// awaiting says whether a referral in status waits for the receiver's
// answer (sent, acknowledged or on its waitlist).
func awaiting(status string) bool {
	switch referral.Status(status) {
	case referral.Sent, referral.Received, referral.Waitlisted:
		return true
	}
	return false
}

package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/referral"
	"github.com/linkage-org/linkage/internal/store"
)

func contains(list []string, v string) bool { return slices.Contains(list, v) }

// timeParam reads an RFC 3339 time or a date parameter; a bad one is
// added to fe.
func timeParam(q url.Values, name string, fe *apperr.FieldErrors) *time.Time {
	v := strings.TrimSpace(q.Get(name))
	if v == "" {
		return nil
	}
	t, err := parseTime(v)
	if err != nil {
		*fe = append(*fe, apperr.FieldError{Parameter: name, Message: fmt.Sprintf("must be a date-time such as 2026-01-31T00:00:00Z or a date such as 2026-01-31, got %q", clip(v))})
		return nil
	}
	return &t
}

// referralBody is what POST /referrals takes.
type referralBody struct {
	CaseID     string    `json:"case_id"`
	ServiceID  string    `json:"service_id"`
	LocationID string    `json:"location_id,omitempty"`
	NeedID     string    `json:"need_id,omitempty"`
	Need       string    `json:"need,omitempty"`
	Priority   string    `json:"priority,omitempty"`
	Note       string    `json:"note,omitempty"`
	Share      *[]string `json:"share,omitempty"`
	Draft      bool      `json:"draft,omitempty"`
}

// referralView is a referral as one side sees it: the client only as far
// as the consent shares it, the sender's private parts only to the sender.
type referralView struct {
	store.Referral
	CaseID       *string                `json:"case_id,omitempty"`
	SenderKeyID  *string                `json:"sender_key_id,omitempty"`
	Side         string                 `json:"side"`
	AllowedMoves []referral.Status      `json:"allowed_moves"`
	Consent      string                 `json:"consent_status"`
	Client       *referral.Client       `json:"client"`
	Needs        []map[string]string    `json:"needs,omitempty"`
	FollowUp     map[string]interface{} `json:"client_followup,omitempty"`
	Followups    []store.FollowUp       `json:"followups"`
}

// viewReferral builds what p sees of r, reading r's case unless cs is it.
func (h *handler) viewReferral(ctx context.Context, st *store.Store, p auth.Principal, r store.Referral, cs *store.Case) (referralView, []string, error) {
	party, acting := referral.Sides(p, r.SenderAgencyID, r.ReceiverAgencyID)
	v := referralView{Referral: r, Side: party.String(), AllowedMoves: referral.Allowed(r.Status, acting)}
	if v.AllowedMoves == nil {
		v.AllowedMoves = []referral.Status{}
	}
	if cs == nil || cs.ID != r.CaseID {
		c, err := st.CaseByID(ctx, r.CaseID, r.SenderAgencyID)
		if err != nil {
			return referralView{}, nil, err
		}
		cs = &c
	}
	var read []string
	now := h.now()
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
			v.Needs = append(v.Needs, map[string]string{"domain": n.Domain, "status": n.Status})
		}
	}
	if party&referral.Sender != 0 {
		v.CaseID, v.SenderKeyID = &r.CaseID, r.SenderKeyID
		if r.FollowUpAt != nil {
			v.FollowUp = map[string]any{"need_met": r.FollowUpAnswer, "note": r.FollowUpNote, "at": r.FollowUpAt}
		}
	}
	var err error
	if v.Followups, err = st.FollowUpsOf(ctx, r); err != nil {
		return referralView{}, nil, err
	}
	for i := range v.Followups {
		// Which caseworker of the other agency a task is for is theirs to know.
		if v.Followups[i].AssigneeAgencyID != p.AgencyID {
			v.Followups[i].AssigneeKeyID = nil
		}
	}
	if v.Note != "" {
		read = append(read, "note")
	}
	return v, read, nil
}

// referralParty reads referral id for a caller who is a party to it; for
// anyone else it does not exist (404), and roles that never work referrals
// are told so (403).
func (h *handler) referralParty(c echo.Context) (auth.Principal, string, error) {
	p := principal(c)
	if !p.Authenticated() {
		return p, "", allow(auth.Unauthenticated)
	}
	if !referral.WorksReferrals(p.Role) {
		return p, "", apperr.E(apperr.Forbidden, "Referrals are read and answered with caseworker or agency keys; this key's role is %s.", p.Role)
	}
	id, err := pathID(c, "referral")
	return p, id, err
}

// respondReferral answers with p's view of r; cs, if not nil, is r's case
// as already read. Reads of personal data are audited unless the caller
// just wrote them (auditRead false).
func (h *handler) respondReferral(c echo.Context, status int, p auth.Principal, r store.Referral, cs *store.Case, auditRead bool) error {
	v, read, err := h.viewReferral(c.Request().Context(), h.store, p, r, cs)
	if err != nil {
		return err
	}
	if auditRead && len(read) > 0 {
		if err := h.auditReads(c, "referral", []string{r.ID}, strings.Join(read, ",")); err != nil {
			return err
		}
	}
	return writeReferral(c, status, v)
}

func writeReferral(c echo.Context, status int, v referralView) error {
	c.Response().Header().Set("ETag", fmt.Sprintf(`"referral-v%d"`, v.Version))
	return writePrivate(c, status, v)
}

// viewInTx builds p's view of r inside tx (after tx changed r), and audits
// the change (action, detail) and the read of personal data in one
// statement, saving a transaction per move.
func (h *handler) viewInTx(c echo.Context, tx *store.Tx, p auth.Principal, r store.Referral, action, detail string) (referralView, error) {
	v, read, err := h.viewReferral(c.Request().Context(), tx.View(), p, r, nil)
	if err != nil {
		return referralView{}, err
	}
	es := []store.AuditEntry{auditEntry(c, action, "referral", r.ID, detail)}
	if len(read) > 0 {
		es = append(es, auditEntry(c, "read", "referral", r.ID, strings.Join(read, ",")))
	}
	return v, tx.AuditBatch(c.Request().Context(), es)
}

// createReferral answers POST /referrals.
func (h *handler) createReferral(c echo.Context) error {
	p := principal(c)
	if err := caseworker(p); err != nil {
		return err
	}
	ctx := c.Request().Context()
	var b referralBody
	var r store.Referral
	var cs store.Case
	id, replayed, err := h.idempotentCreate(c, "referral", &b, func() error { return nil }, func(tx *store.Tx, id string) error {
		var err error
		if r, cs, err = h.newReferral(ctx, tx, p, &b); err != nil {
			return err
		}
		r.ID = id
		if err := tx.CreateReferral(ctx, &r, actor(p, referral.Sender), h.rules); err != nil {
			return err
		}
		if r.Status == referral.Sent {
			if err := needInProgress(ctx, tx, r, &cs); err != nil {
				return err
			}
		}
		return h.audit(c, tx, "create", "referral", r.ID, "status="+string(r.Status)+",share="+strings.Join(r.Share, "+"))
	})
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/referrals/"+id)
	if replayed {
		if r, err = h.store.ReferralByID(ctx, id, p.AgencyID); err != nil {
			return err
		}
		return h.respondReferral(c, http.StatusCreated, p, r, nil, true)
	}
	return h.respondReferral(c, http.StatusCreated, p, r, &cs, false)
}

// needInProgress marks the referral's need in progress once it is sent, if
// it was only identified; cs is the referral's case, as read in tx.
func needInProgress(ctx context.Context, tx *store.Tx, r store.Referral, cs *store.Case) error {
	if r.NeedID == nil {
		return nil
	}
	for i, n := range cs.Needs {
		if n.ID == *r.NeedID && n.Status == referral.NeedIdentified {
			cs.Needs[i].Status = referral.NeedInProgress
			cs.Version++
			return tx.SetNeedStatus(ctx, r.CaseID, n.ID, referral.NeedInProgress)
		}
	}
	return nil
}

func actor(p auth.Principal, side referral.Side) store.HistoryActor {
	return store.HistoryActor{KeyID: p.KeyID, Role: string(p.Role), AgencyID: p.AgencyID, Side: side}
}

// newReferral checks a referral body against the case, the service and the
// consent, and builds the referral to store.
func (h *handler) newReferral(ctx context.Context, tx *store.Tx, p auth.Principal, b *referralBody) (store.Referral, store.Case, error) {
	var fe apperr.FieldErrors
	b.CaseID, b.ServiceID, b.LocationID, b.NeedID = strings.ToLower(b.CaseID), strings.ToLower(b.ServiceID), strings.ToLower(b.LocationID), strings.ToLower(b.NeedID)
	for _, f := range []struct{ ptr, v string }{{"/case_id", b.CaseID}, {"/service_id", b.ServiceID}} {
		switch {
		case f.v == "":
			fe.Add(f.ptr, "is required")
		case !isUUID(f.v):
			fe.Add(f.ptr, "is not a UUID")
		}
	}
	for _, f := range []struct{ ptr, v string }{{"/location_id", b.LocationID}, {"/need_id", b.NeedID}} {
		if f.v != "" && !isUUID(f.v) {
			fe.Add(f.ptr, "is not a UUID")
		}
	}
	if b.Priority == "" {
		b.Priority = string(referral.Routine)
	}
	if b.Priority != string(referral.Routine) && b.Priority != string(referral.Urgent) {
		fe.Add("/priority", "must be routine or urgent")
	}
	if len(b.Note) > referral.MaxNoteLen {
		fe.Add("/note", "is longer than %d characters", referral.MaxNoteLen)
	}
	if b.NeedID == "" && b.Need == "" {
		fe.Add("/need", "is required: name the need this referral addresses (need_id of a case need, or its domain)")
	}
	if len(fe) > 0 {
		return store.Referral{}, store.Case{}, apperr.WithFields(apperr.Unprocessable, "The referral is not valid; see errors.", fe)
	}
	view := tx.View()
	cs, err := view.CaseByID(ctx, b.CaseID, p.AgencyID)
	if apperr.KindOf(err) == apperr.NotFound {
		fe.Add("/case_id", "your agency has no case with this id")
	} else if err != nil {
		return store.Referral{}, store.Case{}, err
	} else if cs.Status == store.CaseClosed {
		fe.Add("/case_id", "the case is closed; reopen it to refer from it")
	}
	t, err := view.ReferralTarget(ctx, b.ServiceID)
	switch {
	case apperr.KindOf(err) == apperr.NotFound:
		fe.Add("/service_id", "no service has this id")
	case err != nil:
		return store.Referral{}, store.Case{}, err
	case t.AgencyID == "":
		fe.Add("/service_id", "no agency in Linkage answers for this service's organization, so a referral could not be answered; contact the service directly")
	case t.Status != "" && t.Status != "active":
		fe.Add("/service_id", "the service is %s; refer to an active service", t.Status)
	case b.LocationID != "" && !slices.Contains(t.LocationIDs, b.LocationID):
		fe.Add("/location_id", "is not one of the service's locations (%s)", strings.Join(t.LocationIDs, ", "))
	}
	if len(fe) > 0 {
		return store.Referral{}, store.Case{}, apperr.WithFields(apperr.Unprocessable, "The referral is not valid; see errors.", fe)
	}
	r := store.Referral{CaseID: cs.ID, SenderAgencyID: p.AgencyID, SenderKeyID: &p.KeyID, ReceiverAgencyID: t.AgencyID,
		ServiceID: t.ServiceID, ServiceName: t.Name, Priority: b.Priority, Note: b.Note, Status: referral.Sent}
	if b.Draft {
		r.Status = referral.Draft
	}
	if b.LocationID != "" {
		r.LocationID = &b.LocationID
	} else if len(t.LocationIDs) == 1 {
		r.LocationID = &t.LocationIDs[0]
	}
	for _, n := range cs.Needs {
		if (b.NeedID != "" && n.ID == b.NeedID) || (b.NeedID == "" && n.Domain == b.Need) {
			id := n.ID
			r.NeedID, r.NeedDomain = &id, n.Domain
			break
		}
	}
	switch {
	case r.NeedID == nil && b.NeedID != "":
		fe.Add("/need_id", "is not a need of the case")
	case r.NeedID == nil:
		fe.Add("/need", "the case has no %s need; add it to the case first (domains: %s)", clip(b.Need), strings.Join(referral.Domains, ", "))
	case b.Need != "" && b.Need != r.NeedDomain:
		fe.Add("/need", "is %s but need_id names a %s need", clip(b.Need), r.NeedDomain)
	}
	var want []string
	if b.Share != nil {
		want = *b.Share
		if want == nil {
			want = []string{}
		}
	}
	share, probs := referral.Share(cs.Consent, want, h.now())
	for _, pr := range probs {
		fe.Add(pr.Field, "%s", pr.Message)
	}
	if len(fe) > 0 {
		return store.Referral{}, store.Case{}, apperr.WithFields(apperr.Unprocessable, "The referral is not valid; see errors.", fe)
	}
	r.Share = share
	return r, cs, nil
}

// getReferral answers GET /referrals/{id} for either side.
func (h *handler) getReferral(c echo.Context) error {
	p, id, err := h.referralParty(c)
	if err != nil {
		return err
	}
	r, err := h.store.ReferralByID(c.Request().Context(), id, p.AgencyID)
	if err != nil {
		return err
	}
	if party, _ := referral.Sides(p, r.SenderAgencyID, r.ReceiverAgencyID); party == referral.Receiver && r.Status == referral.Draft {
		return apperr.E(apperr.NotFound, "no referral has id %s", id) // a draft is the sender's alone
	}
	return h.respondReferral(c, http.StatusOK, p, r, nil, true)
}

// transitionBody is what POST /referrals/{id}/transitions takes.
type transitionBody struct {
	To            referral.Status `json:"to"`
	Reason        string          `json:"reason,omitempty"`
	Outcome       string          `json:"outcome,omitempty"`
	Note          string          `json:"note,omitempty"`
	AppointmentAt *time.Time      `json:"appointment_at,omitempty"`
}

// transition answers POST /referrals/{id}/transitions.
func (h *handler) transition(c echo.Context) error {
	p, id, err := h.referralParty(c)
	if err != nil {
		return err
	}
	var b transitionBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	var fe apperr.FieldErrors
	if !b.To.Valid() {
		fe.Add("/to", "must be one of %s", joinStatuses(referral.Statuses))
	}
	if len(b.Note) > referral.MaxNoteLen {
		fe.Add("/note", "is longer than %d characters", referral.MaxNoteLen)
	}
	m := referral.Move{To: b.To, Reason: b.Reason, Outcome: b.Outcome, HasAppointment: b.AppointmentAt != nil}
	if len(fe) == 0 {
		for _, pr := range m.Check() {
			fe.Add("/"+pr.Field, "%s", pr.Message)
		}
	}
	if len(fe) > 0 {
		return apperr.WithFields(apperr.Unprocessable, "The move is not valid; see errors.", fe)
	}
	ctx := c.Request().Context()
	var r store.Referral
	var view referralView
	err = h.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if r, err = tx.LockReferral(ctx, id, p.AgencyID); err != nil {
			return err
		}
		party, acting := referral.Sides(p, r.SenderAgencyID, r.ReceiverAgencyID)
		if party == referral.Receiver && r.Status == referral.Draft {
			return apperr.E(apperr.NotFound, "no referral has id %s", id)
		}
		if acting == referral.None {
			return apperr.E(apperr.Forbidden, "This key can read the referral but not move it: the sending agency acts through caseworker keys.")
		}
		if err := referral.Next(r.Status, b.To, acting); err != nil {
			return apperr.E(apperr.Conflict, "%s.", err.Error())
		}
		side := acting
		if side == referral.Both {
			side = referral.Sender
			if b.To != referral.Cancelled && b.To != referral.Sent {
				side = referral.Receiver
			}
		}
		if err := tx.MoveReferral(ctx, &r, m, b.AppointmentAt, b.Note, actor(p, side), h.rules); err != nil {
			return err
		}
		if b.To == referral.Sent && r.NeedID != nil {
			cs, err := tx.View().CaseByID(ctx, r.CaseID, r.SenderAgencyID)
			if err != nil {
				return err
			}
			if err := needInProgress(ctx, tx, r, &cs); err != nil {
				return err
			}
		}
		view, err = h.viewInTx(c, tx, p, r, "transition", string(b.To))
		return err
	})
	if err != nil {
		return err
	}
	h.metrics.ReferralTransitions.WithLabelValues(string(b.To)).Inc()
	return writeReferral(c, http.StatusOK, view)
}

func joinStatuses(ss []referral.Status) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return strings.Join(out, ", ")
}

// addNote answers POST /referrals/{id}/notes: either side, any state.
func (h *handler) addNote(c echo.Context) error {
	p, id, err := h.referralParty(c)
	if err != nil {
		return err
	}
	var b struct {
		Note string `json:"note"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	b.Note = strings.TrimSpace(b.Note)
	switch {
	case b.Note == "":
		return apperr.WithFields(apperr.Unprocessable, "The note is empty.", apperr.FieldErrors{{Pointer: "/note", Message: "is required"}})
	case len(b.Note) > referral.MaxNoteLen:
		return apperr.WithFields(apperr.Unprocessable, "The note is too long.", apperr.FieldErrors{{Pointer: "/note", Message: fmt.Sprintf("is longer than %d characters", referral.MaxNoteLen)}})
	}
	ctx := c.Request().Context()
	var ev store.Event
	err = h.store.InTx(ctx, func(tx *store.Tx) error {
		r, err := tx.LockReferral(ctx, id, p.AgencyID)
		if err != nil {
			return err
		}
		party, _ := referral.Sides(p, r.SenderAgencyID, r.ReceiverAgencyID)
		if party == referral.Receiver && r.Status == referral.Draft {
			return apperr.E(apperr.NotFound, "no referral has id %s", id)
		}
		side := party
		if side == referral.Both {
			side = referral.Sender
		}
		if ev, err = tx.AddReferralNote(ctx, &r, b.Note, actor(p, side)); err != nil {
			return err
		}
		return h.audit(c, tx, "note", "referral", r.ID, "note")
	})
	if err != nil {
		return err
	}
	return writePrivate(c, http.StatusCreated, ev)
}

// recordFollowUp answers POST /referrals/{id}/followup: the referring
// caseworker records the client's own answer once the referral has ended.
func (h *handler) recordFollowUp(c echo.Context) error {
	p, id, err := h.referralParty(c)
	if err != nil {
		return err
	}
	var b struct {
		NeedMet string `json:"need_met"`
		Note    string `json:"note,omitempty"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if !slices.Contains(referral.NeedMet, b.NeedMet) {
		return apperr.WithFields(apperr.Unprocessable, "The follow-up is not valid.", apperr.FieldErrors{{Pointer: "/need_met", Message: "must be yes, partly or no"}})
	}
	if len(b.Note) > referral.MaxNoteLen {
		return apperr.WithFields(apperr.Unprocessable, "The follow-up is not valid.", apperr.FieldErrors{{Pointer: "/note", Message: fmt.Sprintf("is longer than %d characters", referral.MaxNoteLen)}})
	}
	ctx := c.Request().Context()
	var r store.Referral
	err = h.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if r, err = tx.LockReferral(ctx, id, p.AgencyID); err != nil {
			return err
		}
		_, acting := referral.Sides(p, r.SenderAgencyID, r.ReceiverAgencyID)
		switch {
		case acting&referral.Sender == 0:
			return apperr.E(apperr.Forbidden, "Only the referring agency's caseworkers record the client's follow-up.")
		case r.Status != referral.Completed && r.Status != referral.ClosedUnsuccessful:
			return apperr.E(apperr.Conflict, "The referral is %s; the client's follow-up is recorded after it is completed or closed_unsuccessful.", r.Status)
		case r.FollowUpAt != nil:
			return apperr.E(apperr.Conflict, "The client's follow-up was already recorded on %s.", r.FollowUpAt.Format(time.RFC3339))
		}
		if err := tx.RecordFollowUp(ctx, &r, b.NeedMet, b.Note, actor(p, referral.Sender)); err != nil {
			return err
		}
		return h.audit(c, tx, "followup", "referral", r.ID, "need_met")
	})
	if err != nil {
		return err
	}
	return h.respondReferral(c, http.StatusOK, p, r, nil, true)
}

// listEvents answers GET /referrals/{id}/events.
func (h *handler) listEvents(c echo.Context) error {
	p, id, err := h.referralParty(c)
	if err != nil {
		return err
	}
	lp, err := privateList(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	r, err := h.store.ReferralByID(ctx, id, p.AgencyID)
	if err != nil {
		return err
	}
	if party, _ := referral.Sides(p, r.SenderAgencyID, r.ReceiverAgencyID); party == referral.Receiver && r.Status == referral.Draft {
		return apperr.E(apperr.NotFound, "no referral has id %s", id)
	}
	events, total, err := h.store.Events(ctx, r.ID, lp.paging)
	if err != nil {
		return err
	}
	for i := range events {
		// The other agency's events say which agency, not which key.
		if events[i].AgencyID == nil || *events[i].AgencyID != p.AgencyID {
			events[i].KeyID = nil
		}
	}
	if party, _ := referral.Sides(p, r.SenderAgencyID, r.ReceiverAgencyID); party&referral.Sender == 0 {
		cs, err := h.store.CaseByID(ctx, r.CaseID, r.SenderAgencyID)
		if err != nil {
			return err
		}
		withholdNotes(events, p.AgencyID, cs.Consent.Ended(h.now()))
	}
	if err := h.auditReads(c, "referral", []string{r.ID}, "events"); err != nil {
		return err
	}
	return writePrivate(c, http.StatusOK, newPage(events, total, lp))
}

// withholdNotes blanks, in the history a receiving agency reads, what it
// may not see: the client's follow-up note (the sender's alone, as in the
// referral view) and, once the client's consent has ended, every note the
// sending side wrote (the referral's note is its created event's). The
// receiving agency's own notes stay: they are its records.
func withholdNotes(events []store.Event, agencyID string, consentEnded bool) {
	for i, e := range events {
		theirs := e.AgencyID == nil || *e.AgencyID != agencyID
		if e.NoteText != "" && (e.Kind == store.EventFollowUp || consentEnded && theirs) {
			events[i].NoteText, events[i].NoteWithheld = "", true
		}
	}
}

// listReferrals answers GET /referrals: what the caller's agency sent
// (direction=sent, a caseworker's default) or received (direction=received,
// an agency key's default).
func (h *handler) listReferrals(c echo.Context) error {
	p := principal(c)
	if !p.Authenticated() {
		return allow(auth.Unauthenticated)
	}
	if !referral.WorksReferrals(p.Role) {
		return apperr.E(apperr.Forbidden, "Referrals are read with caseworker or agency keys; this key's role is %s.", p.Role)
	}
	lp, err := privateList(c, "direction", "status", "case_id", "service_id", "need", "from", "to")
	if err != nil {
		return err
	}
	q := c.QueryParams()
	f := store.ReferralFilter{AgencyID: p.AgencyID, Direction: q.Get("direction"), CaseID: strings.ToLower(q.Get("case_id")),
		ServiceID: strings.ToLower(q.Get("service_id")), Need: q.Get("need")}
	var fe apperr.FieldErrors
	if f.Direction == "" {
		f.Direction = "received"
		if p.Role == auth.Caseworker {
			f.Direction = "sent"
		}
	}
	if f.Direction != "sent" && f.Direction != "received" {
		fe = append(fe, apperr.FieldError{Parameter: "direction", Message: "must be sent or received"})
	}
	if s := q.Get("status"); s != "" {
		for _, st := range strings.Split(s, ",") {
			if !referral.Status(st).Valid() {
				fe = append(fe, apperr.FieldError{Parameter: "status", Message: fmt.Sprintf("%q is not one of %s", clip(st), joinStatuses(referral.Statuses))})
			}
			f.Statuses = append(f.Statuses, st)
		}
	}
	for _, k := range []string{"case_id", "service_id"} {
		if v := q.Get(k); v != "" && !isUUID(strings.ToLower(v)) {
			fe = append(fe, apperr.FieldError{Parameter: k, Message: "is not a UUID"})
		}
	}
	if f.Need != "" && !slices.Contains(referral.Domains, f.Need) {
		fe = append(fe, apperr.FieldError{Parameter: "need", Message: "must be one of " + strings.Join(referral.Domains, ", ")})
	}
	f.From, f.To = timeParam(q, "from", &fe), timeParam(q, "to", &fe)
	if len(fe) > 0 {
		return apperr.WithFields(apperr.Invalid, "Some parameters are not valid; see errors.", fe)
	}
	refs, total, err := h.store.Referrals(c.Request().Context(), f, lp.paging)
	if err != nil {
		return err
	}
	out := make([]referralSummary, len(refs))
	for i, r := range refs {
		party, acting := referral.Sides(p, r.SenderAgencyID, r.ReceiverAgencyID)
		out[i] = referralSummary{Referral: r, Side: party.String(), AllowedMoves: referral.Allowed(r.Status, acting)}
		if out[i].AllowedMoves == nil {
			out[i].AllowedMoves = []referral.Status{}
		}
		if party&referral.Sender == 0 {
			out[i].CaseID, out[i].SenderKeyID = nil, nil
		} else {
			out[i].CaseID, out[i].SenderKeyID = &refs[i].CaseID, r.SenderKeyID
		}
	}
	return writePrivate(c, http.StatusOK, newPage(out, total, lp))
}

// referralSummary is a referral in a list: no client data, no notes.
type referralSummary struct {
	store.Referral
	CaseID       *string           `json:"case_id,omitempty"`
	SenderKeyID  *string           `json:"sender_key_id,omitempty"`
	Side         string            `json:"side"`
	AllowedMoves []referral.Status `json:"allowed_moves"`
}

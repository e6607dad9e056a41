package httpapi

import (
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
		*fe = append(*fe, apperr.FieldError{Parameter: name, Message: fmt.Sprintf("must be a date-time such as 2026-01-31T00:00:00Z or a date such as 2026-01-31, in the years 1900 to 2199; got %q", clip(v))})
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
	// Method: linkage, or out of network phone, warm_handoff,
	// self_referral, email, in_person.
	Method        string     `json:"method,omitempty"`
	ContactMode   string     `json:"contact_mode,omitempty"`
	AppointmentAt *time.Time `json:"appointment_at,omitempty"`
}

// referralJSON is a referral as the API lists it: no client data, no
// notes beyond the referral's own, the sender's case and key only to the
// sender.
type referralJSON struct {
	ID               string            `json:"id"`
	NeedID           *string           `json:"need_id"`
	NeedDomain       string            `json:"need"`
	SenderAgencyID   string            `json:"sender_agency_id"`
	ReceiverAgencyID *string           `json:"receiver_agency_id"`
	ServiceID        string            `json:"service_id"`
	ServiceName      string            `json:"service_name"`
	LocationID       *string           `json:"location_id"`
	Priority         string            `json:"priority"`
	Status           referral.Status   `json:"status"`
	Share            []string          `json:"share"`
	Note             string            `json:"note,omitempty"`
	Reason           string            `json:"reason,omitempty"`
	Outcome          string            `json:"outcome,omitempty"`
	AppointmentAt    *time.Time        `json:"appointment_at"`
	Version          int               `json:"version"`
	CreatedAt        time.Time         `json:"created_at"`
	UpdatedAt        time.Time         `json:"updated_at"`
	SentAt           *time.Time        `json:"sent_at"`
	RespondedAt      *time.Time        `json:"responded_at"`
	AcceptedAt       *time.Time        `json:"accepted_at"`
	ClosedAt         *time.Time        `json:"closed_at"`
	CaseID           *string           `json:"case_id,omitempty"`
	SenderKeyID      *string           `json:"sender_key_id,omitempty"`
	Side             string            `json:"side"`
	AllowedMoves     []referral.Status `json:"allowed_moves"`
	Method           string            `json:"method"`
	InNetwork        bool              `json:"in_network"`
	ContactMode      *string           `json:"contact_mode"`
	ForwardedFrom    *string           `json:"forwarded_from"`
}

// referralItemJSON is a referral in a list: with its next deadline, its
// sender's name and, within the client's consent, the client's display
// name and the start of the note.
type referralItemJSON struct {
	referralJSON
	DueAt       *time.Time `json:"due_at"`
	ClientName  *string    `json:"client_display_name"`
	NoteExcerpt string     `json:"note_excerpt,omitempty"`
	Sender      agencyRef  `json:"sender_agency"`
}

// agencyRef names an agency.
type agencyRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// referralFromStore is r as a reader on side party, acting on side acting,
// sees it in a list.
func referralFromStore(r store.Referral, party, acting referral.Side) referralJSON {
	out := referralJSON{ID: r.ID, NeedID: r.NeedID, NeedDomain: r.NeedDomain, SenderAgencyID: r.SenderAgencyID,
		ReceiverAgencyID: r.Receiver(), ServiceID: r.ServiceID, ServiceName: r.ServiceName, LocationID: r.LocationID,
		Priority: r.Priority, Status: r.Status, Share: r.Share, Note: r.Note, Reason: r.Reason, Outcome: r.Outcome,
		AppointmentAt: r.AppointmentAt, Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, SentAt: r.SentAt,
		RespondedAt: r.RespondedAt, AcceptedAt: r.AcceptedAt, ClosedAt: r.ClosedAt,
		Side: party.String(), AllowedMoves: referral.Allowed(r.Status, acting), Method: r.Method, InNetwork: r.InNetwork(),
		ContactMode: nilIfEmpty(r.ContactMode), ForwardedFrom: r.ForwardedFrom}
	if out.AllowedMoves == nil {
		out.AllowedMoves = []referral.Status{}
	}
	if party&referral.Sender != 0 {
		caseID := r.CaseID
		out.CaseID, out.SenderKeyID = &caseID, r.SenderKeyID
	}
	return out
}

// referralViewJSON is a referral as one side reads it (the Referral
// schema): the client only as far as the consent shares it, the sender's
// private parts only to the sender.
type referralViewJSON struct {
	referralJSON
	Consent   string           `json:"consent_status"`
	Client    *referral.Client `json:"client"`
	Needs     []needJSON       `json:"needs,omitempty"`
	FollowUp  map[string]any   `json:"client_followup,omitempty"`
	Followups []followUpJSON   `json:"followups"`
	// ForwardedTo is the referral a forward of this one made.
	ForwardedTo *string `json:"forwarded_to"`
}

// needJSON is a case's need as a referral shares it.
type needJSON struct {
	Domain string `json:"domain"`
	Status string `json:"status"`
}

func referralViewFromStore(v store.ReferralView) referralViewJSON {
	out := referralViewJSON{referralJSON: referralFromStore(v.Referral, v.Party, v.Acting), Consent: v.Consent, Client: v.Client,
		Followups: make([]followUpJSON, len(v.FollowUps)), ForwardedTo: v.ForwardedTo}
	out.AllowedMoves = v.AllowedMoves
	for _, n := range v.Needs {
		out.Needs = append(out.Needs, needJSON{Domain: n.Domain, Status: n.Status})
	}
	if v.Sender() && v.FollowUpAt != nil {
		out.FollowUp = map[string]any{"need_met": v.FollowUpAnswer, "note": v.FollowUpNote, "at": v.FollowUpAt}
	}
	for i, f := range v.FollowUps {
		out.Followups[i] = followUpFromStore(f)
	}
	return out
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

func writeReferral(c echo.Context, status int, v store.ReferralView) error {
	c.Response().Header().Set("ETag", fmt.Sprintf(`"referral-v%d"`, v.Version))
	return writePrivate(c, status, referralViewFromStore(v))
}

// createReferral answers POST /referrals.
func (h *handler) createReferral(c echo.Context) error {
	if err := caseworker(principal(c)); err != nil {
		return err
	}
	var b referralBody
	idem, err := idempotentBody(c, &b)
	if err != nil {
		return err
	}
	in := store.ReferralInput{CaseID: b.CaseID, ServiceID: b.ServiceID, LocationID: b.LocationID, NeedID: b.NeedID, Need: b.Need,
		Priority: b.Priority, Note: b.Note, Share: b.Share, Draft: b.Draft, Method: b.Method, ContactMode: b.ContactMode, AppointmentAt: b.AppointmentAt}
	v, replayed, err := h.store.CreateReferral(c.Request().Context(), actorOf(c), in, idem, h.rules)
	if err != nil {
		return err
	}
	if replayed {
		c.Response().Header().Set("Idempotent-Replayed", "true")
	}
	c.Response().Header().Set(echo.HeaderLocation, "/referrals/"+v.ID)
	return writeReferral(c, http.StatusCreated, v)
}

// getReferral answers GET /referrals/{id} for either side.
func (h *handler) getReferral(c echo.Context) error {
	_, id, err := h.referralParty(c)
	if err != nil {
		return err
	}
	v, err := h.store.ReadReferral(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	return writeReferral(c, http.StatusOK, v)
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
	_, id, err := h.referralParty(c)
	if err != nil {
		return err
	}
	var b transitionBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	m := store.ReferralMove{To: b.To, Reason: b.Reason, Outcome: b.Outcome, Note: b.Note, AppointmentAt: b.AppointmentAt}
	v, err := h.store.MoveReferral(c.Request().Context(), actorOf(c), id, m, h.rules)
	if err != nil {
		return err
	}
	h.metrics.ReferralTransitions.WithLabelValues(string(b.To)).Inc()
	return writeReferral(c, http.StatusOK, v)
}

// addNote answers POST /referrals/{id}/notes: either side, any state.
func (h *handler) addNote(c echo.Context) error {
	_, id, err := h.referralParty(c)
	if err != nil {
		return err
	}
	var b struct {
		Note string `json:"note"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	ev, err := h.store.AddReferralNote(c.Request().Context(), actorOf(c), id, b.Note)
	if err != nil {
		return err
	}
	return writePrivate(c, http.StatusCreated, eventFromStore(ev))
}

// recordFollowUp answers POST /referrals/{id}/followup: the referring
// caseworker records the client's own answer once the referral has ended.
func (h *handler) recordFollowUp(c echo.Context) error {
	_, id, err := h.referralParty(c)
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
	v, err := h.store.RecordFollowUp(c.Request().Context(), actorOf(c), id, b.NeedMet, b.Note)
	if err != nil {
		return err
	}
	return writeReferral(c, http.StatusOK, v)
}

// eventJSON is an entry of a referral's history as the API serves it.
type eventJSON struct {
	ID            int64      `json:"id"`
	ReferralID    string     `json:"referral_id"`
	At            time.Time  `json:"at"`
	KeyID         *string    `json:"key_id"`
	Role          string     `json:"role"`
	AgencyID      *string    `json:"agency_id"`
	Side          string     `json:"side"`
	Kind          string     `json:"kind"`
	From          string     `json:"from"`
	To            string     `json:"to"`
	Reason        string     `json:"reason,omitempty"`
	Outcome       string     `json:"outcome,omitempty"`
	AppointmentAt *time.Time `json:"appointment_at,omitempty"`
	Note          string     `json:"note,omitempty"`
	NoteWithheld  bool       `json:"note_withheld,omitempty"`
	PersonID      *string    `json:"person_id"`
	PersonName    *string    `json:"person_name"`
}

func eventFromStore(e store.Event) eventJSON {
	return eventJSON{ID: e.ID, ReferralID: e.ReferralID, At: e.At, KeyID: e.KeyID, Role: e.Role, AgencyID: e.AgencyID, Side: e.Side,
		Kind: e.Kind, From: e.FromStatus, To: e.ToStatus, Reason: e.Reason, Outcome: e.Outcome, AppointmentAt: e.AppointmentAt,
		Note: e.NoteText, NoteWithheld: e.NoteWithheld, PersonID: e.PersonID, PersonName: nilIfEmpty(e.PersonName)}
}

// listEvents answers GET /referrals/{id}/events.
func (h *handler) listEvents(c echo.Context) error {
	_, id, err := h.referralParty(c)
	if err != nil {
		return err
	}
	lp, err := privateList(c)
	if err != nil {
		return err
	}
	events, total, err := h.store.ReferralEvents(c.Request().Context(), actorOf(c), id, lp.paging)
	if err != nil {
		return err
	}
	out := views(events, eventFromStore)
	return writePrivate(c, http.StatusOK, newPage(out, total, lp))
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
	lp, err := privateList(c, "direction", "status", "case_id", "service_id", "need", "from", "to", "sort")
	if err != nil {
		return err
	}
	f, err := referralFilter(c.QueryParams(), p)
	if err != nil {
		return err
	}
	refs, total, err := h.store.Referrals(c.Request().Context(), actorOf(c), f, lp.paging)
	if err != nil {
		return err
	}
	out := make([]referralItemJSON, len(refs))
	for i, r := range refs {
		party, acting := referral.SidesOf(p, r.SenderAgencyID, r.ReceiverAgencyID, r.Method)
		out[i] = referralItemJSON{referralJSON: referralFromStore(r.Referral, party, acting), DueAt: r.DueAt, ClientName: r.ClientName,
			NoteExcerpt: r.NoteExcerpt, Sender: agencyRef{ID: r.SenderAgencyID, Name: r.SenderName}}
	}
	return writePrivate(c, http.StatusOK, newPage(out, total, lp))
}

// referralFilter reads the parameters of GET /referrals for p.
func referralFilter(q url.Values, p auth.Principal) (store.ReferralFilter, error) {
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
	// The receiver's queue is worked most urgent first; the sender's list
	// reads newest first unless asked.
	f.Sort = q.Get("sort")
	switch {
	case f.Sort == "" && f.Direction == "received":
		f.Sort = "priority"
	case f.Sort == "created":
		f.Sort = ""
	case f.Sort != "" && f.Sort != "priority" && f.Sort != "due":
		fe = append(fe, apperr.FieldError{Parameter: "sort", Message: "must be priority (urgent first, then soonest due), due (soonest due first) or created (newest first)"})
	}
	if s := q.Get("status"); s != "" {
		for _, st := range strings.Split(s, ",") {
			if st == "open" { // every status a referral is still worked in
				for _, x := range referral.Statuses {
					if !x.Terminal() {
						f.Statuses = append(f.Statuses, string(x))
					}
				}
				continue
			}
			if !referral.Status(st).Valid() {
				fe = append(fe, apperr.FieldError{Parameter: "status", Message: fmt.Sprintf("%q is not one of open, %s", clip(st), referral.JoinStatuses(referral.Statuses))})
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
		return f, apperr.WithFields(apperr.Invalid, "Some parameters are not valid; see errors.", fe)
	}
	return f, nil
}

// forwardBody is what POST /referrals/{id}/forward takes.
type forwardBody struct {
	ServiceID  string `json:"service_id"`
	LocationID string `json:"location_id,omitempty"`
	Note       string `json:"note,omitempty"`
}

// forwardReferral answers POST /referrals/{id}/forward: the receiver passes
// a referral it cannot serve on to another in-network service.
func (h *handler) forwardReferral(c echo.Context) error {
	_, id, err := h.referralParty(c)
	if err != nil {
		return err
	}
	var b forwardBody
	idem, err := idempotentBody(c, &b)
	if err != nil {
		return err
	}
	in := store.ForwardInput{ServiceID: b.ServiceID, LocationID: b.LocationID, Note: b.Note}
	v, replayed, err := h.store.ForwardReferral(c.Request().Context(), actorOf(c), id, in, idem, h.rules)
	if err != nil {
		return err
	}
	if replayed {
		c.Response().Header().Set("Idempotent-Replayed", "true")
	} else {
		h.metrics.ReferralTransitions.WithLabelValues(string(referral.Declined)).Inc() // the forward's end of the original
	}
	return writeReferral(c, http.StatusOK, v)
}

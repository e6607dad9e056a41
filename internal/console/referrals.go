package console

import (
	"net/http"
	"net/url"
	"time"

	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/referral"
)

func (c *Console) referPage(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	vals := url.Values{"case": {clipText(q.Get("case"), 40)}, "service": {clipText(q.Get("service"), 40)},
		"location": {clipText(q.Get("location"), 40)}, "need": {clipText(q.Get("need"), 40)}, "priority": {"routine"}}
	c.showRefer(w, r, s, http.StatusOK, form{Values: vals}, true)
}

// showRefer renders the refer form for its case and service; fresh
// forms share what the consent allows, checked.
func (c *Console) showRefer(w http.ResponseWriter, r *http.Request, s *session, status int, f form, fresh bool) {
	var cs caseView
	if err := c.get(r, s, "/cases/"+url.PathEscape(f.V("case")), nil, &cs); err != nil {
		c.failAPI(w, r, s, err)
		return
	}
	var svc hsds.Service
	h, err := c.call(r, s, http.MethodGet, "/services/"+url.PathEscape(f.V("service")), nil, nil, &svc)
	if err != nil {
		c.failAPI(w, r, s, err)
		return
	}
	inNetwork := h.Get("Linkage-Accepts-Referrals") == "true"
	if fresh {
		if cs.Consent != nil {
			f.Values["share"] = cs.Consent.Scope
		}
		if f.V("need") == "" && len(cs.Needs) > 0 {
			f.Values.Set("need", cs.Needs[0].Domain)
		}
		if !inNetwork {
			f.Values.Set("method", "phone")
		}
	}
	c.render(w, r, s, status, "refer", "refer.title", map[string]any{"Form": f, "Case": cs, "Service": svc, "InNetwork": inNetwork,
		"Methods": referral.Methods[1:], "Scopes": consentScopes(cs.Consent), "ContactModes": referral.ContactModes})
}

// refer sends the referral (or records an out-of-network one) through
// POST /referrals: consent, need and service are checked there.
func (c *Console) refer(w http.ResponseWriter, r *http.Request, s *session) {
	f := form{Values: r.PostForm}
	body := map[string]any{"case_id": f.V("case"), "service_id": f.V("service"), "need": f.V("need"),
		"priority": f.V("priority"), "share": append([]string{}, r.PostForm["share"]...)}
	if loc := f.V("location"); loc != "" {
		body["location_id"] = loc
	}
	if n := clipText(f.V("note"), 20000); n != "" {
		body["note"] = n
	}
	if m := f.V("method"); m != "" && m != referral.MethodLinkage {
		body["method"] = m
	}
	if cm := f.V("contact_mode"); cm != "" {
		body["contact_mode"] = cm
	}
	if at := f.V("appointment_at"); at != "" {
		body["appointment_at"] = c.localTime(at)
	}
	var ref referralItem
	if _, err := c.call(r, s, http.MethodPost, "/referrals", nil, body, &ref); err != nil {
		ae := userProblem(err)
		if ae == nil {
			c.failAPI(w, r, s, err)
			return
		}
		f.Err = ae
		c.showRefer(w, r, s, ae.Status, f, false)
		return
	}
	http.Redirect(w, r, "/app/referrals/"+ref.ID, http.StatusSeeOther)
}

// localTime reads a datetime-local value in the console's zone as RFC
// 3339; anything else goes on as typed, for the API to name.
func (c *Console) localTime(v string) string {
	if t, err := time.ParseInLocation("2006-01-02T15:04", v, c.d.Zone); err == nil {
		return t.Format(time.RFC3339)
	}
	return clipText(v, 40)
}

type referralDetail struct {
	referralItem
	Side          string   `json:"side"`
	AllowedMoves  []string `json:"allowed_moves"`
	Version       int      `json:"version"`
	ContactMode   string   `json:"contact_mode"`
	Reason        string   `json:"reason"`
	ConsentStatus string   `json:"consent_status"`
	// Client is what the consent shares with the receiver.
	Client *struct {
		GivenName         string `json:"given_name"`
		FamilyName        string `json:"family_name"`
		BirthDate         string `json:"birth_date"`
		Phone             string `json:"phone"`
		Email             string `json:"email"`
		PreferredLanguage string `json:"preferred_language"`
		PostalCode        string `json:"postal_code"`
		HouseholdSize     int    `json:"household_size"`
	} `json:"client"`
	ForwardedTo string `json:"forwarded_to"`
	// ClientFollowUp is the client's own answer, once recorded.
	ClientFollowUp *struct {
		NeedMet string `json:"need_met"`
		Note    string `json:"note"`
		At      string `json:"at"`
	} `json:"client_followup"`
}

func (c *Console) referralPage(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	var ref referralDetail
	if err := c.get(r, s, "/referrals/"+url.PathEscape(id), nil, &ref); err != nil {
		c.failAPI(w, r, s, err)
		return
	}
	var evs page_[eventView]
	if err := c.get(r, s, "/referrals/"+ref.ID+"/events", url.Values{"per_page": {"100"}}, &evs); err != nil {
		c.failAPI(w, r, s, err)
		return
	}
	// The receiver reads the case notes the sender shared under consent.
	var notes page_[noteView]
	if ref.Side == "receiver" {
		if err := c.get(r, s, "/referrals/"+ref.ID+"/case_notes", url.Values{"per_page": {"100"}}, &notes); err != nil {
			c.failAPI(w, r, s, err)
			return
		}
	}
	c.render(w, r, s, http.StatusOK, "referral", "referral.title", map[string]any{"Ref": ref, "Events": evs.Contents, "Notes": notes.Contents,
		"Reasons": referral.Reasons, "Outcomes": referral.Outcomes, "NeedMet": referral.NeedMet, "Err": c.takeFlash(w, r)})
}

// answerReferral moves a referral (accept with an appointment, decline
// with a reason, complete with an outcome) or forwards it.
func (c *Console) answerReferral(w http.ResponseWriter, r *http.Request, s *session) {
	id := url.PathEscape(r.PathValue("id"))
	back := "/app/referrals/" + id
	var err error
	if r.PostFormValue("to") == "forward" {
		body := map[string]any{"service_id": clipText(r.PostFormValue("forward_service"), 40), "note": clipText(r.PostFormValue("note"), 20000)}
		_, err = c.call(r, s, http.MethodPost, "/referrals/"+id+"/forward", nil, body, nil)
	} else {
		body := map[string]any{"to": clipText(r.PostFormValue("to"), 40)}
		for _, k := range []string{"note", "reason", "outcome"} {
			if v := clipText(r.PostFormValue(k), 20000); v != "" {
				body[k] = v
			}
		}
		if at := r.PostFormValue("appointment_at"); at != "" {
			body["appointment_at"] = c.localTime(at)
		}
		_, err = c.call(r, s, http.MethodPost, "/referrals/"+id+"/transitions", nil, body, nil)
	}
	if err != nil {
		c.backWithProblem(w, r, s, back, err)
		return
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// followUp records the client's own answer: was the need met?
func (c *Console) followUp(w http.ResponseWriter, r *http.Request, s *session) {
	id := url.PathEscape(r.PathValue("id"))
	body := map[string]any{"need_met": clipText(r.PostFormValue("need_met"), 20)}
	if n := clipText(r.PostFormValue("note"), 20000); n != "" {
		body["note"] = n
	}
	if _, err := c.call(r, s, http.MethodPost, "/referrals/"+id+"/followup", nil, body, nil); err != nil {
		c.backWithProblem(w, r, s, "/app/referrals/"+id, err)
		return
	}
	http.Redirect(w, r, "/app/referrals/"+id, http.StatusSeeOther)
}

func (c *Console) inboxPage(w http.ResponseWriter, r *http.Request, s *session) {
	q := url.Values{"direction": {"received"}, "sort": {"priority"}, "per_page": {"100"}}
	if st := r.URL.Query().Get("status"); st != "" {
		q.Set("status", clipText(st, 30))
	} else {
		q.Set("status", "open")
	}
	var list page_[referralItem]
	if err := c.get(r, s, "/referrals", q, &list); err != nil {
		c.failAPI(w, r, s, err)
		return
	}
	c.render(w, r, s, http.StatusOK, "inbox", "inbox.title", map[string]any{"List": list, "Status": q.Get("status")})
}

// consentScopes are what a referral may share: what the consent allows.
func consentScopes(c *referral.Consent) []string {
	if c == nil {
		return nil
	}
	return c.Scope
}

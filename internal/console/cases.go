package console

import (
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/linkage-org/linkage/internal/referral"
)

// caseView is a case as GET /cases/{id} answers it.
type caseView struct {
	ID           string            `json:"id"`
	Status       string            `json:"status"`
	Client       referral.Client   `json:"client"`
	Needs        []referral.Need   `json:"needs"`
	Consent      *referral.Consent `json:"consent"`
	Assessment   map[string]any    `json:"assessment"`
	Version      int               `json:"version"`
	CaseworkerID string            `json:"caseworker_id"`
	CreatedAt    string            `json:"created_at"`
	UpdatedAt    string            `json:"updated_at"`
}

// Name is the client's name as a caseworker says it.
func (cv caseView) Name() string {
	return strings.TrimSpace(cv.Client.GivenName + " " + cv.Client.FamilyName)
}

// Risks are the assessment's dated risks.
func (cv caseView) Risks() []map[string]any {
	list, _ := cv.Assessment["risks"].([]any)
	var out []map[string]any
	for _, r := range list {
		if m, ok := r.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

type page_[T any] struct {
	TotalItems int `json:"total_items"`
	TotalPages int `json:"total_pages"`
	PageNumber int `json:"page_number"`
	Contents   []T `json:"contents"`
}

type caseListItem struct {
	ID        string          `json:"id"`
	Status    string          `json:"status"`
	Client    referral.Client `json:"client"`
	Needs     []referral.Need `json:"needs"`
	UpdatedAt string          `json:"updated_at"`
}

func (c *Console) casesPage(w http.ResponseWriter, r *http.Request, s *session) {
	q := url.Values{"per_page": {"50"}}
	search := clipText(r.URL.Query().Get("search"), 200)
	if search != "" {
		q.Set("search", search)
	}
	if st := r.URL.Query().Get("status"); st == "open" || st == "closed" {
		q.Set("status", st)
	}
	var list page_[caseListItem]
	err := c.get(r, s, "/cases", q, &list)
	v := map[string]any{"Search": search, "List": list}
	if err != nil {
		ae := userProblem(err)
		if ae == nil {
			c.failAPI(w, r, s, err)
			return
		}
		v["Err"] = ae
	}
	c.render(w, r, s, http.StatusOK, "cases", "cases.title", v)
}

// form is a form as typed, shown back with the API's problems next to
// their fields.
type form struct {
	Values url.Values
	Err    *apiError
}

// V is the typed value of field name.
func (f form) V(name string) string { return f.Values.Get(name) }

// Checked says whether a checkbox group name holds v.
func (f form) Checked(name, v string) bool { return slices.Contains(f.Values[name], v) }

// E is the problem with the field at JSON pointer p.
func (f form) E(p string) string { return f.Err.Field(p) }

func (c *Console) intakePage(w http.ResponseWriter, r *http.Request, s *session) {
	vals := url.Values{"given_on": {c.d.Now().In(c.d.Zone).Format("2006-01-02")}, "urgency": {"routine"}, "income_period": {"month"}}
	c.render(w, r, s, http.StatusOK, "intake", "intake.title", c.intakeData(form{Values: vals}))
}

func (c *Console) intakeData(f form) map[string]any {
	return map[string]any{"Form": f, "Domains": referral.Domains, "Scopes": referral.Scopes, "Urgencies": referral.Urgencies, "RiskKinds": referral.RiskKinds}
}

// intake creates the case from the form: one POST /cases, so the client,
// needs, consent and assessment are written together or not at all.
func (c *Console) intake(w http.ResponseWriter, r *http.Request, s *session) {
	f := form{Values: r.PostForm}
	body, local := intakeBody(r.PostForm)
	if len(local) > 0 {
		f.Err = &apiError{Status: http.StatusUnprocessableEntity, Title: "check", Errors: local}
		c.render(w, r, s, http.StatusUnprocessableEntity, "intake", "intake.title", c.intakeData(f))
		return
	}
	var created caseView
	if _, err := c.call(r, s, http.MethodPost, "/cases", nil, body, &created); err != nil {
		ae := userProblem(err)
		if ae == nil {
			c.failAPI(w, r, s, err)
			return
		}
		f.Err = ae
		c.render(w, r, s, ae.Status, "intake", "intake.title", c.intakeData(f))
		return
	}
	http.Redirect(w, r, "/app/cases/"+created.ID, http.StatusSeeOther)
}

// intakeBody is the POST /cases body of the form, and the problems with
// fields the form itself reads as numbers (the API checks the rest).
func intakeBody(f url.Values) (map[string]any, []fieldProblem) {
	var probs []fieldProblem
	// Text goes to the API as typed (the form itself is bounded): the API
	// says which field is too long, instead of it being cut here.
	get := func(k string) string { return strings.TrimSpace(f.Get(k)) }
	client := map[string]any{}
	for _, k := range []string{"given_name", "family_name", "birth_date", "phone", "email", "preferred_language", "postal_code"} {
		if v := get(k); v != "" {
			client[k] = v
		}
	}
	var needs []map[string]any
	for _, d := range f["need"] {
		n := map[string]any{"domain": d}
		if note := get("need_note_" + d); note != "" {
			n["note"] = note
		}
		needs = append(needs, n)
	}
	body := map[string]any{"client": client}
	if len(needs) > 0 {
		body["needs"] = needs
	}
	if scope := f["scope"]; len(scope) > 0 || get("given_on") != "" && len(scope) > 0 {
		body["consent"] = map[string]any{"scope": scope, "given_on": get("given_on")}
	}
	as := map[string]any{}
	num := func(k, ptr string) {
		if v := get(k); v != "" {
			n, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimPrefix(v, "$"), ",", ""), 64)
			if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
				probs = append(probs, fieldProblem{Pointer: ptr, Message: "is not a number"})
				return
			}
			as[k] = n
		}
	}
	num("income", "/assessment/income")
	num("household_size", "/assessment/household_size")
	if as["income"] != nil {
		as["income_period"] = get("income_period")
	}
	if v := get("children_ages"); v != "" {
		var ages []int
		for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
			n, err := strconv.Atoi(part)
			if err != nil {
				probs = append(probs, fieldProblem{Pointer: "/assessment/children_ages", Message: "lists ages as whole numbers, such as 4, 7"})
				break
			}
			ages = append(ages, n)
		}
		as["children_ages"] = ages
	}
	for _, k := range []string{"county", "urgency"} {
		if v := get(k); v != "" {
			as[k] = v
		}
	}
	if v := get("languages"); v != "" {
		as["languages"] = strings.FieldsFunc(strings.ToLower(v), func(r rune) bool { return r == ',' || r == ' ' })
	}
	if kind := get("risk_kind"); kind != "" || get("risk_date") != "" {
		risk := map[string]any{"kind": kind}
		if d := get("risk_date"); d != "" {
			risk["date"] = d
		}
		if n := get("risk_note"); n != "" {
			risk["note"] = n
		}
		as["risks"] = []any{risk}
	}
	if len(as) > 0 {
		body["assessment"] = as
	}
	return body, probs
}

// timelineItem is one line of a case's history.
type timelineItem struct {
	At, What, Who, Detail string
}

type noteView struct {
	ID         string `json:"id"`
	Body       string `json:"body"`
	Shared     bool   `json:"shared"`
	AuthorName string `json:"author_name"`
	CreatedAt  string `json:"created_at"`
}

type referralItem struct {
	ID                string         `json:"id"`
	CaseID            string         `json:"case_id"`
	ServiceID         string         `json:"service_id"`
	ServiceName       string         `json:"service_name"`
	Need              string         `json:"need"`
	Status            string         `json:"status"`
	Priority          string         `json:"priority"`
	Method            string         `json:"method"`
	InNetwork         bool           `json:"in_network"`
	ClientDisplayName string         `json:"client_display_name"`
	SenderAgency      map[string]any `json:"sender_agency"`
	DueAt             string         `json:"due_at"`
	CreatedAt         string         `json:"created_at"`
	UpdatedAt         string         `json:"updated_at"`
	Outcome           string         `json:"outcome"`
	Note              string         `json:"note"`
	AppointmentAt     string         `json:"appointment_at"`
}

type eventView struct {
	At         string `json:"at"`
	Type       string `json:"kind"`
	FromStatus string `json:"from"`
	ToStatus   string `json:"to"`
	Note       string `json:"note"`
	Reason     string `json:"reason"`
	PersonName string `json:"person_name"`
	AgencyName string `json:"agency_name"`
}

func (c *Console) casePage(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	var cs caseView
	if err := c.get(r, s, "/cases/"+url.PathEscape(id), nil, &cs); err != nil {
		c.failAPI(w, r, s, err)
		return
	}
	var notes page_[noteView]
	var refs page_[referralItem]
	if err := c.get(r, s, "/cases/"+cs.ID+"/notes", url.Values{"per_page": {"100"}}, &notes); err != nil {
		c.failAPI(w, r, s, err)
		return
	}
	if err := c.get(r, s, "/referrals", url.Values{"case_id": {cs.ID}, "per_page": {"100"}}, &refs); err != nil {
		c.failAPI(w, r, s, err)
		return
	}
	tl := []timelineItem{{At: cs.CreatedAt, What: "timeline.case_opened"}}
	for _, n := range notes.Contents {
		tl = append(tl, timelineItem{At: n.CreatedAt, What: "timeline.note", Who: n.AuthorName, Detail: n.Body})
	}
	for _, ref := range refs.Contents {
		var evs page_[eventView]
		if err := c.get(r, s, "/referrals/"+ref.ID+"/events", url.Values{"per_page": {"100"}}, &evs); err != nil {
			c.failAPI(w, r, s, err)
			return
		}
		for _, e := range evs.Contents {
			detail := ref.ServiceName
			if e.ToStatus != "" {
				detail += ": " + e.ToStatus
			}
			if e.Note != "" {
				detail += " — " + e.Note
			}
			tl = append(tl, timelineItem{At: e.At, What: "timeline.referral", Who: e.PersonName, Detail: detail})
		}
	}
	sort.SliceStable(tl, func(i, j int) bool { return tl[i].At > tl[j].At })
	byNeed := map[string][]referralItem{}
	for _, ref := range refs.Contents {
		byNeed[ref.Need] = append(byNeed[ref.Need], ref)
	}
	c.render(w, r, s, http.StatusOK, "case", "case.title", map[string]any{
		"Case": cs, "Notes": notes.Contents, "ByNeed": byNeed, "Timeline": tl, "Domains": referral.Domains,
		"Err": c.takeFlash(w, r)})
}

// addCaseNote writes a note; the case page shows it at once.
func (c *Console) addCaseNote(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	body := map[string]any{"body": clipText(r.PostFormValue("body"), 20000), "shared": r.PostFormValue("shared") == "true"}
	if _, err := c.call(r, s, http.MethodPost, "/cases/"+url.PathEscape(id)+"/notes", nil, body, nil); err != nil {
		c.backWithProblem(w, r, s, "/app/cases/"+url.PathEscape(id), err)
		return
	}
	http.Redirect(w, r, "/app/cases/"+url.PathEscape(id)+"#notes", http.StatusSeeOther)
}

func (c *Console) addNeed(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	body := map[string]any{"domain": clipText(r.PostFormValue("domain"), 40)}
	if n := clipText(r.PostFormValue("note"), 20000); n != "" {
		body["note"] = n
	}
	_, err := c.call(r, s, http.MethodPost, "/cases/"+url.PathEscape(id)+"/needs", nil, body, nil,
		"If-Match", `"case-v`+clipText(r.PostFormValue("version"), 12)+`"`)
	if err != nil {
		c.backWithProblem(w, r, s, "/app/cases/"+url.PathEscape(id), err)
		return
	}
	http.Redirect(w, r, "/app/cases/"+url.PathEscape(id)+"#needs", http.StatusSeeOther)
}

// setCaseStatus closes or reopens a case, with the version the page was
// read at: a change made meanwhile is refused, not overwritten.
func (c *Console) setCaseStatus(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	st := r.PostFormValue("status")
	_, err := c.call(r, s, http.MethodPatch, "/cases/"+url.PathEscape(id), nil, map[string]any{"status": st}, nil,
		"If-Match", `"case-v`+clipText(r.PostFormValue("version"), 12)+`"`, "Content-Type", "application/merge-patch+json")
	if err != nil {
		c.backWithProblem(w, r, s, "/app/cases/"+url.PathEscape(id), err)
		return
	}
	http.Redirect(w, r, "/app/cases/"+url.PathEscape(id), http.StatusSeeOther)
}

// backWithProblem sends the person back to page with the API's sentence
// about what went wrong (a 4xx), or shows the failure.
func (c *Console) backWithProblem(w http.ResponseWriter, r *http.Request, s *session, page string, err error) {
	ae := userProblem(err)
	if ae == nil {
		c.failAPI(w, r, s, err)
		return
	}
	msg := ae.Error()
	for _, f := range ae.Errors {
		msg += " " + strings.TrimPrefix(f.Pointer+f.Parameter, "/") + " " + f.Message + "."
	}
	c.flash(w, clipText(msg, 800)) // a cookie holds about 4 KB
	http.Redirect(w, r, page, http.StatusSeeOther)
}

// flash keeps a message for the next page the person sees, in a cookie
// of this site (never in the URL, where another site could write one).
func (c *Console) flash(w http.ResponseWriter, msg string) {
	c.setCookie(w, "linkage_flash", url.QueryEscape(msg), 60)
}

// takeFlash is the message flash kept, once.
func (c *Console) takeFlash(w http.ResponseWriter, r *http.Request) string {
	ck, err := r.Cookie(c.cookieName("linkage_flash"))
	if err != nil || ck.Value == "" {
		return ""
	}
	c.setCookie(w, "linkage_flash", "", -1)
	msg, _ := url.QueryUnescape(ck.Value)
	return msg
}

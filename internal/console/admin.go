package console

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/linkage-org/linkage/internal/store"
)

// Administration: agencies, their staff and keys, webhooks and the audit
// log. Everything goes through the API (which decides who may), except
// one-time password links, which only the console hands out.

type agencyView struct {
	ID              string   `json:"id"`
	Name            string   `json:"name"`
	OrganizationIDs []string `json:"organization_ids"`
	TZ              string   `json:"tz"`
}

type personView struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Email  string `json:"email"`
	Role   string `json:"role"`
	Active bool   `json:"active"`
}

type keyView struct {
	ID         string  `json:"id"`
	Role       string  `json:"role"`
	Name       string  `json:"name"`
	Prefix     string  `json:"prefix"`
	CreatedAt  string  `json:"created_at"`
	LastUsedAt *string `json:"last_used_at"`
	RevokedAt  *string `json:"revoked_at"`
}

// adminPage lists the agencies (an administrator) or sends agency staff
// to their own agency.
func (c *Console) adminPage(w http.ResponseWriter, r *http.Request, s *session) {
	if s.principal.Role != "admin" {
		http.Redirect(w, r, "/app/admin/agencies/"+s.principal.AgencyID, http.StatusSeeOther)
		return
	}
	var list page_[agencyView]
	if err := c.get(r, s, "/agencies", url.Values{"per_page": {"100"}}, &list); err != nil {
		c.failAPI(w, r, s, err)
		return
	}
	c.render(w, r, s, http.StatusOK, "admin", "admin.title", map[string]any{"Agencies": list.Contents, "Form": form{Values: url.Values{}}})
}

// createAgency adds an agency with the organizations it manages.
func (c *Console) createAgency(w http.ResponseWriter, r *http.Request, s *session) {
	body := map[string]any{"name": clipText(r.PostFormValue("name"), 200), "organization_ids": splitList(r.PostFormValue("organization_ids"))}
	if tz := clipText(r.PostFormValue("tz"), 64); tz != "" {
		body["tz"] = tz
	}
	var a agencyView
	if _, err := c.call(r, s, http.MethodPost, "/agencies", nil, body, &a); err != nil {
		c.backWithProblem(w, r, s, "/app/admin", err)
		return
	}
	http.Redirect(w, r, "/app/admin/agencies/"+a.ID, http.StatusSeeOther)
}

// splitList reads ids typed one per line or comma-separated.
func splitList(v string) []string {
	out := []string{}
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' || r == ' ' }) {
		if len(out) == 200 {
			break
		}
		out = append(out, clipText(f, 40))
	}
	return out
}

// agencyPage shows an agency's staff and keys, with the forms to add
// them; flash carries a key or link shown once.
func (c *Console) agencyPage(w http.ResponseWriter, r *http.Request, s *session) {
	c.showAgency(w, r, s, http.StatusOK, nil)
}

func (c *Console) showAgency(w http.ResponseWriter, r *http.Request, s *session, status int, once map[string]string) {
	id := url.PathEscape(r.PathValue("id"))
	var a agencyView
	if err := c.get(r, s, "/agencies/"+id, nil, &a); err != nil {
		c.failAPI(w, r, s, err)
		return
	}
	var people page_[personView]
	var keys page_[keyView]
	if err := c.get(r, s, "/agencies/"+id+"/people", url.Values{"per_page": {"100"}}, &people); err != nil {
		c.failAPI(w, r, s, err)
		return
	}
	// Keys are an administrator's to see; agency staff manage people.
	if s.principal.Role == "admin" {
		if err := c.get(r, s, "/agencies/"+id+"/keys", url.Values{"per_page": {"100"}}, &keys); err != nil {
			c.failAPI(w, r, s, err)
			return
		}
	}
	c.render(w, r, s, status, "agency", "agency.title", map[string]any{"Agency": a, "People": people.Contents, "Keys": keys.Contents,
		"Once": once, "ShowKeys": s.principal.Role == "admin", "Err": c.takeFlash(w, r), "Roles": staffRoles(s), "KeyRoles": []string{"caseworker", "agency", "portal"}})
}

func (c *Console) addPerson(w http.ResponseWriter, r *http.Request, s *session) {
	id := url.PathEscape(r.PathValue("id"))
	body := map[string]any{"name": clipText(r.PostFormValue("name"), 200), "email": clipText(r.PostFormValue("email"), 254), "role": clipText(r.PostFormValue("role"), 20)}
	var p personView
	if _, err := c.call(r, s, http.MethodPost, "/agencies/"+id+"/people", nil, body, &p); err != nil {
		c.backWithProblem(w, r, s, "/app/admin/agencies/"+id, err)
		return
	}
	c.passwordLink(w, r, s, p.ID)
}

// passwordLink makes a one-time link for person pid to set their
// password and shows it, once, to the administrator who asked.
func (c *Console) passwordLink(w http.ResponseWriter, r *http.Request, s *session, pid string) {
	agency := r.PathValue("id")
	a := store.Actor{Principal: s.principal, ClientAddr: clientAddr(r)}
	reset, err := c.d.Store.IssuePasswordReset(r.Context(), a, agency, pid, 72*time.Hour)
	if err != nil {
		c.backWithProblem(w, r, s, "/app/admin/agencies/"+url.PathEscape(agency), asProblem(err))
		return
	}
	link := strings.TrimRight(c.d.BaseURL, "/") + "/app/password?token=" + reset.Token
	c.showAgency(w, r, s, http.StatusOK, map[string]string{"Link": link, "Expires": reset.ExpiresAt.Format(time.RFC3339)})
}

func (c *Console) resetPassword(w http.ResponseWriter, r *http.Request, s *session) {
	c.passwordLink(w, r, s, clipText(r.PathValue("person"), 40))
}

// setActive turns a person's account on or off.
func (c *Console) setActive(w http.ResponseWriter, r *http.Request, s *session) {
	id, pid := url.PathEscape(r.PathValue("id")), url.PathEscape(r.PathValue("person"))
	_, err := c.call(r, s, http.MethodPatch, "/agencies/"+id+"/people/"+pid, nil, map[string]any{"active": r.PostFormValue("active") == "true"}, nil)
	if err != nil {
		c.backWithProblem(w, r, s, "/app/admin/agencies/"+id, err)
		return
	}
	http.Redirect(w, r, "/app/admin/agencies/"+id, http.StatusSeeOther)
}

// createKey makes an API key and shows it once.
func (c *Console) createKey(w http.ResponseWriter, r *http.Request, s *session) {
	id := url.PathEscape(r.PathValue("id"))
	body := map[string]any{"name": clipText(r.PostFormValue("name"), 200), "role": clipText(r.PostFormValue("role"), 20)}
	var k struct {
		Key string `json:"key"`
	}
	if _, err := c.call(r, s, http.MethodPost, "/agencies/"+id+"/keys", nil, body, &k); err != nil {
		c.backWithProblem(w, r, s, "/app/admin/agencies/"+id, err)
		return
	}
	c.showAgency(w, r, s, http.StatusOK, map[string]string{"Key": k.Key})
}

func (c *Console) revokeKey(w http.ResponseWriter, r *http.Request, s *session) {
	id := url.PathEscape(r.PathValue("id"))
	if _, err := c.call(r, s, http.MethodDelete, "/agencies/"+id+"/keys/"+url.PathEscape(r.PathValue("key")), nil, nil, nil); err != nil {
		c.backWithProblem(w, r, s, "/app/admin/agencies/"+id, err)
		return
	}
	http.Redirect(w, r, "/app/admin/agencies/"+id, http.StatusSeeOther)
}

// auditPage is the audit log with the API's filters.
func (c *Console) auditPage(w http.ResponseWriter, r *http.Request, s *session) {
	q := url.Values{"per_page": {"100"}}
	in := r.URL.Query()
	f := form{Values: url.Values{}}
	for _, k := range []string{"agency_id", "resource_type", "resource_id", "from", "to", "page"} {
		if v := clipText(in.Get(k), 64); v != "" {
			f.Values.Set(k, v)
			if k == "page" {
				k = "page_number"
			}
			q.Set(k, v)
		}
	}
	var list page_[map[string]any]
	status := http.StatusOK
	if err := c.get(r, s, "/audit", q, &list); err != nil {
		ae := userProblem(err)
		if ae == nil || ae.Status == http.StatusForbidden {
			c.failAPI(w, r, s, err)
			return
		}
		f.Err, status = ae, ae.Status
	}
	c.render(w, r, s, status, "audit", "audit.title", map[string]any{"Form": f, "List": list})
}

// webhooksPage lists the caller's webhooks with the form to add one.
func (c *Console) webhooksPage(w http.ResponseWriter, r *http.Request, s *session) {
	c.showWebhooks(w, r, s, http.StatusOK, "")
}

func (c *Console) showWebhooks(w http.ResponseWriter, r *http.Request, s *session, status int, secret string) {
	var list page_[map[string]any]
	if err := c.get(r, s, "/webhooks", url.Values{"per_page": {"100"}}, &list); err != nil {
		c.failAPI(w, r, s, err)
		return
	}
	c.render(w, r, s, status, "webhooks", "webhooks.title", map[string]any{"List": list.Contents, "Secret": secret,
		"Events": []string{"referral.created", "referral.status_changed", "referral.note_added", "referral.forwarded", "followup.overdue", "listing.stale"},
		"Err":    c.takeFlash(w, r)})
}

func (c *Console) createWebhook(w http.ResponseWriter, r *http.Request, s *session) {
	body := map[string]any{"url": clipText(r.PostFormValue("url"), 2000), "events": append([]string{}, r.PostForm["events"]...)}
	var created struct {
		Secret string `json:"secret"`
	}
	if _, err := c.call(r, s, http.MethodPost, "/webhooks", nil, body, &created); err != nil {
		c.backWithProblem(w, r, s, "/app/admin/webhooks", err)
		return
	}
	c.showWebhooks(w, r, s, http.StatusOK, created.Secret)
}

func (c *Console) deleteWebhook(w http.ResponseWriter, r *http.Request, s *session) {
	if _, err := c.call(r, s, http.MethodDelete, "/webhooks/"+url.PathEscape(r.PathValue("hook")), nil, nil, nil); err != nil {
		c.backWithProblem(w, r, s, "/app/admin/webhooks", err)
		return
	}
	http.Redirect(w, r, "/app/admin/webhooks", http.StatusSeeOther)
}

// staffRoles are the roles s may give: an administrator any, agency staff
// their colleagues' (never admin).
func staffRoles(s *session) []string {
	if s.principal.Role == "admin" {
		return []string{"caseworker", "agency", "admin"}
	}
	return []string{"caseworker", "agency"}
}

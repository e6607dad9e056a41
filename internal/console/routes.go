package console

import (
	"io/fs"
	"net/http"
	"strings"
)

// routes is the console's route table, one line per page or action.
func (c *Console) routes() *http.ServeMux {
	m := http.NewServeMux()
	m.Handle("GET /app/static/", http.StripPrefix("/app/static/", c.static))
	m.HandleFunc("GET /app/{$}", c.home)
	m.HandleFunc("GET /app", c.home)
	m.HandleFunc("GET /app/sign-in", c.signInPage)
	m.HandleFunc("POST /app/sign-in", c.signIn)
	m.HandleFunc("POST /app/sign-out", c.signedIn(c.signOut))
	m.HandleFunc("GET /app/password", c.passwordPage)
	m.HandleFunc("POST /app/password", c.setPassword)
	m.HandleFunc("POST /app/language", c.setLanguage)
	m.HandleFunc("GET /app/sso", c.ssoStart)
	m.HandleFunc("GET /app/sso/callback", c.ssoCallback)

	m.HandleFunc("GET /app/search", c.signedIn(c.searchPage))
	m.HandleFunc("GET /app/services/{id}", c.signedIn(c.servicePage))
	m.HandleFunc("GET /app/handout", c.signedIn(c.handoutPage))

	m.HandleFunc("GET /app/cases", c.signedIn(c.casesPage))
	m.HandleFunc("GET /app/cases/new", c.signedIn(c.intakePage))
	m.HandleFunc("POST /app/cases/new", c.signedIn(c.intake))
	m.HandleFunc("GET /app/cases/{id}", c.signedIn(c.casePage))
	m.HandleFunc("POST /app/cases/{id}/notes", c.signedIn(c.addCaseNote))
	m.HandleFunc("POST /app/cases/{id}/needs", c.signedIn(c.addNeed))
	m.HandleFunc("POST /app/cases/{id}/status", c.signedIn(c.setCaseStatus))

	m.HandleFunc("GET /app/refer", c.signedIn(c.referPage))
	m.HandleFunc("POST /app/refer", c.signedIn(c.refer))
	m.HandleFunc("GET /app/referrals/{id}", c.signedIn(c.referralPage))
	m.HandleFunc("POST /app/referrals/{id}/answer", c.signedIn(c.answerReferral))
	m.HandleFunc("POST /app/referrals/{id}/followup", c.signedIn(c.followUp))

	m.HandleFunc("GET /app/work", c.signedIn(c.workPage))
	m.HandleFunc("POST /app/tasks/{id}/done", c.signedIn(c.taskDone))
	m.HandleFunc("GET /app/inbox", c.signedIn(c.inboxPage))
	m.HandleFunc("GET /app/reports", c.signedIn(c.reportsPage))
	m.HandleFunc("GET /app/reports/{name}/csv", c.signedIn(c.reportCSV))
	m.HandleFunc("GET /app/listings", c.signedIn(c.listingsPage))
	m.HandleFunc("POST /app/listings/import", c.signedInUpload(c.importListings))
	m.HandleFunc("GET /app/listings/{id}", c.signedIn(c.listingPage))
	m.HandleFunc("POST /app/listings/{id}", c.signedIn(c.editListing))
	m.HandleFunc("POST /app/listings/{id}/hours/{sal}", c.signedIn(c.editHours))
	m.HandleFunc("POST /app/listings/{id}/criteria/{attr}", c.signedIn(c.decideCriterion))
	m.HandleFunc("POST /app/listings/{id}/capacity", c.signedIn(c.reportCapacity))
	m.HandleFunc("POST /app/listings/{id}/verify", c.signedIn(c.verifyListing))
	m.HandleFunc("GET /app/admin", c.signedIn(c.adminPage))
	m.HandleFunc("POST /app/admin/agencies", c.signedIn(c.createAgency))
	m.HandleFunc("GET /app/admin/agencies/{id}", c.signedIn(c.agencyPage))
	m.HandleFunc("POST /app/admin/agencies/{id}/people", c.signedIn(c.addPerson))
	m.HandleFunc("POST /app/admin/agencies/{id}/people/{person}/link", c.signedIn(c.resetPassword))
	m.HandleFunc("POST /app/admin/agencies/{id}/people/{person}/active", c.signedIn(c.setActive))
	m.HandleFunc("POST /app/admin/agencies/{id}/keys", c.signedIn(c.createKey))
	m.HandleFunc("POST /app/admin/agencies/{id}/keys/{key}/revoke", c.signedIn(c.revokeKey))
	m.HandleFunc("GET /app/admin/audit", c.signedIn(c.auditPage))
	m.HandleFunc("GET /app/admin/webhooks", c.signedIn(c.webhooksPage))
	m.HandleFunc("POST /app/admin/webhooks", c.signedIn(c.createWebhook))
	m.HandleFunc("POST /app/admin/webhooks/{hook}/delete", c.signedIn(c.deleteWebhook))
	m.HandleFunc("GET /app/", c.notFound)
	return m
}

// staticFiles serves the embedded CSS and scripts, cached for an hour.
func staticFiles(sub fs.FS) http.Handler {
	fsrv := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // files only, no listing of the folder
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fsrv.ServeHTTP(w, r)
	})
}

// home sends a signed-in person to their first page: a receiving
// agency's staff to the inbox, everyone else to their work.
func (c *Console) home(w http.ResponseWriter, r *http.Request) {
	s := c.current(r)
	switch {
	case s == nil:
		http.Redirect(w, r, "/app/sign-in", http.StatusSeeOther)
	case s.principal.Role == "agency":
		http.Redirect(w, r, "/app/inbox", http.StatusSeeOther)
	case s.principal.Role == "admin":
		http.Redirect(w, r, "/app/admin", http.StatusSeeOther)
	default:
		http.Redirect(w, r, "/app/work", http.StatusSeeOther)
	}
}

func (c *Console) notFound(w http.ResponseWriter, r *http.Request) {
	c.fail(w, r, c.current(r), http.StatusNotFound, "error.not_found")
}

// setLanguage switches the console's language: for the signed-in person,
// kept on their account; before sign-in, in a cookie.
func (c *Console) setLanguage(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	_ = r.ParseForm()
	lang := c.text.lang(r, r.PostFormValue("lang")).String()
	back := safeNext(r.PostFormValue("next"))
	if s := c.current(r); s != nil {
		if !s.tokenOK(r) {
			c.fail(w, r, s, http.StatusForbidden, "error.csrf")
			return
		}
		if err := c.d.Store.SetLocale(r.Context(), s.staff.ID, lang); err != nil {
			c.failAPI(w, r, s, err)
			return
		}
	} else {
		http.SetCookie(w, &http.Cookie{Name: "linkage_lang", Value: lang, Path: "/app", MaxAge: 365 * 24 * 3600, HttpOnly: true, Secure: c.d.Secure, SameSite: http.SameSiteLaxMode})
		if r.PostFormValue("next") == "" {
			back = "/app/sign-in"
		}
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

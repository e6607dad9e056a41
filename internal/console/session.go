package console

import (
	"crypto/subtle"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/store"
)

// session is the signed-in person of a request.
type session struct {
	staff     store.Staff
	principal auth.Principal
	csrf      string
}

// Cookie names. Over TLS the __Host- prefix pins them to this origin.
func (c *Console) cookieName(base string) string {
	if c.d.Secure {
		return "__Host-" + base
	}
	return base
}

func (c *Console) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: c.cookieName(name), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: c.d.Secure, SameSite: http.SameSiteLaxMode})
}

// current is r's session, or nil when no one is signed in.
func (c *Console) current(r *http.Request) *session {
	ck, err := r.Cookie(c.cookieName("linkage_session"))
	if err != nil || ck.Value == "" || len(ck.Value) > 100 {
		return nil
	}
	s, err := c.d.Store.SessionByToken(r.Context(), ck.Value, c.d.Sessions)
	if err != nil {
		return nil
	}
	p, err := c.d.Store.PrincipalOf(r.Context(), s.Staff.Person)
	if err != nil {
		return nil
	}
	return &session{staff: s.Staff, principal: p, csrf: s.CSRF}
}

// tokenOK says whether a posted form carries s's CSRF token.
func (s *session) tokenOK(r *http.Request) bool {
	return subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(s.csrf)) == 1
}

// page is a handler for a signed-in person.
type page func(w http.ResponseWriter, r *http.Request, s *session)

// signedIn runs h for a signed-in person, after checking a form's CSRF
// token on every method that changes something; anyone else is sent to
// sign in and brought back.
func (c *Console) signedIn(h page) http.HandlerFunc { return c.guard(maxFormBytes, h) }

// signedInUpload is signedIn for a form with a file, up to maxUploadBytes.
func (c *Console) signedInUpload(h page) http.HandlerFunc { return c.guard(maxUploadBytes, h) }

func (c *Console) guard(limit int64, h page) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		s := c.current(r)
		if s == nil {
			if r.Method != http.MethodGet {
				http.Redirect(w, r, "/app/sign-in", http.StatusSeeOther)
				return
			}
			http.Redirect(w, r, "/app/sign-in?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			if err := parseForm(r); err != nil {
				c.fail(w, r, s, http.StatusRequestEntityTooLarge, "error.form_too_large")
				return
			}
			if !s.tokenOK(r) {
				c.fail(w, r, s, http.StatusForbidden, "error.csrf")
				return
			}
		}
		h(w, r, s)
	}
}

// parseForm reads a posted form, with its files when it has them (kept
// in memory up to 1 MiB, then in temporary files).
func parseForm(r *http.Request) error {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return r.ParseMultipartForm(1 << 20)
	}
	return r.ParseForm()
}

// maxFormBytes bounds a console form (an import upload has its own).
const maxFormBytes = 256 << 10

// throttle limits sign-in attempts per client address, in this process;
// per account the database counts (store.RecordSignIn), across replicas.
type throttle struct {
	mu    sync.Mutex
	now   func() time.Time
	addrs map[string]*rate.Limiter
}

func newThrottle(now func() time.Time) *throttle {
	return &throttle{now: now, addrs: map[string]*rate.Limiter{}}
}

// allow takes one attempt of addr: 30 at once (an office behind one
// address signing in at nine), then one every 2 seconds.
func (t *throttle) allow(addr string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	l, ok := t.addrs[addr]
	if !ok {
		if len(t.addrs) > 100000 {
			t.addrs = map[string]*rate.Limiter{}
		}
		l = rate.NewLimiter(rate.Every(2*time.Second), 30)
		t.addrs[addr] = l
	}
	return l.AllowN(t.now(), 1)
}

// clientAddr is r's peer address without the port.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// signInForm is what the sign-in page shows back.
type signInForm struct {
	Email, Next, Pre, Error string
	Notice                  string
	SSO                     bool
}

func (c *Console) signInPage(w http.ResponseWriter, r *http.Request) {
	if c.current(r) != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	f := signInForm{Next: safeNext(r.URL.Query().Get("next")), SSO: c.d.SSO != nil}
	if r.URL.Query().Get("done") == "password" {
		f.Notice = "signin.password_set"
	}
	c.showSignIn(w, r, f, http.StatusOK)
}

// showSignIn renders the form with a fresh pre-session CSRF pair: a
// cookie and the same value in the form, which a cross-site page cannot
// read (double submit, on top of the Origin check).
func (c *Console) showSignIn(w http.ResponseWriter, r *http.Request, f signInForm, status int) {
	token, _ := auth.NewToken()
	c.setCookie(w, "linkage_pre", token, 3600)
	f.Pre = token
	w.Header().Set("Cache-Control", "no-store")
	c.render(w, r, nil, status, "signin", "signin.title", f)
}

func (c *Console) preChecked(r *http.Request) bool {
	ck, err := r.Cookie(c.cookieName("linkage_pre"))
	return err == nil && ck.Value != "" && subtle.ConstantTimeCompare([]byte(ck.Value), []byte(r.PostFormValue("pre"))) == 1
}

func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		c.showSignIn(w, r, signInForm{Error: "error.form_too_large"}, http.StatusRequestEntityTooLarge)
		return
	}
	f := signInForm{Email: strings.TrimSpace(r.PostFormValue("email")), Next: safeNext(r.PostFormValue("next")), SSO: c.d.SSO != nil}
	if !c.preChecked(r) {
		f.Error = "error.csrf"
		c.showSignIn(w, r, f, http.StatusForbidden)
		return
	}
	if len(f.Email) > 254 {
		f.Email = f.Email[:254]
	}
	if !c.throttle.allow(clientAddr(r)) {
		w.Header().Set("Retry-After", "60")
		f.Error = "signin.throttled"
		c.showSignIn(w, r, f, http.StatusTooManyRequests)
		return
	}
	st, status, msg := c.checkSignIn(r, f.Email, r.PostFormValue("password"))
	if msg != "" {
		f.Error = msg
		c.showSignIn(w, r, f, status)
		return
	}
	c.startSession(w, r, st, f.Next)
}

// checkSignIn checks a password sign-in: the account, or the status and
// message the form shows. Unknown email and wrong password read the same
// and cost the same.
func (c *Console) checkSignIn(r *http.Request, email, password string) (store.Staff, int, string) {
	ctx := r.Context()
	st, err := c.d.Store.StaffByEmail(ctx, email)
	if err != nil {
		if apperr.KindOf(err) != apperr.NotFound {
			c.d.Log.ErrorContext(ctx, "console sign-in", "err", err)
			return st, http.StatusInternalServerError, "error.internal"
		}
		auth.CheckNoAccount(password)
		return st, http.StatusUnauthorized, "signin.wrong"
	}
	if st.LockedUntil != nil && st.LockedUntil.After(c.d.Now()) {
		// Read as a wrong password does, so a lock tells no one the
		// account exists; the message names both.
		auth.CheckNoAccount(password)
		return st, http.StatusUnauthorized, "signin.wrong"
	}
	ok := st.CheckPassword(password)
	if err := c.d.Store.RecordSignIn(ctx, st, ok, clientAddr(r), c.d.Lock); err != nil {
		c.d.Log.ErrorContext(ctx, "console sign-in", "err", err)
		return st, http.StatusInternalServerError, "error.internal"
	}
	if !ok {
		return st, http.StatusUnauthorized, "signin.wrong"
	}
	return st, 0, ""
}

// startSession signs st in with a new session and sends them on.
func (c *Console) startSession(w http.ResponseWriter, r *http.Request, st store.Staff, next string) {
	// A session cookie that came with the request is dropped, never
	// promoted: each sign-in gets a new token.
	if ck, err := r.Cookie(c.cookieName("linkage_session")); err == nil {
		_ = c.d.Store.EndSession(r.Context(), ck.Value)
	}
	token, err := c.d.Store.CreateSession(r.Context(), st.ID)
	if err != nil {
		c.d.Log.ErrorContext(r.Context(), "console session", "err", err)
		http.Error(w, "Linkage could not sign you in; try again.", http.StatusInternalServerError)
		return
	}
	c.setCookie(w, "linkage_session", token, int(c.d.Sessions.Absolute/time.Second))
	c.setCookie(w, "linkage_pre", "", -1)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (c *Console) signOut(w http.ResponseWriter, r *http.Request, s *session) {
	if ck, err := r.Cookie(c.cookieName("linkage_session")); err == nil {
		_ = c.d.Store.EndSession(r.Context(), ck.Value)
	}
	c.setCookie(w, "linkage_session", "", -1)
	http.Redirect(w, r, "/app/sign-in", http.StatusSeeOther)
}

// safeNext keeps a redirect after sign-in on the console: a path of
// /app, never another site (//evil.example, /\evil.example).
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/app/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") || len(next) > 2000 {
		return "/app/" // home: each role's first page
	}
	return next
}

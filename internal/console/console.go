// Package console is Linkage's web application for staff: caseworkers,
// agency staff, supervisors and administrators. It is server-rendered HTML
// (html/template, with htmx as an enhancement; every core flow works with
// JavaScript off), signed in with server-side sessions.
//
// The console holds no rules of its own. Every page reads and writes
// through the JSON API, called in process as the signed-in person (see
// httpapi.AsPrincipal): the same routes, validation, authorization, audit
// and outbox as a client with a key, so the two front ends cannot drift.
package console

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/store"
)

//go:embed templates static locales
var files embed.FS

// Deps are what the console needs; cmd builds them.
type Deps struct {
	Store *store.Store
	Log   *slog.Logger
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Zone shows times where a record names none (LINKAGE_DEFAULT_TZ).
	Zone *time.Location
	// Secure marks cookies Secure and sends HSTS: the console is reached
	// over TLS (LINKAGE_BASE_URL starts with https).
	Secure bool
	// Sessions end after this idle time and this age (zero: 30 minutes
	// and 12 hours).
	Sessions store.SessionLimits
	// Lock locks an account after failed sign-ins (zero: 5 in a row
	// lock it for 15 minutes).
	Lock store.SignInLock
	// AsPrincipal marks a context as the signed-in person's for the
	// in-process API (httpapi.AsPrincipal).
	AsPrincipal func(ctx context.Context, p auth.Principal) context.Context
	// BaseURL is the public address, for one-time links.
	BaseURL string
	// SSO is single sign-on through OpenID Connect; nil: passwords only.
	SSO *SSO
}

// Console serves the staff pages.
type Console struct {
	d        Deps
	api      http.Handler
	pages    *pages
	text     *catalog
	throttle *throttle
	sso      *ssoClient // nil: passwords only
	static   http.Handler
	mux      *http.ServeMux
	catCache
}

// New checks d and returns the builder httpapi.Deps.Console takes: it
// wraps the API handler the console calls in process.
func New(d Deps) (func(api http.Handler) http.Handler, error) {
	if d.Store == nil || d.AsPrincipal == nil {
		return nil, fmt.Errorf("console: a store and AsPrincipal are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Zone == nil {
		d.Zone = time.UTC
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Sessions.Idle <= 0 {
		d.Sessions.Idle = 30 * time.Minute
	}
	if d.Sessions.Absolute <= 0 {
		d.Sessions.Absolute = 12 * time.Hour
	}
	if d.Lock.After <= 0 {
		d.Lock = store.SignInLock{After: 5, For: 15 * time.Minute}
	}
	if d.SSO != nil {
		if err := d.SSO.check(); err != nil {
			return nil, err
		}
	}
	text, err := loadCatalog()
	if err != nil {
		return nil, err
	}
	pg, err := loadPages()
	if err != nil {
		return nil, err
	}
	static, err := fs.Sub(files, "static")
	if err != nil {
		return nil, err
	}
	c := &Console{d: d, pages: pg, text: text, throttle: newThrottle(d.Now), sso: newSSOClient(d.SSO, d.Now), static: staticFiles(static)}
	return func(api http.Handler) http.Handler {
		c.api = api
		c.mux = c.routes()
		cop := http.NewCrossOriginProtection()
		cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c.fail(w, r, nil, http.StatusForbidden, "error.csrf")
		}))
		return c.secureHeaders(cop.Handler(c.mux))
	}, nil
}

// secureHeaders sends the OWASP secure-headers set on every answer: a
// Content-Security-Policy with no inline script or style, no framing, no
// sniffing, no referrer beyond this origin, and HSTS over TLS.
func (c *Console) secureHeaders(next http.Handler) http.Handler {
	const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
		"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		if c.d.Secure {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

package console

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/store"
)

// SSO is single sign-on through an OpenID Connect provider: the
// provider's subject is linked to a staff account by the email claim at
// its first sign-on, and finds that account by itself after.
type SSO struct {
	Issuer, ClientID, ClientSecret string
	// RedirectURL is <base>/app/sso/callback as registered with the provider.
	RedirectURL string
	// Client makes the requests to the provider (discovery, keys, code
	// exchange); nil: one that gives up after ssoTimeout.
	Client *http.Client
}

// LogValue keeps the client secret out of any log line that names s.
func (s SSO) LogValue() slog.Value {
	return slog.GroupValue(slog.String("issuer", s.Issuer), slog.String("client_id", s.ClientID), slog.String("redirect_url", s.RedirectURL))
}

func (s SSO) check() error {
	if s.Issuer == "" || s.ClientID == "" || s.ClientSecret == "" || s.RedirectURL == "" {
		return errors.New("console: single sign-on needs an issuer, a client id and secret, and a redirect URL")
	}
	return nil
}

const (
	// ssoCookie carries a sign-on in progress from /app/sso to the
	// callback; it lives ssoFlowAge, long enough to type a password and a
	// second factor at the provider.
	ssoCookie  = "linkage_sso"
	ssoFlowAge = 10 * time.Minute
	// ssoTimeout bounds each call to the provider, so a provider that
	// hangs costs a person a message, not a stuck page.
	ssoTimeout = 10 * time.Second
)

// ssoClient is the provider of SSO. It is discovered at its first use,
// not at start, so the console starts while the provider is down; a
// discovery that fails is tried again at the next use.
type ssoClient struct {
	cfg SSO
	now func() time.Time
	mu  sync.Mutex
	p   *ssoProvider // nil until discovered
}

// ssoProvider is what the flow needs of a discovered provider.
type ssoProvider struct {
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
}

func newSSOClient(cfg *SSO, now func() time.Time) *ssoClient {
	if cfg == nil {
		return nil
	}
	c := *cfg
	if c.Client == nil {
		c.Client = &http.Client{Timeout: ssoTimeout}
	}
	return &ssoClient{cfg: c, now: now}
}

// ctx is ctx bounded by ssoTimeout, carrying the client for go-oidc and
// oauth2 to call the provider with.
func (s *ssoClient) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(oidc.ClientContext(ctx, s.cfg.Client), ssoTimeout)
}

// provider discovers the provider once; concurrent first uses wait for
// the one discovery rather than each asking.
func (s *ssoClient) provider(ctx context.Context) (*ssoProvider, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.p != nil {
		return s.p, nil
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	op, err := oidc.NewProvider(ctx, s.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discover the provider %s: %w", s.cfg.Issuer, err)
	}
	s.p = &ssoProvider{
		oauth: oauth2.Config{ClientID: s.cfg.ClientID, ClientSecret: s.cfg.ClientSecret, Endpoint: op.Endpoint(),
			RedirectURL: s.cfg.RedirectURL, Scopes: []string{oidc.ScopeOpenID, "email"}},
		verifier: op.Verifier(&oidc.Config{ClientID: s.cfg.ClientID, Now: s.now}),
	}
	return s.p, nil
}

// ssoFlow is one sign-on in progress: the state that ties the callback to
// this browser, the nonce that ties the ID token to this sign-on, and the
// PKCE verifier that ties the code to it.
type ssoFlow struct{ state, nonce, verifier string }

func newSSOFlow() ssoFlow {
	state, _ := auth.NewToken()
	nonce, _ := auth.NewToken()
	return ssoFlow{state: state, nonce: nonce, verifier: oauth2.GenerateVerifier()}
}

// The three are base64url, which has no ".".
func (f ssoFlow) cookie() string { return f.state + "." + f.nonce + "." + f.verifier }

func (c *Console) ssoFlowOf(r *http.Request) (ssoFlow, bool) {
	ck, err := r.Cookie(c.cookieName(ssoCookie))
	if err != nil || len(ck.Value) > 300 {
		return ssoFlow{}, false
	}
	p := strings.Split(ck.Value, ".")
	if len(p) != 3 || p[0] == "" || p[1] == "" || p[2] == "" {
		return ssoFlow{}, false
	}
	return ssoFlow{state: p[0], nonce: p[1], verifier: p[2]}, true
}

// ssoStart sends the browser to the provider (authorization code flow
// with PKCE S256), keeping the flow's secrets in a short-lived cookie.
func (c *Console) ssoStart(w http.ResponseWriter, r *http.Request) {
	if c.sso == nil {
		c.notFound(w, r)
		return
	}
	p, err := c.sso.provider(r.Context())
	if err != nil {
		c.d.Log.WarnContext(r.Context(), "single sign-on: the provider cannot be reached", "err", err)
		c.ssoRefused(w, r, http.StatusServiceUnavailable, "signin.sso_unavailable")
		return
	}
	f := newSSOFlow()
	c.setCookie(w, ssoCookie, f.cookie(), int(ssoFlowAge/time.Second))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, p.oauth.AuthCodeURL(f.state, oidc.Nonce(f.nonce), oauth2.S256ChallengeOption(f.verifier)), http.StatusSeeOther)
}

// ssoCallback signs in the person the provider sent back, or shows the
// sign-in page saying why not.
func (c *Console) ssoCallback(w http.ResponseWriter, r *http.Request) {
	if c.sso == nil {
		c.notFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	st, status, msg := c.ssoAccount(r)
	c.setCookie(w, ssoCookie, "", -1) // a flow is used once, whatever came of it
	if msg != "" {
		c.ssoRefused(w, r, status, msg)
		return
	}
	if err := c.d.Store.RecordSignIn(r.Context(), st, true, clientAddr(r), c.d.Lock); err != nil {
		c.d.Log.ErrorContext(r.Context(), "single sign-on: record the sign-in", "err", err)
		c.ssoRefused(w, r, http.StatusInternalServerError, "error.internal")
		return
	}
	c.startSession(w, r, st, "/app/")
}

func (c *Console) ssoRefused(w http.ResponseWriter, r *http.Request, status int, msg string) {
	c.showSignIn(w, r, signInForm{Error: msg, Next: "/app/", SSO: true}, status)
}

// ssoIdentity is who the provider vouched for.
type ssoIdentity struct{ subject, email string }

// ssoAccount is the staff account of the callback r, or the status and
// message the sign-in page shows.
func (c *Console) ssoAccount(r *http.Request) (store.Staff, int, string) {
	id, status, msg := c.ssoIdentity(r)
	if msg != "" {
		return store.Staff{}, status, msg
	}
	return c.ssoStaff(r.Context(), id)
}

// ssoIdentity checks the callback against the flow of this browser and
// the ID token the code is exchanged for.
func (c *Console) ssoIdentity(r *http.Request) (ssoIdentity, int, string) {
	ctx, q := r.Context(), r.URL.Query()
	f, ok := c.ssoFlowOf(r)
	if !ok || subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.state)) != 1 {
		// No flow (expired, another browser) or another flow's state: a
		// callback this browser did not start is never honoured (CSRF).
		return ssoIdentity{}, http.StatusBadRequest, "signin.sso_expired"
	}
	if e := q.Get("error"); e != "" {
		c.d.Log.InfoContext(ctx, "single sign-on: the provider refused", "error", clipText(e, 64))
		return ssoIdentity{}, http.StatusUnauthorized, "signin.sso_failed"
	}
	p, err := c.sso.provider(ctx)
	if err != nil {
		c.d.Log.WarnContext(ctx, "single sign-on: the provider cannot be reached", "err", err)
		return ssoIdentity{}, http.StatusServiceUnavailable, "signin.sso_unavailable"
	}
	tok, err := c.ssoVerify(ctx, p, q.Get("code"), f)
	if err != nil {
		c.d.Log.WarnContext(ctx, "single sign-on: sign-in refused", "err", err)
		return ssoIdentity{}, http.StatusBadGateway, "signin.sso_failed"
	}
	var claims struct {
		Email    string `json:"email"`
		Verified any    `json:"email_verified"`
	}
	if err := tok.Claims(&claims); err != nil {
		c.d.Log.WarnContext(ctx, "single sign-on: read the ID token's claims", "err", err)
		return ssoIdentity{}, http.StatusBadGateway, "signin.sso_failed"
	}
	// Some providers send the claim as a string. An address the provider
	// has not verified proves nothing, so it cannot pick an account.
	if claims.Verified == false || claims.Verified == "false" {
		return ssoIdentity{}, http.StatusForbidden, "signin.sso_unverified"
	}
	return ssoIdentity{subject: tok.Issuer + "|" + tok.Subject, email: strings.TrimSpace(claims.Email)}, 0, ""
}

// ssoVerify exchanges code (with the PKCE verifier) for an ID token and
// verifies its signature, issuer, audience, expiry and nonce. Its errors
// never hold a token.
func (c *Console) ssoVerify(ctx context.Context, p *ssoProvider, code string, f ssoFlow) (*oidc.IDToken, error) {
	if code == "" || len(code) > 2000 {
		return nil, errors.New("the callback has no code")
	}
	ctx, cancel := c.sso.ctx(ctx)
	defer cancel()
	tok, err := p.oauth.Exchange(ctx, code, oauth2.VerifierOption(f.verifier))
	if err != nil {
		return nil, exchangeError(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, errors.New("the token response has no ID token")
	}
	idt, err := p.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("verify the ID token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.nonce)) != 1 {
		return nil, errors.New("the ID token's nonce is not this sign-on's")
	}
	return idt, nil
}

// exchangeError is a failed code exchange without the provider's answer,
// which oauth2's own error quotes whole.
func exchangeError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		return fmt.Errorf("exchange the code: the provider answered %d %s", status, clipText(re.ErrorCode, 64))
	}
	return fmt.Errorf("exchange the code: %w", err)
}

// ssoStaff is the account of id: the one linked to its subject, else the
// active person of its email with none linked yet, linked now.
func (c *Console) ssoStaff(ctx context.Context, id ssoIdentity) (store.Staff, int, string) {
	st, err := c.d.Store.StaffBySubject(ctx, id.subject)
	if err == nil {
		return st, 0, ""
	}
	if apperr.KindOf(err) != apperr.NotFound {
		c.d.Log.ErrorContext(ctx, "single sign-on: read the linked account", "err", err)
		return st, http.StatusInternalServerError, "error.internal"
	}
	if id.email == "" {
		return st, http.StatusForbidden, "signin.sso_no_account"
	}
	st, err = c.d.Store.LinkSubject(ctx, id.email, id.subject)
	switch {
	case err == nil:
		c.d.Log.InfoContext(ctx, "single sign-on: linked an account", "person", st.ID)
		return st, 0, ""
	case apperr.KindOf(err) == apperr.NotFound:
		return st, http.StatusForbidden, "signin.sso_no_account"
	}
	c.d.Log.ErrorContext(ctx, "single sign-on: link the account", "err", err)
	return st, http.StatusInternalServerError, "error.internal"
}

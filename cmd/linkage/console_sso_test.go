package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"
)

// TestConsole_SingleSignOn signs staff in to the console through a real
// OpenID Connect provider (mockoidc) over real HTTP, against the real
// server on the demo data. serve starts while the provider is down;
// the first sign-in links Dana's account by her email, the next finds it
// by subject; an unknown person, an unverified email, another subject
// with a linked email, a replayed ID token, a tampered state and the
// provider's refusal are refused with no session;
// the audit log has the link and the sign-ins, and the log no token.
func TestConsole_SingleSignOn(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a server and a provider; not in -short")
	}
	op, down := startProvider(t)
	dir, port := t.TempDir(), freePort(t)
	base := "http://127.0.0.1:" + port
	cfg := op.Config()
	logs := serveLogged(t, map[string]string{"LINKAGE_DATA_DIR": dir, "LINKAGE_ADDR": "127.0.0.1:" + port, "LINKAGE_BASE_URL": base,
		"LINKAGE_DEMO": "true", "LINKAGE_RATE_ANONYMOUS": "0", "LINKAGE_OIDC_ISSUER": cfg.Issuer, "LINKAGE_OIDC_CLIENT_ID": cfg.ClientID,
		"LINKAGE_OIDC_CLIENT_SECRET": cfg.ClientSecret})

	b := newSSOBrowser(t, base)
	if status, _, body := b.get("/app/sign-in"); status != 200 || !strings.Contains(body, `href="/app/sso"`) {
		t.Fatalf("the sign-in page (%d) has no single sign-on link:\n%s", status, body)
	}
	// Discovery is lazy: serve started with the provider down, and a
	// sign-on then says so; once it is up, the next try works.
	if status, _, body := b.get("/app/sso"); status != http.StatusServiceUnavailable || !strings.Contains(body, "cannot be reached right now") {
		t.Fatalf("sign-on with the provider down: %d\n%s", status, body)
	}
	down.Store(false)

	dana := &mockoidc.MockUser{Subject: "county-4711", Email: "dana.reyes@demo.example", EmailVerified: true}
	b.signOn(op, dana, http.StatusOK, "/app/work", "Dana Reyes")
	if status, _, body := b.get("/app/work"); status != 200 || !strings.Contains(body, "Dana Reyes") {
		t.Fatalf("after sign-on /app/work is %d, want Dana's page:\n%s", status, body)
	}

	// The second sign-in finds her by subject: her email at the provider
	// has changed, and she is still Dana.
	again := newSSOBrowser(t, base)
	again.signOn(op, &mockoidc.MockUser{Subject: "county-4711", Email: "d.reyes@county.example", EmailVerified: true}, http.StatusOK, "/app/work", "Dana Reyes")

	noAccount := "There is no Linkage account for the email of your county account"
	refusals := []struct {
		name, msg string
		status    int
		user      mockoidc.User
	}{
		{"an unknown email", noAccount, http.StatusForbidden, &mockoidc.MockUser{Subject: "county-9", Email: "nobody@county.example", EmailVerified: true}},
		// Dana's email is linked to her subject: another subject cannot take it.
		{"another subject with a linked email", noAccount, http.StatusForbidden, &mockoidc.MockUser{Subject: "county-666", Email: "dana.reyes@demo.example", EmailVerified: true}},
		{"an unverified email", "email address is not verified", http.StatusForbidden, unverifiedUser{Subject: "county-12", Email: "sam.okafor@demo.example"}},
		// An ID token must be this sign-on's: one with another nonce is replayed.
		{"another sign-on's ID token", "did not work", http.StatusBadGateway, replayedUser{&mockoidc.MockUser{Subject: "county-4711", Email: "dana.reyes@demo.example", EmailVerified: true}}},
	}
	for _, r := range refusals {
		s := newSSOBrowser(t, base)
		s.signOn(op, r.user, r.status, "/app/sso/callback", r.msg)
		s.signedOut(r.name)
	}

	tamperedState(t, newSSOBrowser(t, base), op)
	providerError(t, newSSOBrowser(t, base), op)

	audit := auditOf(t, base, dir)
	dID := ""
	for _, e := range audit {
		if e.Action == "link" && e.ResourceType == "person" && e.PersonName != nil && *e.PersonName == "Dana Reyes" {
			dID = e.ResourceID
		}
	}
	if dID == "" {
		t.Fatalf("the audit log has no link of Dana's account: %+v", audit)
	}
	signIns := 0
	for _, e := range audit {
		if e.Action == "sign_in" && e.ResourceID == dID {
			signIns++
		}
		if e.Action == "link" && e.ResourceID != dID {
			t.Errorf("the audit log links another account: %+v", e)
		}
	}
	if signIns != 2 {
		t.Errorf("the audit log has %d sign-ins of Dana, want 2", signIns)
	}
	if l := logs.String(); strings.Contains(l, cfg.ClientSecret) || strings.Contains(l, "eyJ") {
		t.Errorf("the log holds the client secret or a token:\n%s", l)
	}
}

// startProvider runs mockoidc until the test ends, answering 503 to
// everything while down is true (as it is at first).
func startProvider(t *testing.T) (*mockoidc.MockOIDC, *atomic.Bool) {
	t.Helper()
	op, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	down := &atomic.Bool{}
	down.Store(true)
	err = op.AddMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if down.Load() {
				http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := op.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = op.Shutdown() })
	return op, down
}

// unverifiedUser is a provider's user whose ID token says
// email_verified: false (mockoidc's own user leaves a false out).
type unverifiedUser struct{ Subject, Email string }

func (u unverifiedUser) ID() string { return u.Subject }
func (u unverifiedUser) Userinfo([]string) ([]byte, error) {
	return json.Marshal(map[string]string{"sub": u.Subject})
}
func (u unverifiedUser) Claims(_ []string, c *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	return &struct {
		*mockoidc.IDTokenClaims
		Email         string `json:"email"`
		EmailVerified bool   `json:"email_verified"`
	}{c, u.Email, false}, nil
}

// replayedUser's ID tokens carry a nonce of another sign-on.
type replayedUser struct{ *mockoidc.MockUser }

func (u replayedUser) Claims(scope []string, c *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	c.Nonce = "a-nonce-of-another-sign-on"
	return u.MockUser.Claims(scope, c)
}

// ssoBrowser is one browser: its own cookies, following redirects.
type ssoBrowser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newSSOBrowser(t *testing.T, base string) *ssoBrowser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &ssoBrowser{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// get is the status, final path and body of GET path, after redirects.
func (b *ssoBrowser) get(path string) (int, string, string) {
	b.t.Helper()
	resp, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return resp.StatusCode, resp.Request.URL.Path, string(body)
}

// signOn signs on as user through the provider and checks where the
// browser lands: its status, path and a text of the page.
func (b *ssoBrowser) signOn(op *mockoidc.MockOIDC, user mockoidc.User, status int, path, text string) {
	b.t.Helper()
	op.QueueUser(user)
	gotStatus, gotPath, body := b.get("/app/sso")
	if gotStatus != status || gotPath != path || !strings.Contains(body, text) {
		b.t.Fatalf("sign-on as %s: %d at %s, want %d at %s saying %q:\n%s", user.ID(), gotStatus, gotPath, status, path, text, body)
	}
}

// signedOut checks that the browser has no session.
func (b *ssoBrowser) signedOut(what string) {
	b.t.Helper()
	if _, path, _ := b.get("/app/work"); path != "/app/sign-in" {
		b.t.Errorf("after %s, /app/work ends at %s, want the sign-in page", what, path)
	}
}

// tamperedState: a callback whose state is not the browser's flow's is
// refused, and spends the flow, so the genuine callback after it is too.
func tamperedState(t *testing.T, b *ssoBrowser, op *mockoidc.MockOIDC) {
	t.Helper()
	callback := b.callback(op)
	q := callback.Query()
	q.Set("state", q.Get("state")+"x")
	for _, u := range []string{callback.Path + "?" + q.Encode(), callback.RequestURI()} {
		status, path, body := b.get(u)
		if status != http.StatusBadRequest || path != "/app/sso/callback" || !strings.Contains(body, "was not started in this browser") {
			t.Errorf("callback %s: %d at %s, want refused:\n%s", u, status, path, body)
		}
	}
	b.signedOut("a tampered state")
}

// providerError: the provider's own refusal (the person cancelled) is a
// message on the sign-in page.
func providerError(t *testing.T, b *ssoBrowser, op *mockoidc.MockOIDC) {
	t.Helper()
	callback := b.callback(op)
	q := url.Values{"error": {"access_denied"}, "state": {callback.Query().Get("state")}}
	status, _, body := b.get(callback.Path + "?" + q.Encode())
	if status != http.StatusUnauthorized || !strings.Contains(body, "Signing in with your county account did not work") {
		t.Errorf("callback with error=access_denied: %d, want 401 saying so:\n%s", status, body)
	}
	b.signedOut("the provider's refusal")
}

// callback starts a sign-on as Dana and returns the callback the
// provider sends the browser to, without following it.
func (b *ssoBrowser) callback(op *mockoidc.MockOIDC) *url.URL {
	b.t.Helper()
	op.QueueUser(&mockoidc.MockUser{Subject: "county-4711", Email: "dana.reyes@demo.example", EmailVerified: true})
	b.c.CheckRedirect = func(r *http.Request, _ []*http.Request) error {
		if r.URL.Path == "/app/sso/callback" {
			return http.ErrUseLastResponse
		}
		return nil
	}
	defer func() { b.c.CheckRedirect = nil }()
	resp, err := b.c.Get(b.base + "/app/sso")
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	callback, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || callback.Query().Get("state") == "" || callback.Query().Get("code") == "" {
		b.t.Fatalf("the provider sent back %q (%d, %v), want a callback with a code and state", resp.Header.Get("Location"), resp.StatusCode, err)
	}
	return callback
}

type auditEntry struct {
	Action       string  `json:"action"`
	ResourceType string  `json:"resource_type"`
	ResourceID   string  `json:"resource_id"`
	PersonName   *string `json:"person_name"`
}

// auditOf is the audit log's entries about people, as the demo admin reads them.
func auditOf(t *testing.T, base, dir string) []auditEntry {
	t.Helper()
	keys, err := os.ReadFile(filepath.Join(dir, demoKeysFile))
	if err != nil {
		t.Fatal(err)
	}
	admin := ""
	for _, line := range strings.Split(string(keys), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "admin" {
			admin = f[len(f)-1]
		}
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/audit?resource_type=person&per_page=100", nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Contents []auditEntry `json:"contents"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /audit: %d %v", resp.StatusCode, err)
	}
	return page.Contents
}

// syncBuffer is a log that the test reads while the server writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveLogged runs `linkage serve` with vars until the test ends, keeping
// its whole log; it returns once the server is serving.
func serveLogged(t *testing.T, vars map[string]string) *syncBuffer {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	var code atomic.Int32
	ended := make(chan struct{})
	go func() {
		code.Store(int32(run(ctx, []string{"serve"}, envMap(vars), io.Discard, logs)))
		close(ended)
	}()
	t.Cleanup(func() {
		stop()
		<-ended
		if c := code.Load(); c != 0 {
			t.Errorf("serve: exit %d", c)
		}
	})
	eventually(t, 2*time.Minute, "serve says it is serving", func() bool {
		select {
		case <-ended:
			t.Fatalf("serve ended (exit %d):\n%s", code.Load(), logs.String())
		default:
		}
		return strings.Contains(logs.String(), "Linkage is serving")
	})
	return logs
}

// A partial set of single sign-on settings stops the start, naming what is
// missing and not the secret.
func TestServe_PartialSSOSettings(t *testing.T) {
	var out bytes.Buffer
	code := run(context.Background(), []string{"serve"}, envMap(map[string]string{"LINKAGE_DATA_DIR": t.TempDir(),
		"LINKAGE_ADDR": "127.0.0.1:0", "LINKAGE_OIDC_ISSUER": "https://id.county.example", "LINKAGE_OIDC_CLIENT_SECRET": "hush-hush"}), &out, &out)
	if code == 0 || !strings.Contains(out.String(), "LINKAGE_OIDC_CLIENT_ID: not set") || strings.Contains(out.String(), "hush-hush") {
		t.Fatalf("serve with a partial single sign-on: exit %d:\n%s", code, out.String())
	}
}

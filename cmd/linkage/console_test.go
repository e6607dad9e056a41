package main

import (
	"encoding/json"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/linkage-org/linkage/internal/seal"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// consoleDemo serves the demo on dialect (PostgreSQL with a data key of
// its own) and returns its address and data dir, once the log has said
// each of until.
func consoleDemo(t *testing.T, dialect string, until ...string) (base, dir string) {
	t.Helper()
	dir = t.TempDir()
	vars := map[string]string{"LINKAGE_DATA_DIR": dir, "LINKAGE_ADDR": "127.0.0.1:0", "LINKAGE_DEMO": "true"}
	if dialect == store.Postgres {
		vars["LINKAGE_DATABASE_URL"] = storetest.URL(t, dialect)
		key, err := seal.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		vars["LINKAGE_DATA_KEY"] = key
	}
	return serveUntil(t, vars, until, "url")["url"], dir
}

// eachDialect runs fn on SQLite and on PostgreSQL.
func eachDialect(t *testing.T, fn func(t *testing.T, dialect string)) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) { fn(t, d) })
	}
}

// staffClient is a browser-like client of the console: a cookie jar, no
// redirects followed (the tests read them).
type staffClient struct {
	t    *testing.T
	base string
	http *http.Client
}

func newStaffClient(t *testing.T, base string) *staffClient {
	jar, _ := cookiejar.New(nil)
	return &staffClient{t: t, base: base, http: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do sends a request and returns the status, the Location and the body.
func (c *staffClient) do(method, path string, form url.Values, header ...string) (int, string, string) {
	c.t.Helper()
	if form != nil {
		header = append([]string{"Content-Type", "application/x-www-form-urlencoded"}, header...)
		return c.send(method, path, strings.NewReader(form.Encode()), header...)
	}
	return c.send(method, path, nil, header...)
}

// send is do with a body as it is (an upload).
func (c *staffClient) send(method, path string, body io.Reader, header ...string) (int, string, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

var hiddenRe = regexp.MustCompile(`name="(pre|csrf)" value="([^"]+)"`)

// hidden is the value of hidden field pre or csrf on the page at path.
func (c *staffClient) hidden(path, name string) string {
	c.t.Helper()
	_, _, body := c.do("GET", path, nil)
	for _, m := range hiddenRe.FindAllStringSubmatch(body, -1) {
		if m[1] == name {
			return m[2]
		}
	}
	c.t.Fatalf("%s has no %s field", path, name)
	return ""
}

// signIn posts the sign-in form and returns its status and body.
func (c *staffClient) signIn(email, password string) (int, string) {
	c.t.Helper()
	pre := c.hidden("/app/sign-in", "pre")
	st, _, body := c.do("POST", "/app/sign-in", url.Values{"pre": {pre}, "email": {email}, "password": {password}})
	return st, body
}

func (c *staffClient) cookie(name string) string {
	u, _ := url.Parse(c.base)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// TestConsole_Security tries the console as an attacker would, over real
// HTTP against the demo: headers, CSRF, cross-origin posts, guessing,
// session fixation, sign-out, redirects off the site, and a form that is
// refused writes nothing.
func TestConsole_Security(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a server; not in -short")
	}
	eachDialect(t, consoleSecurity)
}

func consoleSecurity(t *testing.T, dialect string) {
	base, dir := consoleDemo(t, dialect)
	dana := demoAccount(t, dir, "dana.reyes@demo.example")

	t.Run("headers", func(t *testing.T) {
		c := newStaffClient(t, base)
		resp, err := c.http.Get(base + "/app/sign-in")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP %q lacks %s", csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("CSP allows inline or eval: %q", csp)
		}
		for k, v := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "Cache-Control": "no-store"} {
			if h.Get(k) != v {
				t.Errorf("%s: %q, want %q", k, h.Get(k), v)
			}
		}
		st, loc, _ := c.do("GET", "/", nil, "Accept", "text/html,application/xhtml+xml")
		if st != http.StatusSeeOther || loc != "/app/" {
			t.Errorf("a browser opening / gets %d to %q, want 303 to /app/", st, loc)
		}
		if st, _, body := c.do("GET", "/", nil, "Accept", "application/json"); st != 200 || !strings.Contains(body, "openapi_url") {
			t.Errorf("an API client opening / gets %d %.100s, want the API's description", st, body)
		}
	})

	t.Run("csrf", func(t *testing.T) {
		c := newStaffClient(t, base)
		if st, _, _ := c.do("POST", "/app/sign-in", url.Values{"email": {"dana.reyes@demo.example"}, "password": {dana}}); st != http.StatusForbidden {
			t.Errorf("sign-in without the form's token: %d, want 403", st)
		}
		pre := c.hidden("/app/sign-in", "pre")
		st, _, _ := c.do("POST", "/app/sign-in", url.Values{"pre": {pre}, "email": {"dana.reyes@demo.example"}, "password": {dana}},
			"Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site")
		if st != http.StatusForbidden || c.cookie("linkage_session") != "" {
			t.Errorf("a cross-site sign-in post: %d (session %q), want 403 and no session", st, c.cookie("linkage_session"))
		}
		if st, body := c.signIn("dana.reyes@demo.example", dana); st != http.StatusSeeOther {
			t.Fatalf("sign-in: %d %.300s", st, body)
		}
		before := c.caseCount()
		form := url.Values{"given_name": {"Eve"}, "family_name": {"Forged"}}
		if st, _, _ := c.do("POST", "/app/cases/new", form); st != http.StatusForbidden {
			t.Errorf("a signed-in post without the CSRF token: %d, want 403", st)
		}
		form.Set("csrf", "not-the-token")
		if st, _, _ := c.do("POST", "/app/cases/new", form); st != http.StatusForbidden {
			t.Errorf("a post with a wrong CSRF token: %d, want 403", st)
		}
		if after := c.caseCount(); after != before {
			t.Errorf("refused posts wrote cases: %s before, %s after", before, after)
		}
	})

	t.Run("refused form keeps what was typed and writes nothing", func(t *testing.T) {
		c := newStaffClient(t, base)
		if st, body := c.signIn("dana.reyes@demo.example", dana); st != http.StatusSeeOther {
			t.Fatalf("sign-in: %d %.300s", st, body)
		}
		before := c.caseCount()
		form := url.Values{"csrf": {c.hidden("/app/cases/new", "csrf")}, "given_name": {"Marta"}, "family_name": {"Quiñones"},
			"birth_date": {"1990-02-31"}, "income": {"lots"}, "need": {"food"}}
		st, _, body := c.do("POST", "/app/cases/new", form)
		if st != http.StatusUnprocessableEntity || !strings.Contains(body, `value="Quiñones"`) || !strings.Contains(body, `id="e-income"`) {
			t.Errorf("a bad intake: %d; want 422 with the last name kept and the income's problem shown\n%.2000s", st, body)
		}
		form.Set("income", "NaN")
		if st, _, body := c.do("POST", "/app/cases/new", form); st != http.StatusUnprocessableEntity || !strings.Contains(body, `id="e-income"`) {
			t.Errorf("income NaN: %d, want 422 naming the income", st)
		}
		delete(form, "income")
		st, _, body = c.do("POST", "/app/cases/new", form)
		if st != http.StatusUnprocessableEntity || !strings.Contains(body, `id="e-birth_date"`) || !strings.Contains(body, `value="Marta"`) {
			t.Errorf("an impossible birth date: %d; want 422 naming the birth date, the first name kept\n%.2000s", st, body)
		}
		if strings.Contains(body, "json:") || strings.Contains(body, "SQL") {
			t.Errorf("the page shows an internal error: %.2000s", body)
		}
		if after := c.caseCount(); after != before {
			t.Errorf("refused intakes wrote cases: %s before, %s after", before, after)
		}
	})

	t.Run("no redirect off the site", func(t *testing.T) {
		c := newStaffClient(t, base)
		if st, _ := c.signIn("dana.reyes@demo.example", dana); st != http.StatusSeeOther {
			t.Fatalf("sign-in: %d", st)
		}
		// Signed in, the sign-in page sends the browser on to next: the
		// same check as after a sign-in, without spending attempts.
		for _, next := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example", "/app/\r\nSet-Cookie: x=1"} {
			_, loc, _ := c.do("GET", "/app/sign-in?next="+url.QueryEscape(next), nil)
			if !strings.HasPrefix(loc, "/app/") || strings.Contains(loc, "evil") || strings.Contains(loc, "\n") {
				t.Errorf("next=%q sends the browser to %q", next, loc)
			}
		}
	})
	t.Run("one-time links", func(t *testing.T) {
		admin := newStaffClient(t, base)
		if st, _ := admin.signIn("alex.morgan@demo.example", demoAccount(t, dir, "alex.morgan@demo.example")); st != http.StatusSeeOther {
			t.Fatalf("admin sign-in: %d", st)
		}
		_, _, list := admin.do("GET", "/app/admin", nil)
		agencies := agencyLinks.FindAllString(list, -1)
		if len(agencies) < 2 {
			t.Fatalf("the admin page lists %d agencies, want the demo's three", len(agencies))
		}
		st, _, body := admin.do("POST", agencies[0]+"/people", url.Values{"csrf": {admin.hidden(agencies[0], "csrf")},
			"name": {"Pat Lee"}, "email": {"pat.lee@demo.example"}, "role": {"caseworker"}})
		link := linkRe.FindStringSubmatch(body)
		if st != http.StatusOK || link == nil {
			t.Fatalf("adding a person: %d, no one-time link shown\n%.1500s", st, body)
		}
		pat := newStaffClient(t, base)
		pre := pat.hidden("/app/password?token="+link[1], "pre")
		set := url.Values{"pre": {pre}, "token": {link[1]}, "password": {"a long enough pass phrase"}, "confirm": {"a long enough pass phrase"}}
		if st, loc, _ := pat.do("POST", "/app/password", set); st != http.StatusSeeOther || !strings.HasPrefix(loc, "/app/sign-in") {
			t.Fatalf("setting the password: %d to %q", st, loc)
		}
		if st, _, _ := pat.do("POST", "/app/password", set); st != http.StatusNotFound {
			t.Errorf("the link used a second time: %d, want 404", st)
		}
		if st, _, body := pat.do("GET", "/app/password?token="+link[1], nil); st != http.StatusNotFound || strings.Contains(body, `name="password"`) {
			t.Errorf("opening a spent link: %d; want 404 and no password form", st)
		}
		if st, _ := pat.signIn("pat.lee@demo.example", "a long enough pass phrase"); st != http.StatusSeeOther {
			t.Errorf("signing in with the chosen password: %d", st)
		}

		// Agency staff of the food network make no links for another agency's people.
		sam := newStaffClient(t, base)
		if st, _ := sam.signIn("sam.okafor@demo.example", demoAccount(t, dir, "sam.okafor@demo.example")); st != http.StatusSeeOther {
			t.Fatalf("sam signs in: %d", st)
		}
		_, _, people := admin.do("GET", agencies[0], nil)
		pid := personForm.FindStringSubmatch(people)
		if pid == nil {
			t.Fatal("no person on the agency page")
		}
		st, _, body = sam.do("POST", agencies[0]+"/people/"+pid[1]+"/link", url.Values{"csrf": {sam.hidden("/app/inbox", "csrf")}})
		if linkRe.MatchString(body) || st == http.StatusOK {
			t.Errorf("another agency's staff asked for a link: %d, and got one: %v", st, linkRe.MatchString(body))
		}
	})

	t.Run("guessing, fixation and sign-out", func(t *testing.T) {
		c := newStaffClient(t, base)
		st, body := c.signIn("nobody@demo.example", "whatever-password")
		st2, body2 := c.signIn("sam.okafor@demo.example", "whatever-password")
		if st != http.StatusUnauthorized || st2 != http.StatusUnauthorized || errorLine(body) != errorLine(body2) {
			t.Errorf("unknown email (%d %q) and wrong password (%d %q) must read the same", st, errorLine(body), st2, errorLine(body2))
		}
		for i := 0; i < 4; i++ {
			c.signIn("sam.okafor@demo.example", "wrong-password-again")
		}
		// Locked, the right password is refused, in the words of a wrong
		// one: a lock does not tell that the account exists.
		if st, body3 := c.signIn("sam.okafor@demo.example", demoAccount(t, dir, "sam.okafor@demo.example")); st != http.StatusUnauthorized || errorLine(body3) != errorLine(body) {
			t.Errorf("the right password after 5 failures: %d %q, want 401 with the wrong-password message", st, errorLine(body3))
		}

		planted := "planted-session-token-from-an-attacker"
		u, _ := url.Parse(base)
		c.http.Jar.SetCookies(u, []*http.Cookie{{Name: "linkage_session", Value: planted, Path: "/"}})
		if st, _ := c.signIn("dana.reyes@demo.example", dana); st != http.StatusSeeOther {
			t.Fatalf("sign-in: %d", st)
		}
		token := c.cookie("linkage_session")
		if token == "" || token == planted {
			t.Errorf("after sign-in the session token is %q: a planted token must never become signed in", token)
		}
		if st, _, _ := c.do("GET", "/app/work", nil); st != http.StatusOK {
			t.Errorf("signed in, /app/work: %d", st)
		}
		c.do("POST", "/app/sign-out", url.Values{"csrf": {c.hidden("/app/work", "csrf")}})
		replay := newStaffClient(t, base)
		replay.http.Jar.SetCookies(u, []*http.Cookie{{Name: "linkage_session", Value: token, Path: "/"}})
		if st, loc, _ := replay.do("GET", "/app/work", nil); st != http.StatusSeeOther || !strings.HasPrefix(loc, "/app/sign-in") {
			t.Errorf("the signed-out token reused: %d to %q, want sent to sign in", st, loc)
		}
	})

	t.Run("one address is throttled", func(t *testing.T) {
		c := newStaffClient(t, base)
		for i := 0; i < 40; i++ {
			if st, _ := c.signIn("spray"+strconv.Itoa(i)+"@demo.example", "a-guessed-password"); st == http.StatusTooManyRequests {
				return
			}
		}
		t.Error("40 sign-ins from one address in a row were never throttled")
	})
}

var (
	agencyLinks = regexp.MustCompile(`/app/admin/agencies/[0-9a-f-]{36}`)
	linkRe      = regexp.MustCompile(`/app/password\?token=([A-Za-z0-9_-]+)`)
	personForm  = regexp.MustCompile(`/people/([0-9a-f-]{36})/link`)
)

var alertRe = regexp.MustCompile(`role="alert"[^>]*>([^<]*)<`)

// errorLine is the sign-in page's alert.
func errorLine(body string) string {
	m := alertRe.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

var captionCount = regexp.MustCompile(`<caption>(\d+) case`)

// caseCount is how many cases the signed-in person's case list counts.
func (c *staffClient) caseCount() string {
	c.t.Helper()
	st, _, body := c.do("GET", "/app/cases", nil)
	m := captionCount.FindStringSubmatch(body)
	if st != 200 || m == nil {
		c.t.Fatalf("case list: %d %.500s", st, body)
	}
	return m[1]
}

// TestConsole_AgencyWork is the partner agency's side over HTTP: an edit
// made from a page that has gone stale is refused with the form kept, an
// upload is only checked unless asked to write, reports download as CSV,
// and the first page weighs what a phone on a slow network can fetch.
func TestConsole_AgencyWork(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a server; not in -short")
	}
	eachDialect(t, consoleAgencyWork)
}

func consoleAgencyWork(t *testing.T, dialect string) {
	base, dir := consoleDemo(t, dialect, "search index is current")
	c := newStaffClient(t, base)
	if st, _ := c.signIn("sam.okafor@demo.example", demoAccount(t, dir, "sam.okafor@demo.example")); st != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", st)
	}
	_, _, list := c.do("GET", "/app/listings", nil)
	m := regexp.MustCompile(`href="(/app/listings/[0-9a-f-]{36})">([^<]+)<`).FindStringSubmatch(list)
	if m == nil {
		t.Fatalf("the food network lists no services:\n%.1500s", list)
	}
	page, name := m[1], m[2]

	t.Run("stale edit", func(t *testing.T) {
		csrf := c.hidden(page, "csrf")
		edit := url.Values{"csrf": {csrf}, "etag": {`"not-the-current-version"`}, "name": {name}, "wait_time": {"A typed wait"}}
		st, _, body := c.do("POST", page, edit)
		if st != http.StatusPreconditionFailed || !strings.Contains(body, `value="A typed wait"`) {
			t.Errorf("an edit of an old version: %d; want 412 with what was typed kept\n%.1500s", st, body)
		}
		if _, _, now := c.do("GET", page, nil); strings.Contains(now, "A typed wait") {
			t.Error("the refused edit was written")
		}
	})

	t.Run("upload is checked, not written", func(t *testing.T) {
		before := strings.Count(list, `href="/app/listings/`)
		doc := `{"id":"` + "0b5d8a52-8a3b-4f0e-9c53-1f4f3b7a2c11" + `","name":"New Pantry Org","services":[{"id":"6a0e1c9e-3f0a-4c6b-8d2e-5b9f7e1d2a33","name":"New Pantry","status":"active"}]}`
		var buf strings.Builder
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("csrf", c.hidden("/app/listings", "csrf"))
		fw, _ := mw.CreateFormFile("file", "new.json")
		_, _ = fw.Write([]byte(doc))
		_ = mw.Close()
		st, _, body := c.send("POST", "/app/listings/import", strings.NewReader(buf.String()), "Content-Type", mw.FormDataContentType())
		if st != http.StatusOK || !strings.Contains(body, "nothing was written") {
			t.Errorf("a dry-run upload: %d\n%.1500s", st, body)
		}
		if _, _, after := c.do("GET", "/app/listings", nil); strings.Count(after, `href="/app/listings/`) != before {
			t.Error("a dry-run upload changed the listings")
		}
	})

	t.Run("an unchanged save changes nothing", func(t *testing.T) {
		id := strings.TrimPrefix(page, "/app/listings/")
		before := apiGet(t, base+"/services/"+id)
		form := url.Values{"csrf": {c.hidden(page, "csrf")}}
		_, _, edit := c.do("GET", page, nil)
		for _, m := range inputValue.FindAllStringSubmatch(edit, -1) {
			form.Set(m[1], html.UnescapeString(m[2]))
		}
		for _, m := range textareaValue.FindAllStringSubmatch(edit, -1) {
			form.Set(m[1], html.UnescapeString(m[2]))
		}
		if st, loc, _ := c.do("POST", page, form); st != http.StatusSeeOther || !strings.Contains(loc, "done=saved") {
			t.Fatalf("saving the form as shown: %d to %q", st, loc)
		}
		if after := apiGet(t, base+"/services/"+id); after != before {
			t.Errorf("saving an unchanged form changed the service:\nbefore %.600s\nafter  %.600s", before, after)
		}
	})

	t.Run("other agencies' listings and our agency", func(t *testing.T) {
		var other struct {
			Contents []struct{ ID, OrganizationID string } `json:"contents"`
		}
		if err := json.Unmarshal([]byte(apiGet(t, base+"/services?per_page=50")), &other); err != nil {
			t.Fatal(err)
		}
		for _, svc := range other.Contents {
			if !strings.Contains(list, svc.ID) {
				if st, _, _ := c.do("GET", "/app/listings/"+svc.ID, nil); st != http.StatusNotFound {
					t.Errorf("another agency's listing page: %d, want 404", st)
				}
				break
			}
		}
		if st, loc, _ := c.do("GET", "/app/admin", nil); st != http.StatusSeeOther {
			t.Fatalf("agency staff opening admin: %d", st)
		} else if st, _, body := c.do("GET", loc, nil); st != 200 || !strings.Contains(body, "Sam Okafor") || strings.Contains(body, "keys-h") {
			t.Errorf("agency staff on their agency's page: %d; want their staff listed and no keys", st)
		}
		if _, _, body := c.do("GET", page+"?error=Call+IT+at+1-800-555-0100", nil); strings.Contains(body, "1-800-555-0100") {
			t.Error("a message put in the URL is shown as the page's own")
		}
	})

	t.Run("csv", func(t *testing.T) {
		for _, path := range []string{"/app/reports/referrals/csv?group_by=service", "/app/reports/stale/csv", "/app/reports/barriers/csv"} {
			resp, err := c.http.Get(base + path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") || len(b) == 0 {
				t.Errorf("%s: %d %q %q, %d bytes", path, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"), len(b))
			}
		}
	})

	t.Run("page weight", func(t *testing.T) {
		// What a first visit fetches, compressed as a browser asks for it.
		total := 0
		for _, path := range []string{"/app/search?q=food+pantry", "/app/static/app.css", "/app/static/htmx.min.js"} {
			req, _ := http.NewRequest("GET", base+path, nil)
			req.Header.Set("Accept-Encoding", "gzip")
			tr := &http.Transport{DisableCompression: true}
			resp, err := (&http.Client{Jar: c.http.Jar, Transport: tr}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("%s: %d", path, resp.StatusCode)
			}
			total += len(b)
		}
		t.Logf("first load of the search page: %d bytes compressed", total)
		if total > 150<<10 {
			t.Errorf("the search page's first load is %d bytes compressed; the budget is 150 KB", total)
		}
	})
}

var (
	inputValue    = regexp.MustCompile(`<input id="l-[a-z_]+" name="([a-z_]+)" value="([^"]*)"`)
	textareaValue = regexp.MustCompile(`(?s)<textarea id="l-[a-z_]+" name="([a-z_]+)"[^>]*>(.*?)</textarea>`)
)

// apiGet is the body of a public API read.
func apiGet(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", u, resp.StatusCode)
	}
	return string(b)
}

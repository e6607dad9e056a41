package httpapi_test

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/linkage-org/linkage/internal/store"
)

// TestDocs_Page checks the API reference over HTTP: an HTML page whose
// scripts, style sheets and contract all come from the server itself, with
// no inline script, each served with its content type.
func TestDocs_Page(t *testing.T) {
	e := newEnv(t, store.SQLite)
	r := e.get("/docs")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /docs: %d %s", r.status, r.header.Get("Content-Type"))
	}
	csp := r.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-eval") ||
		strings.Contains(strings.Split(strings.SplitAfter(csp, "script-src")[1], ";")[0], "unsafe-inline") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	page := string(r.body)

	// No inline script: every script names its file, and has no body.
	scripts := regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`).FindAllStringSubmatch(page, -1)
	if len(scripts) == 0 {
		t.Fatal("no script")
	}
	for _, s := range scripts {
		if !strings.Contains(s[1], "src=") || strings.TrimSpace(s[2]) != "" {
			t.Errorf("inline script: %s", s[0])
		}
	}
	if regexp.MustCompile(`(?i)\son[a-z]+\s*=`).MatchString(page) {
		t.Error("an inline event handler")
	}

	base, _ := url.Parse(e.srv.URL + "/docs")
	refs := regexp.MustCompile(`(?i)\b(?:src|href|data-spec-url)="([^"]*)"`).FindAllStringSubmatch(page, -1)
	want := map[string]string{".js": "text/javascript", ".css": "text/css", ".json": "application/json"}
	seen := map[string]bool{}
	for _, m := range refs {
		u, err := base.Parse(m[1])
		if err != nil {
			t.Fatalf("%q: %v", m[1], err)
		}
		if u.Host != base.Host || u.Scheme != base.Scheme {
			t.Errorf("%q is not served by the server", m[1])
			continue
		}
		if seen[u.Path] {
			continue
		}
		seen[u.Path] = true
		ext := u.Path[strings.LastIndex(u.Path, "."):]
		res := e.get(u.RequestURI())
		if res.status != 200 || !strings.HasPrefix(res.header.Get("Content-Type"), want[ext]) {
			t.Errorf("GET %s: %d %q, want 200 %s", u.Path, res.status, res.header.Get("Content-Type"), want[ext])
		}
		if ext != ".json" && (res.header.Get("X-Content-Type-Options") != "nosniff" || res.header.Get("ETag") == "") {
			t.Errorf("GET %s: headers %v", u.Path, res.header)
		}
		if ext == ".json" {
			var doc struct{ OpenAPI string }
			if err := json.Unmarshal(res.body, &doc); err != nil || doc.OpenAPI == "" {
				t.Errorf("the page's contract %s is not an OpenAPI document", u.Path)
			}
		}
	}
	for _, p := range []string{"/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css", "/docs/docs.js", "/openapi.json"} {
		if !seen[p] {
			t.Errorf("the page does not load %s", p)
		}
	}

	// Revalidation, and a file the page does not have.
	if res := e.get("/docs", "If-None-Match", r.header.Get("ETag")); res.status != 304 {
		t.Errorf("If-None-Match: %d", res.status)
	}
	if res := e.get("/docs/secrets.txt"); res.status/100 != 4 {
		t.Errorf("GET /docs/secrets.txt: %d", res.status)
	}
}

package httpapi_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/linkage-org/linkage/internal/httpapi"
	"github.com/linkage-org/linkage/internal/indexsync"
	"github.com/linkage-org/linkage/internal/indexsync/indexsynctest"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// Every answer that carries Access-Control-Allow-Origin varies on Origin,
// cacheable 200 and 304 included, so a shared cache never serves one
// origin's answer to another; preflights may be cached; Location and ETag
// can be read by a portal's script.
func TestCORS(t *testing.T) {
	st := storetest.Open(t, storetest.Dialects[0])
	e := serveEnv(t, st, indexsynctest.Ready(t, st, indexsync.Options{}), 1<<20,
		func(d *httpapi.Deps) { d.CORSOrigins = []string{"https://portal.example"} })
	origin := []string{"Origin", "https://portal.example"}
	r := e.get("/taxonomies", origin...)
	vary := func(r response) []string {
		var out []string
		for _, v := range r.header.Values("Vary") {
			for _, p := range strings.Split(v, ",") {
				out = append(out, strings.TrimSpace(p))
			}
		}
		return out
	}
	if r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != "https://portal.example" || !slices.Contains(vary(r), "Origin") {
		t.Fatalf("GET with an Origin: %d, headers %v", r.status, r.header)
	}
	expose := r.header.Get("Access-Control-Expose-Headers")
	if !strings.Contains(expose, "Location") || !strings.Contains(expose, "ETag") {
		t.Errorf("exposed headers: %q", expose)
	}
	r304 := e.get("/taxonomies", append(origin, "If-None-Match", r.header.Get("ETag"))...)
	if r304.status != http.StatusNotModified || !slices.Contains(vary(r304), "Origin") {
		t.Errorf("304 with an Origin: %d, Vary %v", r304.status, vary(r304))
	}
	// A preflight is not an operation of the contract: sent as is.
	req, _ := http.NewRequest(http.MethodOptions, e.srv.URL+"/services", nil)
	req.Header.Set("Origin", "https://portal.example")
	req.Header.Set("Access-Control-Request-Method", "PUT")
	pre, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	pre.Body.Close()
	if pre.StatusCode != http.StatusNoContent || pre.Header.Get("Access-Control-Max-Age") == "" {
		t.Errorf("preflight: %d, headers %v", pre.StatusCode, pre.Header)
	}
}

// HEAD answers on GET routes with the GET's headers and no body, and Allow
// says so.
func TestHEAD(t *testing.T) {
	st := storetest.Open(t, storetest.Dialects[0])
	e := serveEnv(t, st, indexsynctest.Ready(t, st, indexsync.Options{}), 1<<20)
	req, _ := http.NewRequest(http.MethodPatch, e.srv.URL+"/taxonomies", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if allow := resp.Header.Get("Allow"); resp.StatusCode != 405 || !strings.Contains(allow, "HEAD") || !strings.Contains(allow, "GET") {
		t.Errorf("PATCH /taxonomies: %d, Allow %q", resp.StatusCode, allow)
	}
	get := e.get("/taxonomies")
	for _, path := range []string{"/taxonomies", "/healthz", "/openapi.json"} {
		resp, err := http.Head(e.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") == "" {
			t.Errorf("HEAD %s: %d %v", path, resp.StatusCode, resp.Header)
		}
		if path == "/taxonomies" && resp.Header.Get("ETag") != get.header.Get("ETag") {
			t.Errorf("HEAD's ETag %q is not GET's %q", resp.Header.Get("ETag"), get.header.Get("ETag"))
		}
	}
	headKeepsConnection(t, e.srv.URL)
}

// headKeepsConnection sends HEAD and then GET on one connection: the HEAD
// answer must end at its headers, or the GET's answer is read from the
// HEAD's body.
func headKeepsConnection(t *testing.T, base string) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "HEAD /taxonomies HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	head, err := http.ReadResponse(br, &http.Request{Method: http.MethodHead})
	if err != nil || head.StatusCode != 200 {
		t.Fatalf("HEAD /taxonomies on a kept-alive connection: %v %v", head, err)
	}
	get, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet})
	if err != nil {
		t.Fatalf("the GET after a HEAD on one connection: %v (the HEAD answer carried a body)", err)
	}
	body, _ := io.ReadAll(get.Body)
	if get.StatusCode != 200 || !strings.Contains(string(body), "ok") {
		t.Errorf("the GET after a HEAD: %d %q", get.StatusCode, body)
	}
}

// Every problem's type is a page of this server's, on its base URL, that
// says what the problem means.
func TestProblemTypes(t *testing.T) {
	st := storetest.Open(t, storetest.Dialects[0])
	e := serveEnv(t, st, indexsynctest.Ready(t, st, indexsync.Options{}), 1<<20)
	seen := map[string]bool{}
	for _, path := range []string{"/services/0b7f5c1e-8a52-4f55-9d4b-2d7f1c3e9a10", "/services?per_page=0", "/me", "/search?serves=NaN,NaN"} {
		r := e.get(path)
		var p problem
		r.json(t, &p)
		slug, ok := strings.CutPrefix(p.Type, "http://linkage.test/problems/")
		if !ok || strings.Trim(slug, "abcdefghijklmnopqrstuvwxyz-") != "" {
			t.Errorf("GET %s: problem type %q is not a slug on the base URL", path, p.Type)
			continue
		}
		seen[slug] = true
		var doc struct {
			Slug   string
			Status int
		}
		d := e.get("/problems/" + slug)
		d.json(t, &doc)
		if d.status != 200 || doc.Slug != slug || doc.Status != r.status {
			t.Errorf("GET /problems/%s: %d %+v, want the page of a %d", slug, d.status, doc, r.status)
		}
	}
	if len(seen) < 3 {
		t.Errorf("problem types seen: %v", seen)
	}
	if h := e.get("/problems/forbidden", "Accept", "text/html"); h.status != 200 || !strings.Contains(string(h.body), "<h1>Forbidden</h1>") {
		t.Errorf("the HTML page: %d %s", h.status, h.body)
	}
}

// POST /search takes a form, as curl -d sends it.
func TestSearchForm(t *testing.T) {
	e := newEnv(t, storetest.Dialects[0])
	r := e.do("POST", "/search", strings.NewReader("q=food&per_page=2"), "Content-Type", "application/x-www-form-urlencoded")
	var page struct {
		Total int `json:"total_items"`
	}
	r.json(t, &page)
	if r.status != 200 || page.Total == 0 {
		t.Fatalf("a form search for food: %d %s", r.status, r.body)
	}
}

// Answers are gzip-compressed for a client that asks, pages and streams.
func TestGzip(t *testing.T) {
	e := newEnv(t, storetest.Dialects[0])
	for _, path := range []string{"/services?per_page=50", "/services?format=ndjson"} {
		req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := http.DefaultTransport.RoundTrip(req) // no transparent decompression
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(resp.Body)
		if err != nil || resp.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("GET %s: %d, Content-Encoding %q: %v", path, resp.StatusCode, resp.Header.Get("Content-Encoding"), err)
		}
		body, err := io.ReadAll(zr)
		resp.Body.Close()
		if err != nil || !json.Valid(bytes.Split(bytes.TrimSpace(body), []byte("\n"))[0]) {
			t.Errorf("GET %s: the gzip body is not JSON: %v %.100s", path, err, body)
		}
	}
}

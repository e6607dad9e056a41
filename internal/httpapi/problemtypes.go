package httpapi

import (
	"bytes"
	"html/template"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/store"
)

// problemKind documents one problem type: every problem's type URI is
// <base URL>/problems/<slug>, and that page says what it means.
type problemKind struct {
	Slug   string `json:"slug"`
	Status int    `json:"status"`
	Title  string `json:"title"`
	Help   string `json:"description"`
}

// problemKinds are every problem type the API answers with, one per status.
var problemKinds = []problemKind{
	{"invalid-request", 400, "Bad Request", "A parameter or the body is malformed: `errors` names each parameter or JSON pointer and what to send instead."},
	{"unauthenticated", 401, "Unauthorized", "The route needs an API key (`Authorization: Bearer lnk_...`), or the key sent is unknown or revoked."},
	{"forbidden", 403, "Forbidden", "The key's role or agency may not do this, for example write a record of an organization its agency does not manage; `errors` points at the record."},
	{"not-found", 404, "Not Found", "No record has this id, or the caller may not see it, or the route does not exist."},
	{"method-not-allowed", 405, "Method Not Allowed", "The route does not take this method; the Allow header lists those it does."},
	{"conflict", 409, "Conflict", "The change conflicts with the current state, for example deleting an organization that still has services."},
	{"precondition-failed", 412, "Precondition Failed", "The record changed since the version in If-Match: GET it again and reapply the change."},
	{"too-large", 413, "Content Too Large", "The body or upload is over a limit; the detail names the limit and its setting."},
	{"unsupported-media-type", 415, "Unsupported Media Type", "The body's Content-Type is not one the route takes; the detail lists them."},
	{"unprocessable", 422, "Unprocessable Content", "The body is well-formed but not valid: `errors` names each JSON pointer and what is wrong."},
	{"precondition-required", 428, "Precondition Required", "Changing a record needs If-Match with the ETag of its current version, so no change is lost."},
	{"rate-limited", 429, "Too Many Requests", "Over the rate limit (or too many exports, streams or imports at once); wait for Retry-After."},
	{"internal", 500, "Internal Server Error", "A fault on the server; the instance names the request in the server's log. Nothing the client sent caused it."},
	{"not-implemented", 501, "Not Implemented", "The server does not do this (yet)."},
	{"unavailable", 503, "Service Unavailable", "The server cannot serve now (the database is unreachable, the search index is being rebuilt, or no data key is set); try again later."},
}

// slug names the problem type of a status.
func slug(status int) string {
	for _, k := range problemKinds {
		if k.Status == status {
			return k.Slug
		}
	}
	if status >= 500 {
		return "internal"
	}
	return "invalid-request"
}

var problemPage = template.Must(template.New("problem").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} ({{.Status}}) · Linkage API problems</title></head>
<body><h1>{{.Title}}</h1><p>HTTP status {{.Status}}. Problem type <code>{{.Slug}}</code>.</p><p>{{.Help}}</p>
<p>Every Linkage error is an RFC 9457 problem (<code>application/problem+json</code>); its <code>type</code> is this page.</p></body></html>
`))

// problemDoc answers GET /problems/{slug}: what a problem type means, as
// JSON or, for a browser, HTML.
func (h *handler) problemDoc(c echo.Context) error {
	name := c.Param("slug")
	for _, k := range problemKinds {
		if k.Slug != name {
			continue
		}
		c.Response().Header().Add("Vary", "Accept")
		if !strings.Contains(c.Request().Header.Get("Accept"), "text/html") {
			return writeJSON(c, http.StatusOK, k)
		}
		var page bytes.Buffer
		if err := problemPage.Execute(&page, k); err != nil {
			return err
		}
		etag := etagOf(page.Bytes())
		hdr := c.Response().Header()
		hdr.Set("ETag", etag)
		hdr.Set("Cache-Control", publicCache)
		if store.ETagMatch(c.Request().Header.Get("If-None-Match"), etag) {
			return c.NoContent(http.StatusNotModified)
		}
		return c.HTMLBlob(http.StatusOK, page.Bytes())
	}
	return apperr.E(apperr.NotFound, "There is no problem type %q; GET /problems/invalid-request is one.", clip(name))
}

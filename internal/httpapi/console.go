package httpapi

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// consolePath is where the staff console is served.
const consolePath = "/app"

// mountConsole serves the console (built by Deps.Console around this
// server's own handler, its in-process API) under /app, and sends a
// browser that opens / there. The console keeps its own sessions, CSRF
// checks and headers; the API's key authentication and OpenAPI
// validation do not apply to its pages, only to the API calls it makes.
func (h *handler) mountConsole(e *echo.Echo, build func(api http.Handler) http.Handler) {
	if build == nil {
		return
	}
	con := echo.WrapHandler(build(e))
	e.Any(consolePath, con)
	e.Any(consolePath+"/*", con)
}

// wantsHTML says whether a request for / comes from a browser (its Accept
// names text/html before JSON): the console, not the API's description.
func wantsHTML(r *http.Request) bool {
	acc := r.Header.Get("Accept")
	html := strings.Index(acc, "text/html")
	if html < 0 {
		return false
	}
	js := strings.Index(acc, "json")
	return js < 0 || html < js
}

// root answers / with the API's description, or a browser with the console.
func (h *handler) root(hasConsole bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		if hasConsole && wantsHTML(c.Request()) {
			return c.Redirect(http.StatusSeeOther, consolePath+"/")
		}
		return h.apiMeta(c)
	}
}

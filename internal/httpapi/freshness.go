package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/csvsafe"
	"github.com/linkage-org/linkage/internal/importer"
	"github.com/linkage-org/linkage/internal/store"
)

// verifyBody is what POST /services/{id}/verify takes.
type verifyBody struct {
	AssurerEmail string `json:"assurer_email"`
}

// verifyService records that the owning agency confirmed a listing is
// current (store.VerifyService). It needs no If-Match: it asserts the
// current version, it does not replace it.
func (h *handler) verifyService(c echo.Context) error {
	if _, err := writer(c); err != nil {
		return err
	}
	id, err := writeID(c, "service")
	if err != nil {
		return err
	}
	var b verifyBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	w, err := h.store.VerifyService(c.Request().Context(), actorOf(c), id, b.AssurerEmail)
	if err != nil {
		return err
	}
	return h.answerService(c, http.StatusOK, w)
}

// maxStale bounds a stale report.
const maxStale = 10000

// staleReport answers GET /reports/stale?older_than=180d&format=json|csv:
// services neither changed nor verified within the window. Admins see every
// agency's (and unmanaged ones); an agency key sees its own.
func (h *handler) staleReport(c echo.Context) error {
	p := principal(c)
	if !p.Authenticated() {
		return allow(auth.Unauthenticated)
	}
	if p.Role != auth.Admin && p.Role != auth.Agency {
		return allow(auth.Forbidden)
	}
	q := c.QueryParams()
	var fe apperr.FieldErrors
	for k := range q {
		if k != "older_than" && k != "format" {
			fe = append(fe, apperr.FieldError{Parameter: k, Message: "is not a parameter of this route; it takes older_than, format"})
		}
	}
	window, err := parseDays(q.Get("older_than"), 180)
	if err != nil {
		fe = append(fe, apperr.FieldError{Parameter: "older_than", Message: err.Error()})
	}
	format := q.Get("format")
	if format == "" {
		format = "json"
	}
	if format != "json" && format != "csv" {
		fe = append(fe, apperr.FieldError{Parameter: "format", Message: "must be json or csv"})
	}
	if len(fe) > 0 {
		return apperr.WithFields(apperr.Invalid, "Some parameters are not valid; see errors.", fe)
	}
	now := h.now().UTC()
	cutoff := now.Add(-time.Duration(window) * 24 * time.Hour)
	agency := ""
	if p.Role == auth.Agency {
		agency = p.AgencyID
	}
	rows, err := h.store.StaleServices(c.Request().Context(), cutoff, agency, maxStale)
	if err != nil {
		return err
	}
	if rows == nil {
		rows = []store.StaleService{}
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	if format == "csv" {
		c.Response().Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
		c.Response().Header().Set("Content-Disposition", `attachment; filename="stale-services.csv"`)
		c.Response().WriteHeader(http.StatusOK)
		w := csvsafe.NewWriter(c.Response())
		_ = w.Write([]string{"id", "name", "organization_id", "organization_name", "agency_id", "last_modified", "assured_date", "days_since"})
		for _, r := range rows {
			ag := ""
			if r.AgencyID != nil {
				ag = *r.AgencyID
			}
			_ = w.Write([]string{r.ID, r.Name, r.OrganizationID, r.OrganizationName, ag, r.LastModified.Format(time.RFC3339),
				r.AssuredDate, strconv.Itoa(daysSince(r, now))})
		}
		w.Flush()
		return w.Error()
	}
	type item struct {
		store.StaleService
		DaysSince int `json:"days_since"`
	}
	items := make([]item, len(rows))
	for i, r := range rows {
		items[i] = item{r, daysSince(r, now)}
	}
	return c.JSON(http.StatusOK, map[string]any{"older_than_days": window, "as_of": now.Format(time.RFC3339), "cutoff": cutoff.Format(time.RFC3339),
		"total": len(items), "truncated": len(items) == maxStale, "services": items})
}

// daysSince is how long ago a service was last changed or verified.
func daysSince(r store.StaleService, now time.Time) int {
	last := r.LastModified
	if d, err := time.Parse(time.DateOnly, r.AssuredDate); err == nil && d.After(last) {
		last = d
	}
	return int(now.Sub(last).Hours() / 24)
}

// parseDays reads a window such as "180d" (or a bare number of days).
func parseDays(v string, def int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSuffix(v, "d"))
	if err != nil || n < 1 || n > 3650 {
		return 0, fmt.Errorf("must be a number of days from 1 to 3650, such as 180d, got %q", clip(v))
	}
	return n, nil
}

// maxExports bounds the exports one process streams at once.
const maxExports = 2

// defaultExportStall is how long an export waits for a client that does
// not read.
const defaultExportStall = 30 * time.Second

// stallWriter gives each write a deadline: a reader that stalls for longer
// than stall fails the write, and the export ends.
type stallWriter struct {
	http.ResponseWriter
	rc    *http.ResponseController
	stall time.Duration
}

func (w *stallWriter) Write(b []byte) (int, error) {
	// Servers that cannot set deadlines (tests' recorders) write as before.
	// A connection deadline is wall-clock time, not the injected clock.
	_ = w.rc.SetWriteDeadline(time.Now().Add(w.stall))
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *stallWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *stallWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// export answers GET /export?format=json|csv: the whole public directory,
// streamed as JSON Lines or as an HSDS tabular data package (.zip).
func (h *handler) export(c echo.Context) error {
	format := c.QueryParam("format")
	if format == "" {
		format = "json"
	}
	for k := range c.QueryParams() {
		if k != "format" {
			return apperr.WithFields(apperr.Invalid, "Some parameters are not valid; see errors.", apperr.FieldErrors{{Parameter: k, Message: "is not a parameter of this route; it takes format"}})
		}
	}
	// A whole-directory export is heavy: a few at a time per process.
	// Callers with a key have a slot of their own, so anonymous clients
	// cannot hold every slot.
	slot := h.exports
	if principal(c).Authenticated() {
		select {
		case h.keyedExports <- struct{}{}:
			slot = h.keyedExports
		default:
		}
	}
	if slot == h.exports {
		select {
		case h.exports <- struct{}{}:
		default:
			c.Response().Header().Set("Retry-After", "30")
			return apperr.E(apperr.RateLimited, "Other exports are running; try again in a minute.")
		}
	}
	defer func() { <-slot }()
	// One at a time per client address, so two callers cannot hold both.
	addr := c.RealIP()
	if _, busy := h.exporting.LoadOrStore(addr, true); busy {
		c.Response().Header().Set("Retry-After", "30")
		return apperr.E(apperr.RateLimited, "An export of yours is running; wait for it to finish.")
	}
	defer h.exporting.Delete(addr)
	ctx := c.Request().Context()
	res := c.Response()
	res.Header().Set("Cache-Control", "no-store")
	// A client that stops reading loses its export after exportStall,
	// instead of holding a slot for as long as it likes.
	res.Writer = &stallWriter{ResponseWriter: res.Writer, rc: http.NewResponseController(res.Writer), stall: h.exportStall}
	var run func(ctx context.Context) error
	switch format {
	case "json":
		res.Header().Set(echo.HeaderContentType, "application/x-ndjson")
		res.Header().Set("Content-Disposition", `attachment; filename="linkage-directory.jsonl"`)
		run = func(ctx context.Context) error { _, err := importer.ExportJSONLines(ctx, h.store, res); return err }
	case "csv":
		res.Header().Set(echo.HeaderContentType, "application/zip")
		res.Header().Set("Content-Disposition", `attachment; filename="linkage-directory.zip"`)
		run = func(ctx context.Context) error { _, err := importer.ExportZip(ctx, h.store, res); return err }
	default:
		return apperr.WithFields(apperr.Invalid, "Some parameters are not valid; see errors.", apperr.FieldErrors{{Parameter: "format", Message: "must be json or csv"}})
	}
	res.WriteHeader(http.StatusOK)
	return run(ctx)
}

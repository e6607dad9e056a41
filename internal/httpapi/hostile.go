package httpapi

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/jsonlimit"
)

// Cheap refusals, before anything expensive reads a request: too many
// query parameters, a query or JSON body that is not text, JSON nested too
// deep or holding too many values, a JSON body too large to validate fast,
// and (in validateRequest) a route that needs a key called without one.

const (
	// maxQueryParams bounds a query string. Go's parser gives up (and
	// Echo then sees no parameters at all) at 10,000; no route takes more
	// than a few dozen.
	maxQueryParams = 200
	// maxJSONDepth bounds nesting: an HSDS service is 5 levels deep.
	maxJSONDepth = 64
	// maxJSONValues bounds the values of one JSON body: a large service
	// with every child is a few thousand. (50,000 cost 65 ms to validate.)
	maxJSONValues = 20000
	// maxJSONKeys bounds the keys of one object: an HSDS record has a few
	// dozen fields; validating thousands of unknown ones is what costs.
	maxJSONKeys = 1000
	// DefaultMaxJSONBytes bounds a JSON body (uploads of files have their
	// own limit): large enough for any one record, small enough that
	// schema validation of any shape stays in milliseconds.
	DefaultMaxJSONBytes = 1 << 20
)

// checkQuery refuses a query string with more than maxQueryParams
// parameters, one that does not parse, and any name or value that is not
// text (a NUL, invalid UTF-8): a 400 naming the parameter, never a silent
// drop or a database error.
func checkQuery(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		raw := c.Request().URL.RawQuery
		if raw == "" {
			return next(c)
		}
		if n := strings.Count(raw, "&") + 1; n > maxQueryParams {
			return apperr.E(apperr.Invalid, "The query string has %d parameters; at most %d are accepted.", n, maxQueryParams)
		}
		vals, err := url.ParseQuery(raw)
		if err != nil {
			return apperr.E(apperr.Invalid, "The query string is not valid (%s): escape %%, & and = in values.", clip(err.Error()))
		}
		var fe apperr.FieldErrors
		for name, vs := range vals {
			if msg := notText(name); msg != "" {
				fe = append(fe, apperr.FieldError{Parameter: clip(strings.ToValidUTF8(strings.ReplaceAll(name, "\x00", ""), "?")), Message: "the name " + msg})
				continue
			}
			for _, v := range vs {
				if msg := notText(v); msg != "" {
					fe = append(fe, apperr.FieldError{Parameter: name, Message: msg})
					break
				}
			}
		}
		if len(fe) > 0 {
			return apperr.WithFields(apperr.Invalid, "The query string holds text that is not text.", fe)
		}
		return next(c)
	}
}

// notText says why s is not acceptable text ("" if it is).
func notText(s string) string {
	switch {
	case strings.IndexByte(s, 0) >= 0:
		return "contains a NUL character (%00); send text without it"
	case !utf8.ValidString(s):
		return "is not valid UTF-8; send UTF-8 text, percent-encoded"
	}
	return ""
}

// needsKey says whether an operation is for callers with a key only.
func needsKey(op *openapi3.Operation) bool {
	if op == nil || op.Security == nil || len(*op.Security) == 0 {
		return false
	}
	for _, req := range *op.Security {
		if len(req) == 0 {
			return false // {}: anonymous allowed
		}
	}
	return true
}

// refuseAnonymous answers 401 at once for a route that needs a key, so an
// anonymous caller costs no validation of the body it sent.
func refuseAnonymous(c echo.Context, op *openapi3.Operation) error {
	if needsKey(op) && !principal(c).Authenticated() {
		return allow(auth.Unauthenticated)
	}
	return nil
}

// isJSON says whether a media type is JSON.
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == echo.MIMEApplicationJSON || strings.HasSuffix(mt, "+json"))
}

// checkJSONBody reads a JSON body once, refuses it if it is larger than
// maxBytes, not JSON, nested too deep, too many values or not text, and
// puts it back for the validation and the handler.
func checkJSONBody(req *http.Request, maxBytes int64) error {
	if req.Body == nil || req.Body == http.NoBody || !isJSON(req.Header.Get(echo.HeaderContentType)) {
		return nil
	}
	if req.ContentLength > maxBytes {
		return jsonTooLarge(req.ContentLength, maxBytes)
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, maxBytes+1))
	if err != nil {
		return err // a body over LINKAGE_MAX_BODY_BYTES: 413
	}
	if int64(len(body)) > maxBytes {
		return jsonTooLarge(-1, maxBytes)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	if len(bytes.TrimSpace(body)) == 0 {
		return nil // the handler says a body is needed
	}
	jerr := jsonlimit.Check(body, jsonlimit.Limits{Depth: maxJSONDepth, Values: maxJSONValues, Keys: maxJSONKeys})
	if jerr == nil {
		return nil
	}
	fe := apperr.FieldErrors{{Pointer: jerr.Pointer, Message: jerr.Msg}}
	switch jerr.Kind {
	case jsonlimit.Text:
		return apperr.WithFields(apperr.Unprocessable, "The body holds text that is not text.", fe)
	case jsonlimit.Limit:
		return apperr.WithFields(apperr.Invalid, "The body is too complex: "+jerr.Msg+".", fe)
	}
	return apperr.WithFields(apperr.Invalid, "The body is not valid JSON: "+jerr.Msg+".", fe)
}

func jsonTooLarge(n, max int64) error {
	if n < 0 {
		return apperr.E(apperr.TooLarge, "The JSON body is larger than the limit of %d bytes (LINKAGE_MAX_JSON_BYTES); send one record at a time, or a file to POST /imports.", max)
	}
	return apperr.E(apperr.TooLarge, "The JSON body is %d bytes; the limit is %d bytes (LINKAGE_MAX_JSON_BYTES); send one record at a time, or a file to POST /imports.", n, max)
}

// Streams (format=ndjson lists and searches) hold a batch of records and a
// connection for as long as the client reads, so they are bounded like
// exports: a few at a time per client address, a cap per server, and a
// client that stops reading loses its stream after the stall time.
const (
	maxStreamsPerAddr = 2
	maxStreams        = 16
)

// streamSlots counts the streams running, per client address.
type streamSlots struct {
	mu     sync.Mutex
	byAddr map[string]int
	total  int
}

func (s *streamSlots) take(addr string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byAddr == nil {
		s.byAddr = map[string]int{}
	}
	if s.total >= maxStreams || s.byAddr[addr] >= maxStreamsPerAddr {
		return false
	}
	s.total++
	s.byAddr[addr]++
	return true
}

func (s *streamSlots) give(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total--
	if s.byAddr[addr]--; s.byAddr[addr] <= 0 {
		delete(s.byAddr, addr)
	}
}

// limitStreams bounds ndjson streams (see streamSlots).
func (h *handler) limitStreams(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Request().Method != http.MethodGet || !strings.EqualFold(c.QueryParam("format"), "ndjson") {
			return next(c)
		}
		addr := c.RealIP()
		if !h.streams.take(addr) {
			c.Response().Header().Set("Retry-After", "10")
			return apperr.E(apperr.RateLimited, "Too many streams are running (at most %d per client address, %d in all); finish one, or read pages instead.", maxStreamsPerAddr, maxStreams)
		}
		defer h.streams.give(addr)
		res := c.Response()
		res.Writer = &stallWriter{ResponseWriter: res.Writer, rc: http.NewResponseController(res.Writer), stall: h.exportStall}
		return next(c)
	}
}

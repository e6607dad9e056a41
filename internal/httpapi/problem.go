package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/linkage-org/linkage/internal/apperr"
)

// Problem is an RFC 9457 problem detail.
type Problem struct {
	Type     string              `json:"type"`
	Title    string              `json:"title"`
	Status   int                 `json:"status"`
	Detail   string              `json:"detail,omitempty"`
	Instance string              `json:"instance,omitempty"`
	Errors   []apperr.FieldError `json:"errors,omitempty"`
}

// problemType starts the type of every problem; errorHandler puts the
// server's base URL before it, where GET /problems/{slug} documents it.
const problemType = "/problems/"

// statusOf is the one table from error kinds to HTTP statuses.
var statusOf = map[apperr.Kind]int{
	apperr.Invalid:              http.StatusBadRequest,
	apperr.Unprocessable:        http.StatusUnprocessableEntity,
	apperr.Unauthenticated:      http.StatusUnauthorized,
	apperr.Forbidden:            http.StatusForbidden,
	apperr.NotFound:             http.StatusNotFound,
	apperr.Conflict:             http.StatusConflict,
	apperr.PreconditionFailed:   http.StatusPreconditionFailed,
	apperr.PreconditionRequired: http.StatusPreconditionRequired,
	apperr.TooLarge:             http.StatusRequestEntityTooLarge,
	apperr.Unsupported:          http.StatusUnsupportedMediaType,
	apperr.RateLimited:          http.StatusTooManyRequests,
	apperr.NotImplemented:       http.StatusNotImplemented,
	apperr.Unavailable:          http.StatusServiceUnavailable,
}

// problemFor turns any error into a problem. Internal errors get a generic
// detail: their text may hold SQL or paths a client must not see.
func problemFor(err error) Problem {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		p := Problem{Status: he.Code, Title: http.StatusText(he.Code)}
		switch he.Code {
		case http.StatusNotFound:
			p.Detail = "There is no such route. GET /openapi.json lists every route."
		case http.StatusMethodNotAllowed:
			p.Detail = "This route does not accept that method; the Allow header lists the ones it does."
		case http.StatusRequestEntityTooLarge:
			p.Detail = "The request body is larger than this server accepts."
		default:
			p.Detail = fmt.Sprint(he.Message)
		}
		p.Type = problemType + slug(p.Status)
		return p
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return Problem{Type: problemType + "too-large", Title: http.StatusText(413), Status: 413,
			Detail: fmt.Sprintf("The request body is larger than the limit of %d bytes (LINKAGE_MAX_BODY_BYTES).", mbe.Limit)}
	}
	if e, ok := apperr.As(err); ok && e.Kind != apperr.Internal {
		st := statusOf[e.Kind]
		if st == 0 {
			st = http.StatusInternalServerError
		}
		return Problem{Type: problemType + slug(st), Title: http.StatusText(st), Status: st, Detail: e.Msg, Errors: e.Fields}
	}
	return Problem{Type: problemType + "internal", Title: http.StatusText(500), Status: 500,
		Detail: "Something went wrong on our side. The request id identifies it in our logs."}
}

// errorHandler writes every error as problem+json and logs server faults.
func (h *handler) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		// A stream already started: the status is sent, all we can do is log.
		h.log.ErrorContext(c.Request().Context(), "error after response started", "err", err, "request_id", requestID(c))
		return
	}
	p := problemFor(err)
	p.Type = h.baseURL + p.Type
	if allow := c.Response().Header().Get(echo.HeaderAllow); strings.Contains(allow, http.MethodGet) && !strings.Contains(allow, http.MethodHead) {
		c.Response().Header().Set(echo.HeaderAllow, allow+", "+http.MethodHead) // headAsGet answers it
	}
	p.Instance = "urn:request:" + requestID(c)
	if p.Status >= 500 && p.Status != http.StatusNotImplemented && p.Status != http.StatusServiceUnavailable {
		h.log.ErrorContext(c.Request().Context(), "request failed", "err", err, "request_id", requestID(c), "route", c.Path())
	}
	writeProblem(c, p)
}

func writeProblem(c echo.Context, p Problem) {
	body, err := json.Marshal(p)
	if err != nil {
		body = []byte(`{"type":"about:blank","title":"Internal Server Error","status":500}`)
		p.Status = 500
	}
	c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
	c.Response().Header().Del("ETag")
	c.Response().Header().Set("Cache-Control", "no-store")
	if p.Status == http.StatusUnauthorized {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="linkage"`)
	}
	if c.Request().Method == http.MethodHead {
		c.Response().WriteHeader(p.Status)
		return
	}
	c.Response().WriteHeader(p.Status)
	_, _ = c.Response().Write(body)
}

func requestID(c echo.Context) string {
	return c.Response().Header().Get(echo.HeaderXRequestID)
}

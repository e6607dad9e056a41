package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/linkage-org/linkage/internal/apperr"
)

// apiError is a problem the API answered: what the page shows, next to
// the fields it names.
type apiError struct {
	Status int
	Title  string
	Detail string
	Errors []fieldProblem
}

type fieldProblem struct {
	Pointer   string `json:"pointer"`
	Parameter string `json:"parameter"`
	Message   string `json:"message"`
}

func (e *apiError) Error() string {
	if e.Detail != "" {
		return e.Detail
	}
	return e.Title
}

// Field is the message of the problem about the field at JSON pointer or
// query parameter name (the first whose pointer starts with it).
func (e *apiError) Field(name string) string {
	if e == nil {
		return ""
	}
	for _, f := range e.Errors {
		if f.Parameter == name || f.Pointer == name || (strings.HasPrefix(name, "/") && strings.HasPrefix(f.Pointer, name+"/")) {
			return f.Message
		}
	}
	return ""
}

// recorder is the answer of an in-process API call.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(s int) {
	if r.status == 0 {
		r.status = s
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

// call is one API request as the person signed in to r: method path with
// query and, unless nil, body as JSON; the answer decodes into out (unless
// nil). A problem answer is an *apiError. header adds request headers
// (If-Match); the answer's headers are returned.
func (c *Console) call(r *http.Request, s *session, method, path string, query url.Values, body any, out any, header ...string) (http.Header, error) {
	if body == nil {
		return c.callRaw(r, s, method, path, query, "", nil, out, header...)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("console: encode %s %s: %w", method, path, err)
	}
	return c.callRaw(r, s, method, path, query, "application/json", bytes.NewReader(b), out, header...)
}

// callRaw is call with a body of contentType as it is (an upload).
func (c *Console) callRaw(r *http.Request, s *session, method, path string, query url.Values, contentType string, body io.Reader, out any, header ...string) (http.Header, error) {
	if body == nil {
		body = http.NoBody
	}
	u := path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	ctx := r.Context()
	if s != nil {
		ctx = c.d.AsPrincipal(ctx, s.principal)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("console: request %s %s: %w", method, path, err)
	}
	// The API sees the browser's address (audit lines, limits) as it
	// would a direct client's, through the same proxy rules.
	req.RemoteAddr = r.RemoteAddr
	if fwd := r.Header.Values("X-Forwarded-For"); len(fwd) > 0 {
		req.Header["X-Forwarded-For"] = fwd
	}
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := &recorder{header: http.Header{}}
	c.api.ServeHTTP(rec, req)
	if rec.status >= 400 {
		return rec.header, problemOf(rec)
	}
	if raw, ok := out.(*[]byte); ok {
		*raw = rec.body.Bytes()
		return rec.header, nil
	}
	if out != nil && rec.body.Len() > 0 {
		if err := json.Unmarshal(rec.body.Bytes(), out); err != nil {
			return rec.header, fmt.Errorf("console: decode %s %s: %w", method, path, err)
		}
	}
	return rec.header, nil
}

func problemOf(rec *recorder) error {
	var p struct {
		Title  string         `json:"title"`
		Detail string         `json:"detail"`
		Errors []fieldProblem `json:"errors"`
	}
	_ = json.Unmarshal(rec.body.Bytes(), &p)
	return &apiError{Status: rec.status, Title: p.Title, Detail: p.Detail, Errors: p.Errors}
}

// get is call with GET.
func (c *Console) get(r *http.Request, s *session, path string, query url.Values, out any) error {
	_, err := c.call(r, s, http.MethodGet, path, query, nil, out)
	return err
}

// userProblem is err when it is a problem of the person's request (4xx),
// which the page shows; nil for a failure of ours.
func userProblem(err error) *apiError {
	if ae, ok := err.(*apiError); ok && ae.Status < 500 {
		return ae
	}
	return nil
}

// asProblem is a store error as the page shows a problem: a person's
// mistake with its sentence, anything else as it is (a failure).
func asProblem(err error) error {
	var e *apperr.Error
	if !errors.As(err, &e) {
		return err
	}
	status := map[apperr.Kind]int{apperr.Invalid: 400, apperr.Unprocessable: 422, apperr.Forbidden: 403,
		apperr.NotFound: 404, apperr.Conflict: 409}[e.Kind]
	if status == 0 {
		return err
	}
	p := &apiError{Status: status, Detail: e.Msg}
	for _, f := range e.Fields {
		p.Errors = append(p.Errors, fieldProblem{Pointer: f.Pointer, Parameter: f.Parameter, Message: f.Message})
	}
	return p
}

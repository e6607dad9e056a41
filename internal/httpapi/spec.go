package httpapi

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/labstack/echo/v4"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/openapi"
)

// spec is our OpenAPI document, loaded once, and the router kin-openapi
// uses to find the operation of a request.
type spec struct {
	doc    *openapi3.T
	router routers.Router
	json   []byte
	query  map[*openapi3.Operation]queryParams
}

func loadSpec() (*spec, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openapi.YAML)
	if err != nil {
		return nil, fmt.Errorf("httpapi: load openapi.yaml: %w", err)
	}
	// The examples are the contract test's to check (openapi/), not every
	// start's: validating them doubles the time a server takes to start.
	if err := doc.Validate(context.Background(), openapi3.DisableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("httpapi: openapi.yaml is not valid: %w", err)
	}
	js, err := doc.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("httpapi: openapi.yaml to JSON: %w", err)
	}
	// Without servers the router matches any host (we run behind proxies).
	doc.Servers = nil
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("httpapi: openapi router: %w", err)
	}
	sp := &spec{doc: doc, router: r, json: js, query: map[*openapi3.Operation]queryParams{}}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			sp.query[op] = takesQuery(item, op)
		}
	}
	return sp, nil
}

// queryParams are the query parameters an operation takes: name → whether
// it may repeat (an exploded array).
type queryParams map[string]bool

// takesQuery lists the query parameters of op: those the document declares
// (on the path or the operation) and, for an operation that takes a form,
// the form's fields, which may travel in the query string too.
func takesQuery(item *openapi3.PathItem, op *openapi3.Operation) queryParams {
	q := queryParams{}
	for _, params := range []openapi3.Parameters{item.Parameters, op.Parameters} {
		for _, ref := range params {
			if p := ref.Value; p != nil && p.In == openapi3.ParameterInQuery {
				explode := p.Explode == nil || *p.Explode
				q[p.Name] = explode && p.Schema != nil && p.Schema.Value != nil && p.Schema.Value.Type.Is(openapi3.TypeArray)
			}
		}
	}
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		for _, mt := range []string{"multipart/form-data", "application/x-www-form-urlencoded"} {
			if m := op.RequestBody.Value.Content.Get(mt); m != nil && m.Schema != nil && m.Schema.Value != nil {
				for name := range m.Schema.Value.Properties {
					if _, ok := q[name]; !ok {
						q[name] = false
					}
				}
			}
		}
	}
	return q
}

// check refuses a query parameter the operation does not take,
// and one given twice that is not a list: the document lists every
// parameter, so a misspelt filter is a 400 that names it, never silently
// ignored.
func (q queryParams) check(v url.Values) error {
	var fe apperr.FieldErrors
	names := make([]string, 0, len(v))
	for k := range v {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		repeats, ok := q[k]
		switch {
		case !ok && len(q) == 0:
			fe = append(fe, apperr.FieldError{Parameter: k, Message: "is not a parameter of this route; it takes none"})
		case !ok:
			takes := make([]string, 0, len(q))
			for name := range q {
				takes = append(takes, name)
			}
			sort.Strings(takes)
			fe = append(fe, apperr.FieldError{Parameter: k, Message: "is not a parameter of this route; it takes " + strings.Join(takes, ", ")})
		case len(v[k]) > 1 && !repeats:
			fe = append(fe, apperr.FieldError{Parameter: k, Message: "is given more than once; separate several values with commas where a list is taken"})
		}
	}
	if len(fe) > 0 {
		return apperr.WithFields(apperr.Invalid, "Some parameters are not valid; see errors.", fe)
	}
	return nil
}

// validateRequest checks parameters and bodies against the OpenAPI document
// before a handler runs, and reports every violation in one 400.
func (h *handler) validateRequest(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		route, params, err := h.spec.router.FindRoute(req)
		if err != nil {
			// Unknown path or method: Echo's router answers 404 or 405.
			return next(c)
		}
		if err := refuseAnonymous(c, route.Operation); err != nil {
			return err
		}
		if err := h.spec.query[route.Operation].check(req.URL.Query()); err != nil {
			return err
		}
		if err := contentTypeAllowed(req, route.Operation); err != nil {
			return err
		}
		if err := checkJSONBody(req, h.maxJSON); err != nil {
			return err
		}
		in := &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
				// Validating a multipart body buffers all of it, file parts as
				// strings, for the whole request: an upload (POST /imports)
				// is checked by its handler, which streams it to disk.
				ExcludeRequestBody: strings.HasPrefix(req.Header.Get(echo.HeaderContentType), echo.MIMEMultipartForm)},
		}
		if err := openapi3filter.ValidateRequest(req.Context(), in); err != nil {
			return requestProblem(err)
		}
		return next(c)
	}
}

// contentTypeAllowed answers 415 for a body of a media type the operation
// does not take, naming those it does.
func contentTypeAllowed(req *http.Request, op *openapi3.Operation) error {
	if op == nil || op.RequestBody == nil || op.RequestBody.Value == nil || req.Body == nil || req.Body == http.NoBody || req.ContentLength == 0 {
		return nil
	}
	ct := req.Header.Get("Content-Type")
	if ct == "" {
		return nil // the handler says what it needs
	}
	mt, _, err := mime.ParseMediaType(ct)
	content := op.RequestBody.Value.Content
	if err == nil && content.Get(mt) != nil {
		return nil
	}
	types := make([]string, 0, len(content))
	for t := range content {
		types = append(types, t)
	}
	sort.Strings(types)
	return apperr.E(apperr.Unsupported, "The request body must be %s, not %q.", strings.Join(types, " or "), ct)
}

// requestProblem turns kin-openapi's errors into one Invalid error naming
// each parameter or body field.
func requestProblem(err error) error {
	var fields apperr.FieldErrors
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return apperr.E(apperr.TooLarge, "The request body is larger than the limit of %d bytes.", mbe.Limit)
	}
	unsupported := false
	var collect func(error)
	collect = func(err error) {
		switch x := err.(type) {
		case openapi3.MultiError:
			for _, e := range x {
				collect(e)
			}
			return
		case *openapi3filter.RequestError:
			if x.Parameter != nil {
				fields = append(fields, apperr.FieldError{Parameter: x.Parameter.Name, Message: reason(x.Err, x.Reason)})
				return
			}
			if x.RequestBody != nil {
				// A schema failure first: its message quotes the schema,
				// whose descriptions may well say "content type".
				var se *openapi3.SchemaError
				if errors.As(x.Err, &se) {
					se = allOfCause(se)
					fields = append(fields, unknownFieldAt(schemaPointer(se), se))
					return
				}
				if strings.Contains(x.Error(), "Content-Type") || strings.Contains(x.Error(), "content type") {
					unsupported = true
					return
				}
				fields = append(fields, apperr.FieldError{Pointer: "", Message: reason(x.Err, x.Reason)})
				return
			}
			if strings.Contains(x.Error(), "Content-Type") {
				unsupported = true
				return
			}
		}
		fields = append(fields, apperr.FieldError{Message: err.Error()})
	}
	collect(err)
	if unsupported && len(fields) == 0 {
		return apperr.E(apperr.Unsupported, "The request body must be application/json or application/x-www-form-urlencoded.")
	}
	if len(fields) == 0 {
		fields = append(fields, apperr.FieldError{Message: err.Error()})
	}
	return apperr.WithFields(apperr.Invalid, "The request does not match the API description; see errors for each parameter.", fields)
}

// schemaPointer is the JSON pointer of a schema failure ("" is the body).
func schemaPointer(se *openapi3.SchemaError) string {
	var b strings.Builder
	for _, k := range se.JSONPointer() {
		b.WriteString("/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(k))
	}
	return b.String()
}

// unsupportedRe is kin-openapi's reason for a member an object does not
// take (additionalProperties: false).
var unsupportedRe = regexp.MustCompile(`^property "(.*)" is unsupported$`)

// unknownFieldAt is the field error of a schema failure at ptr: a member
// the object does not take is pointed at itself (/client/income), not at
// the object around it.
func unknownFieldAt(ptr string, se *openapi3.SchemaError) apperr.FieldError {
	if m := unsupportedRe.FindStringSubmatch(se.Reason); m != nil {
		return apperr.FieldError{Pointer: ptr + "/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(m[1]), Message: "is not a field here; see the API description for the fields this object takes"}
	}
	return apperr.FieldError{Pointer: ptr, Message: plainReason(se.Reason)}
}

// plainReason is a schema failure's reason in a person's words: formats
// with an example, never a regular expression or a Go type.
func plainReason(r string) string {
	switch {
	case strings.Contains(r, `format "date-time"`):
		return "must be a date-time such as 2026-12-08T15:00:00Z (with Z or an offset such as -05:00)"
	case strings.Contains(r, `format "date"`):
		return "must be a date such as 2026-12-08"
	case strings.Contains(r, `format "uuid"`):
		return "must be an id (a UUID such as 3f0c2a9e-7d7b-4c55-9a53-0d6a1f5e2b71)"
	case strings.Contains(r, "json.Number"), strings.Contains(r, "float64"):
		return "must be a number in the usual range"
	case strings.Contains(r, "doesn't match pattern"):
		return "is not in the expected form; see the field's description in the API"
	}
	return r
}

// allOfCause is the first failure under an allOf failure: "doesn't match
// all schemas from allOf" says nothing a client can act on, what the part
// it failed says does (kin-openapi gives it the full pointer).
func allOfCause(se *openapi3.SchemaError) *openapi3.SchemaError {
	for se.SchemaField == "allOf" && se.Origin != nil {
		var inner *openapi3.SchemaError
		if !errors.As(se.Origin, &inner) || inner == se {
			break
		}
		se = inner
	}
	return se
}

func reason(err error, fallback string) string {
	var me openapi3.MultiError
	if errors.As(err, &me) && len(me) > 0 {
		err = me[0]
	}
	var pe *openapi3filter.ParseError
	if errors.As(err, &pe) && strings.HasPrefix(pe.Reason, "an invalid ") {
		// "an invalid integer: invalid syntax" in JSON Schema's words.
		want := map[string]string{"integer": "an integer", "number": "a number", "boolean": "true or false"}[strings.TrimPrefix(pe.Reason, "an invalid ")]
		if want != "" {
			return fmt.Sprintf("must be %s, got %q", want, clip(fmt.Sprint(pe.Value)))
		}
	}
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		se = allOfCause(se)
		if se.Reason != "" {
			return plainReason(se.Reason)
		}
	}
	if err != nil {
		msg := err.Error()
		// kin-openapi prefixes nested messages; keep the last, most specific part.
		if i := strings.LastIndex(msg, ": "); i >= 0 && i+2 < len(msg) {
			return msg[i+2:]
		}
		return msg
	}
	return fallback
}

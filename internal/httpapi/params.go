package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/store"
)

// Paging bounds (the README: per_page default 50, 1–1000; outside is 400).
const (
	DefaultPerPage = 50
	MaxPerPage     = 1000
)

// listParams are the parsed parameters of an HSDS list request.
type listParams struct {
	paging      store.Paging
	ndjson      bool
	minimal     bool
	full        bool
	fullService bool
	filter      store.Filter
	// The HSDS search parameters, answered by the search engine.
	search, postcode, proximity string
}

// values merges the query string with a POST body (form or JSON object);
// a parameter in both takes the body's value.
func values(c echo.Context) (url.Values, error) {
	q := c.QueryParams()
	r := c.Request()
	if r.Method != http.MethodPost || r.Body == nil || r.Body == http.NoBody {
		return q, nil
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return q, nil
	}
	out := url.Values{}
	for k, v := range q {
		out[k] = v
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	switch mt {
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, apperr.E(apperr.Invalid, "The form body cannot be parsed: %v", err)
		}
		for k, v := range form {
			out[k] = v
		}
	case "application/json", "":
		var obj map[string]any
		if err := json.Unmarshal(body, &obj); err != nil {
			var typ *json.UnmarshalTypeError
			if errors.As(err, &typ) {
				return nil, apperr.E(apperr.Invalid, "The body must be a JSON object of query parameters, not %s.", jsonGot(typ.Value))
			}
			return nil, bodyProblem(body, err)
		}
		for k, v := range obj {
			switch x := v.(type) {
			case string:
				out.Set(k, x)
			case bool:
				out.Set(k, strconv.FormatBool(x))
			case float64:
				out.Set(k, strconv.FormatFloat(x, 'f', -1, 64))
			default:
				return nil, &apperr.Error{Kind: apperr.Invalid, Msg: "The body's parameters must be strings, numbers or booleans.",
					Fields: apperr.FieldErrors{{Pointer: "/" + k, Message: "must be a string, number or boolean"}}}
			}
		}
	default:
		return nil, apperr.E(apperr.Unsupported, "The body must be application/json or application/x-www-form-urlencoded, not %q.", mt)
	}
	return out, nil
}

// parseList reads the parameters an HSDS list route accepts; anything else
// is a 400 that names it, so a misspelt filter is never silently ignored.
func parseList(c echo.Context, allowed ...string) (listParams, error) {
	p := listParams{paging: store.Paging{Number: 1, Size: DefaultPerPage}}
	v, err := values(c)
	if err != nil {
		return p, err
	}
	allowed = append(allowed, "page", "per_page", "format", "search")
	var fe apperr.FieldErrors
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			fe = append(fe, apperr.FieldError{Parameter: k, Message: fmt.Sprintf("is not a parameter of this route; it takes %s", strings.Join(sorted(allowed), ", "))})
			continue
		}
		if len(v[k]) > 1 {
			fe = append(fe, apperr.FieldError{Parameter: k, Message: "is given more than once"})
		}
	}
	get := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	intParam := func(k string, def, min, max int) int {
		var ints fieldErrs
		n := intIn(get(k), def, min, max, k, &ints)
		fe = append(fe, ints.FieldErrors...)
		return n
	}
	boolParam := func(k string) bool {
		s := get(k)
		if s == "" {
			return false
		}
		b, err := strconv.ParseBool(s)
		if err != nil {
			fe = append(fe, apperr.FieldError{Parameter: k, Message: fmt.Sprintf("must be true or false, got %q", clip(s))})
		}
		return b
	}
	idParam := func(k string) string {
		s := strings.ToLower(get(k))
		if s == "" {
			return ""
		}
		if !isUUID(s) {
			fe = append(fe, apperr.FieldError{Parameter: k, Message: fmt.Sprintf("must be a UUID, got %q", clip(s))})
			return ""
		}
		return s
	}
	p.paging.Number = intParam("page", 1, 1, 1_000_000)
	p.paging.Size = intParam("per_page", DefaultPerPage, 1, MaxPerPage)
	switch f := get("format"); f {
	case "", "json":
	case "ndjson":
		p.ndjson = true
	default:
		fe = append(fe, apperr.FieldError{Parameter: "format", Message: fmt.Sprintf("must be json or ndjson, got %q", clip(f))})
	}
	p.minimal = boolParam("minimal")
	p.full = boolParam("full")
	p.fullService = boolParam("full_service")
	p.filter.TopOnly = boolParam("top_only")
	p.filter.TaxonomyTermID = idParam("taxonomy_term_id")
	p.filter.TaxonomyID = idParam("taxonomy_id")
	p.filter.OrganizationID = idParam("organization_id")
	p.filter.ParentID = idParam("parent_id")
	if s := get("modified_after"); s != "" {
		t, err := parseTime(s)
		if err != nil {
			fe = append(fe, apperr.FieldError{Parameter: "modified_after", Message: fmt.Sprintf("must be a date-time such as 2026-01-31T00:00:00Z or a date such as 2026-01-31, in the years 1900 to 2199; got %q", clip(s))})
		} else {
			p.filter.ModifiedAfter = &t
		}
	}
	p.search = v.Get("search")
	p.filter.Text = p.search
	p.postcode = get("postcode")
	p.proximity = get("proximity")
	if p.minimal && p.full {
		fe = append(fe, apperr.FieldError{Parameter: "minimal", Message: "cannot be combined with full=true"})
	}
	if len(fe) > 0 {
		return p, apperr.WithFields(apperr.Invalid, "Some parameters are not valid; see errors.", fe)
	}
	return p, nil
}

func isUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			if msg := store.TimeProblem(t); msg != "" {
				return time.Time{}, fmt.Errorf("%s", msg)
			}
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("not a date-time: %q", s)
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return slices.Compact(out)
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// pathID reads the {id} of an item route. An id that is not a UUID cannot
// name a record, so it is a 404 like any unknown id, not a 500 from the
// database's uuid type.
func pathID(c echo.Context, entity string) (string, error) {
	id := strings.ToLower(c.Param("id"))
	if !isUUID(id) {
		return "", apperr.E(apperr.NotFound, "No %s has id %q: ids are UUIDs.", entity, clip(c.Param("id")))
	}
	return id, nil
}

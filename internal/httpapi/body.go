package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linkage-org/linkage/internal/apperr"
)

// decodeJSON reads the body of c into v: JSON only (415 otherwise), no
// unknown fields, nothing after the value, and the byte offset of a syntax
// error in the message.
func decodeJSON(c echo.Context, v any, types ...string) error {
	if len(types) == 0 {
		types = []string{echo.MIMEApplicationJSON}
	}
	body, err := readBody(c, types...)
	if err != nil {
		return err
	}
	return decodeStrictBytes(body, v)
}

// jsonProblem explains a decoding error in terms a client can act on.
func jsonProblem(err error) error { return bodyProblem(nil, err) }

// bodyProblem is jsonProblem for an error decoding doc: with the document
// the problem names the JSON pointer of the field, array indexes included.
func bodyProblem(doc []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var mbe *http.MaxBytesError
	var tpe *time.ParseError
	switch {
	case errors.As(err, &mbe):
		return apperr.E(apperr.TooLarge, "The request body is larger than the limit of %d bytes.", mbe.Limit)
	case errors.As(err, &syn):
		return apperr.E(apperr.Invalid, "The body is not valid JSON at byte %d: %s.", syn.Offset, syn.Error())
	case errors.As(err, &typ):
		ptr, ok := pointerAt(doc, typ.Offset)
		if !ok {
			ptr = "/" + strings.ReplaceAll(typ.Field, ".", "/")
		}
		return apperr.WithFields(apperr.Invalid, "A field of the body has the wrong type.",
			apperr.FieldErrors{{Pointer: ptr, Message: fmt.Sprintf("must be %s, not %s", jsonWant(typ.Type), jsonGot(typ.Value))}})
	case errors.As(err, &tpe):
		const want = "must be a date-time string such as 2026-01-31T00:00:00Z (RFC 3339)"
		if ptr, ok := pointerOfString(doc, tpe.Value); ok {
			return apperr.WithFields(apperr.Invalid, "A date-time in the body is not valid.", apperr.FieldErrors{{Pointer: ptr, Message: want}})
		}
		return apperr.E(apperr.Invalid, "A date-time in the body is not valid: %q; date-times are strings such as 2026-01-31T00:00:00Z (RFC 3339).", clip(tpe.Value))
	case strings.HasPrefix(err.Error(), "Time.UnmarshalJSON:"):
		return apperr.E(apperr.Invalid, "A date-time field of the body is not a string; date-times are strings such as 2026-01-31T00:00:00Z (RFC 3339).")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.E(apperr.Invalid, "The body ends before its JSON value does.")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		ptr, ok := pointerOfKey(doc, name)
		if !ok {
			ptr = "/" + name
		}
		return apperr.WithFields(apperr.Invalid, "The body has a field this route does not take.",
			apperr.FieldErrors{{Pointer: ptr, Message: "unknown field"}})
	}
	return apperr.Wrap(err, apperr.Invalid, "The body could not be read as JSON.")
}

package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

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
func jsonProblem(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return apperr.E(apperr.TooLarge, "The request body is larger than the limit of %d bytes.", mbe.Limit)
	case errors.As(err, &syn):
		return apperr.E(apperr.Invalid, "The body is not valid JSON at byte %d: %s.", syn.Offset, syn.Error())
	case errors.As(err, &typ):
		field := "/" + strings.ReplaceAll(typ.Field, ".", "/")
		return apperr.WithFields(apperr.Invalid, "A field of the body has the wrong type.",
			apperr.FieldErrors{{Pointer: field, Message: fmt.Sprintf("must be %s, got %s", typ.Type, typ.Value)}})
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.E(apperr.Invalid, "The body ends before its JSON value does.")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return apperr.WithFields(apperr.Invalid, "The body has a field this route does not take.",
			apperr.FieldErrors{{Pointer: "/" + name, Message: "unknown field"}})
	}
	return apperr.Wrap(err, apperr.Invalid, "The body could not be read as JSON.")
}

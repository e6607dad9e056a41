// Package apperr is the one error vocabulary of Linkage. Lower layers say what
// kind of failure happened; httpapi alone maps kinds to HTTP statuses.
package apperr

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies an error for the edge that reports it.
type Kind int

// Error kinds. Internal is the zero value so that an unclassified error is
// never mistaken for a client mistake.
const (
	Internal Kind = iota
	Invalid
	Unprocessable
	Unauthenticated
	Forbidden
	NotFound
	Conflict
	PreconditionFailed
	PreconditionRequired
	TooLarge
	Unsupported
	RateLimited
	NotImplemented
	Unavailable
)

var kindNames = map[Kind]string{
	Internal:             "internal",
	Invalid:              "invalid",
	Unprocessable:        "unprocessable",
	Unauthenticated:      "unauthenticated",
	Forbidden:            "forbidden",
	NotFound:             "not_found",
	Conflict:             "conflict",
	PreconditionFailed:   "precondition_failed",
	PreconditionRequired: "precondition_required",
	TooLarge:             "too_large",
	Unsupported:          "unsupported",
	RateLimited:          "rate_limited",
	NotImplemented:       "not_implemented",
	Unavailable:          "unavailable",
}

func (k Kind) String() string { return kindNames[k] }

// FieldError is one problem with one field, located by a JSON pointer
// (RFC 6901) or, for query parameters, by the parameter name.
type FieldError struct {
	Pointer   string `json:"pointer,omitempty"`
	Parameter string `json:"parameter,omitempty"`
	Message   string `json:"message"`
}

// FieldErrors collects every problem found in one input, so a client can fix
// them all at once instead of one per round trip.
type FieldErrors []FieldError

// Add appends a problem at pointer.
func (fe *FieldErrors) Add(pointer, format string, args ...any) {
	*fe = append(*fe, FieldError{Pointer: pointer, Message: fmt.Sprintf(format, args...)})
}

// Error is the error carried through the layers.
type Error struct {
	Kind   Kind
	Msg    string
	Fields FieldErrors
	Err    error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Msg)
	for i, f := range e.Fields {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		if f.Pointer != "" {
			b.WriteString(f.Pointer + " ")
		} else if f.Parameter != "" {
			b.WriteString(f.Parameter + " ")
		}
		b.WriteString(f.Message)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an error of kind with a message a person can act on.
func E(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// WithFields returns an error of kind carrying field problems.
func WithFields(kind Kind, msg string, fields FieldErrors) *Error {
	return &Error{Kind: kind, Msg: msg, Fields: fields}
}

// Wrap keeps the kind of err's chain (if any) and adds context.
func Wrap(err error, kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...), Err: err}
}

// KindOf reports the kind of the first *Error in err's chain, or Internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// As returns the first *Error in err's chain.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Is reports whether err's chain holds an error of kind.
func Is(err error, kind Kind) bool { return err != nil && KindOf(err) == kind }

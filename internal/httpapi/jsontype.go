package httpapi

import (
	"encoding/json"
	"reflect"
	"strings"
	"time"
	"unicode"

	"github.com/linkage-org/linkage/internal/jsonpointer"
)

// What a client must send, in JSON's words. Decoding errors name Go types
// ("must be []hsds.Phone, got string"); a client knows JSON, not our code.

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

// jsonWant says what a value of Go type t is in JSON: "a string", "an
// array of phone objects", "an object (a unit)".
func jsonWant(t reflect.Type) string {
	if t == nil {
		return "another type of value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return "a date-time string such as 2026-01-31T00:00:00Z"
	case t == rawType || t.Kind() == reflect.Interface:
		return "a JSON value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a base64 string"
		}
		return "an array of " + jsonPlural(t.Elem())
	case reflect.Map:
		return "an object"
	case reflect.Struct:
		if n := typeWords(t); n != "" {
			return "an object (" + article(n) + " " + n + ")"
		}
		return "an object"
	}
	return "another type of value"
}

// jsonPlural names many values of t: "strings", "phone objects".
func jsonPlural(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return "date-time strings"
	case t == rawType || t.Kind() == reflect.Interface:
		return "JSON values"
	}
	switch t.Kind() {
	case reflect.String:
		return "strings"
	case reflect.Bool:
		return "true or false values"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "whole numbers"
	case reflect.Float32, reflect.Float64:
		return "numbers"
	case reflect.Slice, reflect.Array:
		return "arrays"
	case reflect.Struct:
		if n := typeWords(t); n != "" {
			return n + " objects"
		}
	}
	return "objects"
}

// typeWords turns a type's name into words: ServiceAtLocation is "service
// at location", URL is "url"; an unnamed type has none.
func typeWords(t reflect.Type) string {
	name := t.Name()
	var b strings.Builder
	rs := []rune(name)
	for i, r := range rs {
		// A capital starts a word unless it continues an acronym.
		if i > 0 && unicode.IsUpper(r) && (unicode.IsLower(rs[i-1]) || i+1 < len(rs) && unicode.IsLower(rs[i+1])) {
			b.WriteByte(' ')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// article is a noun's indefinite article; "u" words here sound like "you"
// (unit, url, use).
func article(noun string) string {
	if noun != "" && strings.ContainsRune("aeio", rune(noun[0])) {
		return "an"
	}
	return "a"
}

// jsonGot says what encoding/json found ("string", "number 1.5", "bool").
func jsonGot(v string) string {
	switch {
	case v == "bool":
		return "true or false"
	case v == "array", v == "object":
		return "an " + v
	case strings.HasPrefix(v, "number "):
		return "the number " + clip(strings.TrimPrefix(v, "number "))
	case v == "":
		return "another type of value"
	}
	return "a " + v
}

// pointerAt is the JSON pointer (RFC 6901) of the value of doc that the
// decoder was reading at offset, array indexes included: where
// json.UnmarshalTypeError.Offset points (the end of a scalar, just past
// the opening of an object or array).
func pointerAt(doc []byte, offset int64) (string, bool) {
	var found string
	ok := false
	walkValues(doc, func(ptr string, _ json.Token, end int64) bool {
		if end >= offset {
			found, ok = ptr, true
		}
		return !ok
	})
	return found, ok
}

// pointerOfString is the JSON pointer of the first string value of doc
// equal to s, for errors that carry the value but not where it was.
func pointerOfString(doc []byte, s string) (string, bool) {
	var found string
	ok := false
	walkValues(doc, func(ptr string, tok json.Token, _ int64) bool {
		if v, isStr := tok.(string); isStr && v == s {
			found, ok = ptr, true
		}
		return !ok
	})
	return found, ok
}

// pointerOfKey is the JSON pointer of the first member of an object of doc
// named key (the decoder's unknown-field error names the key only).
func pointerOfKey(doc []byte, key string) (string, bool) {
	seg := "/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(key)
	var found string
	ok := false
	walkValues(doc, func(ptr string, _ json.Token, _ int64) bool {
		if strings.HasSuffix(ptr, seg) {
			found, ok = ptr, true
		}
		return !ok
	})
	return found, ok
}

// walkValues calls fn with the pointer, first token and end offset of
// every value of doc until fn returns false.
func walkValues(doc []byte, fn func(ptr string, tok json.Token, end int64) bool) {
	jsonpointer.Walk(doc, func(ptr, _ string, tok json.Token, end int64) bool { return !fn(ptr, tok, end) })
}

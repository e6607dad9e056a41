// Package jsonlimit checks a JSON document's shape in one cheap pass, before
// anything expensive (schema validation, decoding into records) reads it:
// nesting depth, the number of values, and text that is not text (NUL
// characters, invalid UTF-8, unpaired surrogates). It allocates nothing
// for a well-formed document, so refusing a hostile body costs about as
// much as reading it.
package jsonlimit

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits bound a document.
type Limits struct {
	Depth  int // deepest nesting of arrays and objects
	Values int // values of any kind, keys not counted
	Keys   int // keys of one object
}

// Kind says what is wrong with a document.
type Kind int

// Kinds of problems.
const (
	Syntax Kind = iota + 1 // not JSON
	Limit                  // JSON beyond a limit
	Text                   // a string that is not acceptable text
)

// Error is the first problem found, with the JSON pointer of the value
// (or key) it is in.
type Error struct {
	Kind    Kind
	Pointer string
	Offset  int
	Msg     string
}

func (e *Error) Error() string {
	if e.Pointer == "" {
		return e.Msg
	}
	return e.Pointer + ": " + e.Msg
}

// Check scans b and returns its first problem, or nil.
func Check(b []byte, lim Limits) *Error {
	s := scanner{b: b, lim: lim}
	s.ws()
	if s.i >= len(b) {
		return s.fail(Syntax, "the body is empty; send a JSON document")
	}
	if err := s.value(); err != nil {
		return err
	}
	s.ws()
	if s.i < len(b) {
		return s.fail(Syntax, fmt.Sprintf("unexpected %s after the JSON document at byte %d", s.show(), s.i))
	}
	return nil
}

type segment struct {
	key   []byte // a key as written, escapes and all
	index int    // -1 for a key
}

type scanner struct {
	b      []byte
	i      int
	lim    Limits
	values int
	path   []segment
}

func (s *scanner) pointer() string {
	var sb strings.Builder
	for _, p := range s.path {
		sb.WriteByte('/')
		if p.index >= 0 {
			sb.WriteString(strconv.Itoa(p.index))
			continue
		}
		sb.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(keyText(p.key)))
	}
	return sb.String()
}

func (s *scanner) fail(k Kind, msg string) *Error {
	return &Error{Kind: k, Pointer: s.pointer(), Offset: s.i, Msg: msg}
}

// show names the byte at the cursor for a syntax message.
func (s *scanner) show() string {
	if s.i >= len(s.b) {
		return "end of the body"
	}
	c := s.b[s.i]
	if c >= 0x20 && c < 0x7f {
		return strconv.QuoteRune(rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) value() *Error {
	s.values++
	if s.lim.Values > 0 && s.values > s.lim.Values {
		return s.fail(Limit, fmt.Sprintf("the body has more than %d values; send fewer records at a time", s.lim.Values))
	}
	if s.i >= len(s.b) {
		return s.fail(Syntax, "the body ends in the middle of the JSON document")
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return s.object()
	case c == '[':
		return s.array()
	case c == '"':
		return s.str(nil)
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	}
	return s.fail(Syntax, fmt.Sprintf("unexpected %s at byte %d where a value should be", s.show(), s.i))
}

func (s *scanner) enter() *Error {
	if s.lim.Depth > 0 && len(s.path) >= s.lim.Depth {
		return s.fail(Limit, fmt.Sprintf("the body is nested more than %d levels deep", s.lim.Depth))
	}
	return nil
}

func (s *scanner) object() *Error {
	if err := s.enter(); err != nil {
		return err
	}
	s.i++
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return nil
	}
	s.path = append(s.path, segment{index: -1})
	keys := 0
	for {
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return s.fail(Syntax, fmt.Sprintf("unexpected %s at byte %d where a key in quotes should be", s.show(), s.i))
		}
		var key []byte
		if err := s.str(&key); err != nil {
			return err
		}
		s.path[len(s.path)-1].key = key
		if keys++; s.lim.Keys > 0 && keys > s.lim.Keys {
			return s.fail(Limit, fmt.Sprintf("an object has more than %d keys", s.lim.Keys))
		}
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return s.fail(Syntax, fmt.Sprintf("unexpected %s at byte %d where ':' should be", s.show(), s.i))
		}
		s.i++
		s.ws()
		if err := s.value(); err != nil {
			return err
		}
		s.ws()
		if s.i < len(s.b) && s.b[s.i] == ',' {
			s.i++
			continue
		}
		if s.i < len(s.b) && s.b[s.i] == '}' {
			s.i++
			s.path = s.path[:len(s.path)-1]
			return nil
		}
		return s.fail(Syntax, fmt.Sprintf("unexpected %s at byte %d where ',' or '}' should be", s.show(), s.i))
	}
}

func (s *scanner) array() *Error {
	if err := s.enter(); err != nil {
		return err
	}
	s.i++
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return nil
	}
	s.path = append(s.path, segment{index: 0})
	for {
		s.ws()
		if err := s.value(); err != nil {
			return err
		}
		s.ws()
		if s.i < len(s.b) && s.b[s.i] == ',' {
			s.i++
			s.path[len(s.path)-1].index++
			continue
		}
		if s.i < len(s.b) && s.b[s.i] == ']' {
			s.i++
			s.path = s.path[:len(s.path)-1]
			return nil
		}
		return s.fail(Syntax, fmt.Sprintf("unexpected %s at byte %d where ',' or ']' should be", s.show(), s.i))
	}
}

func (s *scanner) literal(word string) *Error {
	if len(s.b)-s.i < len(word) || string(s.b[s.i:s.i+len(word)]) != word {
		return s.fail(Syntax, fmt.Sprintf("unexpected %s at byte %d where a value should be", s.show(), s.i))
	}
	s.i += len(word)
	return nil
}

func (s *scanner) number() *Error {
	start := s.i
	if s.b[s.i] == '-' {
		s.i++
	}
	digits := func() int {
		n := 0
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	lead := s.i
	if n := digits(); n == 0 {
		return s.fail(Syntax, fmt.Sprintf("a number at byte %d has no digits", start))
	} else if n > 1 && s.b[lead] == '0' {
		return s.fail(Syntax, fmt.Sprintf("the number at byte %d starts with 0; JSON numbers have no leading zeros", start))
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if digits() == 0 {
			return s.fail(Syntax, fmt.Sprintf("the number at byte %d has no digits after '.'", start))
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			return s.fail(Syntax, fmt.Sprintf("the number at byte %d has no exponent digits", start))
		}
	}
	return nil
}

// str scans a string at the cursor; key, if not nil, gets its bytes (keys
// only: they name the pointer of later problems).
func (s *scanner) str(key *[]byte) *Error {
	s.i++
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			if key != nil {
				*key = s.b[start:s.i]
			}
			s.i++
			return nil
		case c == '\\':
			if err := s.escape(); err != nil {
				return err
			}
		case c == 0:
			return s.fail(Text, "contains a NUL character; send text without it")
		case c < 0x20:
			return s.fail(Syntax, fmt.Sprintf("a string holds the control character 0x%02x at byte %d; escape it (\\n, \\t, \\u00XX)", c, s.i))
		case c < utf8.RuneSelf:
			s.i++
		default:
			r, n := utf8.DecodeRune(s.b[s.i:])
			if r == utf8.RuneError && n <= 1 {
				return s.fail(Text, fmt.Sprintf("is not valid UTF-8 (byte 0x%02x at byte %d); send UTF-8 text", c, s.i))
			}
			s.i += n
		}
	}
	return s.fail(Syntax, "the body ends inside a string")
}

// escape checks one escape sequence at the cursor.
func (s *scanner) escape() *Error {
	if s.i+1 >= len(s.b) {
		return s.fail(Syntax, "the body ends inside a string")
	}
	switch s.b[s.i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		s.i += 2
		return nil
	case 'u':
	default:
		return s.fail(Syntax, fmt.Sprintf("unknown escape \\%c at byte %d", s.b[s.i+1], s.i))
	}
	r, ok := s.hex4(s.i + 2)
	if !ok {
		return s.fail(Syntax, fmt.Sprintf("a \\u escape at byte %d needs four hex digits", s.i))
	}
	switch {
	case r == 0:
		return s.fail(Text, "contains a NUL character (\\u0000); send text without it")
	case r >= 0xDC00 && r <= 0xDFFF:
		return s.fail(Text, fmt.Sprintf("has an unpaired UTF-16 surrogate \\u%04x at byte %d; send UTF-8 text", r, s.i))
	case r >= 0xD800 && r <= 0xDBFF:
		lo, ok := rune(0), s.i+11 < len(s.b) && s.b[s.i+6] == '\\' && s.b[s.i+7] == 'u'
		if ok {
			lo, ok = s.hex4(s.i + 8)
		}
		if !ok || lo < 0xDC00 || lo > 0xDFFF {
			return s.fail(Text, fmt.Sprintf("has an unpaired UTF-16 surrogate \\u%04x at byte %d; send UTF-8 text", r, s.i))
		}
		s.i += 12
		return nil
	}
	s.i += 6
	return nil
}

func (s *scanner) hex4(at int) (rune, bool) {
	if at+4 > len(s.b) {
		return 0, false
	}
	var r rune
	for _, c := range s.b[at : at+4] {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

// keyText is the text of a key as written.
func keyText(raw []byte) string {
	var k string
	if err := json.Unmarshal(append(append([]byte{'"'}, raw...), '"'), &k); err == nil {
		return k
	}
	return string(raw)
}

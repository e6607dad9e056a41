package hsdsio

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/linkage-org/linkage/internal/jsonpointer"
)

// Text in a record must be valid UTF-8 without NUL bytes: PostgreSQL
// refuses both in text columns and SQLite would store them as given, so
// the reader refuses them for both, naming where they are, instead of
// letting one database fail and the other keep bytes no client can read.

// badText says what is wrong with s as text, or "" when nothing is.
func badText(s string) string {
	for i := 0; i < len(s); {
		c := s[i]
		if c == 0 {
			return fmt.Sprintf("holds a NUL byte (U+0000) at byte %d; text may not contain it: remove it", i+1)
		}
		if c < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return fmt.Sprintf("is not valid UTF-8 (byte 0x%02X at byte %d); save the file as UTF-8", c, i+1)
		}
		i += n
	}
	return ""
}

// cellText checks one CSV cell; the message names the column.
func cellText(column, s string) string {
	if msg := badText(s); msg != "" {
		return "the " + column + " cell " + msg
	}
	return ""
}

// docText checks the text of one JSON document: raw bytes that are not
// UTF-8 (the decoder would replace them without a word), escapes that
// are not Unicode (an unpaired surrogate such as \ud800, replaced the
// same way) and \u0000. Each problem carries the JSON pointer of the
// value and a message naming it.
func docText(doc []byte) [][2]string {
	var out [][2]string
	if at := invalidUTF8(doc); at >= 0 {
		ptr := valueAt(doc, at)
		out = append(out, [2]string{ptr, fmt.Sprintf("the value at %s is not valid UTF-8 (byte 0x%02X at byte %d of the document); save the file as UTF-8",
			pointerName(ptr), doc[at], at+1)})
	}
	if at := loneSurrogate(doc); at >= 0 {
		ptr := valueAt(doc, at)
		out = append(out, [2]string{ptr, fmt.Sprintf("the value at %s has the escape %s, half of a UTF-16 surrogate pair; text must be valid Unicode",
			pointerName(ptr), doc[at:at+6])})
	}
	if bytes.Contains(doc, []byte(`\u0000`)) {
		jsonpointer.Walk(doc, func(ptr, _ string, tok json.Token, _ int64) bool {
			if s, ok := tok.(string); ok && bytes.IndexByte([]byte(s), 0) >= 0 {
				out = append(out, [2]string{ptr, "the value at " + pointerName(ptr) + " holds a NUL character (\\u0000); text may not contain it: remove it"})
			}
			return len(out) >= 20 // enough to show the pattern
		})
	}
	return out
}

func pointerName(ptr string) string {
	if ptr == "" {
		return "the top of the document"
	}
	return clip(ptr)
}

// invalidUTF8 is the offset of the first byte of doc that is not UTF-8, or -1.
func invalidUTF8(doc []byte) int {
	for i := 0; i < len(doc); {
		if doc[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(doc[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

// loneSurrogate is the offset of a \uD800-\uDFFF escape that is not a high
// surrogate followed by a low one, or -1. Backslashes can only stand in
// strings in valid JSON, so escapes are found without tracking strings.
func loneSurrogate(doc []byte) int {
	for i := 0; i+1 < len(doc); i++ {
		if doc[i] != '\\' {
			continue
		}
		if doc[i+1] != 'u' {
			i++ // a two-byte escape such as \\ or \"
			continue
		}
		r, ok := hex4(doc[i+2:])
		if !ok {
			i++
			continue
		}
		switch {
		case r >= 0xD800 && r < 0xDC00:
			if i+12 <= len(doc) && doc[i+6] == '\\' && doc[i+7] == 'u' {
				if lo, ok := hex4(doc[i+8:]); ok && lo >= 0xDC00 && lo < 0xE000 {
					i += 11
					continue
				}
			}
			return i
		case r >= 0xDC00 && r < 0xE000:
			return i
		}
		i += 5
	}
	return -1
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// valueAt is the JSON pointer of the value of doc that holds byte offset at.
func valueAt(doc []byte, at int) string {
	ptr, _, _ := jsonpointer.Walk(doc, func(_ string, _ string, _ json.Token, end int64) bool { return end > int64(at) })
	return ptr
}

// Package jsonpointer finds the JSON pointer (RFC 6901) of a value in a
// document, for messages that point at what a client sent.
package jsonpointer

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// Walk visits the values of doc in order with their JSON pointer, the
// name of their member (if in an object), their first token and the offset
// just after that token. It stops when visit returns true and returns that
// value's pointer and token.
func Walk(doc []byte, visit func(ptr, key string, tok json.Token, end int64) bool) (string, json.Token, bool) {
	type frame struct {
		array   bool
		index   int
		key     string
		wantKey bool
	}
	var stack []frame
	pointer := func() string {
		var b strings.Builder
		for _, f := range stack {
			b.WriteByte('/')
			if f.array {
				b.WriteString(strconv.Itoa(f.index))
			} else {
				b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(f.key))
			}
		}
		return b.String()
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", nil, false
		}
		d, isDelim := tok.(json.Delim)
		if isDelim && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			if n := len(stack); n > 0 && !stack[n-1].array {
				stack[n-1].wantKey = true
			}
			continue
		}
		key := ""
		if n := len(stack); n > 0 {
			top := &stack[n-1]
			if !top.array && top.wantKey {
				top.key, _ = tok.(string)
				top.wantKey = false
				continue
			}
			if top.array {
				top.index++
			} else {
				key = top.key
			}
		}
		if visit(pointer(), key, tok, dec.InputOffset()) {
			return pointer(), tok, true
		}
		if isDelim {
			stack = append(stack, frame{array: d == '[', index: -1, wantKey: d == '{'})
		} else if n := len(stack); n > 0 && !stack[n-1].array {
			stack[n-1].wantKey = true
		}
	}
}

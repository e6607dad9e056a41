package hsdsio

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"time"

	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/jsonpointer"
)

// ReadJSON reads HSDS documents from a JSON array or from JSON Lines (one
// document per line, blank lines skipped); the first non-space byte decides
// which. Each document's kind comes from its top-level fields (see
// detectKind). fn is called once per well-formed document, in file order,
// after hsds Normalize. Memory stays bounded by the largest document,
// which may be at most 16 MiB.
//
// A document that cannot be read (bad syntax, a value of the wrong type,
// too large) becomes a Problem and reading goes on with the next line. In
// an array a syntax error or an oversize element ends reading, because the
// rest of the array cannot be found reliably.
//
// The error is only for I/O failures and for fn's error, which stops
// reading and is returned wrapped.
func ReadJSON(r io.Reader, source string, fn func(Record) error) ([]Problem, error) {
	return readJSON(r, source, fn, maxDocBytes)
}

// StreamJSON is ReadJSON reporting its problems to probs, which bounds
// what a file of many broken documents costs.
func StreamJSON(r io.Reader, source string, probs *Problems, fn func(Record) error) error {
	return streamJSON(r, source, probs, fn, maxDocBytes)
}

func readJSON(r io.Reader, source string, fn func(Record) error, max int) ([]Problem, error) {
	probs := NewProblems(0)
	err := streamJSON(r, source, probs, fn, max)
	return probs.List(), err
}

func streamJSON(r io.Reader, source string, probs *Problems, fn func(Record) error, max int) error {
	br := bufio.NewReaderSize(r, 64<<10)
	first, newlines, err := skipSpace(br)
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return fmt.Errorf("hsdsio: read %s: %w", source, readError(err))
	}
	if first == '[' {
		return readArray(br, source, probs, fn, max)
	}
	return readLines(br, source, probs, fn, max, newlines)
}

// bom is the UTF-8 byte order mark some editors put first in a file.
const bom = "\xEF\xBB\xBF"

// skipSpace drops a byte order mark and leading white space, counting the
// newlines so JSON Lines numbering stays right, and peeks the next byte.
func skipSpace(br *bufio.Reader) (byte, int, error) {
	if b, _ := br.Peek(len(bom)); string(b) == bom {
		_, _ = br.Discard(len(bom))
	}
	newlines := 0
	for {
		c, err := br.ReadByte()
		if err != nil {
			return 0, newlines, err
		}
		switch c {
		case '\n':
			newlines++
		case ' ', '\t', '\r':
		default:
			return c, newlines, br.UnreadByte()
		}
	}
}

func readLines(br *bufio.Reader, source string, probs *Problems, fn func(Record) error, max, line int) error {
	var buf []byte
	for {
		var big bool
		var err error
		buf, big, err = readLine(br, max, buf[:0])
		if err != nil && err != io.EOF {
			return fmt.Errorf("hsdsio: read %s line %d: %w", source, line+1, readError(err))
		}
		if len(buf) == 0 && !big && err == io.EOF {
			return nil
		}
		line++
		doc := bytes.TrimSpace(buf)
		switch {
		case big || len(doc) > max:
			probs.Add(Problem{Source: source, Line: line,
				Message: fmt.Sprintf("the line is longer than %s; one document may be at most that long", size(max))})
		case len(doc) > 0:
			rec, ps := decodeDoc(doc, source, line)
			if ps != nil {
				probs.AddAll(ps)
				break
			}
			if ferr := fn(rec); ferr != nil {
				return fmt.Errorf("hsdsio: %s line %d: %w", source, line, ferr)
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

// readLine appends one line (with its newline) to dst. A line longer than
// max is consumed but not kept, and reported as big, so that one huge line
// cannot exhaust memory.
func readLine(br *bufio.Reader, max int, dst []byte) ([]byte, bool, error) {
	big := false
	for {
		chunk, err := br.ReadSlice('\n')
		if !big {
			// +2 leaves room for a CRLF that TrimSpace will drop.
			if len(dst)+len(chunk) > max+2 {
				big, dst = true, dst[:0]
			} else {
				dst = append(dst, chunk...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return dst, big, err
	}
}

// errTooBig stops the array decoder when one element outgrows the limit.
var errTooBig = errors.New("document too large")

// capReader lets the JSON decoder read at most limit bytes in total; the
// limit moves forward with each array element.
type capReader struct {
	r        io.Reader
	n, limit int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.n >= c.limit {
		return 0, errTooBig
	}
	if rest := c.limit - c.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func readArray(br *bufio.Reader, source string, probs *Problems, fn func(Record) error, max int) error {
	// slack covers the separators and white space read ahead of an element.
	const slack = 64 << 10
	cr := &capReader{r: br, limit: slack}
	dec := json.NewDecoder(cr)
	if _, err := dec.Token(); err != nil { // the '[' seen by skipSpace
		return fmt.Errorf("hsdsio: read %s: %w", source, readError(err))
	}
	stop := func(index int, msg string) error {
		probs.Add(Problem{Source: source, Line: index, Message: msg, Input: true})
		return nil
	}
	index := 0
	for {
		// The budget of an element includes the white space before it,
		// which More reads past.
		cr.limit = dec.InputOffset() + int64(max) + slack
		if !dec.More() {
			break
		}
		index++
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			var syn *json.SyntaxError
			switch {
			case errors.Is(err, errTooBig):
				return stop(index, fmt.Sprintf("array element %d is longer than %s; reading stopped here", index, size(max)))
			case errors.As(err, &syn):
				return stop(index, fmt.Sprintf("is not valid JSON (%v, at byte %d of the file); reading stopped here", syn, syn.Offset))
			case errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF:
				return stop(index, "the file ends inside this array element")
			}
			return fmt.Errorf("hsdsio: read %s element %d: %w", source, index, readError(err))
		}
		if len(raw) > max {
			probs.Add(Problem{Source: source, Line: index,
				Message: fmt.Sprintf("array element %d is longer than %s; one document may be at most that long", index, size(max))})
			continue
		}
		rec, ps := decodeDoc(raw, source, index)
		if ps != nil {
			probs.AddAll(ps)
			continue
		}
		if err := fn(rec); err != nil {
			return fmt.Errorf("hsdsio: %s element %d: %w", source, index, err)
		}
	}
	cr.limit = dec.InputOffset() + int64(max) + slack
	if _, err := dec.Token(); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, errTooBig) {
			return stop(0, "the JSON array is not closed with ]")
		}
		return fmt.Errorf("hsdsio: read %s: %w", source, readError(err))
	}
	// Anything but white space after the array is a mistake worth naming.
	rest := io.MultiReader(dec.Buffered(), br)
	var one [1]byte
	for {
		n, err := rest.Read(one[:])
		if n == 1 && !bytes.ContainsRune([]byte(" \t\r\n"), rune(one[0])) {
			return stop(0, "there is data after the closing ] of the JSON array")
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("hsdsio: read %s: %w", source, readError(err))
		}
	}
}

// probe reads only what kind detection needs. RawMessage fields are
// non-nil whenever the key is present, even with a null value.
type probe struct {
	ID             json.RawMessage `json:"id"`
	Kind           json.RawMessage `json:"kind"`
	Status         json.RawMessage `json:"status"`
	TaxonomyID     json.RawMessage `json:"taxonomy_id"`
	TaxonomyDetail json.RawMessage `json:"taxonomy_detail"`
	ParentID       json.RawMessage `json:"parent_id"`
	Code           json.RawMessage `json:"code"`
	Taxonomy       json.RawMessage `json:"taxonomy"`
	TermURI        json.RawMessage `json:"term_uri"`
}

// kind says what a document is. An explicit "kind" wins. Otherwise a
// service is the only document with "status" (it is required there); a
// taxonomy term has one of the term-only fields; anything else is an
// organization, whose required fields (id, name, description) a term
// shares, which is why a bare term needs "kind" (JSONLinesWriter adds it).
func (p *probe) kind() (string, string) {
	if p.Kind != nil {
		var k string
		if err := json.Unmarshal(p.Kind, &k); err == nil {
			switch k {
			case KindService, KindOrganization, KindTaxonomyTerm:
				return k, ""
			}
		}
		return "", fmt.Sprintf("must be %q, %q or %q, got %s", KindService, KindOrganization, KindTaxonomyTerm, clip(string(p.Kind)))
	}
	if p.Status != nil {
		return KindService, ""
	}
	for _, f := range []json.RawMessage{p.TaxonomyID, p.TaxonomyDetail, p.ParentID, p.Code, p.Taxonomy, p.TermURI} {
		if f != nil {
			return KindTaxonomyTerm, ""
		}
	}
	return KindOrganization, ""
}

// decodeDoc turns one JSON document into a normalized record, or says why
// it cannot.
func decodeDoc(raw []byte, source string, line int) (Record, []Problem) {
	fail := func(id, field, msg string) (Record, []Problem) {
		return Record{}, []Problem{{Source: source, Line: line, RecordID: id, Field: field, Message: msg}}
	}
	var p probe
	if err := json.Unmarshal(raw, &p); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			msg := fmt.Sprintf("is not valid JSON: %v (at byte %d)", syn, syn.Offset)
			if syn.Offset >= int64(len(raw)) {
				// Most likely a pretty-printed document given as JSON Lines.
				msg += "; in JSON Lines each document is one line (pretty-printed documents go in a JSON array)"
			}
			return fail("", "", msg)
		}
	}
	if raw[0] != '{' {
		return fail("", "", "is not a JSON object; each HSDS document must be an object {...}")
	}
	var id string
	_ = json.Unmarshal(p.ID, &id) // a non-string id is reported by the typed decode below
	if bad := docText(raw); len(bad) > 0 {
		out := make([]Problem, len(bad))
		for i, b := range bad {
			out[i] = Problem{Source: source, Line: line, RecordID: id, Field: b[0], Message: b[1]}
		}
		return Record{}, out
	}
	kind, msg := p.kind()
	if msg != "" {
		return fail(id, "/kind", msg)
	}
	rec := Record{Kind: kind, Source: source, Line: line}
	var target any
	switch kind {
	case KindService:
		rec.Service = new(hsds.Service)
		target = rec.Service
	case KindOrganization:
		rec.Organization = new(hsds.Organization)
		target = rec.Organization
	default:
		rec.Term = new(hsds.TaxonomyTerm)
		target = rec.Term
	}
	if err := json.Unmarshal(raw, target); err != nil {
		field, msg := explain(raw, err)
		return fail(id, field, msg)
	}
	switch {
	case rec.Service != nil:
		rec.Service.Normalize()
	case rec.Organization != nil:
		rec.Organization.Normalize()
	}
	return rec, nil
}

// explain locates a decoding error in doc as a JSON pointer and says what
// is wrong in words.
func explain(doc []byte, err error) (string, string) {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		ptr, tok, _ := jsonpointer.Walk(doc, func(_ string, _ string, _ json.Token, end int64) bool { return end >= te.Offset })
		want := describeType(te.Type)
		switch t := tok.(type) {
		case json.Delim:
			got := "an object"
			if t == '[' {
				got = "an array"
			}
			return ptr, fmt.Sprintf("must be %s, not %s", want, got)
		case json.Number:
			if want == "a number" {
				return ptr, fmt.Sprintf("%s is out of range", clip(string(t)))
			}
			return ptr, fmt.Sprintf("%s is not %s", clip(string(t)), want)
		case string:
			return ptr, fmt.Sprintf("%s is not %s", clip(strconv.Quote(t)), want)
		case nil:
			return ptr, fmt.Sprintf("must be %s, not %s", want, te.Value)
		default:
			return ptr, fmt.Sprintf("%v is not %s", t, want)
		}
	}
	// time.Time reports bad input without saying where; the only times in
	// HSDS documents are last_modified and updated.
	ptr, tok, found := jsonpointer.Walk(doc, func(_ string, key string, tok json.Token, _ int64) bool {
		if key != "last_modified" && key != "updated" {
			return false
		}
		s, ok := tok.(string)
		if !ok {
			return true
		}
		_, perr := time.Parse(time.RFC3339, s)
		return perr != nil
	})
	if found {
		if s, ok := tok.(string); ok {
			return ptr, fmt.Sprintf("%s is not an RFC 3339 date-time such as 2024-05-01T09:30:00Z", clip(strconv.Quote(s)))
		}
		return ptr, "must be an RFC 3339 date-time string such as \"2024-05-01T09:30:00Z\""
	}
	// What is left names Go types, which mean nothing to whoever wrote
	// the file.
	return "", "cannot be read as an HSDS document: check each value's type against the HSDS schema"
}

var timeType = reflect.TypeFor[time.Time]()

func describeType(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType {
		return "an RFC 3339 date-time string"
	}
	switch t.Kind() {
	case reflect.Float32, reflect.Float64, reflect.Int, reflect.Int64, reflect.Int32:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Bool:
		return "true or false"
	}
	return "another type"
}

// clip shortens a quoted value for a message.
func clip(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}

func size(n int) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// JSONLinesWriter writes one compact JSON document per line.
type JSONLinesWriter struct {
	w   io.Writer
	buf bytes.Buffer
	enc *json.Encoder
}

// NewJSONLinesWriter writes to w; buffering w is the caller's choice.
func NewJSONLinesWriter(w io.Writer) *JSONLinesWriter {
	jw := &JSONLinesWriter{w: w}
	jw.enc = json.NewEncoder(&jw.buf)
	jw.enc.SetEscapeHTML(false)
	return jw
}

// Write writes v as one line. The line is built whole first, so a value
// that cannot be encoded leaves no partial line behind. A taxonomy term
// that ReadJSON would take for an organization (it has none of the
// term-only fields) gets a leading "kind": "taxonomy_term", so every
// document this writes reads back as what it was.
func (w *JSONLinesWriter) Write(v any) error {
	w.buf.Reset()
	if err := w.enc.Encode(v); err != nil {
		return fmt.Errorf("hsdsio: encode JSON line: %w", err)
	}
	line := w.buf.Bytes()
	if bareTerm(v) && len(line) > 1 && line[0] == '{' {
		sep := ","
		if line[1] == '}' {
			sep = ""
		}
		line = append([]byte(`{"kind":"taxonomy_term"`+sep), line[1:]...)
	}
	if _, err := w.w.Write(line); err != nil {
		return fmt.Errorf("hsdsio: write JSON line: %w", err)
	}
	return nil
}

func bareTerm(v any) bool {
	var t *hsds.TaxonomyTerm
	switch x := v.(type) {
	case *hsds.TaxonomyTerm:
		t = x
	case hsds.TaxonomyTerm:
		t = &x
	default:
		return false
	}
	return t != nil && t.Code == "" && t.ParentID == "" && t.TaxonomyID == "" && t.TaxonomyDetail == nil &&
		t.Taxonomy == "" && t.TermURI == ""
}

package hsdsio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/linkage-org/linkage/internal/hsds"
)

// got is what one ReadJSON call produced, in a comparable form.
type got struct {
	recs  []string // "line:kind:id"
	probs []Problem
	err   error
}

func readAll(t *testing.T, input string, max int) (got, []Record) {
	t.Helper()
	var g got
	var recs []Record
	g.probs, g.err = readJSON(strings.NewReader(input), "in.json", func(r Record) error {
		recs = append(recs, r)
		g.recs = append(g.recs, fmt.Sprintf("%d:%s:%s", r.Line, r.Kind, r.ID()))
		n := 0
		for _, set := range []bool{r.Service != nil, r.Organization != nil, r.Term != nil} {
			if set {
				n++
			}
		}
		if n != 1 || r.Source != "in.json" {
			t.Errorf("record %+v: want exactly one document and source in.json", r)
		}
		return nil
	}, max)
	return g, recs
}

func TestReadJSON(t *testing.T) {
	const (
		svc  = `{"id":"s1","name":"Meals","status":"active","phones":[{"id":"p1","number":"555-0100"}]}`
		org  = `{"id":"o1","name":"Org","description":"D"}`
		term = `{"id":"t1","name":"Food","description":"D","code":"F"}`
	)
	for _, tc := range []struct {
		name      string
		input     string
		wantRecs  []string
		wantProbs []Problem
	}{
		{name: "Empty", input: ""},
		{name: "OnlySpace", input: " \n\t\n"},
		{
			name:     "Array",
			input:    "[\n" + svc + ",\n" + org + ",\n" + term + "\n]\n",
			wantRecs: []string{"1:service:s1", "2:organization:o1", "3:taxonomy_term:t1"},
		},
		{name: "EmptyArray", input: "  [ ] "},
		{
			name:     "Lines",
			input:    svc + "\n" + org + "\n" + term + "\n",
			wantRecs: []string{"1:service:s1", "2:organization:o1", "3:taxonomy_term:t1"},
		},
		{
			name:     "LinesBlankCRLFNoFinalNewline",
			input:    bom + "\r\n\n" + svc + "\r\n   \r\n" + org + "\r\n\n" + term,
			wantRecs: []string{"3:service:s1", "5:organization:o1", "7:taxonomy_term:t1"},
		},
		{
			name: "KindDetection",
			input: strings.Join([]string{
				`{"id":"a","status":"active"}`,
				`{"id":"b","status":"active","code":"X","parent_id":"c"}`,
				`{"id":"c","taxonomy_id":"x"}`,
				`{"id":"d","taxonomy_detail":{"id":"x","name":"n","description":"d"}}`,
				`{"id":"e","parent_id":"c"}`,
				`{"id":"f","code":"F"}`,
				`{"id":"g","name":"n","description":"d"}`,
				`{"id":"h","kind":"taxonomy_term","name":"n","description":"d"}`,
				`{"id":"i","kind":"organization","code":"looks like a term"}`,
				`{"id":"j","kind":"service","name":"no status"}`,
				`{"id":"k","kind":"program"}`,
				`{"id":"l","kind":5,"status":"active"}`,
			}, "\n"),
			wantRecs: []string{"1:service:a", "2:service:b", "3:taxonomy_term:c", "4:taxonomy_term:d",
				"5:taxonomy_term:e", "6:taxonomy_term:f", "7:organization:g", "8:taxonomy_term:h", "9:organization:i",
				"10:service:j"},
			wantProbs: []Problem{
				{Source: "in.json", Line: 11, RecordID: "k", Field: "/kind", Message: `must be "service", "organization" or "taxonomy_term", got "program"`},
				{Source: "in.json", Line: 12, RecordID: "l", Field: "/kind", Message: `must be "service", "organization" or "taxonomy_term", got 5`},
			},
		},
		{
			name:     "SyntaxErrorOnLine3Of5",
			input:    `{"id":"o1"}` + "\n" + `{"id":"o2"}` + "\n" + `{"id":"o3",` + "\n" + `{"id":"o4"}` + "\n" + `{"id":"o5"}` + "\n",
			wantRecs: []string{"1:organization:o1", "2:organization:o2", "4:organization:o4", "5:organization:o5"},
			wantProbs: []Problem{{Source: "in.json", Line: 3,
				Message: "is not valid JSON: unexpected end of JSON input (at byte 11); in JSON Lines each document is one line (pretty-printed documents go in a JSON array)"}},
		},
		{
			name: "WrongTypes",
			input: strings.Join([]string{
				`{"id":"s1","status":"active","minimum_age":"ten"}`,
				`{"id":"s2","status":"active","phones":[{"id":"p1","extension":1},{"id":"p2","extension":"a"}]}`,
				`{"id":"s3","status":"active","phones":{"id":"p1"}}`,
				`{"id":"s4","status":"active","name":{"en":"x"}}`,
				`{"id":"s5","status":"active","last_modified":"yesterday"}`,
				`{"id":"s6","status":"active","capacities":[{"id":"c1","updated":5}]}`,
				`{"id":"s7","status":"active","maximum_age":1e999}`,
				`{"id":7,"status":"active"}`,
				`{"id":"o1","locations":[{"id":"l1","addresses":[{"id":"a1","city":true}]}]}`,
				`{"id":"o2","a/b~c":1,"phones":[{"id":"p","languages":[{"id":"l","name":["x"]}]}]}`,
				`[1,2]`,
				`"just a string"`,
			}, "\n"),
			wantProbs: []Problem{
				{Source: "in.json", Line: 1, RecordID: "s1", Field: "/minimum_age", Message: `"ten" is not a number`},
				{Source: "in.json", Line: 2, RecordID: "s2", Field: "/phones/1/extension", Message: `"a" is not a number`},
				{Source: "in.json", Line: 3, RecordID: "s3", Field: "/phones", Message: "must be an array, not an object"},
				{Source: "in.json", Line: 4, RecordID: "s4", Field: "/name", Message: "must be a string, not an object"},
				{Source: "in.json", Line: 5, RecordID: "s5", Field: "/last_modified",
					Message: `"yesterday" is not an RFC 3339 date-time such as 2024-05-01T09:30:00Z`},
				{Source: "in.json", Line: 6, RecordID: "s6", Field: "/capacities/0/updated",
					Message: `must be an RFC 3339 date-time string such as "2024-05-01T09:30:00Z"`},
				{Source: "in.json", Line: 7, RecordID: "s7", Field: "/maximum_age", Message: "1e999 is out of range"},
				{Source: "in.json", Line: 8, Field: "/id", Message: "7 is not a string"},
				{Source: "in.json", Line: 9, RecordID: "o1", Field: "/locations/0/addresses/0/city", Message: "true is not a string"},
				{Source: "in.json", Line: 10, RecordID: "o2", Field: "/phones/0/languages/0/name", Message: "must be a string, not an array"},
				{Source: "in.json", Line: 11, Message: "is not a JSON object; each HSDS document must be an object {...}"},
				{Source: "in.json", Line: 12, Message: "is not a JSON object; each HSDS document must be an object {...}"},
			},
		},
		{
			name:     "ArraySyntaxErrorStops",
			input:    "[" + org + ",\n{\"id\": x},\n" + term + "]",
			wantRecs: []string{"1:organization:o1"},
			wantProbs: []Problem{{Source: "in.json", Line: 2,
				Message: "is not valid JSON (invalid character 'x' looking for beginning of value, at byte 51 of the file); reading stopped here", Input: true}},
		},
		{
			name:     "ArrayWrongTypeGoesOn",
			input:    `[{"id":"s1","status":"active","minimum_age":"ten"}, 5, ` + term + "]",
			wantRecs: []string{"3:taxonomy_term:t1"},
			wantProbs: []Problem{
				{Source: "in.json", Line: 1, RecordID: "s1", Field: "/minimum_age", Message: `"ten" is not a number`},
				{Source: "in.json", Line: 2, Message: "is not a JSON object; each HSDS document must be an object {...}"},
			},
		},
		{
			name:      "ArrayNotClosed",
			input:     "[" + org,
			wantRecs:  []string{"1:organization:o1"},
			wantProbs: []Problem{{Source: "in.json", Message: "the JSON array is not closed with ]", Input: true}},
		},
		{
			name:      "ArrayEndsInsideElement",
			input:     "[" + org + `, {"id":`,
			wantRecs:  []string{"1:organization:o1"},
			wantProbs: []Problem{{Source: "in.json", Line: 2, Message: "the file ends inside this array element", Input: true}},
		},
		{
			name:      "DataAfterArray",
			input:     "[" + org + "]\n" + term,
			wantRecs:  []string{"1:organization:o1"},
			wantProbs: []Problem{{Source: "in.json", Message: "there is data after the closing ] of the JSON array", Input: true}},
		},
		{
			name:     "Oversize",
			input:    org + "\n" + `{"id":"big","description":"` + strings.Repeat("x", 200) + `"}` + "\n" + term + "\n",
			wantRecs: []string{"1:organization:o1", "3:taxonomy_term:t1"},
			wantProbs: []Problem{{Source: "in.json", Line: 2,
				Message: "the line is longer than 128 bytes; one document may be at most that long"}},
		},
		{
			name:     "OversizeArrayElementStops",
			input:    "[" + org + `,{"id":"big","description":"` + strings.Repeat("x", 100<<10) + `"},` + term + "]",
			wantRecs: []string{"1:organization:o1"},
			wantProbs: []Problem{{Source: "in.json", Line: 2,
				Message: "array element 2 is longer than 128 bytes; reading stopped here", Input: true}},
		},
		{
			name:     "OversizeArrayElementInBuffer",
			input:    "[" + org + `,{"id":"big","description":"` + strings.Repeat("x", 200) + `"},` + term + "]",
			wantRecs: []string{"1:organization:o1", "3:taxonomy_term:t1"},
			wantProbs: []Problem{{Source: "in.json", Line: 2,
				Message: "array element 2 is longer than 128 bytes; one document may be at most that long"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, _ := readAll(t, tc.input, 128)
			if g.err != nil {
				t.Fatal(g.err)
			}
			if !reflect.DeepEqual(g.recs, tc.wantRecs) {
				t.Errorf("records = %q, want %q", g.recs, tc.wantRecs)
			}
			if !reflect.DeepEqual(g.probs, tc.wantProbs) {
				t.Errorf("problems:\n%s\nwant:\n%s", problemList(g.probs), problemList(tc.wantProbs))
			}
		})
	}
}

// Documents reach fn normalized, with unknown fields ignored.
func TestReadJSON_Normalizes(t *testing.T) {
	in := `{"id":"s1","status":"active","x-extra":{"a":1},"phones":[{"id":"p1","number":"1","languages":[{"id":"l1"}]}],` +
		`"attributes":[{"id":"a1","taxonomy_term_id":"t"}]}` + "\n" +
		`{"id":"o1","locations":[{"id":"l1","tz":"Europe/London","phones":[{"id":"p2"}]}]}`
	_, recs := readAll(t, in, maxDocBytes)
	if len(recs) != 2 {
		t.Fatalf("got %d records", len(recs))
	}
	s := recs[0].Service
	if s.Phones[0].ServiceID != "s1" || s.Phones[0].Languages[0].PhoneID != "p1" ||
		s.Attributes[0].LinkID != "s1" || s.Attributes[0].LinkEntity != "service" {
		t.Errorf("service not normalized: %+v", s)
	}
	l := recs[1].Organization.Locations[0]
	if l.OrganizationID != "o1" || l.TZ != "Europe/London" || l.Phones[0].LocationID != "l1" {
		t.Errorf("organization not normalized: %+v", recs[1].Organization)
	}
}

// The real limit is 16 MiB: a longer line is a problem, the next line is read.
func TestReadJSON_MaxDocBytes(t *testing.T) {
	big := `{"id":"big","description":"` + strings.Repeat("x", maxDocBytes) + `"}`
	for _, tc := range []struct{ name, input string }{
		{"Lines", big + "\n" + `{"id":"o1"}` + "\n"},
		{"Array", "[" + `{"id":"o1"}` + "," + big + "]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ids []string
			probs, err := ReadJSON(strings.NewReader(tc.input), "big.json", func(r Record) error {
				ids = append(ids, r.ID())
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(probs) != 1 || !strings.Contains(probs[0].Message, "longer than 16 MiB") {
				t.Errorf("problems = %v", probs)
			}
			if len(ids) != 1 || ids[0] != "o1" {
				t.Errorf("records = %v, want [o1]", ids)
			}
		})
	}
}

func TestReadJSON_FnErrorStops(t *testing.T) {
	stop := errors.New("stop")
	for _, input := range []string{
		`{"id":"o1"}` + "\n" + `{"id":"o2"}` + "\n" + `{"id":"o3"}`,
		`[{"id":"o1"},{"id":"o2"},{"id":"o3"}]`,
	} {
		calls := 0
		_, err := ReadJSON(strings.NewReader(input), "in.json", func(Record) error {
			calls++
			if calls == 2 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || calls != 2 {
			t.Errorf("%s: err = %v after %d calls, want stop after 2", input[:1], err, calls)
		}
	}
}

func TestReadJSON_IOError(t *testing.T) {
	boom := errors.New("disk on fire")
	for _, input := range []string{`{"id":"o1"}` + "\n" + `{"id":"o2"}`, `[{"id":"o1"},{"id":"o2"}]`} {
		r := io.MultiReader(strings.NewReader(input[:14]), iotest.ErrReader(boom))
		var ids []string
		_, err := ReadJSON(r, "in.json", func(r Record) error { ids = append(ids, r.ID()); return nil })
		if !errors.Is(err, boom) {
			t.Errorf("%s: err = %v, want the reader's", input[:1], err)
		}
	}
}

func TestJSONLinesWriter(t *testing.T) {
	d := richDirectory()
	var buf bytes.Buffer
	w := NewJSONLinesWriter(&buf)
	var want []any
	for i := range d.terms {
		want = append(want, &d.terms[i])
	}
	for i := range d.orgs {
		want = append(want, &d.orgs[i])
	}
	for i := range d.services {
		want = append(want, &d.services[i])
	}
	for _, v := range want {
		if err := w.Write(v); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Write(hsds.TaxonomyTerm{}); err != nil { // a value, and empty
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != len(want)+1 {
		t.Fatalf("wrote %d lines, want %d", len(lines), len(want)+1)
	}
	if !strings.HasPrefix(lines[2], `{"kind":"taxonomy_term","id":`) || strings.Contains(lines[0], `"kind"`) {
		t.Errorf("kind marks: %s / %s", lines[0][:40], lines[2][:40])
	}
	if lines[len(lines)-1] != `{"kind":"taxonomy_term","id":"","name":"","description":""}` {
		t.Errorf("empty term = %s", lines[len(lines)-1])
	}
	if strings.Contains(buf.String(), `\u0026`) {
		t.Error("HTML escaping is on")
	}
	if err := w.Write(func() {}); err == nil {
		t.Error("Write(func) succeeded")
	}
	if n := strings.Count(buf.String(), "\n"); n != len(want)+1 {
		t.Errorf("a failed Write left output behind")
	}

	_, recs := readAll(t, buf.String(), maxDocBytes)
	if len(recs) != len(want)+1 {
		t.Fatalf("read %d records, want %d", len(recs), len(want)+1)
	}
	for i, v := range want {
		var got any
		switch r := recs[i]; r.Kind {
		case KindTaxonomyTerm:
			got = r.Term
		case KindOrganization:
			got = r.Organization
		case KindService:
			got = r.Service
		}
		if reflect.TypeOf(got) != reflect.TypeOf(v) {
			t.Fatalf("record %d is %s, want %T", i, recs[i].Kind, v)
		}
		// JSON keeps file order; compare as written, normalized.
		wj, _ := json.Marshal(v)
		gj, _ := json.Marshal(got)
		if i >= len(d.terms) { // organizations and services are normalized on read
			wj = []byte(normalizedJSON(t, v))
		}
		if string(wj) != string(gj) {
			t.Errorf("record %d differs at %s", i, diff(string(wj), string(gj)))
		}
	}
}

func normalizedJSON(t *testing.T, v any) string {
	t.Helper()
	data, _ := json.Marshal(v)
	c := reflect.New(reflect.TypeOf(v).Elem())
	if err := json.Unmarshal(data, c.Interface()); err != nil {
		t.Fatal(err)
	}
	c.Interface().(interface{ Normalize() }).Normalize()
	out, _ := json.Marshal(c.Interface())
	return string(out)
}

func TestProblem_String(t *testing.T) {
	for _, tc := range []struct {
		p    Problem
		want string
	}{
		{Problem{Source: "services.csv", Line: 12, RecordID: "0b7f", Field: "minimum_age", Message: `"abc" is not a number`},
			`services.csv:12: record 0b7f: minimum_age: "abc" is not a number`},
		{Problem{Source: "in.jsonl", Line: 3, Message: "is not valid JSON"}, "in.jsonl:3: is not valid JSON"},
		{Problem{Source: "datapackage.json", Field: "phone", Message: "names x"}, "datapackage.json: phone: names x"},
		{Problem{Message: "the input holds no records"}, "the input holds no records"},
	} {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
	if AsError(nil) != nil {
		t.Error("AsError(nil) != nil")
	}
	err := AsError([]Problem{{Source: "a.csv", Line: 2, RecordID: "r", Field: "name", Message: "is required"},
		{Source: "b.json", Line: 1, Field: "/id", Message: "bad"}})
	if err == nil || !strings.Contains(err.Error(), "a.csv:2/name record r: is required; b.json:1/id bad") {
		t.Errorf("AsError = %v", err)
	}
	if (Record{Term: &hsds.TaxonomyTerm{ID: "t"}}).ID() != "t" || (Record{}).ID() != "" {
		t.Error("Record.ID")
	}
}

func FuzzReadJSON(f *testing.F) {
	for _, seed := range []string{
		"", "[]", "[", "{}", "{\n}\n", `[{"id":"a","status":"active"}]`,
		`{"id":"s","status":"active","phones":[{"id":"p","extension":"x"}]}`,
		`{"id":"o","locations":[{"id":"l","latitude":"n"}]}` + "\n" + `{"kind":"taxonomy_term","id":"t"}`,
		`[{"id":"a"},{"id":"b"`, `[1, "x", null, {"id":5}]`, `{"last_modified":"x","status":"active"}`,
		"\xEF\xBB\xBF\n\n{\"id\":\"z\"}\r\n", `{"capacities":[{"updated":{}}],"status":"a"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, max := range []int{maxDocBytes, 16} {
			probs, err := readJSON(bytes.NewReader(data), "fuzz", func(r Record) error {
				if r.ID() == "" && r.Service == nil && r.Organization == nil && r.Term == nil {
					t.Fatalf("record with no document: %+v", r)
				}
				if r.Line < 1 {
					t.Fatalf("record line %d", r.Line)
				}
				if _, err := json.Marshal(r); err != nil {
					t.Fatalf("record cannot be marshalled: %v", err)
				}
				return nil
			}, max)
			if err != nil {
				t.Fatalf("error on in-memory input: %v", err)
			}
			for _, p := range probs {
				if p.Message == "" || p.Line < 0 {
					t.Fatalf("bad problem %+v", p)
				}
				_ = p.String()
			}
		}
	})
}

package jsonlimit

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	lim := Limits{Depth: 64, Values: 1000, Keys: 100}
	wide := "{" + strings.Repeat(`"k":1,`, 100) + `"last":1}`
	deep := strings.Repeat("[", 65) + strings.Repeat("]", 65)
	ok64 := strings.Repeat("[", 64) + strings.Repeat("]", 64)
	many := "[" + strings.Repeat("1,", 1000) + "1]"
	for _, c := range []struct {
		name, doc string
		kind      Kind
		pointer   string
	}{
		{"object", `{"name":"Food","phones":[{"number":"305"}],"n":-1.5e3,"ok":true,"x":null}`, 0, ""},
		{"escapes and unicode", `{"a\/b":"caf\u00e9 \ud83d\ude00 ñ \"q\" \\ \n"}`, 0, ""},
		{"64 deep", ok64, 0, ""},
		{"65 deep", deep, Limit, "/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0"},
		{"too many values", many, Limit, "/999"},
		{"too many keys", wide, Limit, "/last"},
		{"escaped NUL", `{"name":"a\u0000b"}`, Text, "/name"},
		{"raw NUL", "{\"name\":\"a\x00b\"}", Text, "/name"},
		{"invalid UTF-8", "{\"services\":[{\"name\":\"caf\xe9\"}]}", Text, "/services/0/name"},
		{"lone high surrogate", `{"name":"\ud800x"}`, Text, "/name"},
		{"lone low surrogate", `{"name":"\udc00"}`, Text, "/name"},
		{"key with slash and tilde", `{"a/b~c":"\u0000"}`, Text, "/a~1b~0c"},
		{"trailing comma", `{"a":1,}`, Syntax, "/a"},
		{"two documents", `{} {}`, Syntax, ""},
		{"empty", ``, Syntax, ""},
		{"bare word", `nope`, Syntax, ""},
		{"unterminated", `{"a":"b`, Syntax, "/a"},
		{"raw tab in string", "\"a\tb\"", Syntax, ""},
		{"bad number", `[01x]`, Syntax, "/0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := Check([]byte(c.doc), lim)
			if c.kind == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || err.Kind != c.kind || err.Pointer != c.pointer || err.Msg == "" {
				t.Fatalf("got %+v, want kind %d at %q", err, c.kind, c.pointer)
			}
		})
	}
}

// FuzzCheck: Check accepts exactly what encoding/json accepts, except
// text it refuses on purpose.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{`{}`, `[1,2]`, `{"a":[{"b":"c"}]}`, `"x"`, `-0.5e+3`, `[tru]`, `{"a":}`, `01`, `"\u12"`, `[1 2]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := Check(b, Limits{})
		valid := json.Valid(b)
		if err == nil && !valid {
			t.Fatalf("accepted invalid JSON %q", b)
		}
		if err != nil && err.Kind == Syntax && valid {
			t.Fatalf("refused valid JSON %q: %v", b, err)
		}
	})
}

func BenchmarkCheck(b *testing.B) {
	doc := []byte(`{"items":[` + strings.Repeat(`{"id":"0b7f5c1e-8a52-4f55-9d4b-2d7f1c3e9a10","name":"Food pantry","n":12},`, 10000) + `{}]}`)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Check(doc, Limits{Depth: 64, Values: 1 << 20}); err != nil {
			b.Fatal(err)
		}
	}
}

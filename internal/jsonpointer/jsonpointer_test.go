package jsonpointer

import (
	"encoding/json"
	"testing"
)

func TestWalk(t *testing.T) {
	doc := []byte(`{"name":"x","phones":[{"number":"1"},{"number":"2","a/b":{"~":true}}]}`)
	var got []string
	Walk(doc, func(ptr, _ string, _ json.Token, _ int64) bool { got = append(got, ptr); return false })
	want := []string{"", "/name", "/phones", "/phones/0", "/phones/0/number", "/phones/1", "/phones/1/number", "/phones/1/a~1b", "/phones/1/a~1b/~0"}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	ptr, tok, found := Walk(doc, func(_, key string, _ json.Token, _ int64) bool { return key == "number" })
	if !found || ptr != "/phones/0/number" || tok != "1" {
		t.Errorf("stop at the first number: %q %v %v", ptr, tok, found)
	}
}

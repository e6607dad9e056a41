package httpapi_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/linkage-org/linkage/internal/store/storetest"
)

// TestWebhooks_Addresses: a webhook to an address in a special-purpose
// range, or to an IPv4 address spelled other than as a dotted quad, is a
// 422 naming /url with a message saying what to send instead; public
// addresses and names are accepted, on creation and on PATCH.
func TestWebhooks_Addresses(t *testing.T) {
	refused := []string{"0.1.2.3", "100.64.0.1", "198.18.0.1", "240.0.0.1", "255.255.255.255", "[64:ff9b::7f00:1]", "127.1",
		"0x7f.0.0.1", "017700000001", "2130706433", "0177.0.0.1", "192.0.2.10", "224.0.0.251", "[::ffff:10.0.0.1]",
		"[2002:a9fe:a9fe::1]", "[fd00::1]", "[fe80::1%25eth0]", "[2001:db8::1]", "localhost.", "api.localhost"}
	accepted := []string{"93.184.216.34", "[2606:4700::1111]", "hooks.example.org"}
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			a := newReferrals(t, d) // webhook secrets are sealed: it has a data key
			body := func(host string) string {
				return fmt.Sprintf(`{"url": %q, "events": ["listing.stale"]}`, "https://"+host+"/hook")
			}
			check := func(what string, res response) {
				t.Helper()
				var p struct {
					Errors []struct{ Pointer, Message string } `json:"errors"`
				}
				if res.status != 422 {
					t.Errorf("%s: %d %s, want 422", what, res.status, res.body)
					return
				}
				res.json(t, &p)
				if len(p.Errors) != 1 || p.Errors[0].Pointer != "/url" {
					t.Errorf("%s: errors %+v, want one at /url", what, p.Errors)
					return
				}
				msg := p.Errors[0].Message
				if !strings.Contains(msg, "public") && !strings.Contains(msg, "write it as four decimal numbers") ||
					strings.Contains(msg, "netip") || strings.Contains(msg, "url.") || strings.Contains(msg, "%!") {
					t.Errorf("%s: message %q does not say what to send", what, msg)
				}
			}
			for _, host := range refused {
				check("POST "+host, a.send("POST", "/webhooks", body(host), a.keyA))
			}
			var id string
			for _, host := range accepted {
				res := a.send("POST", "/webhooks", body(host), a.keyA)
				if res.status != 201 {
					t.Fatalf("POST %s: %d %s", host, res.status, res.body)
				}
				var w struct{ ID string }
				if err := json.Unmarshal(res.body, &w); err != nil {
					t.Fatal(err)
				}
				id = w.ID
			}
			for _, host := range []string{"100.64.0.1", "127.1"} {
				res := a.send("PATCH", "/webhooks/"+id, `{"url": "http://`+host+`/x"}`, a.keyA, "Content-Type", "application/merge-patch+json")
				check("PATCH "+host, res)
			}
		})
	}
}

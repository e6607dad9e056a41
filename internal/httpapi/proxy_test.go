package httpapi_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/linkage-org/linkage/internal/httpapi"
	"github.com/linkage-org/linkage/internal/indexsync"
	"github.com/linkage-org/linkage/internal/indexsync/indexsynctest"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// X-Forwarded-For names the client only when the connection comes from a
// trusted proxy. The test's connections come from 127.0.0.1: untrusted, a
// forged header moves neither the rate-limit bucket nor the audit address;
// with 127.0.0.0/8 trusted (the test client playing the proxy) it does.
func TestAccess_TrustedProxies(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			st := storetest.Open(t, d)
			admin := adminKey(t, st)
			sy := indexsynctest.Ready(t, st, indexsync.Options{})
			serve := func(trusted ...string) *env {
				return serveEnv(t, st, sy, 1<<20, func(d *httpapi.Deps) {
					for _, s := range trusted {
						d.TrustedProxies = append(d.TrustedProxies, netip.MustParsePrefix(s))
					}
					// 0.5 a second without a key: a burst of one request per
					// client address. Keys are not limited.
					d.RateLimits = httpapi.RateLimits{Anonymous: 0.5}
				})
			}
			anon := func(e *env, xff string) int {
				t.Helper()
				return e.get("/taxonomies", "X-Forwarded-For", xff).status
			}
			// auditAddr creates an agency as a client at xff and returns the
			// client address its audit entry records.
			auditAddr := func(e *env, xff string) string {
				t.Helper()
				r := e.do("POST", "/agencies", strings.NewReader(`{"name": "Agency via `+xff+`"}`),
					append(bearer(admin), "Content-Type", "application/json", "X-Forwarded-For", xff)...)
				var ag struct{ ID string }
				r.json(t, &ag)
				if r.status != 201 {
					t.Fatalf("create agency: %d %s", r.status, r.body)
				}
				r = e.get("/audit?resource_type=agency&resource_id="+ag.ID, bearer(admin)...)
				var page struct {
					Contents []struct {
						ClientAddr string `json:"client_addr"`
					}
				}
				r.json(t, &page)
				if r.status != 200 || len(page.Contents) != 1 {
					t.Fatalf("audit: %d %s", r.status, r.body)
				}
				return page.Contents[0].ClientAddr
			}

			// No trusted proxy: every forged address shares the peer's
			// bucket, and the audit log records the peer.
			e := serve()
			if got := anon(e, "203.0.113.1"); got != 200 {
				t.Fatalf("first anonymous request: %d", got)
			}
			if got := anon(e, "203.0.113.2"); got != 429 {
				t.Errorf("a forged X-Forwarded-For from an untrusted peer got a fresh bucket: %d, want 429", got)
			}
			if got := auditAddr(e, "203.0.113.3"); got != "127.0.0.1" {
				t.Errorf("audit client_addr with an untrusted X-Forwarded-For = %q, want the peer 127.0.0.1", got)
			}

			// The peer is a trusted proxy: the address it forwards is the
			// client, with a bucket of its own and in the audit log.
			e = serve("127.0.0.0/8")
			if got := anon(e, "203.0.113.1"); got != 200 {
				t.Fatalf("first forwarded client: %d", got)
			}
			if got := anon(e, "203.0.113.1"); got != 429 {
				t.Errorf("the same forwarded client again: %d, want 429", got)
			}
			if got := anon(e, "203.0.113.2"); got != 200 {
				t.Errorf("another forwarded client: %d, want 200 (a bucket of its own)", got)
			}
			// What a client writes before the proxy's entry is not believed:
			// the rightmost untrusted address is the client.
			if got := anon(e, "198.51.100.7, 203.0.113.2"); got != 429 {
				t.Errorf("a client prepending an address escaped its bucket: %d, want 429", got)
			}
			if got := auditAddr(e, "203.0.113.9"); got != "203.0.113.9" {
				t.Errorf("audit client_addr behind a trusted proxy = %q, want 203.0.113.9", got)
			}
		})
	}
}

package notify_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/notify"
	"github.com/linkage-org/linkage/internal/seal"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// TestWorker_RefusesAtConnect: subscriptions stored with a name that
// resolves to loopback, or with IP spellings that lead there, are refused
// when the worker connects, with the reason in the delivery log and no
// request reaching the receiver. With AllowPrivate the same receiver gets
// them (so the refusal is the check, not a dead address), except the
// non-canonical spelling, which is refused always.
func TestWorker_RefusesAtConnect(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			clk := &clock{t: time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC)}
			k, _ := seal.NewKey()
			keys, _ := seal.Parse(k)
			st := storetest.Open(t, d, store.WithKeyring(keys), store.WithClock(clk.Now))
			var mu sync.Mutex
			hits := map[string]int{}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				hits[r.URL.Path]++
			}))
			defer srv.Close()
			u, err := url.Parse(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			port := u.Port()
			targets := []struct{ path, url, refusal string }{
				{"/name", "http://localhost:" + port + "/name", "not public"}, // a DNS name, resolved to loopback
				{"/any", "http://0.0.0.0:" + port + "/any", `not public: an address of "this network" in 0.0.0.0/8`},
				{"/mapped", "http://[::ffff:127.0.0.1]:" + port + "/mapped", "not public: a loopback address"},
				{"/short", "http://127.1:" + port + "/short", "write it as four decimal numbers"},
			}
			hooks := make([]store.Webhook, len(targets))
			agency, by := newAgency(t, st)
			for i, tg := range targets {
				hooks[i], _ = newWebhook(t, st, by, tg.url, "listing.stale")
			}
			if err := st.QueueNotice(ctx, store.Notice{Type: "listing.stale", AgencyIDs: []string{agency}, Data: map[string]any{"service_id": "x"}}); err != nil {
				t.Fatal(err)
			}
			delivery := func(i int) store.Delivery {
				ds, _, err := st.Deliveries(ctx, hooks[i].ID, "", store.Paging{Number: 1, Size: 10})
				if err != nil || len(ds) != 1 {
					t.Fatalf("deliveries of %s: %v %d", targets[i].url, err, len(ds))
				}
				return ds[0]
			}

			w := notify.New(st, storetest.Logger(), clk.Now, notify.Config{RetryBase: time.Minute, StaleAfter: -1})
			if _, err := w.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			for i, tg := range targets {
				if dl := delivery(i); dl.State != store.DeliveryPending || !strings.Contains(dl.LastError, tg.refusal) {
					t.Errorf("%s: %s %q, want pending with %q", tg.url, dl.State, dl.LastError, tg.refusal)
				}
			}
			mu.Lock()
			if len(hits) != 0 {
				t.Errorf("the receiver was reached: %v", hits)
			}
			mu.Unlock()

			clk.Add(time.Hour)
			w = notify.New(st, storetest.Logger(), clk.Now, notify.Config{RetryBase: time.Minute, StaleAfter: -1, AllowPrivate: true})
			if _, err := w.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			for i, tg := range targets {
				dl := delivery(i)
				if tg.path == "/short" {
					if dl.State != store.DeliveryPending || !strings.Contains(dl.LastError, tg.refusal) {
						t.Errorf("%s with AllowPrivate: %s %q, want still refused", tg.url, dl.State, dl.LastError)
					}
					continue
				}
				mu.Lock()
				n := hits[tg.path]
				mu.Unlock()
				if dl.State != store.DeliveryDelivered || n != 1 {
					t.Errorf("%s with AllowPrivate: %s %q, %d requests", tg.url, dl.State, dl.LastError, n)
				}
			}
		})
	}
}

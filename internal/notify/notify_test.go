package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/notify"
	"github.com/linkage-org/linkage/internal/seal"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// receiver is a real HTTP endpoint that checks every signature and fails
// the requests fail says to.
type receiver struct {
	t      *testing.T
	secret string
	mu     sync.Mutex
	fail   func(referral string, seq, tries int) bool
	tries  map[string]int // by event id
	got    []string       // "referral/seq" of accepted deliveries, in arrival order
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	sig := r.Header.Get(notify.SignatureHeader)
	var ts int64
	parts := strings.Split(sig, ",")
	if len(parts) != 2 || !strings.HasPrefix(parts[0], "t=") || !strings.HasPrefix(parts[1], "v1=") {
		rc.t.Errorf("signature header %q", sig)
	}
	if _, err := jsonNumber(strings.TrimPrefix(parts[0], "t="), &ts); err != nil {
		rc.t.Errorf("signature time %q", parts[0])
	}
	if want := notify.Sign(rc.secret, time.Unix(ts, 0), body); want != sig {
		rc.t.Errorf("signature %q, want %q", sig, want)
	}
	var env struct {
		ID   string `json:"id"`
		Type string `json:"type"`
		Data struct {
			Referral string `json:"referral_id"`
			Seq      int    `json:"seq"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		rc.t.Errorf("body %s: %v", body, err)
	}
	if r.Header.Get("Linkage-Event-Id") != env.ID || r.Header.Get("Linkage-Event") != env.Type {
		rc.t.Errorf("event headers %v do not match body %s", r.Header, body)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.tries[env.ID]++
	if rc.fail(env.Data.Referral, env.Data.Seq, rc.tries[env.ID]) {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	rc.got = append(rc.got, env.Data.Referral+"/"+itoa(env.Data.Seq))
}

func (rc *receiver) received() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got)
}

func jsonNumber(s string, out *int64) (int64, error) {
	err := json.Unmarshal([]byte(s), out)
	return *out, err
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// newAgency adds an agency (a row is all the worker needs of it) and
// returns its id and the actor of its agency key.
func newAgency(t *testing.T, st *store.Store) (string, store.Actor) {
	t.Helper()
	id := uuid.NewString()
	if _, err := st.DB().Exec(`INSERT INTO agencies (id, name, created_at) VALUES ($1, $2, $3)`, id, "Receiver", time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	return id, store.Actor{Principal: auth.Principal{AgencyID: id, Role: auth.Agency, KeyID: uuid.NewString()}, ClientAddr: "test"}
}

// newWebhook subscribes by's agency to events at url and returns the
// subscription and its signing secret.
func newWebhook(t *testing.T, st *store.Store, by store.Actor, url string, events ...string) (store.Webhook, string) {
	t.Helper()
	w, secret, err := st.CreateWebhook(context.Background(), by, store.WebhookInput{URL: url, Events: events, Active: true})
	if err != nil {
		t.Fatal(err)
	}
	return w, secret
}

// TestWorker_DeliversInOrderAcrossRestart: a receiver fails a referral's
// first event; that referral's later events wait behind it while another
// referral's go through; the worker and its database connection are then
// replaced (a restart), the clock passes the backoff, and every event
// arrives once, in order per referral, each signed.
func TestWorker_DeliversInOrderAcrossRestart(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			clk := &clock{t: time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC)}
			k, _ := seal.NewKey()
			keys, _ := seal.Parse(k)
			url := storetest.URL(t, d)
			open := func() *store.Store {
				st, err := store.Open(ctx, url, storetest.Logger(), store.WithKeyring(keys), store.WithClock(clk.Now))
				if err != nil {
					t.Fatal(err)
				}
				if err := st.Migrate(ctx); err != nil {
					t.Fatal(err)
				}
				return st
			}
			st := open()
			rc := &receiver{t: t, tries: map[string]int{}, fail: func(ref string, seq, tries int) bool { return ref == "r1" && seq == 1 && tries == 1 }}
			srv := httptest.NewServer(rc)
			defer srv.Close()
			agency, by := newAgency(t, st)
			_, secret := newWebhook(t, st, by, srv.URL, "referral.status_changed")
			rc.secret = secret
			// Another agency's event and an event type not subscribed are not sent.
			if err := st.QueueNotice(ctx, store.Notice{Type: "referral.note_added", OrderKey: "r1", AgencyIDs: []string{agency}, Data: map[string]any{"referral_id": "r1", "seq": 99}}); err != nil {
				t.Fatal(err)
			}
			if raw := secretColumn(t, st); strings.Contains(raw, secret) {
				t.Fatalf("webhook secret stored in clear")
			}
			for _, e := range []struct {
				ref string
				seq int
			}{{"r1", 1}, {"r2", 1}, {"r1", 2}, {"r2", 2}, {"r1", 3}} {
				err := st.QueueNotice(ctx, store.Notice{Type: "referral.status_changed", OrderKey: e.ref, AgencyIDs: []string{agency},
					Data: map[string]any{"referral_id": e.ref, "seq": e.seq}})
				if err != nil {
					t.Fatal(err)
				}
			}
			w := notify.New(st, storetest.Logger(), clk.Now, notify.Config{RetryBase: time.Minute, StaleAfter: -1, AllowPrivate: true})
			if _, err := w.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			if got := rc.received(); !slices.Equal(got, []string{"r2/1", "r2/2"}) {
				t.Fatalf("after the first round: %v, want r2's events only (r1 waits behind its failed first event)", got)
			}
			// A second round before the backoff ends sends nothing.
			if n, _ := w.RunOnce(ctx); n != 0 {
				t.Errorf("a round inside the backoff tried %d deliveries", n)
			}

			// Restart: a new connection and a new worker; the outbox is in the database.
			_ = st.Close()
			st = open()
			defer st.Close()
			w = notify.New(st, storetest.Logger(), clk.Now, notify.Config{RetryBase: time.Minute, StaleAfter: -1, AllowPrivate: true})
			clk.Add(61 * time.Second)
			if _, err := w.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			if got := rc.received(); !slices.Equal(got, []string{"r2/1", "r2/2", "r1/1", "r1/2", "r1/3"}) {
				t.Fatalf("after the restart: %v", got)
			}
			hooks, err := st.Webhooks(ctx, agency)
			if err != nil || len(hooks) != 1 {
				t.Fatal(err)
			}
			log, total, err := st.Deliveries(ctx, hooks[0].ID, "", store.Paging{Number: 1, Size: 50})
			if err != nil || total != 5 {
				t.Fatalf("delivery log: %d rows, %v", total, err)
			}
			first := log[len(log)-1] // newest first
			if first.State != store.DeliveryDelivered || first.Attempts != 2 || len(first.Log) != 2 || first.Log[0].StatusCode != 503 || first.Log[1].StatusCode != 200 {
				t.Errorf("r1's first delivery log = %+v", first)
			}
		})
	}
}

// TestWorker_BackoffAndGiveUp: a dead endpoint is retried with doubling
// delays, capped, for 24 hours; then the delivery fails for good and the
// referral's next event goes out.
func TestWorker_BackoffAndGiveUp(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC)}
	k, _ := seal.NewKey()
	keys, _ := seal.Parse(k)
	st := storetest.Open(t, store.SQLite, store.WithKeyring(keys), store.WithClock(clk.Now))
	// The endpoint refuses the referral's first event every time.
	rc := &receiver{t: t, secret: "s", tries: map[string]int{}, fail: func(_ string, seq, _ int) bool { return seq == 1 }}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	agency, by := newAgency(t, st)
	_, rc.secret = newWebhook(t, st, by, srv.URL, "referral.status_changed")
	for seq := 1; seq <= 2; seq++ {
		if err := st.QueueNotice(ctx, store.Notice{Type: "referral.status_changed", OrderKey: "r9", AgencyIDs: []string{agency}, Data: map[string]any{"referral_id": "r9", "seq": seq}}); err != nil {
			t.Fatal(err)
		}
	}
	w := notify.New(st, storetest.Logger(), clk.Now, notify.Config{RetryBase: time.Minute, RetryMax: time.Hour, StaleAfter: -1, AllowPrivate: true})
	if got := []time.Duration{w.Backoff(1), w.Backoff(2), w.Backoff(3), w.Backoff(7), w.Backoff(30)}; !slices.Equal(got, []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, time.Hour, time.Hour}) {
		t.Errorf("backoff = %v", got)
	}
	start := clk.Now()
	attempts := 0
	for clk.Now().Sub(start) < 25*time.Hour {
		n, err := w.RunOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		attempts += n
		next, err := st.NextDeliveryAt(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if next.IsZero() {
			break
		}
		if next.After(clk.Now()) {
			clk.Add(next.Sub(clk.Now()))
		}
	}
	got := rc.received()
	if !slices.Equal(got, []string{"r9/2"}) {
		t.Errorf("received %v, want only the second event after the first failed for good", got)
	}
	if attempts < 20 || attempts > 40 {
		t.Errorf("%d attempts over 24 hours; want about 29 (1, 2, 4 ... 32 minutes, then hourly)", attempts)
	}
	if elapsed := clk.Now().Sub(start); elapsed < 23*time.Hour || elapsed > 25*time.Hour {
		t.Errorf("gave up after %s, want about 24 hours", elapsed)
	}
}

func secretColumn(t *testing.T, st *store.Store) string {
	t.Helper()
	var s string
	if err := st.DB().QueryRow("SELECT secret FROM webhooks").Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestWorker_PublicOnly: without AllowPrivate the worker will not connect
// to a loopback address, whatever the subscription says; the attempt is
// logged with the reason. Finished deliveries leave the log after 30 days.
func TestWorker_PublicOnly(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC)}
	k, _ := seal.NewKey()
	keys, _ := seal.Parse(k)
	st := storetest.Open(t, store.SQLite, store.WithKeyring(keys), store.WithClock(clk.Now))
	var hit atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hit.Store(true) }))
	defer srv.Close()
	agency, by := newAgency(t, st)
	hook, _ := newWebhook(t, st, by, srv.URL, "listing.stale")
	if err := st.QueueNotice(ctx, store.Notice{Type: "listing.stale", AgencyIDs: []string{agency}, Data: map[string]any{"service_id": "x"}}); err != nil {
		t.Fatal(err)
	}
	w := notify.New(st, storetest.Logger(), clk.Now, notify.Config{RetryBase: time.Minute, StaleAfter: -1})
	if _, err := w.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	ds, _, err := st.Deliveries(ctx, hook.ID, "", store.Paging{Number: 1, Size: 10})
	if err != nil || len(ds) != 1 {
		t.Fatal(err, len(ds))
	}
	if hit.Load() || ds[0].State != store.DeliveryPending || !strings.Contains(ds[0].LastError, "not public") {
		t.Errorf("delivery to loopback: hit=%v %+v", hit.Load(), ds[0])
	}
	// Given up after a day, then pruned after 30 more.
	for i := 0; i < 40 && ds[0].State == store.DeliveryPending; i++ {
		clk.Add(time.Hour)
		if _, err := w.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		ds, _, _ = st.Deliveries(ctx, hook.ID, "", store.Paging{Number: 1, Size: 10})
	}
	if len(ds) != 1 || ds[0].State != store.DeliveryFailed {
		t.Fatalf("after a day: %+v", ds)
	}
	clk.Add(31 * 24 * time.Hour)
	if _, err := w.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if ds, _, _ = st.Deliveries(ctx, hook.ID, "", store.Paging{Number: 1, Size: 10}); len(ds) != 0 {
		t.Errorf("finished deliveries kept past 30 days: %d", len(ds))
	}
}

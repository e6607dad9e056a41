// Package notify delivers the notification outbox to webhook subscribers
// and runs the periodic jobs that feed it (overdue follow-ups, stale
// listings). Deliveries are at least once, in order per referral, signed,
// and retried with exponential backoff for a day.
package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/linkage-org/linkage/internal/store"
)

// SignatureHeader carries "t=UNIX,v1=HEX", HEX being HMAC-SHA256(secret,
// t + "." + body).
const SignatureHeader = "Linkage-Signature"

// Sign is the signature header value of body sent at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// Config tunes the worker; zero fields take defaults.
type Config struct {
	RetryBase   time.Duration // first retry delay; doubles each time (default 30s)
	RetryMax    time.Duration // longest delay between tries (default 1h)
	GiveUpAfter time.Duration // a delivery older than this is failed (default 24h)
	Timeout     time.Duration // per request (default 10s)
	Parallel    int           // deliveries in flight (default 4)
	StaleAfter  time.Duration // listing.stale threshold (default 180 days; <0 off)
	// StaleReminder is how often listing.stale is sent again while a
	// listing stays stale (0: only once per stale spell).
	StaleReminder time.Duration
	Poll          time.Duration // how often the loop looks for work (default 1s)
	KeepLog       time.Duration // how long finished deliveries stay in the log (default 30 days)
	// AllowPrivate lets deliveries connect to loopback, private,
	// link-local and every other special-purpose address (tests, closed
	// networks). Off, a webhook cannot be used to reach the server's own
	// network, even by a DNS name that resolves there (see SpecialPurpose).
	AllowPrivate bool
}

func (c Config) withDefaults() Config {
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.RetryBase, 30*time.Second)
	def(&c.RetryMax, time.Hour)
	def(&c.GiveUpAfter, 24*time.Hour)
	def(&c.Timeout, 10*time.Second)
	def(&c.StaleAfter, 180*24*time.Hour)
	def(&c.Poll, time.Second)
	def(&c.KeepLog, 30*24*time.Hour)
	if c.Parallel <= 0 {
		c.Parallel = 4
	}
	return c
}

// Worker delivers webhooks and runs the periodic jobs.
type Worker struct {
	store  *store.Store
	client *http.Client
	log    *slog.Logger
	now    func() time.Time
	cfg    Config
	// OnAttempt, if set, hears of every attempt (metrics).
	OnAttempt func(eventType string, delivered bool)
	// OnBacklog, if set, hears the deliveries still pending after a round.
	OnBacklog func(pending int64)
}

// New builds a worker; now is the clock (tests move it).
func New(s *store.Store, log *slog.Logger, now func() time.Time, cfg Config) *Worker {
	cfg = cfg.withDefaults()
	if now == nil {
		now = time.Now
	}
	dialer := &net.Dialer{Timeout: cfg.Timeout}
	if !cfg.AllowPrivate {
		// Checked on the address actually dialed, after resolution, so a
		// name that resolves (or rebinds) to a private address is refused.
		dialer.Control = func(_, address string, _ syscall.RawConn) error { return checkDialed(address) }
	}
	transport := &http.Transport{DialContext: dialer.DialContext, MaxIdleConnsPerHost: 4, IdleConnTimeout: 90 * time.Second,
		TLSHandshakeTimeout: cfg.Timeout, ResponseHeaderTimeout: cfg.Timeout}
	return &Worker{store: s, log: log, now: now, cfg: cfg, client: &http.Client{Timeout: cfg.Timeout, Transport: transport,
		// A webhook answers; it does not send us elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Backoff is the delay before try n+1 after n failed tries.
func (w *Worker) Backoff(n int) time.Duration {
	d := w.cfg.RetryBase
	for i := 1; i < n && d < w.cfg.RetryMax; i++ {
		d *= 2
	}
	return min(d, w.cfg.RetryMax)
}

// Run loops until ctx ends: each round, if this replica holds the job lock,
// it queues overdue and stale notices and delivers what is due.
func (w *Worker) Run(ctx context.Context) {
	t := time.NewTicker(w.cfg.Poll)
	defer t.Stop()
	for {
		if _, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
			w.log.WarnContext(ctx, "notification round failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce does one round and reports how many deliveries it attempted.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	attempted := 0
	_, err := w.store.WithJobLock(ctx, func(ctx context.Context) error {
		if err := w.Jobs(ctx); err != nil {
			return err
		}
		var err error
		if attempted, err = w.Deliver(ctx); err != nil {
			return err
		}
		if w.OnBacklog != nil {
			n, err := w.store.PendingDeliveries(ctx)
			if err != nil {
				return err
			}
			w.OnBacklog(n)
		}
		return nil
	})
	return attempted, err
}

// Jobs queues followup.overdue and listing.stale notices, forgets expired
// idempotency keys and prunes the delivery log.
func (w *Worker) Jobs(ctx context.Context) error {
	for {
		n, err := w.store.NotifyOverdue(ctx, 200)
		if err != nil {
			return fmt.Errorf("notify: overdue follow-ups: %w", err)
		}
		if n < 200 {
			break
		}
	}
	if w.cfg.StaleAfter > 0 {
		cutoff := w.now().Add(-w.cfg.StaleAfter)
		for {
			n, err := w.store.NotifyStale(ctx, cutoff, w.cfg.StaleReminder, 200)
			if err != nil {
				return fmt.Errorf("notify: stale listings: %w", err)
			}
			if n < 200 {
				break
			}
		}
	}
	if _, err := w.store.PruneIdempotencyKeys(ctx, w.now().Add(-store.IdempotencyWindow)); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	if _, err := w.store.PruneDeliveries(ctx, w.now().Add(-w.cfg.KeepLog)); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}

// Deliver sends every delivery due now (each referral's oldest pending
// one first) until none is due, and reports how many it tried.
func (w *Worker) Deliver(ctx context.Context) (int, error) {
	total := 0
	for {
		due, err := w.store.DueDeliveries(ctx, 100)
		if err != nil {
			return total, err
		}
		if len(due) == 0 {
			return total, nil
		}
		sem := make(chan struct{}, w.cfg.Parallel)
		var wg sync.WaitGroup
		errs := make([]error, len(due))
		for i, d := range due {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				errs[i] = w.deliver(ctx, d)
			}()
		}
		wg.Wait()
		total += len(due)
		if err := errors.Join(errs...); err != nil {
			return total, err
		}
		if ctx.Err() != nil {
			return total, ctx.Err()
		}
	}
}

func (w *Worker) deliver(ctx context.Context, d store.Delivery) error {
	url, secret, err := w.store.WebhookTarget(ctx, d.WebhookID)
	if err != nil {
		return err
	}
	start := time.Now()
	status, sendErr := w.send(ctx, url, secret, d)
	a := store.Attempt{StatusCode: status, DurationMS: int(time.Since(start).Milliseconds())}
	ok := sendErr == nil && status >= 200 && status < 300
	if !ok {
		a.Error = fmt.Sprintf("HTTP %d", status)
		if sendErr != nil {
			a.Error = describeSendError(sendErr)
			w.log.DebugContext(ctx, "webhook delivery error", "webhook_id", d.WebhookID, "err", sendErr)
		}
		if len(a.Error) > 500 {
			a.Error = a.Error[:500]
		}
	}
	var retryAt time.Time
	if !ok {
		next := w.now().Add(w.Backoff(d.Attempts + 1))
		if next.Sub(d.CreatedAt) <= w.cfg.GiveUpAfter {
			retryAt = next
		}
	}
	if w.OnAttempt != nil {
		w.OnAttempt(d.EventType, ok)
	}
	if err := w.store.RecordAttempt(ctx, d, a, ok, retryAt); err != nil {
		return err
	}
	if !ok && retryAt.IsZero() {
		w.log.WarnContext(ctx, "webhook delivery failed for good", "webhook_id", d.WebhookID, "event_id", d.EventID, "attempts", d.Attempts+1)
	}
	return nil
}

func (w *Worker) send(ctx context.Context, url, secret string, d store.Delivery) (int, error) {
	body := []byte(d.Payload)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	// A URL stored before CheckHost refused such spellings is refused here;
	// where an address is allowed at all is the dialer's check.
	if err := checkSpelling(req.URL.Hostname()); err != nil {
		return 0, fmt.Errorf("the webhook URL %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Linkage-Webhooks/1")
	req.Header.Set("Linkage-Event", d.EventType)
	req.Header.Set("Linkage-Event-Id", d.EventID)
	req.Header.Set(SignatureHeader, Sign(secret, w.now(), body))
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, nil
}

// describeSendError says why a delivery failed in words for the agency that
// owns the webhook: what went wrong with its receiver, never this server's
// resolver, addresses or Go error chains (those go to the debug log).
func describeSendError(err error) string {
	var dnsErr *net.DNSError
	var notPublic *notPublicError
	switch {
	case errors.As(err, &notPublic):
		return notPublic.Error()
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return "the receiver's host name does not resolve"
	case errors.As(err, &dnsErr):
		return "the receiver's host name could not be looked up; Linkage will retry"
	case errors.Is(err, context.DeadlineExceeded) || os.IsTimeout(err):
		return "the receiver did not answer in time"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "the receiver refused the connection"
	case errors.Is(err, syscall.ECONNRESET):
		return "the receiver closed the connection"
	}
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) {
		return "the receiver's TLS certificate is not valid: " + certErr.Err.Error()
	}
	if strings.Contains(err.Error(), "the webhook URL ") {
		return err.Error()
	}
	return "the delivery failed before the receiver answered"
}

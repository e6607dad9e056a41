// Package httpapi is Linkage's HTTP edge: the Echo server, its routes,
// middleware, OpenAPI request validation and the problem+json error map.
package httpapi

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/config"
	"github.com/linkage-org/linkage/internal/eligibility"
	"github.com/linkage-org/linkage/internal/hsdsio"
	"github.com/linkage-org/linkage/internal/hydrate"
	"github.com/linkage-org/linkage/internal/importer"
	"github.com/linkage-org/linkage/internal/metrics"
	"github.com/linkage-org/linkage/internal/referral"
	"github.com/linkage-org/linkage/internal/search"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/seed"
)

// Deps are what the API needs; cmd builds them. The fields of settings
// read 0 as config.Settings does: off where the setting can be off, and
// otherwise not set, taking the setting's default.
type Deps struct {
	Store        *store.Store
	Index        search.Indexer // search; required
	Metrics      *metrics.Metrics
	Logger       *slog.Logger
	BaseURL      string // public base URL, for openapi_url
	MaxBodyBytes int64  // request bodies above this are 413 (0: the default)
	MaxJSONBytes int64  // JSON bodies above this are 413 (0: the default)
	// ExportStall is how long an export waits on a client that stopped
	// reading (0: 30 s).
	ExportStall time.Duration
	CORSOrigins []string // origins allowed to call from a browser
	// Ready reports whether the service can take traffic (database reachable,
	// index caught up); nil means ready.
	Ready func(ctx context.Context) error
	// RateLimits bound requests per caller; a zero rate is off (no limit).
	RateLimits RateLimits
	// CapacityMaxAge is how long a capacity report counts (0: the default
	// of LINKAGE_CAPACITY_MAX_AGE).
	CapacityMaxAge time.Duration
	// FollowUpRules set the due dates of referral follow-ups (zero: the
	// defaults of referral.DefaultRules).
	FollowUpRules referral.Rules
	// BarrierRules are the barrier report's (zero: referral.DefaultBarrierRules).
	BarrierRules referral.BarrierRules
	// RiskLead is how long before a dated risk its task falls due (zero:
	// referral.DefaultLead).
	RiskLead referral.Lead
	// Now is the clock (tests move it); nil is time.Now.
	Now func() time.Time
	// WebhookAllowPrivate lets webhooks name loopback and private
	// addresses (tests, closed networks).
	WebhookAllowPrivate bool
	// Guidelines are the poverty guidelines eligibility is judged with
	// (zero: the ones shipped in seed/).
	Guidelines eligibility.Guidelines
	// PageCache is how many search results (service_at_locations) are kept
	// hydrated in memory, in step with the index (0 or negative: off, as
	// LINKAGE_SEARCH_PAGE_CACHE=0).
	PageCache int
	// TrustedProxies are the peers whose X-Forwarded-For names the client;
	// none: the client is the connection's peer.
	TrustedProxies []netip.Prefix
	// ImportLimits bound what an uploaded import may expand to (zero
	// fields: the defaults of LINKAGE_IMPORT_MAX_ENTRY_BYTES and _TOTAL_BYTES).
	ImportLimits hsdsio.Limits
	// ImportTempDir holds a tabular package's sort files while it is
	// imported, up to about three times its uncompressed size ("": the
	// system's temporary folder).
	ImportTempDir string
	// MetricsElsewhere leaves GET /metrics out of the routes: cmd serves
	// the registry on a listener of its own (LINKAGE_METRICS_ADDR), away
	// from the public address.
	MetricsElsewhere bool
	// Console builds the staff console around api, this server's own
	// handler (its in-process API); nil serves no console.
	Console func(api http.Handler) http.Handler
}

type handler struct {
	store   *store.Store
	index   search.Indexer
	metrics *metrics.Metrics
	log     *slog.Logger
	baseURL string
	ready   func(ctx context.Context) error
	spec    *spec
	touched keyToucher
	limiter *rateLimiter
	maxJSON int64

	capacityMaxAge time.Duration
	exports        chan struct{} // one token per export running
	exporting      sync.Map      // client addresses with an export running
	keyedExports   chan struct{} // the export slot kept for callers with a key
	streams        streamSlots
	exportStall    time.Duration
	jobs           *importer.Jobs // runs POST /imports
	importLimits   hsdsio.Limits
	importTemp     string
	rules          referral.Rules
	barriers       referral.BarrierRules
	riskLead       referral.Lead
	now            func() time.Time
	webhookPrivate bool
	guidelines     eligibility.Guidelines
	pages          *hydrate.Cache       // nil: search pages read the database
	noMetrics      bool                 // /metrics is served on another listener
	docs           docsAsset            // the API reference page
	docsAssets     map[string]docsAsset // and its files
}

// New builds the HTTP server with every route and middleware.
func New(d Deps) (*echo.Echo, error) {
	def := config.Defaults()
	if d.MaxBodyBytes <= 0 {
		d.MaxBodyBytes = def.MaxBodyBytes
	}
	if d.CapacityMaxAge <= 0 {
		d.CapacityMaxAge = def.CapacityMaxAge
	}
	sp, err := loadSpec()
	if err != nil {
		return nil, err
	}
	if d.Index == nil {
		return nil, fmt.Errorf("httpapi: a search index is required")
	}
	h := &handler{store: d.Store, index: d.Index, metrics: d.Metrics, log: d.Logger, baseURL: d.BaseURL, ready: d.Ready, spec: sp,
		limiter: newRateLimiter(d.RateLimits), capacityMaxAge: d.CapacityMaxAge, exports: make(chan struct{}, maxExports), keyedExports: make(chan struct{}, 1),
		importLimits: d.ImportLimits, importTemp: d.ImportTempDir,
		rules: d.FollowUpRules, barriers: barrierRules(d.BarrierRules), riskLead: d.RiskLead, now: d.Now, webhookPrivate: d.WebhookAllowPrivate, guidelines: d.Guidelines, noMetrics: d.MetricsElsewhere}
	if h.guidelines.Year == 0 {
		if h.guidelines, err = eligibility.ParseGuidelines(seed.PovertyGuidelines()); err != nil {
			return nil, err
		}
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.docs, h.docsAssets, err = loadDocs(); err != nil {
		return nil, fmt.Errorf("httpapi: API reference: %w", err)
	}
	h.exportStall = d.ExportStall
	if h.exportStall <= 0 {
		h.exportStall = defaultExportStall
	}
	h.maxJSON = d.MaxJSONBytes
	if h.maxJSON <= 0 {
		h.maxJSON = def.MaxJSONBytes
	}
	if h.importLimits.EntryBytes <= 0 {
		h.importLimits.EntryBytes = def.ImportMaxEntry
	}
	if h.importLimits.TotalBytes <= 0 {
		h.importLimits.TotalBytes = def.ImportMaxTotal
	}
	h.jobs = h.newJobs()
	if h.metrics == nil {
		h.metrics = metrics.New()
	}
	if d.PageCache > 0 {
		if h.pages, err = hydrate.New(d.PageCache, pageCacheTTL); err != nil {
			return nil, err
		}
		h.index.Subscribe(func(serviceIDs []string, all bool) {
			if all {
				h.pages.Clear()
			} else {
				h.pages.Invalidate(serviceIDs)
			}
		})
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	// The client address is the connection's, or the one a proxy of
	// TrustedProxies forwards: a client cannot pick its own (and its rate
	// limit, and its audit address) with a header.
	e.IPExtractor = clientAddr(d.TrustedProxies)
	e.HTTPErrorHandler = h.errorHandler
	e.Pre(requestIDs, headAsGet)
	e.Use(restoreHead)
	e.Use(h.observe)
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true, LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
		h.log.ErrorContext(c.Request().Context(), "panic", "err", err, "stack", string(stack), "request_id", requestID(c))
		return err
	}}))
	e.Use(bodyLimit(d.MaxBodyBytes))
	// Answers are compressed for clients that ask (pages, ndjson streams,
	// exports); small ones are not worth it.
	e.Use(middleware.GzipWithConfig(middleware.GzipConfig{Level: 5, MinLength: 1024,
		// The metrics handler compresses for itself.
		Skipper: func(c echo.Context) bool { return c.Path() == "/metrics" }}))
	e.Use(checkQuery)
	if len(d.CORSOrigins) > 0 {
		e.Use(middleware.CORSWithConfig(middleware.CORSConfig{AllowOrigins: d.CORSOrigins,
			AllowHeaders:  []string{"Authorization", "Content-Type", "If-Match", "If-None-Match", "Idempotency-Key", ActingPersonHeader},
			ExposeHeaders: []string{"ETag", "Location", "X-Request-Id", "Retry-After", "Linkage-Index-Lag", "Linkage-Accepts-Referrals"},
			MaxAge:        600}))
	}
	e.Use(h.authenticate)
	e.Use(h.rateLimit)
	e.Use(h.limitStreams)
	e.Use(h.validateRequest)
	h.routes(e, d.Console)
	return e, nil
}

// headAsGet answers HEAD on every GET route: the router (which reads the
// request net/http handed in) sees the GET the HEAD asks about, and
// restoreHead, the first middleware after routing, gives that request its
// HEAD back and the handlers a GET copy. net/http then sees HEAD and sends
// the headers without the body; leaving the original a GET would send the
// body too, and a keep-alive client would read it as its next answer.
func headAsGet(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if r := c.Request(); r.Method == http.MethodHead {
			r.Method = http.MethodGet
			c.Set(headKey, r)
		}
		return next(c)
	}
}

// headKey holds the original request of a HEAD (headAsGet).
const headKey = "head_request"

func restoreHead(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if orig, ok := c.Get(headKey).(*http.Request); ok {
			get := orig.WithContext(orig.Context()) // a shallow copy
			orig.Method = http.MethodHead
			c.SetRequest(get)
		}
		return next(c)
	}
}

// clientRequestIDKey holds the X-Request-Id a caller sent.
const clientRequestIDKey = "client_request_id"

// requestIDs gives every request an id of the server's own: it names the
// request in the audit log and in problems, so a caller cannot choose it
// (and make an audit line look like another's). A caller's own short,
// plain X-Request-Id is kept beside it in the log line, for correlation.
func requestIDs(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if id := c.Request().Header.Get(echo.HeaderXRequestID); id != "" && len(id) <= 64 && plainID(id) {
			c.Set(clientRequestIDKey, id)
		}
		c.Response().Header().Set(echo.HeaderXRequestID, newRequestID())
		return next(c)
	}
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // never fails: since Go 1.24 it crashes the program instead
	return fmt.Sprintf("%x", b)
}

func plainID(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return s != ""
}

// observe logs one line per request and records its metrics. It never logs
// query strings or bodies: they may carry personal data.
func (h *handler) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := h.now()
		h.metrics.HTTPInFlight.Inc()
		defer h.metrics.HTTPInFlight.Dec()
		err := next(c)
		if err != nil {
			// Write the problem now so the status below is the one sent.
			c.Error(err)
		}
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		status := c.Response().Status
		dur := h.now().Sub(start)
		h.metrics.HTTPRequests.WithLabelValues(route, c.Request().Method, strconv.Itoa(status)).Inc()
		h.metrics.HTTPDuration.WithLabelValues(route, c.Request().Method).Observe(dur.Seconds())
		level := slog.LevelInfo
		if status < 400 && (route == "/healthz" || route == "/readyz" || route == "/metrics") {
			level = slog.LevelDebug // probes and scrapes every few seconds would drown the log
		}
		if status >= 500 && !(route == "/readyz" && status == http.StatusServiceUnavailable) {
			// Not ready (a rebuild, a replica catching up) is a state the
			// probe reports every few seconds, not an error.
			level = slog.LevelError
		}
		attrs := []slog.Attr{slog.String("request_id", requestID(c)), slog.String("method", c.Request().Method),
			slog.String("route", route), slog.Int("status", status), slog.Int64("bytes", c.Response().Size),
			slog.Duration("took", dur)}
		if cid, ok := c.Get(clientRequestIDKey).(string); ok {
			attrs = append(attrs, slog.String(clientRequestIDKey, cid))
		}
		h.log.LogAttrs(c.Request().Context(), level, "request", attrs...)
		return nil
	}
}

// bodyLimit rejects bodies over max with 413 before a handler reads them.
func bodyLimit(max int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if r.ContentLength > max {
				return apperr.E(apperr.TooLarge, "The request body is %d bytes; the limit is %d bytes (LINKAGE_MAX_BODY_BYTES).", r.ContentLength, max)
			}
			if r.Body != nil {
				r.Body = http.MaxBytesReader(c.Response(), r.Body, max)
			}
			return next(c)
		}
	}
}

// healthz says the process is alive.
func (h *handler) healthz(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz says whether the process can serve: the database answers and
// whatever Deps.Ready checks (the search index, later) is caught up.
func (h *handler) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	c.Response().Header().Set("Cache-Control", "no-store")
	if err := h.store.Ping(ctx); err != nil {
		return err
	}
	if h.ready != nil {
		if err := h.ready(ctx); err != nil {
			var ae *apperr.Error
			if !errors.As(err, &ae) {
				err = apperr.Wrap(err, apperr.Unavailable, "not ready: %v", err)
			}
			return err
		}
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}

func (h *handler) metricsHandler(c echo.Context) error {
	h.metrics.Handler().ServeHTTP(c.Response(), c.Request())
	return nil
}

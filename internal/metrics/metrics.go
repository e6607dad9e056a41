// Package metrics holds Linkage's one Prometheus registry and its named
// collectors. It is handed to the parts that record; nothing is global.
package metrics

import (
	"database/sql"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is the registry and its collectors.
type Metrics struct {
	Registry     *prometheus.Registry
	HTTPRequests *prometheus.CounterVec
	HTTPDuration *prometheus.HistogramVec
	HTTPInFlight prometheus.Gauge

	// Search index and its outbox.
	IndexSeq       prometheus.Gauge
	OutboxLastSeq  prometheus.Gauge
	OutboxBacklog  prometheus.Gauge
	IndexLag       prometheus.Gauge
	IndexReady     prometheus.Gauge
	IndexDocuments prometheus.Gauge
	IndexApplied   prometheus.Counter
	IndexRebuilds  prometheus.Counter
	SearchDuration *prometheus.HistogramVec
	SearchCache    *prometheus.CounterVec

	// Referrals and their notifications.
	ReferralTransitions *prometheus.CounterVec
	WebhookAttempts     *prometheus.CounterVec
	WebhookBacklog      prometheus.Gauge
}

// New builds a registry with Go runtime and process collectors.
func New() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		HTTPRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "linkage_http_requests_total", Help: "HTTP requests by route, method and status code.",
		}, []string{"route", "method", "code"}),
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "linkage_http_request_duration_seconds", Help: "HTTP request latency by route and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		HTTPInFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "linkage_http_requests_in_flight", Help: "HTTP requests being served.",
		}),
	}
	gauge := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
	}
	m.IndexSeq = gauge("linkage_search_index_seq", "Last outbox sequence applied to this process's search index.")
	m.OutboxLastSeq = gauge("linkage_search_outbox_last_seq", "Highest sequence in the search outbox (the database's newest change).")
	m.OutboxBacklog = gauge("linkage_search_outbox_backlog", "Outbox changes this process's index has not applied yet.")
	m.IndexLag = gauge("linkage_search_index_lag_seconds", "Age of the oldest change this process's index has not applied (0 when current).")
	m.IndexReady = gauge("linkage_search_index_ready", "1 when the search index is open and caught up, 0 while it is being built.")
	m.IndexDocuments = gauge("linkage_search_index_documents", "Documents in the search index.")
	m.IndexApplied = prometheus.NewCounter(prometheus.CounterOpts{Name: "linkage_search_index_changes_applied_total", Help: "Outbox changes applied to the search index."})
	m.IndexRebuilds = prometheus.NewCounter(prometheus.CounterOpts{Name: "linkage_search_index_rebuilds_total", Help: "Full rebuilds of the search index."})
	m.SearchDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "linkage_search_duration_seconds", Help: "Search engine time per query, by kind (text, geo, filter).",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
	}, []string{"kind"})
	m.SearchCache = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "linkage_search_page_cache_total",
		Help: "Search results hydrated from the page cache (hit) or the database (miss)."}, []string{"result"})
	m.ReferralTransitions = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "linkage_referral_transitions_total", Help: "Referral moves, by target status."}, []string{"to"})
	m.WebhookAttempts = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "linkage_webhook_attempts_total", Help: "Webhook delivery attempts, by event type and result."}, []string{"event", "result"})
	m.WebhookBacklog = gauge("linkage_webhook_outbox_backlog", "Webhook deliveries waiting to be sent (pending).")
	r.MustRegister(m.ReferralTransitions, m.WebhookAttempts, m.WebhookBacklog)
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.HTTPRequests, m.HTTPDuration, m.HTTPInFlight,
		m.IndexSeq, m.OutboxLastSeq, m.OutboxBacklog, m.IndexLag, m.IndexReady, m.IndexDocuments,
		m.IndexApplied, m.IndexRebuilds, m.SearchDuration, m.SearchCache)
	return m
}

// RegisterDB exports the connection pool statistics of db.
func (m *Metrics) RegisterDB(db *sql.DB, name string) {
	m.Registry.MustRegister(collectors.NewDBStatsCollector(db, name))
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

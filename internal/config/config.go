// Package config reads Linkage's settings from the environment, with
// defaults that make `make run` work on a fresh machine.
package config

import (
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/linkage-org/linkage/internal/referral"
)

// Config is every setting of the service. It is passed down as a value;
// nothing reads the environment after Load.
type Config struct {
	Addr            string         // LINKAGE_ADDR
	MetricsAddr     string         // LINKAGE_METRICS_ADDR: "" serves /metrics on Addr
	DataDir         string         // LINKAGE_DATA_DIR
	DatabaseURL     string         // LINKAGE_DATABASE_URL
	LogLevel        string         // LINKAGE_LOG_LEVEL
	LogFormat       string         // LINKAGE_LOG_FORMAT
	Demo            bool           // LINKAGE_DEMO: load the demo dataset into an empty database
	BaseURL         string         // LINKAGE_BASE_URL: public URL, for links in responses
	MaxBodyBytes    int64          // LINKAGE_MAX_BODY_BYTES
	MaxJSONBytes    int64          // LINKAGE_MAX_JSON_BYTES
	ShutdownTimeout time.Duration  // LINKAGE_SHUTDOWN_TIMEOUT
	CORSOrigins     []string       // LINKAGE_CORS_ORIGINS
	DefaultTZ       string         // LINKAGE_DEFAULT_TZ
	SynonymsFile    string         // LINKAGE_SYNONYMS_FILE: "" uses the shipped list
	OutboxRetention time.Duration  // LINKAGE_OUTBOX_RETENTION
	IndexPoll       time.Duration  // LINKAGE_INDEX_POLL
	IndexBatch      int            // LINKAGE_INDEX_BATCH
	RebuildBatch    int            // LINKAGE_INDEX_REBUILD_BATCH
	PageCache       int            // LINKAGE_SEARCH_PAGE_CACHE: hydrated search results kept (0: none)
	RateAnonymous   float64        // LINKAGE_RATE_ANONYMOUS
	RateKey         float64        // LINKAGE_RATE_KEY
	RatePortal      float64        // LINKAGE_RATE_PORTAL
	CapacityMaxAge  time.Duration  // LINKAGE_CAPACITY_MAX_AGE
	ImportStale     time.Duration  // LINKAGE_IMPORT_STALE
	ImportMaxEntry  int64          // LINKAGE_IMPORT_MAX_ENTRY_BYTES: one file of an import, uncompressed
	ImportMaxTotal  int64          // LINKAGE_IMPORT_MAX_TOTAL_BYTES: a whole import, uncompressed
	DataKey         string         // LINKAGE_DATA_KEY: base64 of 32 bytes; seals personal data
	DataKeysOld     []string       // LINKAGE_DATA_KEYS_OLD: earlier keys, for reading
	FollowUpRules   referral.Rules // LINKAGE_FOLLOWUP_RULES
	WebhookRetry    time.Duration  // LINKAGE_WEBHOOK_RETRY_BASE
	StaleAfter      time.Duration  // LINKAGE_STALE_AFTER: listing.stale threshold (0: off)
	JobsPoll        time.Duration  // LINKAGE_JOBS_POLL
	WebhookPrivate  bool           // LINKAGE_WEBHOOK_ALLOW_PRIVATE
	GuidelinesFile  string         // LINKAGE_POVERTY_GUIDELINES_FILE: "" uses the shipped guidelines
	TrustedProxies  []netip.Prefix // LINKAGE_TRUSTED_PROXIES: peers whose X-Forwarded-For is believed
}

// Var documents one environment variable.
type Var struct {
	Name, Default, Help string
}

// Vars lists every setting with its default, for --help and the README.
var Vars = []Var{
	{"LINKAGE_ADDR", "127.0.0.1:8080", "address the HTTP server listens on"},
	{"LINKAGE_METRICS_ADDR", "", "separate address for GET /metrics (e.g. 0.0.0.0:9090, for Prometheus only); when set, LINKAGE_ADDR no longer serves /metrics (404); empty = /metrics on LINKAGE_ADDR"},
	{"LINKAGE_DATA_DIR", "./data", "directory for the embedded database and the search index"},
	{"LINKAGE_DATABASE_URL", "sqlite://<data dir>/linkage.db", "database: sqlite:PATH, sqlite://PATH or postgres://user@host:port/db"},
	{"LINKAGE_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"LINKAGE_LOG_FORMAT", "text", "text or json"},
	{"LINKAGE_DEMO", "false", "load the demo dataset when the database is empty (make run sets true)"},
	{"LINKAGE_BASE_URL", "http://<addr>", "public base URL, used for openapi_url in GET /"},
	{"LINKAGE_MAX_BODY_BYTES", "10485760", "largest request body accepted (bytes); larger is 413"},
	{"LINKAGE_MAX_JSON_BYTES", "1048576", "largest JSON request body (bytes; file uploads have LINKAGE_MAX_BODY_BYTES); larger is 413"},
	{"LINKAGE_SHUTDOWN_TIMEOUT", "20s", "how long in-flight requests may run after SIGTERM"},
	{"LINKAGE_CORS_ORIGINS", "", "comma-separated origins allowed by CORS (client portals); empty = none"},
	{"LINKAGE_DEFAULT_TZ", "America/New_York", "IANA time zone for locations that name none"},
	{"LINKAGE_SYNONYMS_FILE", "", "search synonyms file (format of seed/synonyms.txt); empty uses the shipped list"},
	{"LINKAGE_OUTBOX_RETENTION", "168h", "how long search outbox rows are kept; a replica further behind rebuilds its index"},
	{"LINKAGE_INDEX_POLL", "250ms", "how often each process reads the outbox for other processes' changes"},
	{"LINKAGE_INDEX_BATCH", "500", "outbox changes per search index batch"},
	{"LINKAGE_RATE_ANONYMOUS", "20", "requests a second per client address without a key (burst: twice as many); 0 = no limit"},
	{"LINKAGE_RATE_KEY", "50", "requests a second per admin, agency or caseworker key; 0 = no limit"},
	{"LINKAGE_RATE_PORTAL", "200", "requests a second per portal key; 0 = no limit"},
	{"LINKAGE_IMPORT_STALE", "30s", "an import job whose server has not reported for this long is failed (jobs report every 2s)"},
	{"LINKAGE_IMPORT_MAX_ENTRY_BYTES", "268435456", "largest uncompressed file in an import's zip or package folder (bytes, 256 MiB); a zip declaring more is 413 before it is expanded"},
	{"LINKAGE_IMPORT_MAX_TOTAL_BYTES", "536870912", "largest uncompressed import, all its files together, JSON files included (bytes, 512 MiB); also the limit of linkage import"},
	{"LINKAGE_CAPACITY_MAX_AGE", "48h", "how long a service's capacity report counts; older reports are unknown to search"},
	{"LINKAGE_INDEX_REBUILD_BATCH", "5000", "documents per search index batch when rebuilding (each batch is a segment to merge)"},
	{"LINKAGE_DATA_KEY", "(demo: generated into <data dir>/data-key.txt)", "32 random bytes, base64 (openssl rand -base64 32): seals client details, notes and webhook secrets (AES-256-GCM); on PostgreSQL serve refuses to start without it; on SQLite without it cases and referrals answer 503"},
	{"LINKAGE_DATA_KEYS_OLD", "", "comma-separated earlier data keys, still used to read values sealed before a rotation"},
	{"LINKAGE_FOLLOWUP_RULES", "response=2bd,checkin=14d,appointment=1d,outcome=30d,client=7d", "referral follow-up due dates: response after sent (business days), check-in after accepted or after the appointment, outcome after accepted, client follow-up after the end"},
	{"LINKAGE_WEBHOOK_RETRY_BASE", "30s", "first webhook retry delay; it doubles each try (at most 1h apart) for 24 hours"},
	{"LINKAGE_STALE_AFTER", "4320h", "a managed listing not changed or confirmed for this long sends listing.stale once (0 = off)"},
	{"LINKAGE_WEBHOOK_ALLOW_PRIVATE", "false", "let webhooks reach loopback, private and link-local addresses (closed networks, tests); off, they reach public addresses only"},
	{"LINKAGE_POVERTY_GUIDELINES_FILE", "", "HHS poverty guidelines for eligibility (format of seed/eligibility/poverty_guidelines.json); empty uses the shipped 2025 figures"},
	{"LINKAGE_JOBS_POLL", "1s", "how often webhook deliveries and periodic jobs (overdue follow-ups, stale listings) run, on one replica at a time"},
	{"LINKAGE_TRUSTED_PROXIES", "", "comma-separated CIDRs (or addresses) of the proxies in front of Linkage; X-Forwarded-For is believed only from them, and without any the client address is the connection's"},
}

// Load reads settings from env (a lookup like os.LookupEnv) and validates them.
func Load(env func(string) (string, bool)) (Config, error) {
	get := func(name, def string) string {
		if v, ok := env(name); ok && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
		return def
	}
	c := Config{
		Addr:        get("LINKAGE_ADDR", "127.0.0.1:8080"),
		MetricsAddr: get("LINKAGE_METRICS_ADDR", ""),
		DataDir:     get("LINKAGE_DATA_DIR", "./data"),
		LogLevel:    strings.ToLower(get("LINKAGE_LOG_LEVEL", "info")),
		LogFormat:   strings.ToLower(get("LINKAGE_LOG_FORMAT", "text")),
		DefaultTZ:   get("LINKAGE_DEFAULT_TZ", "America/New_York"),
	}
	c.DatabaseURL = get("LINKAGE_DATABASE_URL", "sqlite://"+filepath.Join(c.DataDir, "linkage.db"))
	c.BaseURL = strings.TrimRight(get("LINKAGE_BASE_URL", "http://"+c.Addr), "/")
	var errs []error
	var err error
	if c.Demo, err = strconv.ParseBool(get("LINKAGE_DEMO", "false")); err != nil {
		errs = append(errs, fmt.Errorf("LINKAGE_DEMO: want true or false: %w", err))
	}
	if c.MaxBodyBytes, err = strconv.ParseInt(get("LINKAGE_MAX_BODY_BYTES", "10485760"), 10, 64); err != nil || c.MaxBodyBytes < 1024 {
		errs = append(errs, fmt.Errorf("LINKAGE_MAX_BODY_BYTES: want a number of bytes of at least 1024"))
	}
	if c.MaxJSONBytes, err = strconv.ParseInt(get("LINKAGE_MAX_JSON_BYTES", "1048576"), 10, 64); err != nil || c.MaxJSONBytes < 1024 {
		errs = append(errs, fmt.Errorf("LINKAGE_MAX_JSON_BYTES: want a number of bytes of at least 1024"))
	}
	if c.ShutdownTimeout, err = time.ParseDuration(get("LINKAGE_SHUTDOWN_TIMEOUT", "20s")); err != nil || c.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("LINKAGE_SHUTDOWN_TIMEOUT: want a duration such as 20s"))
	}
	c.SynonymsFile = get("LINKAGE_SYNONYMS_FILE", "")
	c.GuidelinesFile = get("LINKAGE_POVERTY_GUIDELINES_FILE", "")
	if c.OutboxRetention, err = time.ParseDuration(get("LINKAGE_OUTBOX_RETENTION", "168h")); err != nil || c.OutboxRetention < time.Minute {
		errs = append(errs, fmt.Errorf("LINKAGE_OUTBOX_RETENTION: want a duration of at least 1m such as 168h"))
	}
	if c.IndexPoll, err = time.ParseDuration(get("LINKAGE_INDEX_POLL", "250ms")); err != nil || c.IndexPoll < 10*time.Millisecond || c.IndexPoll > time.Minute {
		errs = append(errs, fmt.Errorf("LINKAGE_INDEX_POLL: want a duration from 10ms to 1m such as 250ms"))
	}
	if c.IndexBatch, err = strconv.Atoi(get("LINKAGE_INDEX_BATCH", "500")); err != nil || c.IndexBatch < 1 || c.IndexBatch > 100000 {
		errs = append(errs, fmt.Errorf("LINKAGE_INDEX_BATCH: want a number from 1 to 100000"))
	}
	for _, r := range []struct {
		name, def string
		dst       *float64
	}{{"LINKAGE_RATE_ANONYMOUS", "20", &c.RateAnonymous}, {"LINKAGE_RATE_KEY", "50", &c.RateKey}, {"LINKAGE_RATE_PORTAL", "200", &c.RatePortal}} {
		if *r.dst, err = strconv.ParseFloat(get(r.name, r.def), 64); err != nil || *r.dst < 0 || *r.dst > 1e6 {
			errs = append(errs, fmt.Errorf("%s: want requests a second from 0 (no limit) to 1000000", r.name))
		}
	}
	if c.ImportStale, err = time.ParseDuration(get("LINKAGE_IMPORT_STALE", "30s")); err != nil || c.ImportStale < time.Second {
		errs = append(errs, fmt.Errorf("LINKAGE_IMPORT_STALE: want a duration of at least 1s such as 30s"))
	}
	for _, l := range []struct {
		name, def string
		dst       *int64
	}{{"LINKAGE_IMPORT_MAX_ENTRY_BYTES", "268435456", &c.ImportMaxEntry}, {"LINKAGE_IMPORT_MAX_TOTAL_BYTES", "536870912", &c.ImportMaxTotal}} {
		if *l.dst, err = strconv.ParseInt(get(l.name, l.def), 10, 64); err != nil || *l.dst < 1<<20 {
			errs = append(errs, fmt.Errorf("%s: want a number of bytes of at least 1048576 (1 MiB)", l.name))
		}
	}
	if c.CapacityMaxAge, err = time.ParseDuration(get("LINKAGE_CAPACITY_MAX_AGE", "48h")); err != nil || c.CapacityMaxAge < time.Minute {
		errs = append(errs, fmt.Errorf("LINKAGE_CAPACITY_MAX_AGE: want a duration of at least 1m such as 48h"))
	}
	if c.RebuildBatch, err = strconv.Atoi(get("LINKAGE_INDEX_REBUILD_BATCH", "1000")); err != nil || c.RebuildBatch < 1 || c.RebuildBatch > 100000 {
		errs = append(errs, fmt.Errorf("LINKAGE_INDEX_REBUILD_BATCH: want a number from 1 to 100000"))
	}
	if c.PageCache, err = strconv.Atoi(get("LINKAGE_SEARCH_PAGE_CACHE", "10000")); err != nil || c.PageCache < 0 || c.PageCache > 1000000 {
		errs = append(errs, fmt.Errorf("LINKAGE_SEARCH_PAGE_CACHE: want a number from 0 (off) to 1000000"))
	}
	c.DataKey = get("LINKAGE_DATA_KEY", "")
	for _, k := range strings.Split(get("LINKAGE_DATA_KEYS_OLD", ""), ",") {
		if k = strings.TrimSpace(k); k != "" {
			c.DataKeysOld = append(c.DataKeysOld, k)
		}
	}
	if c.FollowUpRules, err = referral.ParseRules(get("LINKAGE_FOLLOWUP_RULES", "")); err != nil {
		errs = append(errs, fmt.Errorf("LINKAGE_FOLLOWUP_RULES: %w", err))
	}
	if c.WebhookRetry, err = time.ParseDuration(get("LINKAGE_WEBHOOK_RETRY_BASE", "30s")); err != nil || c.WebhookRetry < 10*time.Millisecond || c.WebhookRetry > time.Hour {
		errs = append(errs, fmt.Errorf("LINKAGE_WEBHOOK_RETRY_BASE: want a duration from 10ms to 1h such as 30s"))
	}
	if c.StaleAfter, err = time.ParseDuration(get("LINKAGE_STALE_AFTER", "4320h")); err != nil || c.StaleAfter < 0 {
		errs = append(errs, fmt.Errorf("LINKAGE_STALE_AFTER: want a duration such as 4320h (180 days), or 0 for off"))
	}
	if c.WebhookPrivate, err = strconv.ParseBool(get("LINKAGE_WEBHOOK_ALLOW_PRIVATE", "false")); err != nil {
		errs = append(errs, fmt.Errorf("LINKAGE_WEBHOOK_ALLOW_PRIVATE: want true or false"))
	}
	if c.JobsPoll, err = time.ParseDuration(get("LINKAGE_JOBS_POLL", "1s")); err != nil || c.JobsPoll < 10*time.Millisecond || c.JobsPoll > time.Minute {
		errs = append(errs, fmt.Errorf("LINKAGE_JOBS_POLL: want a duration from 10ms to 1m such as 1s"))
	}
	if o := get("LINKAGE_CORS_ORIGINS", ""); o != "" {
		for _, s := range strings.Split(o, ",") {
			if s = strings.TrimSpace(s); s != "" {
				c.CORSOrigins = append(c.CORSOrigins, s)
			}
		}
	}
	if c.TrustedProxies, err = parseProxies(get("LINKAGE_TRUSTED_PROXIES", "")); err != nil {
		errs = append(errs, fmt.Errorf("LINKAGE_TRUSTED_PROXIES: %w", err))
	}
	if err := c.Validate(); err != nil {
		errs = append(errs, err)
	}
	return c, errors.Join(errs...)
}

// parseProxies reads comma-separated CIDRs; a bare address is a range of
// one. A CIDR with bits set past its length is refused rather than masked:
// "10.1.2.3/8" trusts all of 10.0.0.0/8, which is rarely what was meant.
func parseProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	var errs []error
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if a, err := netip.ParseAddr(f); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8 or fd00::/8, nor an address", f))
		case p != p.Masked():
			errs = append(errs, fmt.Errorf("%q has address bits set past /%d; write %s", f, p.Bits(), p.Masked()))
		default:
			out = append(out, p)
		}
	}
	return out, errors.Join(errs...)
}

// Validate checks values that have a fixed set of choices.
func (c Config) Validate() error {
	var errs []error
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("LINKAGE_LOG_LEVEL: want debug, info, warn or error, got %q", c.LogLevel))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("LINKAGE_LOG_FORMAT: want text or json, got %q", c.LogFormat))
	}
	if _, err := time.LoadLocation(c.DefaultTZ); err != nil {
		errs = append(errs, fmt.Errorf("LINKAGE_DEFAULT_TZ: %w", err))
	}
	if c.Addr == "" {
		errs = append(errs, errors.New("LINKAGE_ADDR: must not be empty"))
	}
	// Port 0 picks a free port for each (tests).
	if c.MetricsAddr != "" && c.MetricsAddr == c.Addr && !strings.HasSuffix(c.Addr, ":0") {
		errs = append(errs, errors.New("LINKAGE_METRICS_ADDR: must differ from LINKAGE_ADDR (leave it empty to serve /metrics there)"))
	}
	return errors.Join(errs...)
}

// Package config reads Linkage's settings from the environment, with
// defaults that make `make run` work on a fresh machine. Every setting is
// declared once, in Settings; docs/configuration.md is generated from it
// (go generate ./internal/config).
//
// "0" means the same wherever a number can be 0: off, in the environment,
// in a command's flag and in the Deps of httpapi. A setting that cannot be
// off refuses 0 in the environment; in a Go struct its zero value is
// "not set" and takes the default of Settings.
package config

//go:generate go test -run TestConfigurationDoc -update

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/linkage-org/linkage/internal/referral"
)

// Config is every setting of the service; Settings says what each field
// means and its default. It is passed down as a value; nothing reads the
// environment after Load.
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
	PageCache       int            // LINKAGE_SEARCH_PAGE_CACHE: hydrated search results kept (0: off)
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
	RiskLead        referral.Lead  // LINKAGE_RISK_LEAD
	WebhookRetry    time.Duration  // LINKAGE_WEBHOOK_RETRY_BASE
	StaleAfter      time.Duration  // LINKAGE_STALE_AFTER: listing.stale threshold (0: off)
	StaleReminder   time.Duration  // LINKAGE_STALE_REMINDER: listing.stale again while stale (0: once)
	// BarrierReferDays and ReportMinCount are the barrier report's rules
	// (LINKAGE_BARRIER_REFER_DAYS, LINKAGE_REPORT_MIN_COUNT).
	BarrierReferDays, ReportMinCount int
	JobsPoll                         time.Duration  // LINKAGE_JOBS_POLL
	WebhookPrivate                   bool           // LINKAGE_WEBHOOK_ALLOW_PRIVATE
	GuidelinesFile                   string         // LINKAGE_POVERTY_GUIDELINES_FILE: "" uses the shipped guidelines
	TrustedProxies                   []netip.Prefix // LINKAGE_TRUSTED_PROXIES: peers whose X-Forwarded-For is believed
	// OIDCIssuer, OIDCClientID and OIDCClientSecret are the console's
	// single sign-on (LINKAGE_OIDC_*): all three, or none for passwords only.
	OIDCIssuer, OIDCClientID, OIDCClientSecret string
}

// Load reads settings from env (a lookup like os.LookupEnv) and validates
// them. An empty variable is an unset one: it takes the setting's default.
func Load(env func(string) (string, bool)) (Config, error) {
	var c Config
	var errs []error
	for _, s := range settings {
		v, _ := env(s.Env)
		if err := s.read(&c, strings.TrimSpace(v)); err != nil {
			errs = append(errs, err)
		}
	}
	if err := c.Validate(); err != nil {
		errs = append(errs, err)
	}
	return c, errors.Join(errs...)
}

// Defaults is the configuration of an empty environment.
func Defaults() Config {
	c, _ := Load(func(string) (string, bool) { return "", false })
	return c
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
	errs = append(errs, c.validateOIDC())
	return errors.Join(errs...)
}

// validateOIDC refuses part of single sign-on's settings, naming what is
// missing (never a value: one is a secret), and an issuer that is not
// https, which would let the network forge the provider's keys.
func (c Config) validateOIDC() error {
	vars := []struct{ env, v string }{{"LINKAGE_OIDC_ISSUER", c.OIDCIssuer}, {"LINKAGE_OIDC_CLIENT_ID", c.OIDCClientID},
		{"LINKAGE_OIDC_CLIENT_SECRET", c.OIDCClientSecret}}
	var missing []string
	for _, s := range vars {
		if s.v == "" {
			missing = append(missing, s.env)
		}
	}
	switch len(missing) {
	case len(vars):
		return nil
	case 0:
		return checkIssuer(c.OIDCIssuer)
	}
	return fmt.Errorf("%s: not set; single sign-on needs LINKAGE_OIDC_ISSUER, LINKAGE_OIDC_CLIENT_ID and LINKAGE_OIDC_CLIENT_SECRET, or none of them",
		strings.Join(missing, ", "))
}

// checkIssuer wants an https URL; http only on a loopback address (a
// provider on the same machine, as in tests).
func checkIssuer(issuer string) error {
	u, err := url.Parse(issuer)
	ok := err == nil && u.Host != "" && u.RawQuery == "" && u.Fragment == ""
	if ok && u.Scheme == "http" {
		a, err := netip.ParseAddr(u.Hostname())
		ok = u.Hostname() == "localhost" || (err == nil && a.IsLoopback())
	} else if ok {
		ok = u.Scheme == "https"
	}
	if !ok {
		return fmt.Errorf("LINKAGE_OIDC_ISSUER: want an https:// URL (http:// only on a loopback address), got %q", issuer)
	}
	return nil
}

package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/linkage-org/linkage/internal/referral"
)

// A Setting is one environment variable. Settings is the only place a
// setting's name, default and meaning are written: Load, `linkage --help`,
// each command's --help and docs/configuration.md all read it.
type Setting struct {
	Env     string // the environment variable
	Flag    string // a command's flag that overrides it there ("import --max-entry-bytes"), if any
	Default string // the value of an unset or empty variable, as it would be written
	// Shown is the default as documented when Default cannot say it: one
	// derived from another setting, or the behaviour of an empty value.
	Shown string
	Zero  string // what 0 (a number) or an empty value means; "" when nothing special
	Help  string // what it does, on one line; `code` in backticks
	// Commands are the commands that read it (serve reads every setting).
	Commands []string
	Newcomer bool // one of the few settings the README names
	kind     kind
}

// kind is what a setting's value looks like, and how it is read into Config.
type kind struct {
	typ string                          // as in "want <typ>": for errors and the docs
	set func(c *Config, v string) error // v is the trimmed value, or the default
}

// The commands that read settings, by what they do.
var (
	dbCommands = []string{"serve", "migrate", "import", "export", "seed", "reindex", "apikey", "import-postcodes", "eligibility"}
	indexing   = []string{"serve", "reindex"}
	importing  = []string{"serve", "import"}
	serving    = []string{"serve"}
)

// Settings is every setting, in the order Load reads them (a derived
// default follows what it is derived from).
func Settings() []Setting { return slices.Clone(settings) }

var settings = []Setting{
	{Env: "LINKAGE_ADDR", Default: "127.0.0.1:8080", Commands: serving, Newcomer: true,
		Help: "address the HTTP server listens on", kind: text("host:port", func(c *Config) *string { return &c.Addr })},
	{Env: "LINKAGE_METRICS_ADDR", Shown: "(none: `/metrics` on `LINKAGE_ADDR`)", Commands: serving,
		Help: "a separate address for `GET /metrics` (for Prometheus only, e.g. `0.0.0.0:9090`); when set, `LINKAGE_ADDR` answers `/metrics` with `404`. The image, compose and Kubernetes files set `0.0.0.0:9090`",
		kind: text("host:port", func(c *Config) *string { return &c.MetricsAddr })},
	{Env: "LINKAGE_DATA_DIR", Default: "./data", Commands: dbCommands, Newcomer: true,
		Help: "directory for the embedded database and the search index (`index/`)", kind: text("a directory", func(c *Config) *string { return &c.DataDir })},
	{Env: "LINKAGE_DATABASE_URL", Shown: "`sqlite://<data dir>/linkage.db`", Commands: dbCommands, Newcomer: true,
		Help: "`sqlite:PATH`, `sqlite://PATH`, or `postgres://user@host:port/db?sslmode=...`", kind: databaseURL},
	{Env: "LINKAGE_LOG_LEVEL", Default: "info", Commands: dbCommands,
		Help: "the least important log lines written", kind: lower(func(c *Config) *string { return &c.LogLevel }, "debug", "info", "warn", "error")},
	{Env: "LINKAGE_LOG_FORMAT", Default: "text", Commands: dbCommands, Newcomer: true,
		Help: "the log's format (`json` for a log pipeline)", kind: lower(func(c *Config) *string { return &c.LogFormat }, "text", "json")},
	{Env: "LINKAGE_DEMO", Default: "false", Commands: dbCommands, Newcomer: true,
		Help: "load the demo dataset when the database is empty, with demo agencies and keys (`make run` sets `true`); without `LINKAGE_DATA_KEY` a data key is generated into the data dir",
		kind: boolean(func(c *Config) *bool { return &c.Demo })},
	{Env: "LINKAGE_BASE_URL", Shown: "`http://<addr>`", Commands: serving, Newcomer: true,
		Help: "public URL, used for `openapi_url` in `GET /`", kind: baseURL},
	{Env: "LINKAGE_OIDC_ISSUER", Shown: "(none: the console signs in with passwords only)", Commands: serving,
		Help: "OpenID Connect issuer of the staff console's single sign-on (`https://`, or `http://` on a loopback address); register `LINKAGE_BASE_URL` + `/app/sso/callback` as the redirect URI. Set it with `LINKAGE_OIDC_CLIENT_ID` and `LINKAGE_OIDC_CLIENT_SECRET`, or none of the three",
		kind: text("an https URL", func(c *Config) *string { return &c.OIDCIssuer })},
	{Env: "LINKAGE_OIDC_CLIENT_ID", Shown: "(none)", Commands: serving,
		Help: "the console's client id at the OpenID Connect provider", kind: text("a client id", func(c *Config) *string { return &c.OIDCClientID })},
	{Env: "LINKAGE_OIDC_CLIENT_SECRET", Shown: "(none)", Commands: serving,
		Help: "the console's client secret at the OpenID Connect provider; never logged or shown", kind: text("a client secret", func(c *Config) *string { return &c.OIDCClientSecret })},
	{Env: "LINKAGE_MAX_BODY_BYTES", Default: "10485760", Zero: "refused", Commands: serving,
		Help: "largest request body; larger is `413`", kind: bytesAtLeast(func(c *Config) *int64 { return &c.MaxBodyBytes }, 1024)},
	{Env: "LINKAGE_MAX_JSON_BYTES", Default: "1048576", Zero: "refused", Commands: serving,
		Help: "largest JSON request body (file uploads: `LINKAGE_MAX_BODY_BYTES`); larger is `413`", kind: bytesAtLeast(func(c *Config) *int64 { return &c.MaxJSONBytes }, 1024)},
	{Env: "LINKAGE_SHUTDOWN_TIMEOUT", Default: "20s", Zero: "refused", Commands: serving,
		Help: "grace period for in-flight requests after SIGTERM", kind: duration(func(c *Config) *time.Duration { return &c.ShutdownTimeout }, time.Nanosecond, 0)},
	{Env: "LINKAGE_CORS_ORIGINS", Shown: "(none)", Commands: serving,
		Help: "comma-separated browser origins allowed (client portals)", kind: list("comma-separated origins such as https://portal.example", func(c *Config) *[]string { return &c.CORSOrigins })},
	{Env: "LINKAGE_DEFAULT_TZ", Default: "America/New_York", Commands: dbCommands,
		Help: "IANA zone for locations that name none", kind: text("an IANA time zone such as America/Chicago", func(c *Config) *string { return &c.DefaultTZ })},
	{Env: "LINKAGE_SYNONYMS_FILE", Shown: "(shipped list)", Commands: indexing,
		Help: "search synonyms, format of `seed/synonyms.txt`; read at start", kind: text("a file", func(c *Config) *string { return &c.SynonymsFile })},
	{Env: "LINKAGE_OUTBOX_RETENTION", Default: "168h", Zero: "refused", Commands: indexing,
		Help: "how long search outbox rows are kept; an index older than that is rebuilt", kind: duration(func(c *Config) *time.Duration { return &c.OutboxRetention }, time.Minute, 0)},
	{Env: "LINKAGE_INDEX_POLL", Default: "250ms", Zero: "refused", Commands: indexing,
		Help: "how often a server reads the outbox for other processes' changes", kind: duration(func(c *Config) *time.Duration { return &c.IndexPoll }, 10*time.Millisecond, time.Minute)},
	{Env: "LINKAGE_INDEX_BATCH", Default: "500", Zero: "refused", Commands: indexing,
		Help: "outbox changes per index batch", kind: number(func(c *Config) *int { return &c.IndexBatch }, 1, 100000)},
	{Env: "LINKAGE_RATE_ANONYMOUS", Default: "20", Zero: "off: no limit", Commands: serving,
		Help: "requests a second per client address without a key (burst: twice as many)", kind: rate(func(c *Config) *float64 { return &c.RateAnonymous })},
	{Env: "LINKAGE_RATE_KEY", Default: "50", Zero: "off: no limit", Commands: serving,
		Help: "requests a second per admin, agency or caseworker key", kind: rate(func(c *Config) *float64 { return &c.RateKey })},
	{Env: "LINKAGE_RATE_PORTAL", Default: "200", Zero: "off: no limit", Commands: serving,
		Help: "requests a second per portal key", kind: rate(func(c *Config) *float64 { return &c.RatePortal })},
	{Env: "LINKAGE_IMPORT_STALE", Default: "30s", Zero: "refused", Commands: serving,
		Help: "an import job whose server has not reported for this long is failed (jobs report every 2 s)", kind: duration(func(c *Config) *time.Duration { return &c.ImportStale }, time.Second, 0)},
	{Env: "LINKAGE_IMPORT_MAX_ENTRY_BYTES", Flag: "import --max-entry-bytes", Default: "268435456", Shown: "`268435456` (256 MiB)",
		Zero: "refused; the flag's 0: no limit", Commands: importing,
		Help: "largest uncompressed file of an import's zip or package folder; a zip whose central directory declares more is refused with `413` before it is expanded, and one that expands to more than it declares fails its job",
		kind: bytesAtLeast(func(c *Config) *int64 { return &c.ImportMaxEntry }, 1<<20)},
	{Env: "LINKAGE_IMPORT_MAX_TOTAL_BYTES", Flag: "import --max-total-bytes", Default: "536870912", Shown: "`536870912` (512 MiB)",
		Zero: "refused; the flag's 0: no limit", Commands: importing,
		Help: "largest uncompressed import, all its files together (a JSON file counts whole); same refusals",
		kind: bytesAtLeast(func(c *Config) *int64 { return &c.ImportMaxTotal }, 1<<20)},
	{Env: "LINKAGE_CAPACITY_MAX_AGE", Default: "48h", Zero: "refused", Commands: serving,
		Help: "how long a service's capacity report counts; older reports are unknown to search", kind: duration(func(c *Config) *time.Duration { return &c.CapacityMaxAge }, time.Minute, 0)},
	{Env: "LINKAGE_SEARCH_PAGE_CACHE", Default: "10000", Zero: "off: every page reads the database", Commands: serving,
		Help: "search results kept hydrated in memory (about 4 KB each), dropped when the index applies a change to their service and after 5 minutes",
		kind: number(func(c *Config) *int { return &c.PageCache }, 0, 1000000)},
	{Env: "LINKAGE_INDEX_REBUILD_BATCH", Default: "1000", Zero: "refused", Commands: indexing,
		Help: "documents per index batch when rebuilding (each batch is a segment to merge; larger batches build more slowly)", kind: number(func(c *Config) *int { return &c.RebuildBatch }, 1, 100000)},
	{Env: "LINKAGE_DATA_KEY", Shown: "(demo: generated into `<data dir>/data-key.txt`)", Commands: dbCommands, Newcomer: true,
		Help: "32 random bytes, base64 (`openssl rand -base64 32`): seals client details, notes and webhook secrets (AES-256-GCM); on PostgreSQL `serve` refuses to start without it (demo mode too: every replica needs the same key); on SQLite without it the directory serves and cases and referrals answer `503`",
		kind: text("base64 of 32 bytes", func(c *Config) *string { return &c.DataKey })},
	{Env: "LINKAGE_DATA_KEYS_OLD", Shown: "(none)", Commands: dbCommands,
		Help: "comma-separated earlier data keys, still used to read values sealed before a rotation", kind: list("comma-separated keys", func(c *Config) *[]string { return &c.DataKeysOld })},
	{Env: "LINKAGE_FOLLOWUP_RULES", Default: "response=2bd,urgent=0bd,checkin=14d,urgent_checkin=7d,appointment=1d,outcome=30d,client=7d,connect=2bd,urgent_connect=1bd", Commands: serving,
		Help: "follow-up due dates (any subset, the rest as the default; `bd` business days, `d` days, or a Go duration): `response` the receiver's answer to a routine referral, `urgent` to an urgent one (`0bd`: by 17:00 of the receiver's business day, or of the next one when sent after 17:00 or on a weekend), `checkin`/`urgent_checkin` after acceptance, `appointment` after an appointment, `outcome` after acceptance, `client` the client's follow-up after the end, `connect`/`urgent_connect` the caseworker's check that the client reached the service of an out-of-network referral", kind: followUpRules},
	{Env: "LINKAGE_RISK_LEAD", Default: "2bd", Commands: serving,
		Help: "how long before a case risk's date (an eviction, a shut-off) its task falls due, from 09:00 of that day in the agency's zone: `bd` business days, `d` days, or a Go duration such as `36h`", kind: riskLead},
	{Env: "LINKAGE_WEBHOOK_RETRY_BASE", Default: "30s", Zero: "refused", Commands: serving,
		Help: "first webhook retry delay; it doubles each try (at most 1 h apart) for 24 hours", kind: duration(func(c *Config) *time.Duration { return &c.WebhookRetry }, 10*time.Millisecond, time.Hour)},
	{Env: "LINKAGE_WEBHOOK_ALLOW_PRIVATE", Default: "false", Commands: serving,
		Help: "let webhooks reach loopback, private, link-local and the other special-purpose addresses (closed networks); off, public addresses only (see Webhook addresses in docs/security.md)",
		kind: boolean(func(c *Config) *bool { return &c.WebhookPrivate })},
	{Env: "LINKAGE_STALE_AFTER", Default: "4320h", Zero: "off", Commands: serving,
		Help: "a managed listing not changed or confirmed for this long sends `listing.stale` (again each `LINKAGE_STALE_REMINDER` while it stays stale)", kind: duration(func(c *Config) *time.Duration { return &c.StaleAfter }, 0, 0)},
	{Env: "LINKAGE_STALE_REMINDER", Default: "24h", Zero: "off: only once per stale spell", Commands: serving,
		Help: "how often `listing.stale` is sent again while a listing stays stale, so an agency that subscribed after it went stale hears of it", kind: duration(func(c *Config) *time.Duration { return &c.StaleReminder }, 0, 0)},
	{Env: "LINKAGE_BARRIER_REFER_DAYS", Default: "14", Commands: serving,
		Help: "the barrier report (`GET /reports/barriers`) counts a need with no referral this many days after its case opened as never referred", kind: number(func(c *Config) *int { return &c.BarrierReferDays }, 0, 3660)},
	{Env: "LINKAGE_REPORT_MIN_COUNT", Default: "5", Commands: serving,
		Help: "the barrier report shows a count above zero only from this many (smaller ones are `null`, `suppressed: true`), so a small group cannot point at a person", kind: number(func(c *Config) *int { return &c.ReportMinCount }, 1, 1000)},
	{Env: "LINKAGE_POVERTY_GUIDELINES_FILE", Shown: "(shipped 2025 figures)", Commands: serving,
		Help: "HHS poverty guidelines for eligibility, in the format of `seed/eligibility/poverty_guidelines.json`; checked at start",
		kind: text("a JSON file", func(c *Config) *string { return &c.GuidelinesFile })},
	{Env: "LINKAGE_JOBS_POLL", Default: "1s", Zero: "refused", Commands: serving,
		Help: "how often webhook deliveries and the periodic jobs (overdue follow-ups, stale listings) run (one replica at a time)", kind: duration(func(c *Config) *time.Duration { return &c.JobsPoll }, 10*time.Millisecond, time.Minute)},
	{Env: "LINKAGE_TRUSTED_PROXIES", Shown: "(none)", Commands: serving,
		Help: "comma-separated CIDRs (or single addresses) of the proxies in front of Linkage; `X-Forwarded-For` is believed only from these peers (the rightmost address not in them is the client). Empty: no proxy is trusted and the client address is the connection's. A malformed CIDR stops the start with the reason. `deploy/` sets its proxy's",
		kind: kind{typ: "comma-separated CIDRs such as 10.0.0.0/8, or addresses", set: func(c *Config, v string) (err error) {
			c.TrustedProxies, err = parseProxies(v)
			return err
		}}},
}

func text(typ string, f func(*Config) *string) kind {
	return kind{typ: typ, set: func(c *Config, v string) error { *f(c) = v; return nil }}
}

// lower reads one of choices, in any case.
func lower(f func(*Config) *string, choices ...string) kind {
	typ := strings.Join(choices[:len(choices)-1], ", ") + " or " + choices[len(choices)-1]
	return kind{typ: typ, set: func(c *Config, v string) error {
		*f(c) = strings.ToLower(v)
		return nil // Validate names the setting when the value is none of them
	}}
}

func boolean(f func(*Config) *bool) kind {
	return kind{typ: "true or false", set: func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errBad
		}
		*f(c) = b
		return nil
	}}
}

func number(f func(*Config) *int, min, max int) kind {
	return kind{typ: fmt.Sprintf("a number from %d to %d", min, max), set: func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < min || n > max {
			return errBad
		}
		*f(c) = n
		return nil
	}}
}

func bytesAtLeast(f func(*Config) *int64, min int64) kind {
	return kind{typ: fmt.Sprintf("a number of bytes of at least %d", min), set: func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < min {
			return errBad
		}
		*f(c) = n
		return nil
	}}
}

func rate(f func(*Config) *float64) kind {
	return kind{typ: "requests a second from 0 (no limit) to 1000000", set: func(c *Config, v string) error {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || n < 0 || n > 1e6 {
			return errBad
		}
		*f(c) = n
		return nil
	}}
}

// duration reads a Go duration from min to max (0: no upper bound).
func duration(f func(*Config) *time.Duration, min, max time.Duration) kind {
	typ := "a duration above 0, such as 20s"
	switch {
	case min == 0:
		typ = "a duration, or 0 for off"
	case max > 0:
		typ = fmt.Sprintf("a duration from %s to %s", short(min), short(max))
	case min > time.Millisecond:
		typ = fmt.Sprintf("a duration of at least %s", short(min))
	}
	return kind{typ: typ, set: func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < min || (max > 0 && d > max) {
			return errBad
		}
		*f(c) = d
		return nil
	}}
}

// short writes 1m and 1h rather than 1m0s and 1h0m0s.
func short(d time.Duration) string {
	s := d.String()
	for _, zero := range []string{"m0s", "h0m"} {
		if strings.HasSuffix(s, zero) {
			s = s[:len(s)-2]
		}
	}
	return s
}

func list(typ string, f func(*Config) *[]string) kind {
	return kind{typ: typ, set: func(c *Config, v string) error {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				*f(c) = append(*f(c), s)
			}
		}
		return nil
	}}
}

var databaseURL = kind{typ: "a database URL", set: func(c *Config, v string) error {
	if v == "" {
		v = "sqlite://" + filepath.Join(c.DataDir, "linkage.db")
	}
	c.DatabaseURL = v
	return nil
}}

var baseURL = kind{typ: "a URL", set: func(c *Config, v string) error {
	if v == "" {
		v = "http://" + c.Addr
	}
	c.BaseURL = strings.TrimRight(v, "/")
	return nil
}}

var followUpRules = kind{typ: "rules such as response=2bd,checkin=14d", set: func(c *Config, v string) (err error) {
	c.FollowUpRules, err = referral.ParseRules(v)
	return err
}}

var riskLead = kind{typ: "a lead such as 2bd, 3d or 36h", set: func(c *Config, v string) (err error) {
	c.RiskLead, err = referral.ParseLead(v)
	return err
}}

// errBad: the value is not of the setting's kind; Load says which kind.
var errBad = errors.New("bad value")

// Type is what a value of the setting looks like.
func (s Setting) Type() string { return s.kind.typ }

// read sets the setting in c from v (trimmed; "" is the default).
func (s Setting) read(c *Config, v string) error {
	if v == "" {
		v = s.Default
	}
	err := s.kind.set(c, v)
	switch {
	case errors.Is(err, errBad):
		return fmt.Errorf("%s: want %s, got %q", s.Env, s.kind.typ, v)
	case err != nil:
		return fmt.Errorf("%s: %w", s.Env, err)
	}
	return nil
}

// For is the settings command reads, in table order.
func For(command string) []Setting {
	var out []Setting
	for _, s := range settings {
		if slices.Contains(s.Commands, command) {
			out = append(out, s)
		}
	}
	return out
}

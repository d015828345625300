// Package config loads tcd's configuration: command-line flags win over
// environment variables, which win over an optional YAML file (--config).
// Environment names are Telegraf Controller's where it has one, TC_* for the
// rest. Every value is validated here; an error names the option and where
// the bad value came from, and tcd refuses to start.
package config

import (
	"crypto/tls"
	"fmt"
	"github.com/opentc/tc/internal/keyring"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/opentc/tc/internal/render"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// Config is tcd's validated configuration.
type Config struct {
	Host          string
	Port          int
	HeartbeatPort int
	Database      string
	// KeyFile holds tcd's secret keys (internal/keyring): by default
	// tcd.key beside the SQLite database, or in the data directory.
	KeyFile    string
	DBMaxConns int

	// TLSCert and TLSKey are PEM files; both empty means plain HTTP.
	TLSCert string
	TLSKey  string

	LogLevel  slog.Level
	LogFormat string // text or json

	OwnerUsername      string
	OwnerEmail         string
	OwnerPassword      string
	ResetOwnerPassword bool

	OwnerToken             string
	DisablePresharedTokens bool

	// DisableAuthEndpoints lists the endpoint groups open without credentials.
	DisableAuthEndpoints []string

	LoginLockoutAttempts int
	LoginLockoutMinutes  int
	PasswordComplexity   tc.PasswordComplexity
	SessionLifetime      time.Duration
	AuditRetentionHours  int

	// InviteLifetime and PasswordResetLifetime are the default lifetimes of
	// invite and password-reset codes.
	InviteLifetime        time.Duration
	PasswordResetLifetime time.Duration
	// AuthRateLimit is how many login, setup, invite-acceptance and
	// password-reset requests one client address may send a minute (0 = no
	// limit), in bursts of up to AuthRateBurst.
	AuthRateLimit int
	AuthRateBurst int
	// MaxConnsPerIP bounds the open connections one client address may
	// hold on each listener (0: no limit, the default — a whole fleet may
	// sit behind one NAT or proxy address).
	MaxConnsPerIP int
	// AuthRefusalDelay holds a rate-limited request back before its 429 (0 =
	// one second, negative = none). Not an option: tests shorten it.
	AuthRefusalDelay time.Duration
	// PasswordHashConcurrency bounds the bcrypt operations run at once
	// (0 = half the cores, at least one).
	PasswordHashConcurrency int

	MetricsAuth       bool
	SchedulerInterval time.Duration

	// Who runs what and rollouts (issue 20): the query parameter carrying
	// an agent's identity, how often the leader evaluates rollout gates,
	// how often agents poll their config URL (stale = three of those), and
	// how often served-version records are written.
	AgentIDParam        string
	RolloutInterval     time.Duration
	AgentWatchInterval  time.Duration
	ServedFlushInterval time.Duration
	TrustedProxies      []*net.IPNet
	HeartbeatBatch      int

	// HA insists on PostgreSQL; HAPoll is the cache-change poll interval.
	HA     bool
	HAPoll time.Duration

	ShutdownTimeout time.Duration

	// NotifyRetryInitial, NotifyRetryMax and NotifyGiveUpAfter shape the
	// retries of undelivered notifications.
	NotifyRetryInitial time.Duration
	NotifyRetryMax     time.Duration
	NotifyGiveUpAfter  time.Duration

	// Config checks (internal/configs): template and rendered-size limits
	// in bytes, nesting depth, environment handling, the agents' declared
	// environment (nil: unknown) and lint warnings as errors.
	ConfigMaxSize       int
	ConfigMaxRenderSize int
	ConfigMaxDepth      int
	// RenderCacheEntries and RenderCacheSize bound the render cache's
	// bodies; it keeps the ETags of 64 times as many renderings.
	RenderCacheEntries int
	RenderCacheSize    int
	ConfigNonStrict    bool
	ConfigAgentEnv     map[string]string
	ConfigLintErrors   bool
	// AdvisoryFeedURL, when set, is fetched every AdvisoryFeedInterval for
	// OSV advisories (see docs/advisories.md); empty means never.
	AdvisoryFeedURL      string
	AdvisoryFeedInterval time.Duration

	// Explicit holds the keys set by a flag, the environment or the file (as
	// opposed to defaults); bootstrap-only settings use it to warn when a
	// given value is ignored because the database already holds one.
	Explicit map[string]bool
}

// Option describes one configuration option.
type Option struct {
	Key     string // flag name and YAML key
	Env     string // environment variable
	Default string
	Usage   string
	Secret  bool
	// Bool options may be given as a bare flag (--metrics-auth).
	Bool bool
}

// Options is every option tcd has, in help order.
var Options = []Option{
	{Key: "config", Env: "TC_CONFIG", Usage: "YAML configuration file (keys are the flag names)"},
	{Key: "host", Env: "TC_HOST", Default: "", Usage: "address both listeners bind to (empty = all interfaces)"},
	{Key: "port", Env: "APP_PORT", Default: "8888", Usage: "API port (0 = any free port)"},
	{Key: "heartbeat-port", Env: "HEARTBEAT_PORT", Default: "8000", Usage: "heartbeat listener port (0 = any free port)"},
	{Key: "database", Env: "DATABASE_URL", Usage: "SQLite file path, or a postgres:// URL (default: tcd.db in the data directory)"},
	{Key: "key-file", Env: "TC_KEY_FILE", Usage: "file of tcd's secret keys (audit chain, secret encryption), created 0600 at first start; never in the database; every cluster node needs the same file (default: tcd.key beside the SQLite database, else in the data directory)"},
	{Key: "db-max-connections", Env: "TC_DB_MAX_CONNECTIONS", Default: "0", Usage: "most database connections this node opens (0 = 16 on PostgreSQL, 8 on SQLite); a cluster node also keeps one for LISTEN and one for leader election"},
	{Key: "log-level", Env: "TC_LOG_LEVEL", Default: "info", Usage: "debug, info, warn or error"},
	{Key: "log-format", Env: "TC_LOG_FORMAT", Default: "text", Usage: "text or json"},
	{Key: "ssl-cert", Env: "SSL_CERT_PATH", Usage: "PEM certificate (chain): serve both listeners over HTTPS (needs ssl-key)"},
	{Key: "ssl-key", Env: "SSL_KEY_PATH", Usage: "PEM private key of ssl-cert", Secret: true},
	{Key: "owner-username", Env: "OWNER_USERNAME", Usage: "create the owner at startup when none exists (with owner-email and owner-password)"},
	{Key: "owner-email", Env: "OWNER_EMAIL", Usage: "email of the owner created at startup"},
	{Key: "owner-password", Env: "OWNER_PASSWORD", Usage: "password of the owner created at startup; the new password with reset-owner-password", Secret: true},
	{Key: "reset-owner-password", Env: "RESET_OWNER_PASSWORD", Default: "false", Usage: "reset the owner's password to owner-password at every start while set", Bool: true},
	{Key: "owner-token", Env: "OWNER_TOKEN", Usage: "provision this tc-apiv1_… value as an all-access token of the owner at startup", Secret: true},
	{Key: "disable-preshared-tokens", Env: "DISABLE_PRESHARED_TOKENS", Default: "false", Usage: "refuse client-supplied token values (rawToken) when creating tokens", Bool: true},
	{Key: "disable-auth-endpoints", Env: "DISABLED_AUTH_ENDPOINTS", Usage: "endpoint groups that accept requests without credentials: comma list of agents, configs, labels, reporting-rules, heartbeat, or *"},
	{Key: "login-lockout-attempts", Env: "LOGIN_LOCKOUT_ATTEMPTS", Default: "5", Usage: "failed logins before a username is locked (first start only; then a setting)"},
	{Key: "login-lockout-minutes", Env: "LOGIN_LOCKOUT_MINUTES", Default: "15", Usage: "minutes a locked username stays locked (first start only; then a setting)"},
	{Key: "password-complexity", Env: "PASSWORD_COMPLEXITY", Default: "low", Usage: "low, medium or high (first start only; then a setting)"},
	{Key: "session-lifetime", Env: "TC_SESSION_LIFETIME", Default: "24h", Usage: "how long a login session lasts (first start only; then a setting)"},
	{Key: "invite-lifetime", Env: "TC_INVITE_LIFETIME", Default: "168h", Usage: "how long an invite code stays valid unless the invite names expiresInHours (1h to 720h)"},
	{Key: "password-reset-lifetime", Env: "TC_PASSWORD_RESET_LIFETIME", Default: "24h", Usage: "how long a password-reset code stays valid unless the request names expiresInHours (1h to 720h)"},
	{Key: "auth-rate-limit", Env: "TC_AUTH_RATE_LIMIT", Default: "20", Usage: "login, setup, invite-acceptance and password-reset requests one client address may send per minute (429 with Retry-After beyond; 0 = no limit)"},
	{Key: "max-conns-per-ip", Env: "TC_MAX_CONNS_PER_IP", Default: "0", Usage: "most open connections one client address may hold on each listener (0 = no limit; a fleet behind one NAT or proxy shares an address)"},
	{Key: "auth-rate-burst", Env: "TC_AUTH_RATE_BURST", Default: "20", Usage: "how many of those requests one address may send at once before auth-rate-limit applies"},
	{Key: "password-hash-concurrency", Env: "TC_PASSWORD_HASH_CONCURRENCY", Default: "0", Usage: "most bcrypt password checks run at once; others wait up to 1 s, then get 429 (0 = half the cores, at least 1; at most the number of cores)"},
	{Key: "metrics-auth", Env: "TC_METRICS_AUTH", Default: "false", Usage: "require a credential with agents:read for GET /metrics", Bool: true},
	{Key: "scheduler-interval", Env: "TC_SCHEDULER_INTERVAL", Default: "60s", Usage: "how often the scheduler auto-deletes silent agents and prunes history (not_reporting itself is exact at any moment)"},
	{Key: "trusted-proxies", Env: "TC_TRUSTED_PROXIES", Usage: "comma list of proxy IPs or CIDRs whose X-Forwarded-For names the client's address (agents' on the heartbeat listener; on the API for the per-address limit, the audit log and whether setup comes from this host)"},
	{Key: "heartbeat-batch", Env: "TC_HEARTBEAT_BATCH", Default: "1000", Usage: "most heartbeats written in one transaction (group commit)"},
	{Key: "audit-log-retention", Env: "AUDIT_LOG_RETENTION", Default: "2160", Usage: "hours audit entries are kept: 720, 2160, 4320, 8760, 17520 or 0 = forever (first start only; then a setting)"},
	{Key: "ha", Env: "HA_ENABLED", Default: "false", Usage: "insist on cluster mode: refuse to start unless the database is PostgreSQL (several nodes on one PostgreSQL always form a cluster)", Bool: true},
	{Key: "ha-poll-interval-ms", Env: "HA_POLL_INTERVAL_MS", Default: "5000", Usage: "cluster safety net: how often (ms) a node re-checks for cache changes whose notification it may have missed"},
	{Key: "shutdown-timeout", Env: "TC_SHUTDOWN_TIMEOUT", Default: "15s", Usage: "how long a graceful shutdown waits for in-flight requests"},
	{Key: "notify-retry-initial", Env: "TC_NOTIFY_RETRY_INITIAL", Default: "10s", Usage: "first retry delay of an undelivered notification; doubled per attempt, with jitter"},
	{Key: "notify-retry-max", Env: "TC_NOTIFY_RETRY_MAX", Default: "10m", Usage: "longest retry delay of an undelivered notification"},
	{Key: "notify-give-up-after", Env: "TC_NOTIFY_GIVE_UP_AFTER", Default: "24h", Usage: "how long an undelivered notification is retried before it is abandoned (and logged as failed)"},
	{Key: "config-max-size", Env: "TC_CONFIG_MAX_SIZE", Default: "4MiB", Usage: "largest config template accepted (bytes, or with KiB/MiB)"},
	{Key: "config-max-render-size", Env: "TC_CONFIG_MAX_RENDER_SIZE", Default: "8MiB", Usage: "largest document a config or group may render to; writes that would exceed it are refused and no fetch renders more"},
	{Key: "config-max-depth", Env: "TC_CONFIG_MAX_DEPTH", Default: "1000", Usage: "deepest nesting of arrays and inline tables a config may have"},
	{Key: "config-env-handling", Env: "TC_CONFIG_ENV_HANDLING", Default: "strict", Usage: "how agents handle ${VAR}, deciding the rules configs are checked by: strict (Telegraf >= 1.38) or nonstrict (--non-strict-env-handling, Telegraf <= 1.37); a config may declare its own"},
	{Key: "config-agent-env-file", Env: "TC_CONFIG_AGENT_ENV_FILE", Usage: "NAME=value file of the agents' environment (as /etc/default/telegraf): ${VAR} are checked with these values; without it every variable counts as set"},
	{Key: "config-lint-errors", Env: "TC_CONFIG_LINT_ERRORS", Default: "false", Usage: "refuse config writes that lint warns about (unknown plugins, options that crash agents, heartbeat URLs elsewhere)", Bool: true},
	{Key: "render-cache-entries", Env: "TC_RENDER_CACHE_ENTRIES", Default: "4096", Usage: "rendered configs kept in memory with their bodies; the ETags of 64 times as many (about 64 bytes each, at most 4,194,304) are kept to answer HEAD polls without rendering: raise it when more agents than that poll configs that use per-agent parameters"},
	{Key: "render-cache-size", Env: "TC_RENDER_CACHE_SIZE", Default: "64MiB", Usage: "most bytes of rendered configs (and the templates they are made of) kept in memory"},
	{Key: "agent-id-param", Env: "TC_AGENT_ID_PARAM", Default: "agent_id", Usage: "query parameter of config URLs that carries an agent's identity (the heartbeat's id): fetches with it are recorded (who runs what) and routed by rollouts"},
	{Key: "rollout-interval", Env: "TC_ROLLOUT_INTERVAL", Default: "5s", Usage: "how often the leader evaluates the gates of running rollouts"},
	{Key: "agent-watch-interval", Env: "TC_AGENT_WATCH_INTERVAL", Default: "1m", Usage: "how often agents poll their config URL (Telegraf --config-url-watch-interval): an agent that has not fetched a newer version within three of these is stale"},
	{Key: "served-flush-interval", Env: "TC_SERVED_FLUSH_INTERVAL", Default: "1s", Usage: "how often served-version records are written to the database (a crash loses at most this much of them)"},
	{Key: "advisory-feed-url", Env: "TC_ADVISORY_FEED_URL", Usage: "http(s) URL of OSV advisories (a document, a JSON array or a zip archive, e.g. an internal mirror) to import periodically; empty = never fetch (import with tcctl advisory import)"},
	{Key: "advisory-feed-interval", Env: "TC_ADVISORY_FEED_INTERVAL", Default: "24h", Usage: "how often advisory-feed-url is fetched (the first time at start)"},
}

// SettingKeys maps options that seed database settings to their keys.
var SettingKeys = map[string]string{
	"login-lockout-attempts": "login_lockout_attempts",
	"login-lockout-minutes":  "login_lockout_minutes",
	"password-complexity":    "password_complexity",
	"session-lifetime":       "session_lifetime",
	"audit-log-retention":    "audit_retention_hours",
}

// RegisterFlags adds every option as a flag.
func RegisterFlags(fs *pflag.FlagSet) {
	for _, o := range Options {
		usage := o.Usage + " [$" + o.Env + "]"
		fs.String(o.Key, o.Default, usage)
		if o.Bool {
			fs.Lookup(o.Key).NoOptDefVal = "true"
		}
	}
}

// Load reads flags (already parsed), the environment and the YAML file.
func Load(fs *pflag.FlagSet) (Config, error) {
	v := viper.New()
	for _, o := range Options {
		if f := fs.Lookup(o.Key); f != nil {
			if err := v.BindPFlag(o.Key, f); err != nil {
				return Config{}, err
			}
		}
		_ = v.BindEnv(o.Key, o.Env)
		v.SetDefault(o.Key, o.Default)
	}
	file := v.GetString("config")
	if file != "" {
		v.SetConfigFile(file)
		v.SetConfigType("yaml")
		if err := v.ReadInConfig(); err != nil {
			return Config{}, fmt.Errorf("config file %s: %v", file, err)
		}
		known := map[string]bool{}
		for _, o := range Options {
			known[o.Key] = true
		}
		var unknown []string
		for _, k := range v.AllKeys() {
			if !known[k] && v.InConfig(k) {
				unknown = append(unknown, k)
			}
		}
		if len(unknown) > 0 {
			sort.Strings(unknown)
			return Config{}, fmt.Errorf("config file %s: unknown option(s) %s (run tcd --help for the list)", file, strings.Join(unknown, ", "))
		}
	}
	l := loader{v: v, fs: fs, file: file}
	return l.build()
}

type loader struct {
	v    *viper.Viper
	fs   *pflag.FlagSet
	file string
	errs []string
}

func optionByKey(key string) Option {
	for _, o := range Options {
		if o.Key == key {
			return o
		}
	}
	return Option{Key: key}
}

// source names where the value of key came from.
func (l *loader) source(key string) string {
	o := optionByKey(key)
	if f := l.fs.Lookup(key); f != nil && f.Changed {
		return "--" + key
	}
	if _, ok := os.LookupEnv(o.Env); ok {
		return o.Env
	}
	if l.file != "" && l.v.InConfig(key) {
		return key + " in " + l.file
	}
	return "default of --" + key
}

func (l *loader) explicit(key string) bool {
	return !strings.HasPrefix(l.source(key), "default of")
}

func (l *loader) str(key string) string {
	return strings.Trim(strings.TrimSpace(l.v.GetString(key)), `"'`)
}

func (l *loader) fail(key, format string, args ...any) {
	l.errs = append(l.errs, fmt.Sprintf("invalid %s (from %s): %s", key, l.source(key), fmt.Sprintf(format, args...)))
}

func (l *loader) intIn(key string, min, max int) int {
	s := l.str(key)
	n, err := strconv.Atoi(s)
	if err != nil || n < min || n > max {
		l.fail(key, "%q is not a whole number from %d to %d", s, min, max)
	}
	return n
}

func (l *loader) boolean(key string) bool {
	s := strings.ToLower(l.str(key))
	switch s {
	case "", "0", "false", "no", "off":
		return false
	case "1", "true", "yes", "on":
		return true
	}
	l.fail(key, "%q is not true or false", s)
	return false
}

func (l *loader) duration(key string, min time.Duration) time.Duration {
	s := l.str(key)
	d, err := time.ParseDuration(s)
	if err != nil || d < min {
		l.fail(key, "%q is not a duration of at least %s (e.g. 30s, 15m, 24h)", s, min)
	}
	return d
}

func (l *loader) durationIn(key string, min, max time.Duration) time.Duration {
	s := l.str(key)
	d, err := time.ParseDuration(s)
	if err != nil || d < min || d > max {
		l.fail(key, "%q is not a duration from %s to %s (e.g. 24h, 168h)", s, min, max)
	}
	return d
}

func (l *loader) build() (Config, error) {
	c := Config{Explicit: map[string]bool{}}
	c.Host = l.str("host")
	c.Port = l.intIn("port", 0, 65535)
	c.HeartbeatPort = l.intIn("heartbeat-port", 0, 65535)
	if c.Port != 0 && c.Port == c.HeartbeatPort {
		l.fail("heartbeat-port", "%d is also the API port: the two listeners need different ports", c.Port)
	}
	c.DBMaxConns = l.intIn("db-max-connections", 0, 10000)
	c.Database = l.str("database")
	if c.Database == "" {
		def, err := DefaultDatabasePath()
		if err != nil {
			l.fail("database", "no default data directory (%v): set DATABASE_URL", err)
		}
		c.Database = def
	}
	c.KeyFile = l.str("key-file")
	if c.KeyFile == "" {
		c.KeyFile = DefaultKeyFile(c.Database)
	}
	switch lvl := strings.ToLower(l.str("log-level")); lvl {
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "info":
		c.LogLevel = slog.LevelInfo
	case "warn", "warning":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		l.fail("log-level", "%q is not one of debug, info, warn, error", lvl)
	}
	c.LogFormat = strings.ToLower(l.str("log-format"))
	if c.LogFormat != "text" && c.LogFormat != "json" {
		l.fail("log-format", "%q is not text or json", c.LogFormat)
	}
	c.TLSCert, c.TLSKey = l.str("ssl-cert"), l.str("ssl-key")
	switch {
	case c.TLSCert != "" && c.TLSKey == "":
		l.fail("ssl-key", "missing: ssl-cert is set, so HTTPS needs the key too (refusing to fall back to plain HTTP)")
	case c.TLSCert == "" && c.TLSKey != "":
		l.fail("ssl-cert", "missing: ssl-key is set, so HTTPS needs the certificate too (refusing to fall back to plain HTTP)")
	case c.TLSCert != "":
		if _, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey); err != nil {
			l.fail("ssl-cert", "cannot load the certificate and key: %v", err)
		}
	}
	c.OwnerUsername = l.str("owner-username")
	c.OwnerEmail = l.str("owner-email")
	c.OwnerPassword = l.v.GetString("owner-password") // a password is taken as given
	c.ResetOwnerPassword = l.boolean("reset-owner-password")
	c.OwnerToken = strings.TrimSpace(l.v.GetString("owner-token"))
	c.DisablePresharedTokens = l.boolean("disable-preshared-tokens")
	c.DisableAuthEndpoints = l.groups("disable-auth-endpoints")
	c.LoginLockoutAttempts = l.intIn("login-lockout-attempts", 1, 1000)
	c.LoginLockoutMinutes = l.intIn("login-lockout-minutes", 1, 100000)
	if pc, err := tc.ParseComplexity(l.str("password-complexity")); err != nil {
		l.fail("password-complexity", "%q is not low, medium or high", l.str("password-complexity"))
	} else {
		c.PasswordComplexity = pc
	}
	c.SessionLifetime = l.duration("session-lifetime", time.Minute)
	c.InviteLifetime = l.durationIn("invite-lifetime", time.Hour, 720*time.Hour)
	c.PasswordResetLifetime = l.durationIn("password-reset-lifetime", time.Hour, 720*time.Hour)
	c.AuthRateLimit = l.intIn("auth-rate-limit", 0, 100000)
	c.AuthRateBurst = l.intIn("auth-rate-burst", 1, 100000)
	c.MaxConnsPerIP = l.intIn("max-conns-per-ip", 0, 1000000)
	c.PasswordHashConcurrency = l.intIn("password-hash-concurrency", 0, 1024)
	c.MetricsAuth = l.boolean("metrics-auth")
	c.SchedulerInterval = l.duration("scheduler-interval", 100*time.Millisecond)
	c.TrustedProxies = l.cidrs("trusted-proxies")
	c.HeartbeatBatch = l.intIn("heartbeat-batch", 1, 100000)
	c.AuditRetentionHours = l.intIn("audit-log-retention", 0, 17520)
	if ok := map[int]bool{720: true, 2160: true, 4320: true, 8760: true, 17520: true, 0: true}[c.AuditRetentionHours]; !ok {
		l.fail("audit-log-retention", "%d is not one of 720, 2160, 4320, 8760, 17520 or 0 (forever)", c.AuditRetentionHours)
	}
	c.HA = l.boolean("ha")
	c.HAPoll = time.Duration(l.intIn("ha-poll-interval-ms", 100, 3600000)) * time.Millisecond
	if c.HA && !store.IsPostgresURL(c.Database) {
		l.fail("ha", "cluster mode needs PostgreSQL (DATABASE_URL=postgres://…); the SQLite database %s serves a single node", c.Database)
	}
	c.ShutdownTimeout = l.duration("shutdown-timeout", 0)
	c.NotifyRetryInitial = l.duration("notify-retry-initial", 10*time.Millisecond)
	c.NotifyRetryMax = l.duration("notify-retry-max", 10*time.Millisecond)
	if c.NotifyRetryMax < c.NotifyRetryInitial {
		l.fail("notify-retry-max", "%s is shorter than notify-retry-initial (%s)", c.NotifyRetryMax, c.NotifyRetryInitial)
	}
	c.NotifyGiveUpAfter = l.duration("notify-give-up-after", time.Second)
	c.ConfigMaxSize = l.size("config-max-size", 1<<10, 64<<20)
	c.ConfigMaxRenderSize = l.size("config-max-render-size", 1<<10, 256<<20)
	c.ConfigMaxDepth = l.intIn("config-max-depth", 1, 100000)
	c.RenderCacheEntries = l.intIn("render-cache-entries", 16, 1<<20)
	c.RenderCacheSize = l.size("render-cache-size", 1<<20, 16<<30)
	switch h := strings.ToLower(l.str("config-env-handling")); h {
	case "strict", "":
	case "nonstrict", "non-strict":
		c.ConfigNonStrict = true
	default:
		l.fail("config-env-handling", "%q is not strict or nonstrict", h)
	}
	if path := l.str("config-agent-env-file"); path != "" {
		env, err := readEnvFile(path)
		if err != nil {
			l.fail("config-agent-env-file", "%v", err)
		}
		c.ConfigAgentEnv = env
	}
	c.ConfigLintErrors = l.boolean("config-lint-errors")
	c.AgentIDParam = l.str("agent-id-param")
	if c.AgentIDParam == "" || strings.ContainsAny(c.AgentIDParam, "&=?# ") {
		l.fail("agent-id-param", "%q is not a query parameter name", c.AgentIDParam)
	}
	c.RolloutInterval = l.duration("rollout-interval", 50*time.Millisecond)
	c.AgentWatchInterval = l.duration("agent-watch-interval", 100*time.Millisecond)
	c.ServedFlushInterval = l.durationIn("served-flush-interval", 10*time.Millisecond, time.Minute)
	c.AdvisoryFeedURL = l.str("advisory-feed-url")
	if c.AdvisoryFeedURL != "" {
		if u, err := url.Parse(c.AdvisoryFeedURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			l.fail("advisory-feed-url", "%q is not an http:// or https:// URL", c.AdvisoryFeedURL)
		}
	}
	c.AdvisoryFeedInterval = l.duration("advisory-feed-interval", time.Minute)
	for opt, key := range SettingKeys {
		if l.explicit(opt) {
			c.Explicit[key] = true
		}
	}
	if len(l.errs) > 0 {
		return Config{}, fmt.Errorf("%s", strings.Join(l.errs, "\n"))
	}
	return c, nil
}

// size reads a byte count: a whole number, optionally with KiB, MiB (or
// K, M, KB, MB, all powers of 1024).
func (l *loader) size(key string, min, max int) int {
	s := strings.TrimSpace(l.str(key))
	mult := 1
	up := strings.ToUpper(s)
	for _, suf := range []struct {
		s string
		m int
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"K", 1 << 10}, {"M", 1 << 20}, {"B", 1}} {
		if strings.HasSuffix(up, suf.s) {
			s, mult = strings.TrimSpace(s[:len(s)-len(suf.s)]), suf.m
			break
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n*mult < min || n*mult > max {
		l.fail(key, "%q is not a size from %d to %d bytes (e.g. 4MiB, 512KiB)", l.str(key), min, max)
		return min
	}
	return n * mult
}

func readEnvFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return render.ParseEnvFile(f)
}

func (l *loader) cidrs(key string) []*net.IPNet {
	var out []*net.IPNet
	for _, part := range strings.Split(l.str(key), ",") {
		p := strings.TrimSpace(part)
		if p == "" {
			continue
		}
		if !strings.Contains(p, "/") {
			if ip := net.ParseIP(p); ip != nil {
				bits := 32
				if ip.To4() == nil {
					bits = 128
				}
				p = fmt.Sprintf("%s/%d", p, bits)
			}
		}
		_, n, err := net.ParseCIDR(p)
		if err != nil {
			l.fail(key, "%q is not an IP address or CIDR (e.g. 10.0.0.5 or 10.0.0.0/8)", part)
			continue
		}
		out = append(out, n)
	}
	return out
}

// AuthGroups are the endpoint groups --disable-auth-endpoints accepts.
var AuthGroups = []string{"agents", "configs", "labels", "reporting-rules", "heartbeat"}

func (l *loader) groups(key string) []string {
	s := l.str(key)
	if s == "" {
		return nil
	}
	if s == "*" {
		return append([]string(nil), AuthGroups...)
	}
	var out []string
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		g := strings.ToLower(strings.TrimSpace(part))
		if g == "" || seen[g] {
			continue
		}
		ok := false
		for _, k := range AuthGroups {
			ok = ok || k == g
		}
		if !ok {
			l.fail(key, "unknown endpoint group %q: use a comma list of %s, or *", g, strings.Join(AuthGroups, ", "))
			continue
		}
		seen[g] = true
		out = append(out, g)
	}
	return out
}

// DefaultKeyFile is tcd.key beside a SQLite database, or in the data
// directory for PostgreSQL ("tcd.key" in the working directory if there is
// no data directory).
func DefaultKeyFile(database string) string {
	if !store.IsPostgresURL(database) {
		path := strings.TrimPrefix(database, "file:")
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
		return filepath.Join(filepath.Dir(path), keyring.FileName)
	}
	db, err := DefaultDatabasePath()
	if err != nil {
		return keyring.FileName
	}
	return filepath.Join(filepath.Dir(db), keyring.FileName)
}

// DefaultDatabasePath is tcd.db in the data directory:
// $XDG_DATA_HOME/tcd, else ~/.local/share/tcd.
func DefaultDatabasePath() (string, error) {
	dir := os.Getenv("XDG_DATA_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(dir, "tcd", "tcd.db"), nil
}

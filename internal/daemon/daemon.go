// Package daemon wires tcd together: Main opens the database, migrates,
// bootstraps, and serves the API and heartbeat listeners until Close.
package daemon

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/opentc/tc/internal/keyring"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/opentc/tc/internal/advisories"
	"github.com/opentc/tc/internal/agents"
	"github.com/opentc/tc/internal/api"
	"github.com/opentc/tc/internal/audit"
	"github.com/opentc/tc/internal/auth"
	"github.com/opentc/tc/internal/cluster"
	"github.com/opentc/tc/internal/config"
	"github.com/opentc/tc/internal/configs"
	"github.com/opentc/tc/internal/heartbeat"
	"github.com/opentc/tc/internal/metrics"
	"github.com/opentc/tc/internal/notify"
	"github.com/opentc/tc/internal/rollouts"
	"github.com/opentc/tc/internal/secrets"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/version"
)

// Main is one tcd process.
type Main struct {
	Config config.Config
	// Logger receives every log line (default: slog.Default()).
	Logger *slog.Logger
	// Now is the clock (tests move it); default time.Now.
	Now func() time.Time
	// BcryptCost overrides the password hashing cost (tests use the minimum).
	BcryptCost int
	// ReadTimeout, if set, replaces both listeners' read and idle
	// timeouts (tests).
	ReadTimeout time.Duration

	store *store.Store
	keys  *keyring.Ring
	auth  *auth.Service
	api   *api.Server
	hb    *heartbeat.Server

	components []component
	elector    *cluster.Elector
	bus        *cluster.Bus
	audit      *audit.Service
	scheme     string // "https" with TLS
	metrics    *metrics.Metrics
	agents     *agents.Service
	scheduler  *agents.Scheduler
	configs    *configs.Service
	notify     *notify.Service
	rollouts   *rollouts.Service
	secrets    *secrets.Service

	advisories     *advisories.Service
	advisoriesComp *advisoriesComponent

	apiLn, hbLn net.Listener
	ready       atomic.Bool
	wg          sync.WaitGroup
	stop        context.CancelFunc
	closeOnce   sync.Once
}

// New returns a Main for cfg.
func New(cfg config.Config) *Main { return &Main{Config: cfg} }

// Run starts tcd and returns once both listeners accept connections. Serving
// continues in the background until Close.
func (m *Main) Run(ctx context.Context) error {
	if m.Logger == nil {
		m.Logger = slog.Default()
	}
	if m.Now == nil {
		m.Now = time.Now
	}
	log := m.Logger
	c := m.Config
	log.Info("starting tcd", "version", func() string { v, _ := version.Info(); return v }())

	ver, commit := version.Info()
	m.metrics = metrics.New(ver, commit)
	m.metrics.Now = m.Now
	st, err := store.Open(ctx, c.Database, store.Options{Now: m.Now, MaxOpenConns: c.DBMaxConns})
	if err != nil {
		return err
	}
	m.store = st
	applied, err := st.Migrate(ctx)
	if err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	if len(applied) > 0 {
		log.Info("database migrated", "engine", st.Dialect(), "applied", applied)
	}
	if c.KeyFile == "" {
		c.KeyFile = config.DefaultKeyFile(c.Database)
	}
	if err := m.checkKeyFileGone(ctx, c.KeyFile); err != nil {
		return err
	}
	keys, created, err := keyring.LoadOrCreate(c.KeyFile)
	if err != nil {
		return fmt.Errorf("key file (option key-file): %w", err)
	}
	m.keys = keys
	if created {
		log.Warn("created a new key file: back it up apart from the database; every cluster node needs the same file", "path", c.KeyFile, "key", keys.Primary().ID)
	}
	// The audit chain is sealed with the key file's key from the first
	// append on; entries of before the keyed chain are re-chained now.
	m.audit = audit.New(st, m.Now, log)
	m.audit.UseKeys(keys)
	if err := m.audit.MigrateChain(ctx); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	m.audit.LogHead(ctx, "start", true)
	log.Info("database ready", "engine", st.Dialect(), "location", describeDB(c.Database), "schema", store.LatestSchemaVersion())
	if advice, err := st.Advisories(ctx); err != nil {
		log.Warn("could not check the database's configuration", "err", err)
	} else {
		for _, a := range advice {
			log.Warn(a)
		}
	}

	m.auth = auth.NewService(st, auth.Options{Now: m.Now, Logger: log, BcryptCost: m.BcryptCost,
		HashConcurrency: c.PasswordHashConcurrency, InviteLifetime: c.InviteLifetime, ResetLifetime: c.PasswordResetLifetime})
	seed := auth.Settings{
		LockoutAttempts: c.LoginLockoutAttempts,
		LockoutDuration: time.Duration(c.LoginLockoutMinutes) * time.Minute,
		Complexity:      c.PasswordComplexity,
		SessionLifetime: c.SessionLifetime,
		AuditRetention:  time.Duration(c.AuditRetentionHours) * time.Hour,
	}
	differs, err := m.auth.SeedAndLoadSettings(ctx, seed, c.Explicit)
	if err != nil {
		return fmt.Errorf("load settings: %w", err)
	}
	for _, k := range differs {
		log.Warn("configured value ignored: the database already holds this setting (it is seeded on first start only)", "setting", k)
	}
	if err := m.auth.BootstrapOwner(ctx, auth.OwnerBootstrap{
		Username: c.OwnerUsername, Email: c.OwnerEmail, Password: c.OwnerPassword, ResetPassword: c.ResetOwnerPassword,
	}); err != nil {
		return err
	}
	m.auth.SetTokenOptions(auth.TokenOptions{DisablePreshared: c.DisablePresharedTokens})
	// Leader-only work: the scheduler and OWNER_TOKEN provisioning. On
	// PostgreSQL the nodes sharing the database elect one; SQLite is one node.
	if st.Dialect() == store.Postgres {
		m.elector = cluster.NewElector(c.Database, log, 2*time.Second)
		m.elector.Start(func() {
			bctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := m.auth.BootstrapToken(bctx, c.OwnerToken); err != nil {
				log.Error("provisioning OWNER_TOKEN failed; it is retried when this node is elected again", "err", err)
			}
		})
	} else if err := m.auth.BootstrapToken(ctx, c.OwnerToken); err != nil {
		return fmt.Errorf("provision OWNER_TOKEN: %w", err)
	}
	if len(c.DisableAuthEndpoints) > 0 {
		log.Warn("endpoint groups open without credentials", "groups", c.DisableAuthEndpoints)
	}

	var features []api.Feature
	for _, build := range componentBuilders {
		comp, err := build(ctx, m)
		if err != nil {
			return err
		}
		if comp == nil {
			continue
		}
		m.components = append(m.components, comp)
		if f, ok := comp.(api.Feature); ok {
			features = append(features, f)
		}
	}
	m.connectFeatures()
	m.connectAdvisories()
	m.startBus()
	m.instrument()
	m.api = api.New(api.Deps{Store: st, Auth: m.auth, Audit: m.audit, Logger: log, OpenGroups: c.DisableAuthEndpoints,
		Ready: m.ready.Load, Leader: m.IsLeader, Features: features, Metrics: m.metrics, MetricsAuth: c.MetricsAuth,
		TrustedProxies: c.TrustedProxies, AuthRatePerMinute: float64(c.AuthRateLimit), AuthRateBurst: c.AuthRateBurst, AuthRefusalDelay: c.AuthRefusalDelay, Now: m.Now,
		HeartbeatPort: func() int { return m.hbLn.Addr().(*net.TCPAddr).Port }})
	m.hb = heartbeat.New(heartbeat.Deps{Auth: m.auth, Agents: m.agents, Logger: log, Ready: m.ready.Load,
		Open: contains(c.DisableAuthEndpoints, api.GroupHeartbeat), TrustedProxies: c.TrustedProxies, Metrics: m.metrics})

	if m.apiLn, err = net.Listen("tcp", net.JoinHostPort(c.Host, strconv.Itoa(c.Port))); err != nil {
		return fmt.Errorf("API listener on port %d: %w", c.Port, err)
	}
	if m.hbLn, err = net.Listen("tcp", net.JoinHostPort(c.Host, strconv.Itoa(c.HeartbeatPort))); err != nil {
		m.apiLn.Close()
		return fmt.Errorf("heartbeat listener on port %d: %w", c.HeartbeatPort, err)
	}
	if c.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
		if err != nil {
			m.apiLn.Close()
			m.hbLn.Close()
			return fmt.Errorf("ssl-cert/ssl-key: %w", err)
		}
		tcfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		m.apiLn = tls.NewListener(m.apiLn, tcfg)
		m.hbLn = tls.NewListener(m.hbLn, tcfg)
		m.scheme = "https"
	}
	bg, cancel := context.WithCancel(context.Background())
	m.stop = cancel
	m.serve("api", m.api.App(), m.apiLn)
	m.serve("heartbeat", m.hb.App(), m.hbLn)
	m.wg.Add(1)
	go func() { defer m.wg.Done(); m.housekeeping(bg) }()
	if m.scheduler != nil {
		m.wg.Add(1)
		go func() { defer m.wg.Done(); m.scheduler.Run(bg) }()
	}
	m.ready.Store(true)
	log.Info("tcd ready", "api", m.APIURL(), "heartbeat", m.HeartbeatURL())
	return nil
}

func (m *Main) serve(name string, app *fiber.App, ln net.Listener) {
	closeSilentConns(app, m.ReadTimeout)
	// fasthttp refuses a connection over the per-address limit at accept.
	app.Server().MaxConnsPerIP = m.Config.MaxConnsPerIP
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		if err := app.Listener(ln); err != nil && !errors.Is(err, net.ErrClosed) {
			m.Logger.Error("listener stopped", "listener", name, "err", err)
		}
	}()
}

// AuditHeadInterval is how often tcd logs the audit chain's head when it
// changed (and always at start and shutdown).
var AuditHeadInterval = time.Minute

// housekeeping writes token last-use times every few seconds and prunes
// expired sessions, codes and lockouts every few minutes.
func (m *Main) housekeeping(ctx context.Context) {
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	usage := time.NewTicker(5 * time.Second)
	defer usage.Stop()
	head := time.NewTicker(AuditHeadInterval)
	defer head.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-head.C:
			m.audit.LogHead(ctx, "periodic", false)
		case <-usage.C:
			if err := m.auth.FlushUsage(ctx); err != nil && ctx.Err() == nil {
				m.Logger.Warn("recording token use failed; will retry", "err", err)
			}
		case <-t.C:
			if err := m.store.PruneExpired(ctx, m.auth.Settings().LockoutDuration); err != nil && ctx.Err() == nil {
				m.Logger.Warn("pruning expired sessions failed", "err", err)
			}
			if n, err := m.audit.Prune(ctx, m.auth.Settings().AuditRetention); err != nil && ctx.Err() == nil {
				m.Logger.Warn("pruning the audit log failed", "err", err)
			} else if n > 0 {
				m.Logger.Info("audit log pruned", "entries", n)
			}
		}
	}
}

// APIURL returns the base URL of the API listener.
func (m *Main) APIURL() string { return m.urlScheme() + "://" + hostPort(m.apiLn) }

// HeartbeatURL returns the base URL of the heartbeat listener.
func (m *Main) HeartbeatURL() string { return m.urlScheme() + "://" + hostPort(m.hbLn) }

func (m *Main) urlScheme() string {
	if m.scheme == "" {
		return "http"
	}
	return m.scheme
}

// API returns the API server (tests enumerate its routes).
func (m *Main) API() *api.Server { return m.api }

// Audit returns the audit service.
func (m *Main) Audit() *audit.Service { return m.audit }

// Keys returns tcd's key ring (the key-file option).
func (m *Main) Keys() *keyring.Ring { return m.keys }

// Store returns the store.
func (m *Main) Store() *store.Store { return m.store }

// Auth returns the identity service.
func (m *Main) Auth() *auth.Service { return m.auth }

func hostPort(ln net.Listener) string {
	a := ln.Addr().(*net.TCPAddr)
	host := a.IP.String()
	if a.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, strconv.Itoa(a.Port))
}

// Close shuts down gracefully: stop accepting, finish in-flight requests
// (up to the shutdown timeout), stop background work, close the database.
func (m *Main) Close() error {
	var err error
	m.closeOnce.Do(func() {
		m.ready.Store(false)
		if m.elector != nil {
			m.elector.Close() // hand leadership over at once
		}
		timeout := m.Config.ShutdownTimeout
		if timeout <= 0 {
			timeout = 15 * time.Second
		}
		var wg sync.WaitGroup
		for _, app := range []*fiber.App{m.apiApp(), m.hbApp()} {
			if app == nil {
				continue
			}
			wg.Add(1)
			go func(a *fiber.App) { defer wg.Done(); _ = a.ShutdownWithTimeout(timeout) }(app)
		}
		wg.Wait()
		// A Close that comes right after start can reach a listener before
		// its server began serving it: Shutdown finds nothing to stop and
		// the server then accepts forever. Closing the listeners ends
		// either way (a server still to start returns at once).
		for _, ln := range []net.Listener{m.apiLn, m.hbLn} {
			if ln != nil {
				_ = ln.Close()
			}
		}
		if m.stop != nil {
			m.stop()
		}
		m.wg.Wait()
		if m.audit != nil && m.store != nil {
			hctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			m.audit.LogHead(hctx, "shutdown", true)
			cancel()
		}
		for i := len(m.components) - 1; i >= 0; i-- {
			if cerr := m.components[i].Close(); cerr != nil && m.Logger != nil {
				m.Logger.Warn("component did not close cleanly", "err", cerr)
			}
		}
		if m.bus != nil {
			m.bus.Close()
		}
		if m.auth != nil {
			fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if ferr := m.auth.FlushUsage(fctx); ferr != nil && m.Logger != nil {
				m.Logger.Warn("recording token use at shutdown failed", "err", ferr)
			}
			cancel()
		}
		if m.store != nil {
			err = m.store.Close()
		}
		if m.Logger != nil {
			m.Logger.Info("tcd stopped")
		}
	})
	return err
}

func (m *Main) apiApp() *fiber.App {
	if m.api == nil || m.apiLn == nil {
		return nil
	}
	return m.api.App()
}

func (m *Main) hbApp() *fiber.App {
	if m.hb == nil || m.hbLn == nil {
		return nil
	}
	return m.hb.App()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Metrics returns the metrics.
func (m *Main) Metrics() *metrics.Metrics { return m.metrics }

// Agents returns the agents service (tests read its writer's counters).
func (m *Main) Agents() *agents.Service { return m.agents }

// Scheduler returns the reporting-rules scheduler.
func (m *Main) Scheduler() *agents.Scheduler { return m.scheduler }

func describeDB(dsn string) string {
	if store.IsPostgresURL(dsn) {
		return "postgres (" + redactURL(dsn) + ")"
	}
	return store.SQLitePath(dsn)
}

package testutil

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/opentc/tc/internal/config"
	"github.com/opentc/tc/internal/daemon"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// Clock is a settable clock for tests.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at the current time.
func NewClock() *Clock { return &Clock{t: time.Now().UTC()} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// SyncBuffer is a goroutine-safe log sink.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *SyncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TCD is a real tcd started for one test.
type TCD struct {
	*daemon.Main
	URL   string
	Log   *SyncBuffer
	Clock *Clock
	DSN   string
}

// TCDOption adjusts the configuration before start.
type TCDOption func(*config.Config)

// DefaultConfig is the configuration tests start from: free ports on
// 127.0.0.1 and the given database.
func DefaultConfig(dsn string) config.Config {
	return config.Config{
		Host:                 "127.0.0.1",
		Port:                 0,
		HeartbeatPort:        0,
		Database:             dsn,
		LogLevel:             slog.LevelDebug,
		LogFormat:            "text",
		LoginLockoutAttempts: 5,
		LoginLockoutMinutes:  15,
		PasswordComplexity:   tc.ComplexityLow,
		SessionLifetime:      24 * time.Hour,
		AuditRetentionHours:  2160,
		ShutdownTimeout:      5 * time.Second,
		// No per-address limit on logins: tests log in far more often than
		// people do from 127.0.0.1; the limit has tests of its own.
		AuthRateLimit: 0,
		Explicit:      map[string]bool{},
	}
}

// StartTCD starts tcd in-process on dsn and stops it at cleanup. Its log is
// printed if the test fails.
func StartTCD(t testing.TB, dsn string, opts ...TCDOption) *TCD {
	t.Helper()
	cfg := DefaultConfig(dsn)
	for _, o := range opts {
		o(&cfg)
	}
	return StartTCDWith(t, cfg, NewClock())
}

// StartTCDWith starts tcd with a full configuration and clock.
func StartTCDWith(t testing.TB, cfg config.Config, clock *Clock) *TCD {
	t.Helper()
	if cfg.KeyFile == "" && store.IsPostgresURL(cfg.Database) {
		// Not the user's data directory: one key file per database (a
		// restarted tcd on the same schema finds its key again).
		sum := sha256.Sum256([]byte(cfg.Database))
		cfg.KeyFile = filepath.Join(os.TempDir(), "tc-test-keys", hex.EncodeToString(sum[:8])+".key")
	}
	buf := &SyncBuffer{}
	m := daemon.New(cfg)
	m.Logger = slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m.Now = clock.Now
	m.BcryptCost = 4 // the minimum: tests exercise logic, not hashing cost
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := m.Run(ctx); err != nil {
		_ = m.Close()
		t.Fatalf("start tcd: %v\n%s", err, buf.String())
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("close tcd: %v", err)
		}
		if t.Failed() {
			t.Logf("tcd log:\n%s", buf.String())
		}
	})
	return &TCD{Main: m, URL: m.APIURL(), Log: buf, Clock: clock, DSN: cfg.Database}
}

// Client returns a client for the tcd with the given credential ("" for none).
func (d *TCD) Client(t testing.TB, token string) *client.Client {
	t.Helper()
	c, err := client.New(d.URL, client.WithToken(token))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Setup creates the owner root/rootpass1 and returns its session client.
func (d *TCD) Setup(t testing.TB) *client.Client {
	t.Helper()
	resp, err := d.Client(t, "").Setup(context.Background(), tc.SetupRequest{Username: "root", Email: "root@example.com", Password: "rootpass1"})
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
	return d.Client(t, resp.Token)
}

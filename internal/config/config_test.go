package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func load(t *testing.T, args ...string) (Config, error) {
	t.Helper()
	fs := pflag.NewFlagSet("tcd", pflag.ContinueOnError)
	RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return Load(fs)
}

func clearEnv(t *testing.T) {
	for _, o := range Options {
		if v, ok := os.LookupEnv(o.Env); ok {
			t.Setenv(o.Env, v) // restores at cleanup
			os.Unsetenv(o.Env)
		}
	}
	t.Setenv("XDG_DATA_HOME", t.TempDir())
}

// Flags win over the environment, which wins over the file.
func TestPrecedence(t *testing.T) {
	clearEnv(t)
	file := filepath.Join(t.TempDir(), "tcd.yaml")
	os.WriteFile(file, []byte("port: 1111\nheartbeat-port: 2222\nlog-level: debug\npassword-complexity: high\n"), 0o600)
	t.Setenv("APP_PORT", "3333")
	t.Setenv("HEARTBEAT_PORT", "4444")
	c, err := load(t, "--config", file, "--port", "5555")
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 5555 || c.HeartbeatPort != 4444 || c.LogLevel.String() != "DEBUG" || c.PasswordComplexity != "high" {
		t.Fatalf("precedence wrong: %+v", c)
	}
	if !c.Explicit["password_complexity"] || c.Explicit["login_lockout_attempts"] {
		t.Fatalf("explicit keys: %v", c.Explicit)
	}
	// TC_CONFIG names the file too.
	t.Setenv("TC_CONFIG", file)
	os.Unsetenv("APP_PORT")
	c, err = load(t)
	if err != nil || c.Port != 1111 {
		t.Fatalf("file via TC_CONFIG: %+v %v", c, err)
	}
}

func TestDefaults(t *testing.T) {
	clearEnv(t)
	c, err := load(t)
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 8888 || c.HeartbeatPort != 8000 || c.LoginLockoutAttempts != 5 || c.LoginLockoutMinutes != 15 ||
		c.PasswordComplexity != "low" || c.SessionLifetime.Hours() != 24 || len(c.DisableAuthEndpoints) != 0 {
		t.Fatalf("defaults: %+v", c)
	}
	if !strings.HasSuffix(c.Database, filepath.Join("tcd", "tcd.db")) {
		t.Fatalf("default database %q", c.Database)
	}
}

func TestAuthGroups(t *testing.T) {
	clearEnv(t)
	t.Setenv("DISABLED_AUTH_ENDPOINTS", "*")
	c, err := load(t)
	if err != nil || len(c.DisableAuthEndpoints) != 5 {
		t.Fatalf("*: %v %v", c.DisableAuthEndpoints, err)
	}
	t.Setenv("DISABLED_AUTH_ENDPOINTS", " Configs , heartbeat,configs")
	c, err = load(t)
	if err != nil || strings.Join(c.DisableAuthEndpoints, ",") != "configs,heartbeat" {
		t.Fatalf("list: %v %v", c.DisableAuthEndpoints, err)
	}
	t.Setenv("DISABLED_AUTH_ENDPOINTS", "users")
	if _, err = load(t); err == nil || !strings.Contains(err.Error(), `"users"`) {
		t.Fatalf("users must never be opened: %v", err)
	}
}

func TestErrorsListEveryBadOption(t *testing.T) {
	clearEnv(t)
	t.Setenv("APP_PORT", "x")
	t.Setenv("TC_LOG_FORMAT", "xml")
	_, err := load(t)
	if err == nil || !strings.Contains(err.Error(), "APP_PORT") || !strings.Contains(err.Error(), "TC_LOG_FORMAT") {
		t.Fatalf("want both options named: %v", err)
	}
}

func TestTLSOptions(t *testing.T) {
	clearEnv(t)
	t.Setenv("SSL_CERT_PATH", "/nonexistent/cert.pem")
	if _, err := load(t); err == nil || !strings.Contains(err.Error(), "invalid ssl-key") || !strings.Contains(err.Error(), "refusing to fall back") {
		t.Fatalf("cert without key: %v", err)
	}
	os.Unsetenv("SSL_CERT_PATH")
	t.Setenv("SSL_KEY_PATH", "/nonexistent/key.pem")
	if _, err := load(t); err == nil || !strings.Contains(err.Error(), "invalid ssl-cert") {
		t.Fatalf("key without cert: %v", err)
	}
	t.Setenv("SSL_CERT_PATH", "/nonexistent/cert.pem")
	if _, err := load(t); err == nil || !strings.Contains(err.Error(), "cannot load the certificate") {
		t.Fatalf("unreadable pair: %v", err)
	}
}

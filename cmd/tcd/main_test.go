package main

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opentc/tc/internal/keyring"
)

// The test binary doubles as tcd: with TCD_TEST_MAIN=1 it runs main().
func TestMain(m *testing.M) {
	if os.Getenv("TCD_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// tcdCmd returns the command running tcd with a clean environment: an empty
// home and nothing else set, as on a fresh machine.
func tcdCmd(t *testing.T, home string, env []string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append([]string{"TCD_TEST_MAIN=1", "HOME=" + home, "PATH=" + os.Getenv("PATH")}, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	return cmd, &out
}

// Acceptance 1 (and graceful shutdown): with no configuration at all tcd
// starts on SQLite in the default data directory and is ready; SIGTERM
// stops it cleanly.
func TestFreshStartAndGracefulShutdown(t *testing.T) {
	home := t.TempDir()
	api, hb := freePort(t), freePort(t)
	cmd, out := tcdCmd(t, home, []string{"APP_PORT=" + strconv.Itoa(api), "HEARTBEAT_PORT=" + strconv.Itoa(hb), "TC_HOST=127.0.0.1"})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	}()
	base := "http://127.0.0.1:" + strconv.Itoa(api)
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(base + "/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("tcd not ready: %v\n%s", err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, u := range []string{base + "/health/live", base + "/health/leader", "http://127.0.0.1:" + strconv.Itoa(hb) + "/health"} {
		resp, err := http.Get(u)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %v %v", u, resp, err)
		}
		resp.Body.Close()
	}
	db := filepath.Join(home, ".local", "share", "tcd", "tcd.db")
	st, err := os.Stat(db)
	if err != nil {
		t.Fatalf("default database not created: %v\n%s", err, out.String())
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("database mode %v, want 0600", st.Mode().Perm())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, out.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("tcd did not stop after SIGTERM\n%s", out.String())
	}
	if !strings.Contains(out.String(), "tcd stopped") {
		t.Fatalf("no clean stop in log:\n%s", out.String())
	}
}

// An invalid value stops startup with a message naming the option.
func TestInvalidOptionsStopStartup(t *testing.T) {
	home := t.TempDir()
	bad := filepath.Join(home, "tcd.yaml")
	if err := os.WriteFile(bad, []byte("port: 9999\nbogus_key: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		env  []string
		args []string
		want string
	}{
		{[]string{"APP_PORT=abc"}, nil, "invalid port (from APP_PORT)"},
		{nil, []string{"--heartbeat-port", "70000"}, "invalid heartbeat-port (from --heartbeat-port)"},
		{[]string{"DISABLED_AUTH_ENDPOINTS=configs,bogus"}, nil, `unknown endpoint group "bogus"`},
		{[]string{"PASSWORD_COMPLEXITY=extreme"}, nil, "invalid password-complexity (from PASSWORD_COMPLEXITY)"},
		{[]string{"LOGIN_LOCKOUT_ATTEMPTS=0"}, nil, "invalid login-lockout-attempts"},
		{nil, []string{"--config", bad}, "unknown option(s) bogus_key"},
		{[]string{"APP_PORT=8000", "HEARTBEAT_PORT=8000"}, nil, "the two listeners need different ports"},
		{[]string{"OWNER_USERNAME=boss", "DATABASE_URL=" + filepath.Join(home, "x.db"), "APP_PORT=0", "HEARTBEAT_PORT=0"}, nil, "missing: OWNER_EMAIL, OWNER_PASSWORD"},
	}
	for _, c := range cases {
		cmd, out := tcdCmd(t, home, c.env, c.args...)
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Errorf("%v %v: want exit 1, got %v\n%s", c.env, c.args, err, out.String())
			continue
		}
		if !strings.Contains(out.String(), c.want) {
			t.Errorf("%v %v: output lacks %q:\n%s", c.env, c.args, c.want, out.String())
		}
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		cmd, out := tcdCmd(t, t.TempDir(), nil, args...)
		if err := cmd.Run(); err != nil || !strings.HasPrefix(out.String(), "tcd ") {
			t.Fatalf("%v: %v %q", args, err, out.String())
		}
	}
}

// tcd rotate-keys, the offline subcommand: it takes tcd's database and
// key-file options, replaces the key and leaves one key in the file.
func TestRotateKeysCommand(t *testing.T) {
	dir := t.TempDir()
	db, key := filepath.Join(dir, "tcd.db"), filepath.Join(dir, "keys", "tcd.key")
	var out, errOut bytes.Buffer
	if code := run([]string{"rotate-keys", "--database", db, "--key-file", key}, &out, &errOut); code == 0 || !strings.Contains(errOut.String(), "key file not found") {
		t.Fatalf("rotate-keys without a key file: exit %d, %s", code, errOut.String())
	}
	before, _, err := keyring.LoadOrCreate(key)
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errOut.Reset()
	if code := run([]string{"rotate-keys", "--database", db, "--key-file", key}, &out, &errOut); code != 0 {
		t.Fatalf("rotate-keys: exit %d, %s", code, errOut.String())
	}
	after, err := keyring.Load(key)
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Keys()) != 1 || after.Primary().ID == before.Primary().ID || !strings.Contains(out.String(), after.Primary().ID) {
		t.Fatalf("after rotate-keys: %d key(s), primary %s (was %s); stdout %q", len(after.Keys()), after.Primary().ID, before.Primary().ID, out.String())
	}
}

package testutil

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
)

// PGServer is a private PostgreSQL server for one test, which may stop and
// start it (the shared server at 127.0.0.1:5432 is never touched).
type PGServer struct {
	t    testing.TB
	bin  string
	dir  string
	Port int
	DSN  string
}

// StartPrivatePostgres runs initdb and starts a server on a free port. It
// needs Debian's PostgreSQL binaries and root (to run them as the postgres
// user); without them the test is skipped, or fails under CI=true.
func StartPrivatePostgres(t testing.TB) *PGServer {
	t.Helper()
	skip := func(format string, args ...any) *PGServer {
		msg := fmt.Sprintf(format, args...)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
		return nil
	}
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(bins) == 0 {
		return skip("no PostgreSQL server binaries under /usr/lib/postgresql (install Debian's postgresql)")
	}
	sort.Strings(bins)
	bin := filepath.Dir(bins[len(bins)-1])
	pgUser, err := user.Lookup("postgres")
	if err != nil || os.Geteuid() != 0 {
		return skip("a private PostgreSQL needs root and a postgres user (euid %d, %v)", os.Geteuid(), err)
	}
	uid, _ := strconv.Atoi(pgUser.Uid)
	gid, _ := strconv.Atoi(pgUser.Gid)
	dir, err := os.MkdirTemp("", "tc-pg-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	os.Chown(dir, uid, gid)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := &PGServer{t: t, bin: bin, dir: dir, Port: port,
		DSN: fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)}
	if out, err := s.run("initdb", "-D", s.data(), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		_, _ = s.run("pg_ctl", "-D", s.data(), "-m", "immediate", "-w", "stop")
		os.RemoveAll(dir)
	})
	s.Start()
	return s
}

func (s *PGServer) data() string { return filepath.Join(s.dir, "data") }

func (s *PGServer) run(tool string, args ...string) ([]byte, error) {
	cmd := exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(s.bin, tool)}, args...)...)
	cmd.Dir = s.dir
	return cmd.CombinedOutput()
}

// Start starts the server and waits until it accepts connections.
func (s *PGServer) Start() {
	s.t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", s.Port, s.dir)
	if out, err := s.run("pg_ctl", "-D", s.data(), "-o", opts, "-l", filepath.Join(s.dir, "log"), "-w", "-t", "30", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(s.dir, "log"))
		s.t.Fatalf("start PostgreSQL: %v\n%s\n%s", err, out, log)
	}
}

// Stop stops the server, disconnecting every client at once.
func (s *PGServer) Stop() {
	s.t.Helper()
	if out, err := s.run("pg_ctl", "-D", s.data(), "-m", "fast", "-w", "-t", "30", "stop"); err != nil {
		s.t.Fatalf("stop PostgreSQL: %v\n%s", err, out)
	}
}

package e2e

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opentc/tc/internal/config"
	"github.com/opentc/tc/internal/daemon"
	"github.com/opentc/tc/internal/testutil"
)

// startDaemon starts a tcd with its own clock and, if readTimeout is set,
// that read timeout on both listeners; stopped at cleanup.
func startDaemon(t *testing.T, cfg config.Config, now func() time.Time, readTimeout time.Duration) *daemon.Main {
	t.Helper()
	buf := &testutil.SyncBuffer{}
	m := daemon.New(cfg)
	m.Logger = slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m.Now, m.BcryptCost, m.ReadTimeout = now, 4, readTimeout
	ctx, cancel := context.WithTimeout(bg, 30*time.Second)
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
	return m
}

// Finding 7 of issue 17: Go clients logged "Unsolicited response received
// on idle HTTP channel … 400 Request Timeout". That is a connection on which
// no request began — Go's Transport keeps a spare connection it dialed —
// reaching the read timeout: fasthttp handed the timeout of a connection's
// first request to the error handler, which answered it. Now such a
// connection is closed without a byte, on both listeners, as an idle
// keep-alive connection after a request already was; a request that began
// and stalled still gets its answer.
func TestIdleConnectionsCloseSilently(t *testing.T) {
	const timeout = 300 * time.Millisecond
	m := startDaemon(t, testutil.DefaultConfig(testutil.SQLiteDSN(t)), time.Now, timeout)
	for name, l := range map[string]struct{ base, health string }{"api": {m.APIURL(), "/health/live"}, "heartbeat": {m.HeartbeatURL(), "/health"}} {
		base := l.base
		host := strings.TrimPrefix(base, "http://")
		dial := func() net.Conn {
			c, err := net.DialTimeout("tcp", host, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			_ = c.SetReadDeadline(time.Now().Add(10 * timeout))
			return c
		}
		// A fresh connection left idle: closed, nothing written.
		c := dial()
		start := time.Now()
		got, err := io.ReadAll(c)
		if len(got) != 0 || err != nil || time.Since(start) < timeout/2 {
			t.Fatalf("%s: a connection left idle got %q (%v) after %s, want a close without a byte after the read timeout",
				name, got, err, time.Since(start))
		}
		// After a request, the idle keep-alive connection: the same.
		c = dial()
		if _, err := io.WriteString(c, "GET "+l.health+" HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(c)
		resp, err := http.ReadResponse(r, nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: answer %v %v", name, resp, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if rest, err := io.ReadAll(r); len(rest) != 0 || err != nil {
			t.Fatalf("%s: the idle keep-alive connection got %q (%v)", name, rest, err)
		}
		// A request that began and stalled is answered.
		c = dial()
		if _, err := io.WriteString(c, "GET "+l.health+" HTTP/1.1\r\nHost: x\r\n"); err != nil {
			t.Fatal(err)
		}
		if got, _ := io.ReadAll(c); !strings.HasPrefix(string(got), "HTTP/1.1 4") {
			t.Fatalf("%s: a stalled request got %q, want a 4xx answer", name, got)
		}
	}
}

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/opentc/tc/internal/bench"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// crashTCD is tcd as a real process (this test binary, see TestMain).
type crashTCD struct {
	cmd     *exec.Cmd
	out     *bytes.Buffer
	api, hb string
	exited  chan struct{}
	waitErr error
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func startCrashTCD(t *testing.T, dsn, token string, extraEnv ...string) *crashTCD {
	t.Helper()
	return startProcTCD(t, os.Args[0], dsn, token, extraEnv...)
}

// startProcTCD starts exe (this test binary or a built tcd) as tcd.
func startProcTCD(t *testing.T, exe, dsn, token string, extraEnv ...string) *crashTCD {
	t.Helper()
	api, hb := freeTCPPort(t), freeTCPPort(t)
	cmd := exec.Command(exe)
	cmd.Env = append([]string{"TC_E2E_RUN_TCD=1", "HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"),
		"TC_HOST=127.0.0.1", "APP_PORT=" + strconv.Itoa(api), "HEARTBEAT_PORT=" + strconv.Itoa(hb),
		"DATABASE_URL=" + dsn, "TC_LOG_LEVEL=warn",
		"OWNER_USERNAME=root", "OWNER_EMAIL=root@example.com", "OWNER_PASSWORD=rootpass1", "OWNER_TOKEN=" + token}, extraEnv...)
	out := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &crashTCD{cmd: cmd, out: out, api: "http://127.0.0.1:" + strconv.Itoa(api), hb: "http://127.0.0.1:" + strconv.Itoa(hb), exited: make(chan struct{})}
	go func() { p.waitErr = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = cmd.Process.Kill()
			<-p.exited
		}
	})
	ready := make(chan error, 1)
	go func() {
		_, err := bench.WaitReady(context.Background(), p.api+"/health/ready", 60*time.Second)
		ready <- err
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatalf("tcd not ready: %v\n%s", err, out.String())
		}
	case <-p.exited:
		t.Fatalf("tcd exited at start: %v\n%s", p.waitErr, out.String())
	}
	return p
}

func (p *crashTCD) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.exited
}

func (p *crashTCD) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("tcd did not stop on SIGTERM\n%s", p.out.String())
	}
}

// Issue 6: heartbeat load with every acknowledged (agent, counter) recorded,
// kill -9 of tcd in the middle of it, restart: for every agent the stored
// counter is at least the last one acknowledged (a 2xx means committed),
// and the SQLite file passes PRAGMA integrity_check.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("starts tcd as a process and kills it: not in -short")
	}
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		const agents = 300
		token := "tc-apiv1_0b1f7c901a78619c5d7aeae25543806aeaff46c4b91050cc0ea03065c6f4e950" // random: pre-shared values need ≥ 128 bits of entropy
		p := startCrashTCD(t, e.DSN, token)

		var (
			acks  bytes.Buffer
			acked atomic.Int64
		)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		type out struct {
			r   *bench.Result
			err error
		}
		done := make(chan out, 1)
		go func() {
			r, err := bench.Heartbeats(ctx, bench.HeartbeatOptions{URL: p.hb, Token: token, Agents: agents, Prefix: "crash-",
				Load: bench.Load{Concurrency: 32, Duration: 30 * time.Second}, Ack: &acks, Acked: &acked})
			done <- out{r, err}
		}()
		// Kill in the middle of the load: once it is well under way, at a
		// moment that differs from run to run.
		for deadline := time.Now().Add(20 * time.Second); acked.Load() < 1000; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("only %d heartbeats acknowledged in 20 s\n%s", acked.Load(), p.out.String())
			}
		}
		time.Sleep(time.Duration(rand.IntN(500)) * time.Millisecond)
		p.kill(t)
		time.Sleep(100 * time.Millisecond) // let requests in flight fail
		cancel()
		res := <-done
		if res.err != nil {
			t.Fatal(res.err)
		}
		last := map[string]uint64{}
		sc := bufio.NewScanner(bytes.NewReader(acks.Bytes()))
		for sc.Scan() {
			id, n, ok := strings.Cut(sc.Text(), " ")
			c, err := strconv.ParseUint(n, 10, 64)
			if !ok || err != nil {
				t.Fatalf("ack line %q", sc.Text())
			}
			last[id] = max(last[id], c)
		}
		if res.r.OK < 1000 || len(last) < agents/2 {
			t.Fatalf("too little load before the kill to prove anything: %d acknowledged, %d agents\n%s", res.r.OK, len(last), p.out.String())
		}
		t.Logf("%d heartbeats acknowledged from %d agents before kill -9; failed: %v", res.r.OK, len(last), res.r.Errors)

		p2 := startCrashTCD(t, e.DSN, token)
		c, err := client.New(p2.api, client.WithToken(token))
		if err != nil {
			t.Fatal(err)
		}
		stored := map[string]uint64{}
		for off := 0; ; off += tc.MaxLimit {
			page, err := c.ListAgents(bg, client.AgentFilter{Search: "crash-", Page: tc.Page{Limit: tc.MaxLimit, Offset: off}})
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range page.Items {
				if a.Statistics != nil {
					stored[a.ID] = a.Statistics.Metrics
				}
			}
			if off+len(page.Items) >= page.Total || len(page.Items) == 0 {
				break
			}
		}
		lost := 0
		for id, acked := range last {
			if got, ok := stored[id]; !ok || got < acked {
				lost++
				if lost <= 10 {
					t.Errorf("agent %s: acknowledged counter %d, stored %d (present %v)", id, acked, got, ok)
				}
			}
		}
		if lost > 0 {
			t.Fatalf("%d agents lost acknowledged heartbeats", lost)
		}
		p2.stop(t)
		if e.Name == "sqlite" {
			db, err := sql.Open("sqlite3", e.DSN)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var res string
			if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
				t.Fatalf("integrity_check: %q %v", res, err)
			}
			var fk int
			if err := db.QueryRow("SELECT COUNT(*) FROM pragma_foreign_key_check").Scan(&fk); err != nil || fk != 0 {
				t.Fatalf("foreign_key_check: %d violations, %v", fk, err)
			}
		}
	})
}

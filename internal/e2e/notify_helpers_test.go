package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// received is one request a sink got.
type received struct {
	Header http.Header
	Body   []byte
	N      tc.Notification
}

// sink is a local HTTP receiver (webhook, Slack format) on 127.0.0.1. It
// can go down (its listener closed: connection refused) and come back on
// the same port.
type sink struct {
	t    *testing.T
	addr string
	mu   sync.Mutex
	got  []received
	srv  *http.Server
	ln   net.Listener
}

func newSink(t *testing.T) *sink {
	t.Helper()
	s := &sink{t: t}
	s.up("127.0.0.1:0")
	t.Cleanup(s.down)
	return s
}

func (s *sink) URL() string { return "http://" + s.addr + "/hook" }

func (s *sink) up(addr string) {
	s.t.Helper()
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ { // the port may linger briefly after down
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatalf("sink listen %s: %v", addr, err)
	}
	s.ln, s.addr = ln, ln.Addr().String()
	s.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec := received{Header: r.Header.Clone(), Body: b}
		_ = json.Unmarshal(b, &rec.N)
		s.mu.Lock()
		s.got = append(s.got, rec)
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.t.Logf("sink: %v", err)
		}
	}()
}

func (s *sink) down() {
	if s.srv != nil {
		_ = s.srv.Close()
		s.srv = nil
	}
}

func (s *sink) restart() { s.t.Helper(); s.up(s.addr) }

func (s *sink) all() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

// waitUntil polls cond until it holds or the deadline passes.
func waitUntil(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// waitTicks waits until the scheduler (and so the notification
// evaluation) ran n more times.
func waitTicks(t *testing.T, d *testutil.TCD, n int64) {
	t.Helper()
	start := d.Scheduler().Ticks()
	waitUntil(t, fmt.Sprintf("%d scheduler ticks", n), 10*time.Second, func() bool { return d.Scheduler().Ticks() >= start+n })
}

// beat sends one heartbeat per agent (heartbeat group opened) in parallel.
func beat(t *testing.T, d *testutil.TCD, ids []string) {
	t.Helper()
	var wg sync.WaitGroup
	work := make(chan string)
	errs := make(chan error, 1)
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				resp, err := http.Post(d.HeartbeatURL()+"/agents/heartbeat", "application/json", strings.NewReader(hbBody(id, 1)))
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						err = fmt.Errorf("heartbeat %s: %d", id, resp.StatusCode)
					}
				}
				if err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for _, id := range ids {
		work <- id
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
}

// fleetIDs returns n agent IDs with a prefix.
func fleetIDs(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%04d", prefix, i)
	}
	return out
}

// labelAgents assigns one label to agents: the store's own assignment in
// one transaction (through the API each assignment commits on its own,
// seconds for a fleet of thousands; the API path is tested elsewhere).
func labelAgents(t *testing.T, d *testutil.TCD, label string, ids []string) {
	t.Helper()
	err := d.Store().Tx(bg, func(tx *store.Store) error {
		_, err := tx.AssignAgentLabels(bg, ids, []string{label})
		return err
	})
	if err != nil {
		t.Fatalf("label agents: %v", err)
	}
}

// notifyTCD starts tcd for notification tests: heartbeats open, a fast
// scheduler and fast retries.
func notifyTCD(t *testing.T, dsn string, clock *testutil.Clock) *testutil.TCD {
	t.Helper()
	cfg := withOpen(testutil.DefaultConfig(dsn), "heartbeat")
	cfg.SchedulerInterval = 150 * time.Millisecond
	cfg.NotifyRetryInitial = time.Second
	cfg.NotifyRetryMax = 4 * time.Second
	if clock == nil {
		clock = testutil.NewClock()
	}
	return testutil.StartTCDWith(t, cfg, clock)
}

// metricsText returns GET /metrics as text.
func metricsText(t *testing.T, d *testutil.TCD) string {
	t.Helper()
	resp, err := http.Get(d.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

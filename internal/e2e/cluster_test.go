package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// node is a tcd process of a cluster test (the test binary re-executed,
// see main_test.go), so it can be killed with SIGKILL.
type node struct {
	cmd      *exec.Cmd
	api, hb  string
	out      *testutil.SyncBuffer
	exited   chan struct{}
	killedAt time.Time
}

func pickPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func startNode(t *testing.T, dsn string, env ...string) *node {
	t.Helper()
	api, hb := pickPort(t), pickPort(t)
	n := &node{api: "http://127.0.0.1:" + strconv.Itoa(api), hb: "http://127.0.0.1:" + strconv.Itoa(hb), out: &testutil.SyncBuffer{}, exited: make(chan struct{})}
	n.cmd = exec.Command(os.Args[0], "-test.run=^$")
	n.cmd.Env = append([]string{"TC_E2E_RUN_TCD=1", "PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"DATABASE_URL=" + dsn, "APP_PORT=" + strconv.Itoa(api), "HEARTBEAT_PORT=" + strconv.Itoa(hb), "TC_HOST=127.0.0.1",
		"HA_ENABLED=true", "HA_POLL_INTERVAL_MS=500", "TC_SCHEDULER_INTERVAL=1s", "DISABLED_AUTH_ENDPOINTS=heartbeat",
		"OWNER_USERNAME=root", "OWNER_EMAIL=root@example.com", "OWNER_PASSWORD=rootpass1", "TC_LOG_LEVEL=debug"}, env...)
	n.cmd.Stdout, n.cmd.Stderr = n.out, n.out
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { n.cmd.Wait(); close(n.exited) }()
	t.Cleanup(func() {
		select {
		case <-n.exited:
		default:
			n.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-n.exited:
			case <-time.After(10 * time.Second):
				n.cmd.Process.Kill()
			}
		}
		if t.Failed() {
			t.Logf("node %s log:\n%s", n.api, n.out.String())
		}
	})
	return n
}

func (n *node) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if s := httpStatus(n.api + "/health/ready"); s == 200 {
			return
		}
		select {
		case <-n.exited:
			t.Fatalf("node exited:\n%s", n.out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("node %s not ready:\n%s", n.api, n.out.String())
}

func (n *node) alive() bool {
	select {
	case <-n.exited:
		return false
	default:
		return true
	}
}

func (n *node) isLeader() bool { return n.alive() && httpStatus(n.api+"/health/leader") == 200 }

func httpStatus(u string) int {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func leaders(nodes []*node) []*node {
	var out []*node
	for _, n := range nodes {
		if n.isLeader() {
			out = append(out, n)
		}
	}
	return out
}

func schedulerTicks(t *testing.T, n *node) float64 {
	resp, err := http.Get(n.api + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "tcd_scheduler_tick_seconds_count ") {
			v, _ := strconv.ParseFloat(strings.TrimPrefix(l, "tcd_scheduler_tick_seconds_count "), 64)
			return v
		}
	}
	return 0
}

func sendHB(t *testing.T, hbURL, body string) int {
	resp, err := http.Post(hbURL+"/agents/heartbeat", "application/json", strings.NewReader(body))
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// Acceptance 1 and 5 (cluster): three tcd processes started at the same
// instant on one empty database come up on one migrated schema with exactly
// one leader; kill -9 of the leader makes another leader within 10 s; the
// scheduler keeps marking agents not_reporting across the failover and never
// runs on two nodes at once.
func TestClusterFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts tcd processes")
	}
	dsn, ok := testutil.PostgresDSN(t)
	if !ok {
		return
	}
	var nodes []*node
	for i := 0; i < 3; i++ {
		nodes = append(nodes, startNode(t, dsn))
	}
	for _, n := range nodes {
		n.waitReady(t)
	}
	st, err := store.Open(bg, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if v, err := st.SchemaVersion(bg); err != nil || v != store.LatestSchemaVersion() {
		t.Fatalf("schema version %d (%v), want %d", v, err, store.LatestSchemaVersion())
	}
	if l := leaders(nodes); len(l) != 1 {
		t.Fatalf("%d leaders", len(l))
	}
	owner, err := client.New(nodes[0].api)
	if err != nil {
		t.Fatal(err)
	}
	lr, err := owner.Login(bg, tc.LoginRequest{Username: "root", Password: "rootpass1"})
	if err != nil {
		t.Fatal(err)
	}
	owner, _ = client.New(nodes[1].api, client.WithToken(lr.Token)) // a session works on every node
	must[tc.ReportingRule](t)(owner.CreateRule(bg, tc.ReportingRuleRequest{Name: ptr("fast"), NotReportingAfter: ptr(int64(2)), IsDefault: ptr(true)}))

	// Only the leader's scheduler ticks.
	leader := leaders(nodes)[0]
	before := map[*node]float64{}
	for _, n := range nodes {
		before[n] = schedulerTicks(t, n)
	}
	time.Sleep(2500 * time.Millisecond)
	for _, n := range nodes {
		moved := schedulerTicks(t, n) - before[n]
		if (n == leader) != (moved > 0) {
			t.Fatalf("node %s (leader %v) ticked %v times", n.api, n == leader, moved)
		}
	}

	// kill -9 the leader.
	leader.cmd.Process.Signal(syscall.SIGKILL)
	<-leader.exited
	killed := time.Now()
	var next *node
	for time.Since(killed) < 10*time.Second {
		if l := leaders(nodes); len(l) == 1 {
			next = l[0]
			break
		} else if len(l) > 1 {
			t.Fatalf("%d leaders at once", len(l))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if next == nil {
		t.Fatal("no new leader within 10 s of the leader's kill -9")
	}
	t.Logf("new leader after %s", time.Since(killed).Round(time.Millisecond))

	// The scheduler works on the new leader: a silent agent becomes not_reporting.
	var survivor *node
	for _, n := range nodes {
		if n.alive() && n != next {
			survivor = n
		}
	}
	if s := sendHB(t, survivor.hb, hbBody("after-failover", 1)); s != 200 {
		t.Fatalf("heartbeat: %d", s)
	}
	c, _ := client.New(survivor.api, client.WithToken(lr.Token))
	deadline := time.Now().Add(8 * time.Second)
	for {
		a, err := c.GetAgent(bg, "after-failover")
		if err == nil && a.Status == tc.StatusNotReporting {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent not marked not_reporting after the failover: %+v %v", a, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Acceptance 2 (cluster): a token revoked through node A is refused by node
// B within 1 s; a config updated through A is served updated, with a new
// Last-Modified, by B within 1 s; settings follow too.
func TestClusterCacheInvalidation(t *testing.T) {
	dsn, ok := testutil.PostgresDSN(t)
	if !ok {
		return
	}
	a := testutil.StartTCD(t, dsn)
	b := testutil.StartTCD(t, dsn)
	ownerA := a.Setup(t)
	ownerB := b.Client(t, ownerA.Token())
	tok := createToken(t, ownerA, tc.CreateTokenRequest{Description: "agents", Preset: tc.PresetTelegrafAgent})
	agentB := b.Client(t, tok.Raw)
	must[tc.Me](t)(agentB.Me(bg)) // cached on B
	cfg := must[tc.Config](t)(ownerA.CreateConfig(bg, tc.CreateConfigRequest{Name: "web", TOML: "[agent]\n  interval = \"10s\"\n"}))
	r1 := must[client.Rendered](t)(agentB.RenderConfig(bg, cfg.ID, nil)) // cached on B

	within := func(what string, ok func() bool) {
		t.Helper()
		start := time.Now()
		for !ok() {
			if time.Since(start) > time.Second {
				t.Fatalf("%s: node B did not follow within 1 s", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Logf("%s: %s", what, time.Since(start).Round(time.Millisecond))
	}
	must[tc.Token](t)(ownerA.RevokeToken(bg, tok.ID))
	within("token revoked", func() bool { _, err := agentB.Me(bg); return tc.ErrorCode(err) == tc.EUnauthorized })

	time.Sleep(1100 * time.Millisecond) // a new second for Last-Modified
	tok2 := createToken(t, ownerA, tc.CreateTokenRequest{Description: "agents2", Preset: tc.PresetTelegrafAgent})
	agentB = b.Client(t, tok2.Raw)
	must[tc.Config](t)(ownerA.UpdateConfig(bg, cfg.ID, tc.UpdateConfigRequest{TOML: ptr("[agent]\n  interval = \"20s\"\n")}))
	within("config updated", func() bool {
		r, err := agentB.RenderConfig(bg, cfg.ID, nil)
		return err == nil && strings.Contains(r.Body, "20s") && r.LastModified != r1.LastModified
	})

	must[tc.Settings](t)(ownerA.UpdateSettings(bg, tc.SettingsPatch{LoginLockoutAttempts: ptr(7)}))
	within("settings changed", func() bool {
		s, err := ownerB.Settings(bg)
		return err == nil && s.LoginLockoutAttempts == 7
	})
}

// Acceptance 3 (cluster): heartbeats spread over all nodes are all stored.
func TestClusterHeartbeatsOnAllNodes(t *testing.T) {
	dsn, ok := testutil.PostgresDSN(t)
	if !ok {
		return
	}
	var nodes []*testutil.TCD
	for i := 0; i < 3; i++ {
		nodes = append(nodes, testutil.StartTCDWith(t, withOpen(testutil.DefaultConfig(dsn), "heartbeat"), testutil.NewClock()))
	}
	const agents, each = 60, 3
	var wg sync.WaitGroup
	var mu sync.Mutex
	acked := 0
	for i := 0; i < agents; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for k := 1; k <= each; k++ {
				n := nodes[(i+k)%len(nodes)]
				if sendHB(t, n.HeartbeatURL(), hbBody(fmt.Sprintf("spread-%03d", i), k)) == 200 {
					mu.Lock()
					acked++
					mu.Unlock()
				}
			}
		}(i)
	}
	wg.Wait()
	if acked != agents*each {
		t.Fatalf("%d of %d heartbeats acknowledged", acked, agents*each)
	}
	owner := nodes[0].Setup(t)
	l := must[tc.List[tc.Agent]](t)(nodes[2].Client(t, owner.Token()).ListAgents(bg, client.AgentFilter{Page: tc.Page{Limit: 1000}}))
	if l.Total != agents {
		t.Fatalf("%d agents, want %d", l.Total, agents)
	}
	for _, a := range l.Items {
		if a.Heartbeats != each || a.Statistics == nil || a.Statistics.Metrics != each {
			t.Fatalf("agent %s: %d heartbeats, statistics %+v", a.ID, a.Heartbeats, a.Statistics)
		}
	}
}

// Acceptance 4 (cluster): PostgreSQL stopped and restarted under heartbeat
// load: no 2xx for a heartbeat that was not committed (every acknowledged
// counter is stored), refusals are 503 with Retry-After, and every node
// serves again within 10 s of PostgreSQL's return without a restart.
func TestClusterPostgresRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a private PostgreSQL")
	}
	pg := testutil.StartPrivatePostgres(t)
	var nodes []*testutil.TCD
	for i := 0; i < 2; i++ {
		cfg := withOpen(testutil.DefaultConfig(pg.DSN), "heartbeat")
		cfg.HAPoll = 200 * time.Millisecond
		nodes = append(nodes, testutil.StartTCDWith(t, cfg, testutil.NewClock()))
	}
	const agents = 20
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex
	lastAck := map[string]int{}
	refused, retryAfter := 0, 0
	hc := &http.Client{Timeout: 5 * time.Second}
	for i := 0; i < agents; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			id := fmt.Sprintf("load-%02d", i)
			for k := 1; ctx.Err() == nil; k++ {
				n := nodes[(i+k)%len(nodes)]
				resp, err := hc.Post(n.HeartbeatURL()+"/agents/heartbeat", "application/json", strings.NewReader(hbBody(id, k)))
				if err != nil {
					time.Sleep(20 * time.Millisecond)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mu.Lock()
				switch {
				case resp.StatusCode == 200:
					lastAck[id] = k
				case resp.StatusCode == 503:
					refused++
					if resp.Header.Get("Retry-After") != "" {
						retryAfter++
					}
				default:
					mu.Unlock()
					t.Errorf("heartbeat answered %d", resp.StatusCode)
					return
				}
				mu.Unlock()
				time.Sleep(10 * time.Millisecond)
			}
		}(i)
	}
	time.Sleep(700 * time.Millisecond)
	pg.Stop()
	time.Sleep(1500 * time.Millisecond)
	pg.Start()
	back := time.Now()
	for _, n := range nodes {
		for httpStatus(n.URL+"/health/ready") != 200 || sendHB(t, n.HeartbeatURL(), hbBody("probe", 1)) != 200 {
			if time.Since(back) > 10*time.Second {
				t.Fatalf("node %s does not serve 10 s after PostgreSQL's return", n.URL)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	t.Logf("all nodes serve %s after PostgreSQL's return", time.Since(back).Round(time.Millisecond))
	time.Sleep(500 * time.Millisecond)
	cancel()
	wg.Wait()
	if refused == 0 || retryAfter != refused {
		t.Fatalf("%d refusals during the outage, %d with Retry-After", refused, retryAfter)
	}
	st, err := store.Open(bg, pg.DSN, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for id, k := range lastAck {
		a, err := st.AgentByID(bg, id)
		if err != nil || a.Metrics < int64(k) {
			t.Fatalf("agent %s: acknowledged counter %d, stored %+v %v", id, k, a, err)
		}
	}
	t.Logf("%d agents, %d refusals while PostgreSQL was down", len(lastAck), refused)
}

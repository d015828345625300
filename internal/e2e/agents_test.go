package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opentc/tc/internal/config"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// hbCapture is one heartbeat POST of a run*.jsonl fixture.
type hbCapture struct {
	Method  string          `json:"method"`
	Path    string          `json:"path"`
	Headers [][2]string     `json:"headers"`
	Body    string          `json:"body"`
	JSON    json.RawMessage `json:"json"`
}

func heartbeatCaptures(t *testing.T, run string) []hbCapture {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtureDir, run+".jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out []hbCapture
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var c hbCapture
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatal(err)
		}
		if c.Method == "POST" {
			out = append(out, c)
		}
	}
	return out
}

// replayHeartbeat writes the captured request byte for byte — request line,
// headers in the order sent, the raw body — replacing only the token of a
// Bearer/Token Authorization header (the capture server's placeholders can
// never be well-formed) and the Host.
func replayHeartbeat(t *testing.T, base string, c hbCapture, token string) (status int, body, contentType string) {
	t.Helper()
	host := strings.TrimPrefix(base, "http://")
	conn, err := net.DialTimeout("tcp", host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var b strings.Builder
	b.WriteString(c.Method + " " + c.Path + " HTTP/1.1\r\n")
	for _, h := range c.Headers {
		v := h[1]
		switch h[0] {
		case "Host":
			v = host
		case "Authorization":
			if scheme, _, ok := strings.Cut(v, " "); ok && (scheme == "Bearer" || scheme == "Token") {
				v = scheme + " " + token
			}
		}
		b.WriteString(h[0] + ": " + v + "\r\n")
	}
	b.WriteString("Connection: close\r\n\r\n")
	b.WriteString(c.Body)
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b2, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b2), resp.Header.Get("Content-Type")
}

// wirePayload is what a fixture heartbeat says, for expectations.
type wirePayload struct {
	ID             string          `json:"id"`
	Version        string          `json:"version"`
	Last           *int64          `json:"last"`
	Hostname       *string         `json:"hostname"`
	Configurations []string        `json:"configurations"`
	Statistics     *tc.Statistics  `json:"statistics"`
	Logs           []tc.LogEntry   `json:"logs"`
	Status         *string         `json:"status"`
	Raw            json.RawMessage `json:"-"`
}

// Acceptance 1: every heartbeat of every fixture run, replayed byte for
// byte, creates or updates agents that match the payloads — the
// \u0026{agent_id} id, v1.37's last of -62135596800, empty logs, managed
// versus external configurations.
func TestHeartbeatFixtureReplay(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		for _, run := range []string{"runA", "runB", "runF", "runG", "runH"} {
			t.Run(run, func(t *testing.T) {
				d := testutil.StartTCDWith(t, withOpen(testutil.DefaultConfig(freshDSN(t, e)), "heartbeat"), testutil.NewClock())
				owner := d.Setup(t)
				agentTok := createToken(t, owner, tc.CreateTokenRequest{Description: "agents", Preset: tc.PresetTelegrafAgent}).Raw
				// A managed config that run A's URL names through an alias.
				cfg, err := owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "fixture-a", TOML: fixture(t, "cfg_v1.toml")})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := owner.PutAlias(bg, "abc", tc.AliasRequest{ConfigID: cfg.ID}); err != nil {
					t.Fatal(err)
				}
				last := map[string]wirePayload{}
				lastSuccess := map[string]*int64{}
				count := map[string]int64{}
				var order []string
				for _, c := range heartbeatCaptures(t, run) {
					status, body, ctype := replayHeartbeat(t, d.HeartbeatURL(), c, agentTok)
					if status != 200 {
						t.Fatalf("heartbeat %s: %d %s", c.Body, status, body)
					}
					if body != `{"status":"ok"}` || ctype != "application/json" {
						t.Fatalf("heartbeat answered %q (%s), want {\"status\":\"ok\"} as application/json", body, ctype)
					}
					var p wirePayload
					if err := json.Unmarshal([]byte(c.Body), &p); err != nil {
						t.Fatal(err)
					}
					if _, seen := last[p.ID]; !seen {
						order = append(order, p.ID)
					}
					if p.Last != nil {
						v := *p.Last
						lastSuccess[p.ID] = &v
					}
					if prev, ok := last[p.ID]; ok && p.Logs == nil {
						p.Logs = prev.Logs // logs not included: the latest reported ones stay
					}
					if prev, ok := last[p.ID]; ok && p.Configurations == nil {
						p.Configurations = prev.Configurations
					}
					last[p.ID] = p
					count[p.ID]++
				}
				list := must[tc.List[tc.Agent]](t)(owner.ListAgents(bg, client.AgentFilter{}))
				if list.Total != len(last) {
					t.Fatalf("agents %d, want %d (%v)", list.Total, len(last), order)
				}
				for id, p := range last {
					a, err := owner.GetAgent(bg, id)
					if err != nil {
						t.Fatalf("agent %q: %v", id, err)
					}
					if p.Hostname != nil && a.Hostname != *p.Hostname {
						t.Errorf("%s hostname %q want %q", id, a.Hostname, *p.Hostname)
					}
					if a.Version != p.Version || !strings.HasPrefix(p.Version, "Telegraf "+a.VersionNumber) || a.VersionNumber == "" {
						t.Errorf("%s version %q / %q from %q", id, a.Version, a.VersionNumber, p.Version)
					}
					want := tc.StatusUndefined
					if p.Status != nil {
						want = strings.ToLower(*p.Status)
					}
					if a.Status != want {
						t.Errorf("%s status %s want %s", id, a.Status, want)
					}
					if p.Statistics != nil && (a.Statistics == nil || *a.Statistics != *p.Statistics) {
						t.Errorf("%s statistics %+v want %+v", id, a.Statistics, p.Statistics)
					}
					if a.Heartbeats != count[id] {
						t.Errorf("%s heartbeats %d want %d", id, a.Heartbeats, count[id])
					}
					switch ls := lastSuccess[id]; {
					case ls == nil || *ls <= 0:
						if a.LastSuccessAt != nil {
							t.Errorf("%s lastSuccessAt %v, want none (last=%v)", id, a.LastSuccessAt, ls)
						}
					case a.LastSuccessAt == nil || a.LastSuccessAt.Unix() != *ls:
						t.Errorf("%s lastSuccessAt %v want %d", id, a.LastSuccessAt, *ls)
					}
					if len(a.Configurations) != len(p.Configurations) {
						t.Errorf("%s configurations %+v want %v", id, a.Configurations, p.Configurations)
					}
					for i, c := range a.Configurations {
						managed := strings.Contains(c.URL, "/api/configs/abc/toml")
						if c.URL != p.Configurations[i] || c.Managed != managed || (managed && c.ConfigID != cfg.ID) {
							t.Errorf("%s configuration %+v (managed want %v)", id, c, managed)
						}
					}
					logs := must[tc.AgentLogs](t)(owner.AgentLogs(bg, id))
					if len(logs.Entries) != len(p.Logs) {
						t.Errorf("%s logs %d want %d", id, len(logs.Entries), len(p.Logs))
					}
					for i := range logs.Entries {
						if logs.Entries[i].Message != p.Logs[i].Message || logs.Entries[i].Level != p.Logs[i].Level {
							t.Errorf("%s log %d: %+v", id, i, logs.Entries[i])
						}
					}
				}
				if run == "runA" {
					if _, err := owner.GetAgent(bg, "&{agent_id}"); err != nil {
						t.Fatalf(`the \u0026{agent_id} agent is not "&{agent_id}": %v`, err)
					}
				}
			})
		}
	})
}

func withOpen(c config.Config, groups ...string) config.Config {
	c.DisableAuthEndpoints = groups
	return c
}

func postHeartbeat(t *testing.T, d *testutil.TCD, auth, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", d.HeartbeatURL()+"/agents/heartbeat", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env map[string]any
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &env)
	return resp.StatusCode, env
}

func hbBody(id string, metrics int) string {
	return fmt.Sprintf(`{"id":%q,"version":"Telegraf 1.39.3","schema":1,"hostname":"host-%s","statistics":{"errors":0,"warnings":0,"metrics":%d},"status":"OK"}`, id, id, metrics)
}

// Acceptance 2: each auth failure gives its exact text and status and stores
// nothing; with the heartbeat group opened, no credentials pass but a wrong
// one is still refused.
func TestHeartbeatAuthFailures(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)
		agentTok := createToken(t, owner, tc.CreateTokenRequest{Description: "agents", Preset: tc.PresetTelegrafAgent}).Raw
		readTok := createToken(t, owner, tc.CreateTokenRequest{Description: "reader", Permissions: []string{"configs:read"}}).Raw
		expTok := createToken(t, owner, tc.CreateTokenRequest{Description: "short", Preset: tc.PresetTelegrafAgent, ExpiresIn: "1m"}).Raw
		d.Clock.Advance(2 * time.Minute)
		cases := []struct {
			auth   string
			status int
			text   string
		}{
			{"", 401, "Missing or invalid Authorization header"},
			{"Basic YWxpY2U6czNjcmV0", 401, "Missing or invalid Authorization header"},
			{"Bearer", 401, "Missing or invalid Authorization header"},
			{"Bearer tc-apiv1_test", 401, "Invalid token format"},
			{"Bearer tc-apiv1_" + strings.Repeat("0", 64), 401, "Invalid token"},
			{"Bearer " + expTok, 401, "Token expired"},
			{"Bearer " + readTok, 403, "Insufficient permissions: heartbeat:write required"},
			{"Token " + readTok, 403, "Insufficient permissions: heartbeat:write required"},
		}
		for _, c := range cases {
			status, env := postHeartbeat(t, d, c.auth, hbBody("intruder", 1))
			if status != c.status || env["message"] != c.text {
				t.Errorf("%q: %d %v, want %d %q", c.auth, status, env, c.status, c.text)
			}
		}
		if l := must[tc.List[tc.Agent]](t)(owner.ListAgents(bg, client.AgentFilter{})); l.Total != 0 {
			t.Fatalf("refused heartbeats stored agents: %+v", l.Items)
		}
		if status, _ := postHeartbeat(t, d, "Bearer "+agentTok, hbBody("good", 1)); status != 200 {
			t.Fatalf("valid heartbeat: %d", status)
		}
		if strings.Contains(d.Log.String(), agentTok[9:]) || strings.Contains(d.Log.String(), readTok[9:]) {
			t.Fatal("a token reached the log")
		}
		must[tc.Agent](t)(owner.GetAgent(bg, "good"))

		// Opened group: no credentials pass, wrong ones are still refused.
		o := testutil.StartTCDWith(t, withOpen(testutil.DefaultConfig(testutil.SQLiteDSN(t)), "heartbeat"), testutil.NewClock())
		if status, _ := postHeartbeat(t, o, "", hbBody("anon", 1)); status != 200 {
			t.Fatalf("open group without credentials: %d", status)
		}
		if status, env := postHeartbeat(t, o, "Bearer tc-apiv1_"+strings.Repeat("1", 64), hbBody("anon2", 1)); status != 401 || env["message"] != "Invalid token" {
			t.Fatalf("open group with a wrong token: %d %v", status, env)
		}
	})
}

// Acceptance 3: 1,000 concurrent heartbeats from 1,000 agents are all
// answered 2xx, all stored, in far fewer than 1,000 write transactions.
func TestHeartbeatGroupCommit(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)
		tok := createToken(t, owner, tc.CreateTokenRequest{Description: "agents", Preset: tc.PresetTelegrafAgent}).Raw
		before := d.Agents().Writer().Stats()
		tr := &http.Transport{MaxIdleConnsPerHost: 1000, MaxConnsPerHost: 0}
		hc := &http.Client{Transport: tr, Timeout: 60 * time.Second}
		defer tr.CloseIdleConnections()
		const n = 1000
		var wg sync.WaitGroup
		errs := make(chan string, n)
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				req, _ := http.NewRequest("POST", d.HeartbeatURL()+"/agents/heartbeat", strings.NewReader(hbBody(fmt.Sprintf("agent-%04d", i), i)))
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Content-Type", "application/json")
				resp, err := hc.Do(req)
				if err != nil {
					errs <- err.Error()
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode/100 != 2 {
					errs <- resp.Status
				}
			}(i)
		}
		close(start)
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Fatalf("heartbeat failed: %s", e)
		}
		after := d.Agents().Writer().Stats()
		if got := after.Heartbeats - before.Heartbeats; got != n {
			t.Fatalf("writer committed %d heartbeats, want %d", got, n)
		}
		tx := after.Transactions - before.Transactions
		t.Logf("%d heartbeats in %d transactions", n, tx)
		if tx >= n/2 {
			t.Fatalf("%d transactions for %d heartbeats: no group commit", tx, n)
		}
		if l := must[tc.List[tc.Agent]](t)(owner.ListAgents(bg, client.AgentFilter{Page: tc.Page{Limit: 1}})); l.Total != n {
			t.Fatalf("%d agents stored, want %d", l.Total, n)
		}
	})
}

// Acceptance 4: with --scheduler-interval 1s and a rule of 2 s an agent that
// stops sending is not_reporting within about 3 s, back to its reported
// status on its next heartbeat, and deleted after the auto-delete threshold.
func TestSchedulerMarksAndDeletes(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		cfg := withOpen(testutil.DefaultConfig(e.DSN), "heartbeat")
		cfg.SchedulerInterval = time.Second
		d := testutil.StartTCDWith(t, cfg, testutil.NewClock())
		owner := d.Setup(t)
		auto := int64(10)
		must[tc.ReportingRule](t)(owner.CreateRule(bg, tc.ReportingRuleRequest{Name: ptr("fast"), NotReportingAfter: ptr(int64(2)), AutoDeleteAfter: &auto, IsDefault: ptr(true)}))
		if s, _ := postHeartbeat(t, d, "", hbBody("quiet", 1)); s != 200 {
			t.Fatal(s)
		}
		waitStatus := func(want string) {
			t.Helper()
			deadline := time.Now().Add(5 * time.Second)
			for {
				a, err := owner.GetAgent(bg, "quiet")
				if want == "" && tc.ErrorCode(err) == tc.ENotFound {
					return
				}
				if err == nil && a.Status == want {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("agent not %q after 5 s: %+v %v", want, a, err)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		d.Clock.Advance(3 * time.Second)
		start := time.Now()
		waitStatus(tc.StatusNotReporting)
		if took := time.Since(start); took > 3*time.Second {
			t.Fatalf("not_reporting took %s", took)
		}
		if s, _ := postHeartbeat(t, d, "", hbBody("quiet", 2)); s != 200 {
			t.Fatal(s)
		}
		if a := must[tc.Agent](t)(owner.GetAgent(bg, "quiet")); a.Status != tc.StatusOK {
			t.Fatalf("heartbeat did not restore the status at once: %s", a.Status)
		}
		d.Clock.Advance(11 * time.Second)
		waitStatus("") // auto-deleted
	})
}

// not_reporting is derived when an agent is read (docs/performance.md,
// "Scheduler"): it shows the moment the rule's threshold passes, with no
// scheduler tick in between, everywhere statuses are shown — the agent,
// the status filter, the summary and /metrics — and a tick afterwards
// counts the agent once.
func TestNotReportingWithoutTick(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		cfg := withOpen(testutil.DefaultConfig(e.DSN), "heartbeat")
		cfg.SchedulerInterval = time.Hour // no tick runs during the test
		d := testutil.StartTCDWith(t, cfg, testutil.NewClock())
		owner := d.Setup(t)
		must[tc.ReportingRule](t)(owner.CreateRule(bg, tc.ReportingRuleRequest{Name: ptr("fast"), NotReportingAfter: ptr(int64(5)), IsDefault: ptr(true)}))
		for _, id := range []string{"quiet", "chatty"} {
			if s, _ := postHeartbeat(t, d, "", hbBody(id, 1)); s != 200 {
				t.Fatal(s)
			}
		}
		check := func(quietWant string, nNotReporting int) {
			t.Helper()
			if a := must[tc.Agent](t)(owner.GetAgent(bg, "quiet")); a.Status != quietWant || a.ReportedStatus != tc.StatusOK {
				t.Fatalf("quiet: status %q (reported %q), want %q", a.Status, a.ReportedStatus, quietWant)
			}
			l := must[tc.List[tc.Agent]](t)(owner.ListAgents(bg, client.AgentFilter{Status: tc.StatusNotReporting}))
			if l.Total != nNotReporting || len(l.Items) != nNotReporting {
				t.Fatalf("status filter: %d not_reporting, want %d", l.Total, nNotReporting)
			}
			sum := must[tc.AgentSummary](t)(owner.AgentSummary(bg, client.AgentFilter{}))
			if sum.Status[tc.StatusNotReporting] != nNotReporting || sum.Status[tc.StatusOK] != 2-nNotReporting {
				t.Fatalf("summary %v, want %d not_reporting", sum.Status, nNotReporting)
			}
			fams, _ := scrape(t, d, "")
			if v := value(fams, "tcd_agents", map[string]string{"status": tc.StatusNotReporting}); int(v) != nNotReporting {
				t.Fatalf("tcd_agents{status=not_reporting} = %v, want %d", v, nNotReporting)
			}
		}
		check(tc.StatusOK, 0)
		d.Clock.Advance(4 * time.Second)
		if s, _ := postHeartbeat(t, d, "", hbBody("chatty", 2)); s != 200 {
			t.Fatal(s)
		}
		check(tc.StatusOK, 0)
		d.Clock.Advance(2 * time.Second) // quiet: 6 s > 5 s; chatty: 2 s
		check(tc.StatusNotReporting, 1)
		if l := must[tc.List[tc.Agent]](t)(owner.ListAgents(bg, client.AgentFilter{Sort: "status"})); len(l.Items) != 2 || l.Items[0].ID != "quiet" {
			t.Fatalf("sort by status: %+v", l.Items) // not_reporting sorts before ok
		}
		first := must[store.TickResult](t)(d.Scheduler().Tick(bg))
		second := must[store.TickResult](t)(d.Scheduler().Tick(bg))
		if first.NotReporting != 1 || second.NotReporting != 0 {
			t.Fatalf("ticks counted %d then %d agents turning not_reporting, want 1 then 0", first.NotReporting, second.NotReporting)
		}
		if s, _ := postHeartbeat(t, d, "", hbBody("quiet", 2)); s != 200 {
			t.Fatal(s)
		}
		d.Clock.Advance(time.Second) // tcd_agents is counted at most once a second
		check(tc.StatusOK, 0)
	})
}

// Acceptance 5: list filters, summary and paging agree with the data.
func TestAgentListFiltersAndSummary(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCDWith(t, withOpen(testutil.DefaultConfig(e.DSN), "heartbeat"), testutil.NewClock())
		owner := d.Setup(t)
		prod := must[tc.Label](t)(owner.CreateLabel(bg, tc.LabelRequest{Name: "prod", Color: "#ff0000"}))
		statuses := []string{"OK", "WARN", "FAIL", "UNDEFINED"}
		var prodIDs []string
		for i := 0; i < 23; i++ {
			id := fmt.Sprintf("node-%02d", i)
			body := fmt.Sprintf(`{"id":%q,"version":"Telegraf 1.%d.0","hostname":"%s.example","status":%q}`, id, 37+i%3, map[bool]string{true: "web", false: "db"}[i%2 == 0]+id, statuses[i%4])
			if s, env := postHeartbeat(t, d, "", body); s != 200 {
				t.Fatalf("%d %v", s, env)
			}
			if i%3 == 0 {
				prodIDs = append(prodIDs, id)
			}
		}
		must[tc.BulkResult](t)(owner.SetAgentLabels(bg, true, prodIDs, []string{"prod"}))
		// Two agents go quiet.
		d.Clock.Advance(10 * time.Minute)
		if _, err := d.Scheduler().Tick(bg); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 21; i++ {
			id := fmt.Sprintf("node-%02d", i)
			body := fmt.Sprintf(`{"id":%q,"version":"Telegraf 1.%d.0","hostname":"%s.example","status":%q}`, id, 37+i%3, map[bool]string{true: "web", false: "db"}[i%2 == 0]+id, statuses[i%4])
			postHeartbeat(t, d, "", body)
		}
		all := must[tc.List[tc.Agent]](t)(owner.ListAgents(bg, client.AgentFilter{Page: tc.Page{Limit: 1000}}))
		count := func(pred func(tc.Agent) bool) int {
			n := 0
			for _, a := range all.Items {
				if pred(a) {
					n++
				}
			}
			return n
		}
		sum := must[tc.AgentSummary](t)(owner.AgentSummary(bg, client.AgentFilter{}))
		if sum.Total != 23 || sum.Status[tc.StatusNotReporting] != 2 {
			t.Fatalf("summary: %+v", sum)
		}
		for _, st := range tc.AgentStatuses {
			want := count(func(a tc.Agent) bool { return a.Status == st })
			if sum.Status[st] != want {
				t.Errorf("summary %s = %d, list says %d", st, sum.Status[st], want)
			}
			l := must[tc.List[tc.Agent]](t)(owner.ListAgents(bg, client.AgentFilter{Status: st}))
			if l.Total != want {
				t.Errorf("status=%s total %d want %d", st, l.Total, want)
			}
		}
		if sum.LastReported["lt5m"] != 21 || sum.LastReported["lt30m"] != 2 {
			t.Errorf("last reported buckets: %v", sum.LastReported)
		}
		l := must[tc.List[tc.Agent]](t)(owner.ListAgents(bg, client.AgentFilter{Label: "prod", Search: "web", Status: tc.StatusOK}))
		want := count(func(a tc.Agent) bool {
			hasProd := false
			for _, lb := range a.Labels {
				hasProd = hasProd || lb.ID == prod.ID
			}
			return hasProd && strings.Contains(a.Hostname, "web") && a.Status == tc.StatusOK
		})
		if l.Total != want || want == 0 {
			t.Fatalf("label+search+status: %d want %d", l.Total, want)
		}
		s2 := must[tc.AgentSummary](t)(owner.AgentSummary(bg, client.AgentFilter{Label: "prod"}))
		if s2.Total != len(prodIDs) {
			t.Fatalf("summary with label: %d want %d", s2.Total, len(prodIDs))
		}
		// Paging returns each agent exactly once, in a stable order.
		seen := map[string]int{}
		for off := 0; ; off += 7 {
			p := must[tc.List[tc.Agent]](t)(owner.ListAgents(bg, client.AgentFilter{Sort: "hostname", Desc: true, Page: tc.Page{Limit: 7, Offset: off}}))
			if p.Total != 23 {
				t.Fatalf("page total %d", p.Total)
			}
			for _, a := range p.Items {
				seen[a.ID]++
			}
			if len(p.Items) < 7 {
				break
			}
		}
		if len(seen) != 23 {
			t.Fatalf("paging saw %d agents", len(seen))
		}
		for id, n := range seen {
			if n != 1 {
				t.Fatalf("%s seen %d times", id, n)
			}
		}
		ids := make([]string, 0, len(seen))
		for id := range seen {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		_, err := owner.ListAgents(bg, client.AgentFilter{Status: "sleeping"})
		wantCode(t, err, tc.EInvalid, 400)
		_, err = owner.ListAgents(bg, client.AgentFilter{Sort: "password"})
		wantCode(t, err, tc.EInvalid, 400)
		_, err = owner.ListAgents(bg, client.AgentFilter{Label: "nope"})
		wantCode(t, err, tc.EInvalid, 400)
	})
}

// Acceptance 6: the default rule cannot be deleted; deleting another rule
// moves its agents to the default.
func TestReportingRules(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCDWith(t, withOpen(testutil.DefaultConfig(e.DSN), "heartbeat"), testutil.NewClock())
		owner := d.Setup(t)
		rules := must[tc.List[tc.ReportingRule]](t)(owner.ListRules(bg))
		if rules.Total != 1 || !rules.Items[0].IsDefault || rules.Items[0].NotReportingAfter != 180 || rules.Items[0].AutoDeleteAfter != nil {
			t.Fatalf("first start rules: %+v", rules)
		}
		def := rules.Items[0]
		_, err := owner.DeleteRule(bg, def.ID)
		wantCode(t, err, tc.EConflict, 409)
		_, err = owner.UpdateRule(bg, def.ID, tc.ReportingRuleRequest{IsDefault: ptr(false)})
		wantCode(t, err, tc.EConflict, 409)
		slow := must[tc.ReportingRule](t)(owner.CreateRule(bg, tc.ReportingRuleRequest{Name: ptr("slow"), NotReportingAfter: ptr(int64(3600))}))
		for _, id := range []string{"a1", "a2", "a3"} {
			postHeartbeat(t, d, "", hbBody(id, 1))
		}
		if a := must[tc.Agent](t)(owner.GetAgent(bg, "a1")); a.ReportingRuleID != def.ID {
			t.Fatalf("new agent on rule %s, want the default", a.ReportingRuleID)
		}
		must[tc.BulkResult](t)(owner.SetAgentsRule(bg, []string{"a1", "a2"}, "slow"))
		if r := must[tc.ReportingRule](t)(owner.GetRule(bg, "slow")); r.Agents != 2 {
			t.Fatalf("slow has %d agents", r.Agents)
		}
		moved := must[int](t)(owner.DeleteRule(bg, slow.ID))
		if moved != 2 {
			t.Fatalf("moved %d", moved)
		}
		for _, id := range []string{"a1", "a2", "a3"} {
			if a := must[tc.Agent](t)(owner.GetAgent(bg, id)); a.ReportingRuleID != def.ID {
				t.Fatalf("%s still on %s", id, a.ReportingRuleID)
			}
		}
		// Making another rule default unsets the old one; new agents follow it.
		nd := must[tc.ReportingRule](t)(owner.CreateRule(bg, tc.ReportingRuleRequest{Name: ptr("new-default"), NotReportingAfter: ptr(int64(60)), IsDefault: ptr(true)}))
		if r := must[tc.ReportingRule](t)(owner.GetRule(bg, def.ID)); r.IsDefault {
			t.Fatal("two defaults")
		}
		postHeartbeat(t, d, "", hbBody("a4", 1))
		if a := must[tc.Agent](t)(owner.GetAgent(bg, "a4")); a.ReportingRuleID != nd.ID {
			t.Fatalf("a4 on %s", a.ReportingRuleID)
		}
		must[tc.ReportingRule](t)(owner.SetDefaultRule(bg, def.ID))
		_, err = owner.CreateRule(bg, tc.ReportingRuleRequest{Name: ptr("default"), NotReportingAfter: ptr(int64(60))})
		wantCode(t, err, tc.EConflict, 409)
		_, err = owner.CreateRule(bg, tc.ReportingRuleRequest{Name: ptr("zero"), NotReportingAfter: ptr(int64(0))})
		wantCode(t, err, tc.EInvalid, 400)
	})
}

// Acceptance 7: malformed JSON, a missing id, a wrong type, a 2 MiB body:
// each a clear 4xx, and no agent row is created or changed.
func TestHeartbeatBadInput(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)
		tok := "Bearer " + createToken(t, owner, tc.CreateTokenRequest{Description: "agents", Preset: tc.PresetTelegrafAgent}).Raw
		if s, _ := postHeartbeat(t, d, tok, hbBody("victim", 5)); s != 200 {
			t.Fatal(s)
		}
		before := must[tc.Agent](t)(owner.GetAgent(bg, "victim"))
		cases := []struct {
			name, body string
			status     int
		}{
			{"malformed", `{"id":"victim","version":`, 400},
			{"missing id", `{"version":"Telegraf 1.39.3","statistics":{"errors":0,"warnings":0,"metrics":1}}`, 400},
			{"empty id", `{"id":"","version":"Telegraf 1.39.3"}`, 400},
			{"missing version", `{"id":"victim"}`, 400},
			// A wrong type or value of an optional field, an unknown
			// field, status or a newer schema are accepted (issue 17,
			// TestHeartbeatLiberal); an unusable id or schema is not.
			{"id number", `{"id":5,"version":"Telegraf 1.39.3"}`, 400},
			{"schema 0", `{"id":"victim","version":"Telegraf 1.39.3","schema":0}`, 400},
			{"array", `[{"id":"victim"}]`, 400},
			{"empty", ``, 400},
			{"trailing", `{"id":"victim","version":"Telegraf 1.39.3"} x`, 400},
			{"control chars", "{\"id\":\"vic\\u0000tim\",\"version\":\"Telegraf 1.39.3\"}", 400},
			{"2 MiB", `{"id":"victim","version":"Telegraf 1.39.3","hostname":"` + strings.Repeat("x", 2<<20) + `"}`, 413},
		}
		for _, c := range cases {
			status, env := postHeartbeat(t, d, tok, c.body)
			if status != c.status || env["message"] == nil || env["message"] == "" {
				t.Errorf("%s: %d %v, want %d with a message", c.name, status, env, c.status)
			}
		}
		after := must[tc.Agent](t)(owner.GetAgent(bg, "victim"))
		if after.Heartbeats != before.Heartbeats || !after.LastSeenAt.Equal(before.LastSeenAt) || *after.Statistics != *before.Statistics {
			t.Fatalf("bad input changed the agent: %+v → %+v", before, after)
		}
		if l := must[tc.List[tc.Agent]](t)(owner.ListAgents(bg, client.AgentFilter{})); l.Total != 1 {
			t.Fatalf("bad input created agents: %d", l.Total)
		}
	})
}

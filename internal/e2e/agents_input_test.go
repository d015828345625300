package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/opentc/tc/internal/agents"
	"github.com/opentc/tc/internal/config"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// Issue 17: whatever an agent sends is stored safely, shown safely, never
// lost, never breaks a read.

// Acceptance 1: the heartbeat of finding 1 (a last success in the year
// 10000) is stored without that time, and every read of the fleet answers.
func TestHeartbeatOutOfRangeTime(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCDWith(t, withOpen(testutil.DefaultConfig(e.DSN), "heartbeat"), testutil.NewClock())
		owner := d.Setup(t)
		if s, env := postHeartbeat(t, d, "", `{"id":"clock-far-future","version":"Telegraf 1.39.3","schema":1,"last":253402300800}`); s != 200 {
			t.Fatalf("heartbeat: %d %v", s, env)
		}
		l := must[tc.List[tc.Agent]](t)(owner.ListAgents(bg, client.AgentFilter{}))
		if l.Total != 1 || l.Items[0].LastSuccessAt != nil {
			t.Fatalf("list: %+v", l)
		}
		if a := must[tc.Agent](t)(owner.GetAgent(bg, "clock-far-future")); a.LastSuccessAt != nil {
			t.Fatalf("lastSuccessAt %v: want it dropped", a.LastSuccessAt)
		}
		env := map[string]string{"TCCTL_URL": d.URL, "TCCTL_TOKEN": owner.Token()}
		if r := tcctl(t, t.TempDir()+"/p.yaml", "", env, "agent", "list"); r.code != 0 || !strings.Contains(r.stdout, "clock-far-future") {
			t.Fatalf("tcctl agent list: %d %s %s", r.code, r.stdout, r.stderr)
		}
	})
}

// readBackSeeds are heartbeat bodies beyond the Telegraf fixtures: every
// kind of odd value an agent may send.
var readBackSeeds = []string{
	`{"id":"clock-far-future","version":"Telegraf 1.39.3","schema":1,"last":253402300800}`,
	`{"id":"clock-past","version":"Telegraf 1.39.3","last":-99999999999999,"logs":[{"time":"0001-01-01T00:00:00+01:00","message":"m"}]}`,
	`{"id":"log-times","version":"v","logs":[{"time":"9999-12-31T23:59:59-23:59","level":"error","message":"a"},{"time":"nope"},{"time":7}]}`,
	`{"id":"counters","version":"v","statistics":{"errors":18446744073709551615,"warnings":-3,"metrics":1e308}}`,
	`{"id":"counters2","version":"v","statistics":{"errors":9007199254740991,"warnings":9007199254740992,"metrics":0.5}}`,
	`{"id":"future","version":"Telegraf 2.0.0","schema":2,"status":"degraded","uptime_s":12,"statistics":{"errors":1,"dropped":3},"logs":[{"message":"x","span":"y"}]}`,
	`{"id":"site/web-01","version":"Telegraf 1.39.3","hostname":"web-01"}`,
	`{"id":"a b","version":"v"}`, `{"id":"100%","version":"v"}`, `{"id":"x?y","version":"v"}`, `{"id":"..","version":"v"}`,
	`{"id":".","version":"v"}`, `{"id":"ünï","version":"v"}`, `{"id":"summary","version":"v"}`, `{"id":"BULK","version":"v"}`,
	`{"id":"a+b","version":"v"}`, `{"id":"%2F","version":"v"}`, `{"id":"/lead/trail/","version":"v"}`, `{"id":"#frag;x=1","version":"v"}`,
	`{"id":"\u202eevil","version":"v\u0007","hostname":"h\u0000\u001b[31m","status":"\u0001"}`,
	`{"id":"long","version":"` + strings.Repeat("v", 5000) + `","hostname":"` + strings.Repeat("é", 3000) + `","status":"` + strings.Repeat("s", 500) + `"}`,
	`{"id":"configs","version":"v","configurations":["http://x/api/configs/a/toml","bad\nurl",5,"` + strings.Repeat("u", 5000) + `"]}`,
	`{"id":"attrs","version":"v","logs":[{"level":"` + strings.Repeat("L", 400) + `","attributes":{"n":1e308,"deep":{"a":[1,{"b":null}]}},"message":"m"},{"attributes":"x"},3]}`,
	`{"instance_id":"legacy","version":"v","statistics":null,"logs":null,"status":null,"hostname":null}`,
	`{"id":"types","version":"v","statistics":"x","logs":{"a":1},"configurations":"http://x","last":"yesterday","hostname":[1],"status":{}}`,
}

// FuzzHeartbeatReadBack: for any body the heartbeat listener acknowledges,
// every read of agents answers on both engines — the API's list (in every
// sort order), get, summary, heartbeats and logs, and tcctl agent list,
// get and logs. A body it refuses gets a 4xx. The seed corpus (the
// Telegraf fixtures and readBackSeeds) runs in `make test`;
// `make fuzz` explores further.
func FuzzHeartbeatReadBack(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(fixtureDir, "run*.jsonl"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		seen := map[string]bool{} // one body per shape of each run: its set of fields
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			var c hbCapture
			var fields map[string]json.RawMessage
			if json.Unmarshal([]byte(line), &c) != nil || c.Method != "POST" || json.Unmarshal([]byte(c.Body), &fields) != nil {
				continue
			}
			keys := make([]string, 0, len(fields))
			for k := range fields {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if k := strings.Join(keys, ","); !seen[k] {
				seen[k] = true
				f.Add(c.Body)
			}
		}
	}
	for _, s := range readBackSeeds {
		f.Add(s)
	}
	type target struct {
		name  string
		d     *testutil.TCD
		owner *client.Client
	}
	var targets []target
	for _, e := range testutil.Engines(f) {
		d := testutil.StartTCDWith(f, withOpen(testutil.DefaultConfig(e.DSN), "heartbeat"), testutil.NewClock())
		targets = append(targets, target{e.Name, d, d.Setup(f)})
	}
	sorts := []string{"id", "hostname", "status", "lastSeenAt", "createdAt", "version", "ip"}
	f.Fuzz(func(t *testing.T, body string) {
		for _, tg := range targets {
			status, env := postHeartbeat(t, tg.d, "", body)
			if status < 200 || status >= 300 {
				if status < 400 || status >= 500 || env["message"] == nil {
					t.Fatalf("%s: %q answered %d %v, want 2xx or a 4xx with a message", tg.name, body, status, env)
				}
				continue
			}
			hb, err := agents.Decode([]byte(body))
			if err != nil {
				t.Fatalf("%s: acknowledged a body the decoder refuses: %v", tg.name, err)
			}
			tg.d.Clock.Advance(time.Second)
			o := tg.owner
			for i, s := range sorts {
				if _, err := o.ListAgents(bg, client.AgentFilter{Sort: s, Desc: i%2 == 1, Page: tc.Page{Limit: tc.MaxLimit}}); err != nil {
					t.Fatalf("%s: list sorted by %s after %q: %v", tg.name, s, body, err)
				}
			}
			if _, err := o.AgentSummary(bg, client.AgentFilter{}); err != nil {
				t.Fatalf("%s: summary after %q: %v", tg.name, body, err)
			}
			a, err := o.GetAgent(bg, hb.ID)
			if err != nil || a.ID != hb.ID {
				t.Fatalf("%s: get %q: %+v %v", tg.name, hb.ID, a, err)
			}
			if _, err := o.AgentHeartbeats(bg, hb.ID, nil, nil, 0); err != nil {
				t.Fatalf("%s: heartbeats of %q: %v", tg.name, hb.ID, err)
			}
			if _, err := o.AgentLogs(bg, hb.ID); err != nil {
				t.Fatalf("%s: logs of %q: %v", tg.name, hb.ID, err)
			}
			cliEnv := map[string]string{"TCCTL_URL": tg.d.URL, "TCCTL_TOKEN": o.Token()}
			profile := t.TempDir() + "/p.yaml"
			for _, args := range [][]string{{"agent", "list"}, {"agent", "get", hb.ID}, {"agent", "get", hb.ID, "-o", "json"}, {"agent", "logs", hb.ID}} {
				if r := tcctl(t, profile, "", cliEnv, args...); r.code != 0 {
					t.Fatalf("%s: tcctl %v after %q: exit %d\n%s%s", tg.name, args, body, r.code, r.stdout, r.stderr)
				}
			}
		}
	})
}

// The IDs of acceptance 2, and more that collide with path syntax or with
// the API's fixed routes.
var oddIDs = []string{"site/web-01", "a b", "100%", "x?y", "..", "ünï", ".", "summary", "Bulk", "a+b", "%2F", "/lead/trail/", "#frag;x=1"}

// agentURLPath is /api/agents/{id} as a client must send it (the same
// rule as pkg/client: percent-encode, dots and fixed-route names too).
func agentURLPath(id string) string {
	e := url.PathEscape(id)
	switch {
	case strings.Trim(id, ".") == "":
		e = strings.ReplaceAll(e, ".", "%2E")
	case strings.EqualFold(id, "summary") || strings.EqualFold(id, "bulk"):
		e = fmt.Sprintf("%%%02X", id[0]) + e[1:]
	}
	return "/api/agents/" + e
}

// Acceptance 2: agents whose IDs hold "/", " ", "%", "?", non-ASCII text,
// or are "." or "..", are addressable: heartbeat, get, logs, heartbeats,
// set-rule, label assign and delete, through the API and through tcctl.
func TestAgentIDsAddressable(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCDWith(t, withOpen(testutil.DefaultConfig(e.DSN), "heartbeat"), testutil.NewClock())
		owner := d.Setup(t)
		env := map[string]string{"TCCTL_URL": d.URL, "TCCTL_TOKEN": owner.Token()}
		profile := t.TempDir() + "/p.yaml"
		rule := must[tc.ReportingRule](t)(owner.CreateRule(bg, tc.ReportingRuleRequest{Name: ptr("slow"), NotReportingAfter: ptr(int64(900))}))
		label := must[tc.Label](t)(owner.CreateLabel(bg, tc.LabelRequest{Name: "odd"}))
		body := func(id string, errs int) string {
			b, _ := json.Marshal(map[string]any{"id": id, "version": "Telegraf 1.39.3", "hostname": "h",
				"statistics": map[string]int{"errors": errs, "warnings": 0, "metrics": 1},
				"logs":       []map[string]string{{"level": "ERROR", "message": "from " + id}}})
			return string(b)
		}
		for _, id := range oddIDs {
			if s, env := postHeartbeat(t, d, "", body(id, 2)); s != 200 {
				t.Fatalf("%q: heartbeat %d %v", id, s, env)
			}
		}
		if l := must[tc.List[tc.Agent]](t)(owner.ListAgents(bg, client.AgentFilter{})); l.Total != len(oddIDs) {
			t.Fatalf("%d agents, want %d", l.Total, len(oddIDs))
		}
		for _, id := range oddIDs {
			// Through the API (pkg/client encodes the ID).
			if a, err := owner.GetAgent(bg, id); err != nil || a.ID != id {
				t.Fatalf("get %q: %+v %v", id, a, err)
			}
			if l, err := owner.AgentLogs(bg, id); err != nil || len(l.Entries) != 1 || l.Entries[0].Message != "from "+id {
				t.Fatalf("logs %q: %+v %v", id, l, err)
			}
			if h, err := owner.AgentHeartbeats(bg, id, nil, nil, 0); err != nil || len(h.Items) != 1 || h.Items[0].Errors != 2 {
				t.Fatalf("heartbeats %q: %+v %v", id, h, err)
			}
			if a, err := owner.SetAgentRule(bg, id, "slow"); err != nil || a.ID != id || a.ReportingRuleID != rule.ID {
				t.Fatalf("set-rule %q: %+v %v", id, a, err)
			}
			if err := owner.Do(bg, "PUT", agentURLPath(id)+"/labels/"+label.ID, nil, nil, nil); err != nil {
				t.Fatalf("label assign %q: %v", id, err)
			}
			if a := must[tc.Agent](t)(owner.GetAgent(bg, id)); len(a.Labels) != 1 {
				t.Fatalf("%q: labels %+v", id, a.Labels)
			}
			if err := owner.Do(bg, "DELETE", agentURLPath(id)+"/labels/"+label.ID, nil, nil, nil); err != nil {
				t.Fatalf("label remove %q: %v", id, err)
			}
			if err := owner.DeleteAgent(bg, id); err != nil {
				t.Fatalf("delete %q: %v", id, err)
			}
			_, err := owner.GetAgent(bg, id)
			wantCode(t, err, tc.ENotFound, 404)

			// Through tcctl.
			postHeartbeat(t, d, "", body(id, 3))
			for _, args := range [][]string{{"agent", "get", id, "-o", "json"}, {"agent", "logs", id, "-o", "json"},
				{"agent", "heartbeats", id, "-o", "json"}, {"agent", "set-rule", "slow", id}, {"label", "assign", "odd", "--agents", id}} {
				r := tcctl(t, profile, "", env, args...)
				if r.code != 0 {
					t.Fatalf("tcctl %q: exit %d %s %s", args, r.code, r.stdout, r.stderr)
				}
				if args[1] == "get" && !strings.Contains(r.stdout, `"id": `+jsonString(id)) && !strings.Contains(r.stdout, `"id":`+jsonString(id)) {
					t.Fatalf("tcctl agent get %q printed %s", id, r.stdout)
				}
			}
			if a := must[tc.Agent](t)(owner.GetAgent(bg, id)); a.ReportingRuleID != rule.ID || len(a.Labels) != 1 {
				t.Fatalf("after tcctl set-rule and label assign, %q: %+v", id, a)
			}
			if r := tcctl(t, profile, "", env, "agent", "delete", id, "--yes"); r.code != 0 {
				t.Fatalf("tcctl agent delete %q: exit %d %s", id, r.code, r.stderr)
			}
			_, err = owner.GetAgent(bg, id)
			wantCode(t, err, tc.ENotFound, 404)
		}
		// A client that does not encode dots, and one that does, reach the
		// same agent; an ID is never taken for a fixed route, and an
		// invalid escape is a 400.
		postHeartbeat(t, d, "", body("..", 1))
		postHeartbeat(t, d, "", body("summary", 1))
		for path, want := range map[string]int{"/api/agents/..": 200, "/api/agents/%2e%2E": 200, "/api/agents/..%2F..": 404,
			"/api/agents/%73ummary": 200, "/api/agents/%zz": 400, "/api/agents/%2E%2E/logs": 200} {
			req, _ := http.NewRequest("GET", d.URL, nil)
			req.URL.Opaque = path // sent as is
			req.Header.Set("Authorization", "Bearer "+owner.Token())
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Fatalf("GET %s: %d %s, want %d", path, resp.StatusCode, b, want)
			}
		}
	})
}

func jsonString(s string) string { b, _ := json.Marshal(s); return string(b) }

// historySum adds up an agent's history: errors and heartbeats.
func historySum(t *testing.T, c *client.Client, id string) (errs, beats uint64, records []tc.HeartbeatRecord) {
	t.Helper()
	h := must[tc.List[tc.HeartbeatRecord]](t)(c.AgentHeartbeats(bg, id, nil, nil, 5000))
	for _, r := range h.Items {
		errs += r.Errors
		beats += uint64(r.Heartbeats)
	}
	return errs, beats, h.Items
}

// Acceptance 3, on a compressed schedule: tcd's clock is moved instead of
// waiting. An agent reporting every second for three minutes (finding 3's
// agent sent 2–6 errors in each heartbeat): the sum of errors over its
// history equals the sum sent, per minute bucket, through the API and
// tcctl. Then every 30 s for 65 minutes (across an hourly storage row), and
// after 27 hours a prune removes exactly what expired.
// TestHeartbeatHistoryRealTime does the three minutes in real time.
func TestHeartbeatHistorySums(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCDWith(t, withOpen(testutil.DefaultConfig(e.DSN), "heartbeat"), testutil.NewClock())
		owner := d.Setup(t)
		rnd := rand.New(rand.NewSource(17))
		var sent, beats uint64
		send := func(n int, every time.Duration) {
			for i := 0; i < n; i++ {
				errs := 2 + rnd.Intn(5)
				b := fmt.Sprintf(`{"id":"fast","version":"Telegraf 1.39.3","statistics":{"errors":%d,"warnings":1,"metrics":10}}`, errs)
				if s, env := postHeartbeat(t, d, "", b); s != 200 {
					t.Fatalf("heartbeat: %d %v", s, env)
				}
				sent += uint64(errs)
				beats++
				d.Clock.Advance(every)
			}
		}
		send(180, time.Second)
		errs, n, records := historySum(t, owner, "fast")
		if errs != sent || n != 180 || len(records) < 3 || len(records) > 4 {
			t.Fatalf("after 3 minutes at 1 s: history has %d errors in %d heartbeats over %d records; sent %d in 180", errs, n, len(records), sent)
		}
		for _, r := range records {
			if r.End.Sub(r.Start) != time.Minute || r.Start.Second() != 0 || r.Heartbeats > 60 {
				t.Fatalf("record %+v: want a whole minute of at most 60 heartbeats", r)
			}
		}
		env := map[string]string{"TCCTL_URL": d.URL, "TCCTL_TOKEN": owner.Token()}
		r := tcctl(t, t.TempDir()+"/p.yaml", "", env, "agent", "heartbeats", "fast", "-o", "json")
		var items []tc.HeartbeatRecord
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &items) != nil {
			t.Fatalf("tcctl agent heartbeats: %d %s %s", r.code, r.stdout, r.stderr)
		}
		var viaCLI uint64
		for _, it := range items {
			viaCLI += it.Errors
		}
		if viaCLI != sent {
			t.Fatalf("tcctl shows %d errors, sent %d", viaCLI, sent)
		}
		if r := tcctl(t, t.TempDir()+"/p.yaml", "", env, "agent", "heartbeats", "fast"); r.code != 0 ||
			!strings.Contains(r.stdout, "START") || !strings.Contains(r.stdout, "HEARTBEATS") {
			t.Fatalf("tcctl agent heartbeats table: %d %s", r.code, r.stdout)
		}
		if r := tcctl(t, t.TempDir()+"/p.yaml", "", env, "agent", "heartbeats", "--help"); !strings.Contains(r.stdout, "one row per\nminute") ||
			!strings.Contains(r.stdout, "sums") {
			t.Fatalf("tcctl agent heartbeats --help does not say it shows per-minute sums:\n%s", r.stdout)
		}

		send(130, 30*time.Second)
		errs, n, records = historySum(t, owner, "fast")
		if errs != sent || n != beats || len(records) < 68 {
			t.Fatalf("after 65 more minutes at 30 s: %d errors in %d heartbeats over %d records; sent %d in %d", errs, n, len(records), sent, beats)
		}
		flushed := len(records) // the open one is flushed by the next heartbeat

		d.Clock.Advance(27 * time.Hour)
		sent = 0
		send(5, time.Second)
		res, err := d.Scheduler().Tick(bg)
		if err != nil || res.Pruned != int64(flushed) {
			t.Fatalf("prune: %+v %v, want the %d expired records pruned", res, err, flushed)
		}
		owner = login(t, d, "root", "rootpass1") // the session expired with the jump
		if errs, n, records = historySum(t, owner, "fast"); errs != sent || n != 5 || len(records) > 2 {
			t.Fatalf("after the prune: %d errors in %d heartbeats over %d records; sent %d in 5 since", errs, n, len(records), sent)
		}
	})
}

// Acceptance 3 in real time: a heartbeat every second for three minutes
// against a tcd on the real clock. Set TC_HISTORY_REALTIME=1 to run it
// (3 minutes per engine).
func TestHeartbeatHistoryRealTime(t *testing.T) {
	if os.Getenv("TC_HISTORY_REALTIME") == "" {
		t.Skip("set TC_HISTORY_REALTIME=1 to run (3 minutes per engine)")
	}
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		cfg := withOpen(testutil.DefaultConfig(e.DSN), "heartbeat")
		m := startDaemon(t, cfg, time.Now, 0)
		d := &testutil.TCD{Main: m, URL: m.APIURL()}
		owner := d.Setup(t)
		rnd := rand.New(rand.NewSource(3))
		var sent uint64
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for i := 0; i < 180; i++ {
			errs := 2 + rnd.Intn(5)
			if s, env := postHeartbeat(t, d, "", fmt.Sprintf(`{"id":"rt","version":"v","statistics":{"errors":%d,"warnings":0,"metrics":1}}`, errs)); s != 200 {
				t.Fatalf("heartbeat: %d %v", s, env)
			}
			sent += uint64(errs)
			<-tick.C
		}
		if errs, n, records := historySum(t, owner, "rt"); errs != sent || n != 180 {
			t.Fatalf("history: %d errors in %d heartbeats over %d records; sent %d in 180", errs, n, len(records), sent)
		}
	})
}

// Acceptance 4: an unknown field, status "degraded" and schema 2 are
// accepted; the agent shows undefined with the raw status kept, and the
// unknown field is counted in the metrics.
func TestHeartbeatLiberal(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCDWith(t, withOpen(testutil.DefaultConfig(e.DSN), "heartbeat"), testutil.NewClock())
		owner := d.Setup(t)
		b := `{"id":"next","version":"Telegraf 1.45.0","schema":2,"status":"degraded","uptime_seconds":3600,` +
			`"statistics":{"errors":1,"warnings":2,"metrics":3,"dropped":4}}`
		for i := 0; i < 2; i++ {
			if s, env := postHeartbeat(t, d, "", b); s != 200 {
				t.Fatalf("heartbeat: %d %v", s, env)
			}
		}
		a := must[tc.Agent](t)(owner.GetAgent(bg, "next"))
		if a.Status != tc.StatusUndefined || a.ReportedStatus != tc.StatusUndefined || a.ReportedStatusRaw != "degraded" ||
			a.Statistics == nil || *a.Statistics != (tc.Statistics{Errors: 1, Warnings: 2, Metrics: 3}) {
			t.Fatalf("agent %+v", a)
		}
		fams, _ := scrape(t, d, "")
		if v := value(fams, "tcd_heartbeat_unknown_fields_total", map[string]string{"field": "uptime_seconds"}); v != 2 {
			t.Fatalf("tcd_heartbeat_unknown_fields_total{field=uptime_seconds} = %v, want 2", v)
		}
		if v := value(fams, "tcd_heartbeat_unknown_fields_total", map[string]string{"field": "statistics.dropped"}); v != 2 {
			t.Fatalf("tcd_heartbeat_unknown_fields_total{field=statistics.dropped} = %v, want 2", v)
		}
		if n := strings.Count(d.Log.String(), `field=uptime_seconds`); n != 1 {
			t.Fatalf("the unknown field was logged %d times, want once", n)
		}
		// A known status clears the raw one.
		postHeartbeat(t, d, "", `{"id":"next","version":"Telegraf 1.45.0","status":"OK"}`)
		if a := must[tc.Agent](t)(owner.GetAgent(bg, "next")); a.Status != tc.StatusOK || a.ReportedStatusRaw != "" {
			t.Fatalf("agent %+v", a)
		}
		env := map[string]string{"TCCTL_URL": d.URL, "TCCTL_TOKEN": owner.Token()}
		postHeartbeat(t, d, "", b)
		if r := tcctl(t, t.TempDir()+"/p.yaml", "", env, "agent", "get", "next"); r.code != 0 || !strings.Contains(r.stdout, "degraded") {
			t.Fatalf("tcctl agent get: %d %s", r.code, r.stdout)
		}
	})
}

// Acceptance 5: with the configs group opened, a credential that is not a
// tcd credential — an InfluxDB token in INFLUX_TOKEN, an empty Bearer,
// Basic — is ignored and the config served; a revoked or malformed tcd
// token is still refused. Where the group is not opened nothing changes.
func TestOpenGroupForeignCredentials(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN, func(c *config.Config) { c.DisableAuthEndpoints = []string{"configs", "heartbeat"} })
		owner := d.Setup(t)
		must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{ID: "h", Name: "open", TOML: fixture(t, "cfg_h.toml")}))
		revoked := createToken(t, owner, tc.CreateTokenRequest{Description: "old agent", Preset: tc.PresetTelegrafAgent})
		must[tc.Token](t)(owner.RevokeToken(bg, revoked.ID))
		influx := "Token " + strings.Repeat("aB3_-", 17) + "=="
		get := func(path, auth string) int {
			req, _ := http.NewRequest("GET", d.URL+path, nil)
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		for auth, want := range map[string]int{
			influx:                       200,
			"Bearer ":                    200,
			"Bearer":                     200,
			"Token":                      200,
			"Basic dGVsZWdyYWY6czNjcmV0": 200,
			"Bearer " + revoked.Raw:      401,
			"Token " + revoked.Raw:       401,
			"Bearer tc-apiv1_short":      401,
			"Token tc-session_nope":      401,
		} {
			if got := get("/api/configs/h/toml", auth); got != want {
				t.Errorf("open configs group, Authorization %q: %d, want %d", auth, got, want)
			}
		}
		// The heartbeat group opened too: same rule.
		for auth, want := range map[string]int{"Bearer influx-token-value": 200, "Bearer " + revoked.Raw: 401} {
			if s, _ := postHeartbeat(t, d, auth, hbBody("hb", 1)); s != want {
				t.Errorf("open heartbeat group, Authorization %q: %d, want %d", auth, s, want)
			}
		}
		// A group that is not opened refuses anything but a valid credential.
		if got := get("/api/labels", influx); got != 401 {
			t.Errorf("closed group with an InfluxDB token: %d, want 401", got)
		}
	})
}

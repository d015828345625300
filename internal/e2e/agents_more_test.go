package e2e

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// Reported configuration URLs are matched to managed configs and groups by
// ID, alias and group URL, on any host, with or without a query string; the
// rest is external. The config delete guard then sees the reporting agents.
func TestAgentConfigurationsAndDeleteGuard(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCDWith(t, withOpen(testutil.DefaultConfig(e.DSN), "heartbeat"), testutil.NewClock())
		owner := d.Setup(t)
		web := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "web", TOML: "[agent]\n  interval = \"10s\"\n"}))
		db := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "db", TOML: "[global_tags]\n  role = \"db\"\n"}))
		must[tc.Alias](t)(owner.PutAlias(bg, "db-config", tc.AliasRequest{ConfigID: db.ID}))
		grp := must[tc.ConfigGroup](t)(owner.CreateGroup(bg, tc.GroupRequest{Name: "fleet", Members: []string{web.ID, db.ID}}))
		must[tc.Alias](t)(owner.PutAlias(bg, "fleet-all", tc.AliasRequest{GroupID: grp.ID}))
		urls := []string{
			"http://tcd.example:8888/api/configs/" + web.ID + "/toml?agent_id=a1",
			"https://10.0.0.1/c/db-config",
			"http://tcd:8888/api/config-groups/fleet-all/toml",
			"http://tcd:8888/c/fleet-all?x=1",
			"/etc/telegraf/telegraf.d/local.conf",
			"http://elsewhere:8888/api/configs/unknown/toml",
		}
		quoted := make([]string, len(urls))
		for i, u := range urls {
			quoted[i] = fmt.Sprintf("%q", u)
		}
		body := `{"id":"mixed","version":"Telegraf 1.39.3","configurations":[` + strings.Join(quoted, ",") + `]}`
		if s, env := postHeartbeat(t, d, "", body); s != 200 {
			t.Fatalf("%d %v", s, env)
		}
		a := must[tc.Agent](t)(owner.GetAgent(bg, "mixed"))
		want := []tc.AgentConfig{
			{URL: urls[0], ConfigID: web.ID, Managed: true},
			{URL: urls[1], ConfigID: db.ID, Managed: true},
			{URL: urls[2], GroupID: grp.ID, Managed: true},
			{URL: urls[3], GroupID: grp.ID, Managed: true},
			{URL: urls[4]},
			{URL: urls[5]},
		}
		if len(a.Configurations) != len(want) {
			t.Fatalf("configurations: %+v", a.Configurations)
		}
		for i := range want {
			if a.Configurations[i] != want[i] {
				t.Errorf("configuration %d: %+v want %+v", i, a.Configurations[i], want[i])
			}
		}
		// Filter by config (ID or alias) and by group.
		for _, ref := range []string{web.ID, "db-config", "fleet-all"} {
			if l := must[tc.List[tc.Agent]](t)(owner.ListAgents(bg, client.AgentFilter{Config: ref})); l.Total != 1 {
				t.Errorf("config filter %s: %d", ref, l.Total)
			}
		}
		// The delete guard: web is used by an agent within its threshold.
		err := owner.DeleteConfig(bg, web.ID, false)
		wantCode(t, err, tc.EConflict, 409)
		d.Clock.Advance(10 * time.Minute)
		if _, err := d.Scheduler().Tick(bg); err != nil {
			t.Fatal(err)
		}
		if err := owner.DeleteConfig(bg, db.ID, false); err != nil {
			t.Fatalf("config used only by a silent agent: %v", err)
		}
		postHeartbeat(t, d, "", body)
		if err := owner.DeleteConfig(bg, web.ID, true); err != nil {
			t.Fatalf("force delete: %v", err)
		}
	})
}

// The agent's IP is the peer address; X-Forwarded-For counts only from a
// trusted proxy.
func TestAgentIPAndTrustedProxies(t *testing.T) {
	send := func(d *testutil.TCD, id string) {
		req, _ := http.NewRequest("POST", d.HeartbeatURL()+"/agents/heartbeat", strings.NewReader(hbBody(id, 1)))
		req.Header.Set("X-Forwarded-For", "203.0.113.7, 10.1.1.1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%v %v", resp, err)
		}
		resp.Body.Close()
	}
	cfg := withOpen(testutil.DefaultConfig(testutil.SQLiteDSN(t)), "heartbeat")
	d := testutil.StartTCDWith(t, cfg, testutil.NewClock())
	owner := d.Setup(t)
	send(d, "direct")
	if a := must[tc.Agent](t)(owner.GetAgent(bg, "direct")); a.IP != "127.0.0.1" {
		t.Fatalf("untrusted X-Forwarded-For used: %s", a.IP)
	}
	cfg = withOpen(testutil.DefaultConfig(testutil.SQLiteDSN(t)), "heartbeat")
	_, loop, _ := netParseCIDR("127.0.0.0/8")
	cfg.TrustedProxies = append(cfg.TrustedProxies, loop)
	d2 := testutil.StartTCDWith(t, cfg, testutil.NewClock())
	owner2 := d2.Setup(t)
	send(d2, "proxied")
	if a := must[tc.Agent](t)(owner2.GetAgent(bg, "proxied")); a.IP != "203.0.113.7" {
		t.Fatalf("trusted proxy's X-Forwarded-For ignored: %s", a.IP)
	}
}

// Heartbeat history: one record per heartbeat with statistics, newest
// first up to limit, older than 24 h pruned except each agent's newest.
// Records 1-4 are a minute apart and 5 two hours later, so 5 is alone in
// the newest of the agent's hourly history buckets and the tick prunes
// the bucket(s) of 1-4 whole.
func TestHeartbeatHistoryAndLabels(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCDWith(t, withOpen(testutil.DefaultConfig(e.DSN), "heartbeat"), testutil.NewClock())
		owner := d.Setup(t)
		for i := 1; i <= 5; i++ {
			postHeartbeat(t, d, "", hbBody("h1", i))
			postHeartbeat(t, d, "", `{"id":"h2","version":"Telegraf 1.39.3"}`) // no statistics: no record
			d.Clock.Advance(time.Minute)
			if i == 4 {
				d.Clock.Advance(2 * time.Hour)
			}
		}
		h := must[tc.List[tc.HeartbeatRecord]](t)(owner.AgentHeartbeats(bg, "h1", nil, nil, 3))
		if len(h.Items) != 3 || h.Items[0].Metrics != 3 || h.Items[2].Metrics != 5 || !h.Items[0].Time.Before(h.Items[2].Time) {
			t.Fatalf("history: %+v", h.Items)
		}
		if h2 := must[tc.List[tc.HeartbeatRecord]](t)(owner.AgentHeartbeats(bg, "h2", nil, nil, 0)); len(h2.Items) != 0 {
			t.Fatalf("history without statistics: %+v", h2.Items)
		}
		d.Clock.Advance(25 * time.Hour)
		res, err := d.Scheduler().Tick(bg)
		if err != nil || res.Pruned != 4 {
			t.Fatalf("prune: %+v %v", res, err)
		}
		owner = login(t, d, "root", "rootpass1") // the session expired with the jump
		if h := must[tc.List[tc.HeartbeatRecord]](t)(owner.AgentHeartbeats(bg, "h1", nil, nil, 0)); len(h.Items) != 1 || h.Items[0].Metrics != 5 {
			t.Fatalf("newest record not kept: %+v", h.Items)
		}
		_, err = owner.AgentHeartbeats(bg, "nobody", nil, nil, 0)
		wantCode(t, err, tc.ENotFound, 404)

		// Single-agent label routes.
		lbl := must[tc.Label](t)(owner.CreateLabel(bg, tc.LabelRequest{Name: "edge"}))
		if err := owner.Do(bg, "PUT", "/api/agents/h1/labels/"+lbl.ID, nil, nil, nil); err != nil {
			t.Fatal(err)
		}
		if a := must[tc.Agent](t)(owner.GetAgent(bg, "h1")); len(a.Labels) != 1 || a.Labels[0].Name != "edge" {
			t.Fatalf("labels: %+v", a.Labels)
		}
		err = owner.Do(bg, "PUT", "/api/agents/h1/labels/nolabel", nil, nil, nil)
		wantCode(t, err, tc.ENotFound, 404)
		err = owner.Do(bg, "PUT", "/api/agents/ghost/labels/"+lbl.ID, nil, nil, nil)
		wantCode(t, err, tc.ENotFound, 404)
		if err := owner.Do(bg, "DELETE", "/api/agents/h1/labels/"+lbl.ID, nil, nil, nil); err != nil {
			t.Fatal(err)
		}
		// Deleting a label removes it from agents.
		must[tc.BulkResult](t)(owner.SetAgentLabels(bg, true, []string{"h1", "h2"}, []string{"edge"}))
		if err := owner.DeleteLabel(bg, lbl.ID); err != nil {
			t.Fatal(err)
		}
		if a := must[tc.Agent](t)(owner.GetAgent(bg, "h2")); len(a.Labels) != 0 {
			t.Fatalf("deleted label still on agent: %+v", a.Labels)
		}
	})
}

func netParseCIDR(s string) (net.IP, *net.IPNet, error) { return net.ParseCIDR(s) }

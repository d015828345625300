package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// beatURLs sends one heartbeat of agent naming the given config URLs, as
// outputs.heartbeat of a Telegraf started with one --config per URL does
// (configurations lists every source loaded).
func (f *simFleet) beatURLs(agent, status string, urls ...string) {
	f.t.Helper()
	cs, _ := json.Marshal(urls)
	body := fmt.Sprintf(`{"id":%q,"version":"Telegraf 1.39.3","schema":1,"hostname":"h-%s","status":%q,"configurations":%s,"statistics":{"errors":0,"warnings":0,"metrics":1}}`,
		agent, agent, status, cs)
	req, _ := http.NewRequest("POST", f.hb+"/agents/heartbeat", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+f.tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 && resp.StatusCode != 204 {
		f.t.Fatalf("heartbeat of %s: %d %s", agent, resp.StatusCode, b)
	}
}

// via returns a copy of the fleet that fetches and beats through path
// ("": the config's own URL).
func (f *simFleet) via(path string) *simFleet {
	c := *f
	c.path, c.alias = path, ""
	return &c
}

// servedRow returns agent's served row of target at version (nil: none).
func servedRow(a tc.Agent, target string, version int) *tc.ServedVersion {
	for i := range a.Served {
		if a.Served[i].TargetID == target && a.Served[i].Version == version {
			return &a.Served[i]
		}
	}
	return nil
}

// Agents on a config group: Telegraf's heartbeat names the URL it loaded
// (the group's, or an alias naming it), never the group's member configs.
// Their member-config rows count as reloaded once a heartbeat naming the
// group comes after the fetch, as a direct agent's row does with one
// naming the config; a config that left the group counts until the agent
// fetches the group without it. The derived states, agent get (API and
// tcctl), agent list --config-state and config get are those of direct
// agents in the same situation.
func TestGroupAgentsReloadAndStates(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN, fastRollouts)
		resp, err := d.Client(t, "").Setup(bg, tc.SetupRequest{Username: "root", Email: "root@example.com", Password: "rootpass1"})
		if err != nil {
			t.Fatal(err)
		}
		owner := d.Client(t, resp.Token)
		env := map[string]string{"TCCTL_URL": d.URL, "TCCTL_TOKEN": resp.Token}
		profile := t.TempDir() + "/p.yaml"
		ok := func(args ...string) string {
			t.Helper()
			r := tcctl(t, profile, "", env, args...)
			if r.code != 0 {
				t.Fatalf("tcctl %v: exit %d\n%s\n%s", args, r.code, r.stdout, r.stderr)
			}
			return r.stdout
		}
		web := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "web", TOML: rolloutTOML("one")}))
		f := newFleet(t, d, owner, web.ID, 5)
		rolloutVia(t, owner, f, "group") // group "group-…" holding web and "base-…"
		grp := strings.TrimSuffix(strings.TrimPrefix(f.path, "/api/config-groups/"), "/toml")
		g := must[tc.ConfigGroup](t)(owner.GetGroup(bg, grp))
		var base tc.Config
		for _, id := range g.Members {
			if id != web.ID {
				base = must[tc.Config](t)(owner.GetConfig(bg, id))
			}
		}
		onGroup, viaAlias, failing, behind, direct := f.ids[0], f.ids[1], f.ids[2], f.ids[3], f.ids[4]
		way := map[string]*simFleet{onGroup: f, failing: f, behind: f, viaAlias: f.via(f.alias), direct: f.via("")}
		for _, a := range f.ids {
			way[a].fetch(a)
		}
		f.flush()
		d.Clock.Advance(time.Second)
		for _, a := range f.ids {
			if got := must[tc.AgentServing](t)(d.Rollouts().AgentServing(bg, a)); len(got.Served) == 0 || got.Served[0].Reloaded {
				t.Fatalf("%s before any heartbeat: %+v", a, got.Served)
			}
			way[a].beat(a, "OK")
		}
		for _, a := range f.ids {
			got := must[tc.Agent](t)(owner.GetAgent(bg, a))
			if got.ConfigState != tc.ConfigStateCurrent {
				t.Errorf("%s: config state %s, want current", a, got.ConfigState)
			}
			targets := []string{web.ID}
			if a != direct {
				targets = append(targets, base.ID, g.ID)
			}
			if len(got.Served) != len(targets) {
				t.Fatalf("%s served: %+v", a, got.Served)
			}
			for _, id := range targets {
				v := 1
				if id == g.ID {
					v = 0
				}
				if s := servedRow(got, id, v); s == nil || !s.Reloaded || !s.Latest || s.LastFetched == nil {
					t.Errorf("%s after a heartbeat naming what it fetched: row of %s: %+v", a, id, s)
				}
			}
		}

		// Version 2 of web: the group agents but behind fetch it, the
		// direct agent does not; the failing one fails.
		must[tc.Config](t)(owner.UpdateConfig(bg, web.ID, tc.UpdateConfigRequest{TOML: ptr(rolloutTOML("two"))}))
		d.Clock.Advance(time.Second)
		for _, a := range []string{onGroup, viaAlias, failing} {
			if body, _ := way[a].fetch(a); versionOf(body) != "two" {
				t.Fatalf("%s got %q", a, versionOf(body))
			}
		}
		f.flush()
		d.Clock.Advance(4 * time.Minute) // more than three watch intervals
		for _, a := range f.ids {
			status := "OK"
			if a == failing {
				status = "FAIL"
			}
			way[a].beat(a, status)
		}
		wantState := map[string]string{onGroup: tc.ConfigStateCurrent, viaAlias: tc.ConfigStateCurrent, failing: tc.ConfigStateFetchedNotRunning,
			behind: tc.ConfigStateStale, direct: tc.ConfigStateStale}
		for a, want := range wantState {
			got := must[tc.Agent](t)(owner.GetAgent(bg, a))
			if got.ConfigState != want {
				t.Errorf("%s: config state %s, want %s (served %+v)", a, got.ConfigState, want, got.Served)
			}
			latest := 2
			if a == behind || a == direct {
				latest = 1
			}
			if s := servedRow(got, web.ID, latest); s == nil || !s.Latest || !s.Reloaded || s.Expected != 2 {
				t.Errorf("%s: web version %d: %+v", a, latest, s)
			}
			if s := servedRow(got, web.ID, 1); s == nil || !s.Reloaded {
				t.Errorf("%s: web version 1 (fetched before a heartbeat naming its URL): %+v", a, s)
			}
		}
		out := ok("agent", "get", onGroup)
		row := ""
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "web") && strings.Contains(l, "2 *") {
				row = l
			}
		}
		if fs := strings.Fields(row); row == "" || !strings.Contains(out, "Config state:    current") || len(fs) < 6 || !strings.Contains(row, " yes ") {
			t.Errorf("agent get %s: want web 2 * reloaded (yes):\n%s", onGroup, out)
		}
		for state, want := range map[string]string{tc.ConfigStateCurrent: onGroup + "," + viaAlias, tc.ConfigStateStale: behind + "," + direct,
			tc.ConfigStateFetchedNotRunning: failing} {
			var got []tc.Agent
			if err := json.Unmarshal([]byte(ok("agent", "list", "--config-state", state, "-o", "json")), &got); err != nil {
				t.Fatal(err)
			}
			ids := []string{}
			for _, a := range got {
				ids = append(ids, a.ID)
			}
			if strings.Join(ids, ",") != want {
				t.Errorf("agent list --config-state %s: %v, want %s", state, ids, want)
			}
		}
		sv := must[tc.ConfigServing](t)(owner.ConfigServing(bg, web.ID))
		if len(sv.Versions) != 2 || sv.Versions[0] != (tc.VersionAgents{Version: 2, Agents: 3}) || sv.Versions[1] != (tc.VersionAgents{Version: 1, Agents: 2}) ||
			sv.States[tc.ConfigStateCurrent] != 2 || sv.States[tc.ConfigStateStale] != 2 || sv.States[tc.ConfigStateFetchedNotRunning] != 1 {
			t.Errorf("config serving: %+v %v", sv.Versions, sv.States)
		}
		out = ok("config", "get", web.ID)
		for _, want := range []string{"Agents per version:", "2 (current)", "2 stale", "1 fetched-not-running", "2 current"} {
			if !strings.Contains(out, want) {
				t.Errorf("config get lacks %q:\n%s", want, out)
			}
		}

		// base leaves the group: the agent still runs the rendering that
		// held it (reloaded) until it fetches the group without it.
		members := []string{web.ID}
		must[tc.ConfigGroup](t)(owner.UpdateGroup(bg, g.ID, tc.UpdateGroupRequest{Members: &members}))
		d.Clock.Advance(time.Second)
		f.beat(onGroup, "OK")
		if s := servedRow(must[tc.Agent](t)(owner.GetAgent(bg, onGroup)), base.ID, 1); s == nil || !s.Reloaded {
			t.Errorf("base, left the group, before the agent fetched the group again: %+v", s)
		}
		if body, _ := f.fetch(onGroup); strings.Contains(body, "# base member") {
			t.Fatalf("the group still renders base:\n%s", body)
		}
		f.flush()
		d.Clock.Advance(time.Second)
		f.beat(onGroup, "OK")
		got := must[tc.Agent](t)(owner.GetAgent(bg, onGroup))
		if s := servedRow(got, base.ID, 1); s == nil || s.Reloaded {
			t.Errorf("base, after the agent fetched the group without it: %+v", s)
		}
		if s := servedRow(got, web.ID, 2); s == nil || !s.Reloaded {
			t.Errorf("web, still in the group: %+v", s)
		}
	})
}

// An agent that fetches the same config directly and through a config
// group holding it (and the group's alias), e.g. a Telegraf started with
// both URLs, costs no served-version writes while it only polls: each way
// is a steady poll of its own. Who runs what still shows the version it was
// last served, and both ways' reloads.
func TestDirectAndGroupFetchesCostNoWrites(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN, fastRollouts)
		owner := d.Setup(t)
		web := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "web", TOML: rolloutTOML("one")}))
		f := newFleet(t, d, owner, web.ID, 1)
		rolloutVia(t, owner, f, "group")
		grp := strings.TrimSuffix(strings.TrimPrefix(f.path, "/api/config-groups/"), "/toml")
		a := f.ids[0]
		ways := []*simFleet{f.via(""), f.via(f.path), f.via(f.alias)}
		rec := d.ServedRecorder()
		round := func(release string) {
			t.Helper()
			for _, w := range ways {
				d.Clock.Advance(100 * time.Millisecond)
				if body, _ := w.fetch(a); versionOf(body) != release {
					t.Fatalf("%s got %q, want %q", w.url(a), versionOf(body), release)
				}
				f.flush() // as every served-flush-interval
			}
		}
		round("one")
		first, _, _ := rec.Stats()
		for i := 0; i < 30; i++ { // 9 s of alternating fetches
			round("one")
		}
		if w, _, _ := rec.Stats(); w != first {
			t.Errorf("alternating direct and group fetches of one version wrote %d records after the first %d", w-first, first)
		}
		d.Clock.Advance(time.Second)
		f.beatURLs(a, "OK", ways[0].url(a), ways[1].url(a))
		got := must[tc.Agent](t)(owner.GetAgent(bg, a))
		if got.ConfigState != tc.ConfigStateCurrent || len(got.Served) != 3 {
			t.Fatalf("served: %s %+v", got.ConfigState, got.Served)
		}
		for _, s := range got.Served {
			// Fetch times are written when they moved 30 s or more.
			if !s.Latest || !s.Reloaded || s.LastFetched == nil || d.Clock.Now().Sub(*s.LastFetched) > 31*time.Second {
				t.Errorf("row %+v, want latest, reloaded, fetched within 30 s", s)
			}
			if s.TargetID == grp && s.Kind != "group" || s.TargetID == web.ID && s.Version != 1 {
				t.Errorf("row %+v", s)
			}
		}
		// Version 2 reaches it both ways; then it is steady again.
		must[tc.Config](t)(owner.UpdateConfig(bg, web.ID, tc.UpdateConfigRequest{TOML: ptr(rolloutTOML("two"))}))
		round("two")
		second, _, _ := rec.Stats()
		for i := 0; i < 30; i++ {
			round("two")
		}
		if w, _, _ := rec.Stats(); w != second {
			t.Errorf("alternating fetches of version 2 wrote %d records", w-second)
		}
		got = must[tc.Agent](t)(owner.GetAgent(bg, a))
		if s := servedRow(got, web.ID, 2); s == nil || !s.Latest || s.Expected != 2 || s.LastFetched == nil || d.Clock.Now().Sub(*s.LastFetched) > 31*time.Second {
			t.Errorf("web version 2: %+v", s)
		}
		if s := servedRow(got, web.ID, 1); s == nil || s.Latest {
			t.Errorf("web version 1: %+v", s)
		}
	})
}

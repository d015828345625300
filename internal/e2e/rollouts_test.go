package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/opentc/tc/internal/cli"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/internal/config"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// simFleet is a set of simulated Telegraf agents: they fetch their config
// with ?agent_id= (as `telegraf --config URL?agent_id=ID` does) and send
// heartbeats naming that URL, as outputs.heartbeat does.
type simFleet struct {
	t       *testing.T
	api, hb string
	flushFn func()
	tok     string
	cfgID   string
	// path is the TOML URL's path when not the config's (a group's), and
	// alias that of an alias naming the same group.
	path, alias string
	ids         []string
	// lm is the Last-Modified each agent saw last.
	lm map[string]string
}

func newFleet(t *testing.T, d *testutil.TCD, owner *client.Client, cfgID string, n int) *simFleet {
	t.Helper()
	tok := createToken(t, owner, tc.CreateTokenRequest{Description: fmt.Sprintf("fleet %d", time.Now().UnixNano()), Preset: tc.PresetTelegrafAgent}).Raw
	f := fleetAt(t, d.URL, d.HeartbeatURL(), tok, cfgID, n)
	f.flushFn = func() {
		if err := d.ServedRecorder().Flush(bg); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// fleetAt is a fleet talking to the given API and heartbeat listeners.
func fleetAt(t *testing.T, api, hb, tok, cfgID string, n int) *simFleet {
	f := &simFleet{t: t, api: api, hb: hb, tok: tok, cfgID: cfgID, lm: map[string]string{}}
	for i := 0; i < n; i++ {
		f.ids = append(f.ids, fmt.Sprintf("agent-%02d", i))
	}
	return f
}

func (f *simFleet) url(agent string) string {
	u := f.api + "/api/configs/" + f.cfgID + "/toml"
	if f.path != "" {
		u = f.api + f.path
	}
	if agent != "" {
		u += "?agent_id=" + url.QueryEscape(agent)
	}
	return u
}

// fetch GETs the config as agent ("" without identity) and returns the
// body and Last-Modified.
func (f *simFleet) fetch(agent string) (string, string) {
	f.t.Helper()
	req, _ := http.NewRequest("GET", f.url(agent), nil)
	req.Header.Set("Authorization", "Bearer "+f.tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		f.t.Fatalf("fetch as %q: %d %s", agent, resp.StatusCode, b)
	}
	lm := resp.Header.Get("Last-Modified")
	if agent != "" {
		f.lm[agent] = lm
	}
	return string(b), lm
}

// beat sends one heartbeat with status (OK, FAIL) naming the config URL.
func (f *simFleet) beat(agent, status string) {
	f.t.Helper()
	body := fmt.Sprintf(`{"id":%q,"version":"Telegraf 1.39.3","schema":1,"hostname":"h-%s","status":%q,"configurations":[%q],"statistics":{"errors":0,"warnings":0,"metrics":1}}`,
		agent, agent, status, f.url(agent))
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

// flush writes the served records (in-process tcd); a tcd process writes
// them every served-flush-interval, so the fleet waits for that instead.
func (f *simFleet) flush() {
	f.t.Helper()
	if f.flushFn != nil {
		f.flushFn()
		return
	}
	time.Sleep(200 * time.Millisecond)
}

// rolloutVia points the fleet at the config's URL (via "config"), or (via
// "group") at the URL of a new config group holding another config and
// then the config, so that the rollout reaches the fleet through the group.
func rolloutVia(t *testing.T, owner *client.Client, f *simFleet, via string) {
	t.Helper()
	if via == "config" {
		return
	}
	other := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "base-" + f.cfgID[:8], TOML: otherTOML}))
	g := must[tc.ConfigGroup](t)(owner.CreateGroup(bg, tc.GroupRequest{Name: "group-" + f.cfgID[:8], Members: []string{f.cfgID, other.ID}}))
	// Each change moves the group's Last-Modified a second past the last
	// (the clock stands still): the group's is then ahead of the config's,
	// and the rollout's Last-Modified values must still move past it.
	for _, m := range [][]string{{other.ID}, {f.cfgID, other.ID}, {other.ID, f.cfgID}} {
		must[tc.ConfigGroup](t)(owner.UpdateGroup(bg, g.ID, tc.UpdateGroupRequest{Members: &m}))
	}
	f.path = "/api/config-groups/" + g.ID + "/toml"
	a := "grp-" + f.cfgID[:8]
	must[tc.Alias](t)(owner.PutAlias(bg, a, tc.AliasRequest{GroupID: g.ID}))
	f.alias = "/c/" + a
}

// viaAlias fetches as agent through the alias naming the fleet's group
// (none: does nothing) and checks it is answered as the group URL was.
func (f *simFleet) viaAlias(agent, body, lm string) {
	f.t.Helper()
	if f.alias == "" {
		return
	}
	af := *f
	af.path, af.lm = f.alias, map[string]string{}
	if ab, alm := af.fetch(agent); ab != body || alm != lm {
		f.t.Errorf("%s through the alias: Last-Modified %s (group URL %s), release %q (group URL %q)", agent, alm, lm, versionOf(ab), versionOf(body))
	}
}

// otherTOML is the group member that is not rolled out.
const otherTOML = "# base member\n[[inputs.cpu]]\n"

// checkGroupBody checks that a group rendering still holds the other
// member's section (via "group").
func checkGroupBody(t *testing.T, via, agent, body string) {
	t.Helper()
	if via == "group" && (!strings.Contains(body, "# base member") || !strings.Contains(body, "[[inputs.cpu]]")) {
		t.Errorf("%s: the group rendering lost its other member:\n%s", agent, body)
	}
}

func versionOf(body string) string {
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "# release ") {
			return strings.TrimPrefix(l, "# release ")
		}
	}
	return "?"
}

func rolloutTOML(release string) string {
	return "# release " + release + "\n[agent]\n  interval = \"10s\"\n\n[[inputs.mem]]\n\n[[outputs.discard]]\n"
}

func fastRollouts(c *config.Config) {
	c.RolloutInterval = time.Hour // the test evaluates gates itself
	c.ServedFlushInterval = time.Hour
	c.AgentWatchInterval = time.Minute
}

func stageMembers(r tc.Rollout, upTo int) map[string]bool {
	out := map[string]bool{}
	for i := 0; i <= upTo && i < len(r.Stages); i++ {
		for _, m := range r.Stages[i].Members {
			out[m] = true
		}
	}
	return out
}

// Acceptance 1: a rollout with stages 1, 50 %, 100 % serves the new
// version to exactly the stage's agents (each agent fetches), moves
// Last-Modified only for them, and completes when the gates pass.
func TestRolloutServesStagesAndCompletes(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) { rolloutStagesAndComplete(t, e, "config") })
}

// The same through a config group holding the config and another one:
// agents fetching the group URL are the config's agents, get the new
// version's section by stage (the other member's stays), their group
// fetches pass the gates, and who-runs-what shows the config's version.
func TestGroupRolloutServesStagesAndCompletes(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) { rolloutStagesAndComplete(t, e, "group") })
}

func rolloutStagesAndComplete(t *testing.T, e testutil.Engine, via string) {
	d := testutil.StartTCD(t, e.DSN, fastRollouts)
	owner := d.Setup(t)
	cfg := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "web", TOML: rolloutTOML("one")}))
	f := newFleet(t, d, owner, cfg.ID, 6)
	rolloutVia(t, owner, f, via)
	for _, a := range f.ids {
		if body, _ := f.fetch(a); versionOf(body) != "one" {
			t.Fatalf("%s got %q before the rollout", a, versionOf(body))
		}
		f.beat(a, "OK")
	}
	f.flush()
	two := rolloutTOML("two")
	k := 2
	r := must[tc.Rollout](t)(owner.StartRollout(bg, tc.StartRolloutRequest{Config: cfg.ID, TOML: &two, Heartbeats: &k,
		Stages: []tc.RolloutStage{{Count: 1}, {Percent: 50}, {Percent: 100}}}))
	if r.State != tc.RolloutRunning || r.From != 1 || r.To != 2 || len(r.Stages) != 3 {
		t.Fatalf("started rollout: %+v", r)
	}
	// A plain push is refused while the rollout runs.
	three := rolloutTOML("three")
	_, err := owner.UpdateConfig(bg, cfg.ID, tc.UpdateConfigRequest{TOML: &three})
	wantCode(t, err, tc.EConflict, 409)
	if !strings.Contains(err.Error(), "rollout abort") {
		t.Errorf("refusal does not say what to do: %v", err)
	}
	wantSizes := []int{1, 3, 6}
	for stage := 0; stage < 3; stage++ {
		r = must[tc.Rollout](t)(owner.GetRollout(bg, r.ID))
		if r.Stage != stage || r.State != tc.RolloutRunning {
			t.Fatalf("want stage %d running, got stage %d %s (%s)", stage, r.Stage, r.State, r.Reason)
		}
		in := stageMembers(r, stage)
		prev := stageMembers(r, stage-1)
		if len(in) != wantSizes[stage] {
			t.Fatalf("stage %d: %d agents have the new version, want %d (%v)", stage, len(in), wantSizes[stage], r.Stages)
		}
		d.Clock.Advance(time.Second) // the stage's fetches are the agents' latest
		for _, a := range f.ids {
			before := f.lm[a]
			body, lm := f.fetch(a)
			checkGroupBody(t, via, a, body)
			f.viaAlias(a, body, lm)
			switch {
			case in[a] && versionOf(body) != "two":
				t.Errorf("stage %d: %s is in the stage but got %q", stage, a, versionOf(body))
			case !in[a] && versionOf(body) != "one":
				t.Errorf("stage %d: %s is not in the stage but got %q", stage, a, versionOf(body))
			case !in[a] && lm != before:
				t.Errorf("stage %d: Last-Modified of %s (not in the stage) moved from %s to %s", stage, a, before, lm)
			case in[a] && !prev[a] && lm == before:
				t.Errorf("stage %d: Last-Modified of %s (joining the stage) did not move from %s", stage, a, before)
			case in[a] && prev[a] && lm != before:
				t.Errorf("stage %d: Last-Modified of %s (of an earlier stage) moved again", stage, a)
			}
		}
		// Agents without identity get the new version only in the last stage.
		if body, _ := f.fetch(""); (stage == 2) != (versionOf(body) == "two") {
			t.Errorf("stage %d: an agent without identity got %q", stage, versionOf(body))
		}
		f.flush()
		// Who runs what: the stage's agents run the new version of
		// the config (through the group too), the others the old.
		sv := must[tc.ConfigServing](t)(owner.ConfigServing(bg, cfg.ID))
		byV := map[int]int{}
		for _, va := range sv.Versions {
			byV[va.Version] = va.Agents
		}
		if byV[2] != len(in) || byV[1] != len(f.ids)-len(in) {
			t.Errorf("stage %d: config serving %+v, want %d agents on 2 and %d on 1", stage, sv.Versions, len(in), len(f.ids)-len(in))
		}
		// The gate waits for K heartbeats after the fetch.
		must[struct{}](t)(struct{}{}, d.Rollouts().Evaluate(bg))
		if g := must[tc.Rollout](t)(owner.GetRollout(bg, r.ID)); g.Stage != stage || g.State != tc.RolloutRunning {
			t.Fatalf("stage %d passed before its agents sent heartbeats: %+v", stage, g)
		}
		for i := 0; i < k; i++ {
			for a := range in {
				f.beat(a, "OK")
			}
		}
		must[struct{}](t)(struct{}{}, d.Rollouts().Evaluate(bg))
	}
	r = must[tc.Rollout](t)(owner.GetRollout(bg, r.ID))
	if r.State != tc.RolloutCompleted || r.FinishedAt == nil {
		t.Fatalf("rollout did not complete: %+v", r)
	}
	c := must[tc.Config](t)(owner.GetConfig(bg, cfg.ID))
	if c.Version != 2 {
		t.Errorf("config version after the rollout = %d, want 2", c.Version)
	}
	// Completion changes nothing for agents that already run it.
	for _, a := range f.ids {
		before := f.lm[a]
		if body, lm := f.fetch(a); versionOf(body) != "two" || lm != before {
			t.Errorf("%s after completion: %q, Last-Modified %s (was %s)", a, versionOf(body), lm, before)
		}
	}
	// Now a push is accepted again.
	must[tc.Config](t)(owner.UpdateConfig(bg, cfg.ID, tc.UpdateConfigRequest{TOML: &three}))
	actions := []string{}
	for _, ev := range r.Events {
		actions = append(actions, ev.Action)
	}
	if strings.Join(actions, ",") != "start,advance,advance,complete" {
		t.Errorf("events: %v", actions)
	}
	audit := must[tc.List[tc.AuditEntry]](t)(owner.ListAudit(bg, client.AuditFilter{Action: "rollout.complete"}))
	if audit.Total < 1 {
		t.Errorf("no audit entry for the completion")
	}
}

// Acceptance 2: an agent of the stage that reports fail after fetching the
// new version pauses the rollout; with auto-rollback it is served the old
// version again with a newer Last-Modified; abort serves the old version to
// everybody.
func TestRolloutFailureRollsBackAndAbort(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) { rolloutFailureAndAbort(t, e, "config") })
}

// The same through a config group holding the config and another one.
func TestGroupRolloutFailureRollsBackAndAbort(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) { rolloutFailureAndAbort(t, e, "group") })
}

func rolloutFailureAndAbort(t *testing.T, e testutil.Engine, via string) {
	d := testutil.StartTCD(t, e.DSN, fastRollouts)
	owner := d.Setup(t)
	cfg := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "db", TOML: rolloutTOML("one")}))
	f := newFleet(t, d, owner, cfg.ID, 4)
	rolloutVia(t, owner, f, via)
	for _, a := range f.ids {
		f.fetch(a)
		f.beat(a, "OK")
	}
	f.flush()
	must[tc.Config](t)(owner.UpdateConfig(bg, cfg.ID, tc.UpdateConfigRequest{TOML: ptr(rolloutTOML("two"))}))
	for _, a := range f.ids {
		f.fetch(a)
	}
	three := rolloutTOML("three")
	one := 1
	r := must[tc.Rollout](t)(owner.StartRollout(bg, tc.StartRolloutRequest{Config: cfg.ID, TOML: &three, Heartbeats: &one, AutoRollback: true,
		Stages: []tc.RolloutStage{{Count: 1}, {Percent: 100}}}))
	canary := r.Stages[0].Members[0]
	body, lmM := f.fetch(canary)
	if versionOf(body) != "three" {
		t.Fatalf("canary got %q", versionOf(body))
	}
	f.flush()
	f.beat(canary, "FAIL")
	must[struct{}](t)(struct{}{}, d.Rollouts().Evaluate(bg))
	r = must[tc.Rollout](t)(owner.GetRollout(bg, cfg.ID))
	if r.State != tc.RolloutPaused || !r.RolledBack || !strings.Contains(r.Reason, "fail") {
		t.Fatalf("after a failing canary: %s rolledBack=%v reason %q", r.State, r.RolledBack, r.Reason)
	}
	body, lmBack := f.fetch(canary)
	if versionOf(body) != "two" {
		t.Fatalf("rolled-back canary got %q, want two", versionOf(body))
	}
	if !later(t, lmBack, lmM) {
		t.Fatalf("rolled-back Last-Modified %s is not newer than %s", lmBack, lmM)
	}
	for _, a := range f.ids {
		if a == canary {
			continue
		}
		before := f.lm[a]
		if body, lm := f.fetch(a); versionOf(body) != "two" || lm != before {
			t.Errorf("%s (outside the stage) got %q, Last-Modified %s (was %s)", a, versionOf(body), lm, before)
		}
	}
	// A paused rollout still refuses a plain push.
	_, err := owner.UpdateConfig(bg, cfg.ID, tc.UpdateConfigRequest{TOML: ptr(rolloutTOML("four"))})
	wantCode(t, err, tc.EConflict, 409)
	// Resume serves the new version again, newer still.
	r = must[tc.Rollout](t)(owner.RolloutAction(bg, r.ID, "resume", "fixed the host"))
	if r.State != tc.RolloutRunning || r.RolledBack {
		t.Fatalf("after resume: %+v", r)
	}
	body, lmAgain := f.fetch(canary)
	if versionOf(body) != "three" || !later(t, lmAgain, lmBack) {
		t.Fatalf("resumed canary got %q with Last-Modified %s (rollback was %s)", versionOf(body), lmAgain, lmBack)
	}
	// Abort: everybody gets the old version, with a Last-Modified newer than any served.
	r = must[tc.Rollout](t)(owner.RolloutAction(bg, r.ID, "abort", ""))
	if r.State != tc.RolloutAborted {
		t.Fatalf("after abort: %s", r.State)
	}
	for _, a := range append([]string{""}, f.ids...) {
		body, lm := f.fetch(a)
		if versionOf(body) != "two" || !later(t, lm, lmAgain) {
			t.Errorf("after abort %q got %q with Last-Modified %s", a, versionOf(body), lm)
		}
	}
	if c := must[tc.Config](t)(owner.GetConfig(bg, cfg.ID)); c.Version != 2 {
		t.Errorf("config version after abort = %d, want 2", c.Version)
	}
	actions := []string{}
	for _, ev := range r.Events {
		actions = append(actions, ev.Action)
	}
	if strings.Join(actions, ",") != "start,rollback,resume,abort" {
		t.Errorf("events: %v", actions)
	}
	// The pause reached notifications (issue 21's "rollouts pause").
	var n int64
	if err := openStore(t, d).Gorm(bg).Raw("SELECT COUNT(*) FROM notify_events WHERE kind = ?", tc.EventRolloutPaused).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	if n < 1 {
		t.Errorf("no %s event published", tc.EventRolloutPaused)
	}
}

func later(t *testing.T, a, b string) bool {
	t.Helper()
	ta, err1 := http.ParseTime(a)
	tb, err2 := http.ParseTime(b)
	if err1 != nil || err2 != nil {
		t.Fatalf("bad Last-Modified %q / %q", a, b)
	}
	return ta.After(tb)
}

func openStore(t *testing.T, d *testutil.TCD) *store.Store { return d.Store() }

var _ = sort.Strings

// Acceptance 4: tcctl agent get, agent list --config-state and config get
// show the versions served, on data produced by simulated agents.
func TestWhoRunsWhatThroughTcctl(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN, fastRollouts)
		resp, err := d.Client(t, "").Setup(bg, tc.SetupRequest{Username: "root", Email: "root@example.com", Password: "rootpass1"})
		if err != nil {
			t.Fatal(err)
		}
		owner := d.Client(t, resp.Token)
		env := map[string]string{"TCCTL_URL": d.URL, "TCCTL_TOKEN": resp.Token}
		profile := t.TempDir() + "/p.yaml"
		ok := func(args ...string) run {
			t.Helper()
			r := tcctl(t, profile, "", env, args...)
			if r.code != 0 {
				t.Fatalf("tcctl %v: exit %d\n%s\n%s", args, r.code, r.stdout, r.stderr)
			}
			return r
		}
		cfg := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "web", TOML: rolloutTOML("one")}))
		f := newFleet(t, d, owner, cfg.ID, 4)
		for _, a := range f.ids[:3] {
			f.fetch(a)
			f.beat(a, "OK")
		}
		f.beat(f.ids[3], "OK") // fetches without its identity: unmanaged
		must[tc.Config](t)(owner.UpdateConfig(bg, cfg.ID, tc.UpdateConfigRequest{TOML: ptr(rolloutTOML("two"))}))
		f.fetch(f.ids[0]) // agent-00 picks version 2 up; agent-01 does not
		f.flush()
		d.Clock.Advance(4 * time.Minute) // more than three watch intervals
		f.beat(f.ids[0], "OK")
		f.beat(f.ids[1], "OK")
		f.beat(f.ids[2], "FAIL") // agent-02 fetched, but fails
		f.beat(f.ids[3], "OK")

		var a tc.Agent
		r := ok("agent", "get", "agent-01", "-o", "json")
		if err := json.Unmarshal([]byte(r.stdout), &a); err != nil {
			t.Fatal(err)
		}
		if a.ConfigState != tc.ConfigStateStale || len(a.Served) != 1 || a.Served[0].Version != 1 || a.Served[0].Expected != 2 || !a.Served[0].Reloaded {
			t.Fatalf("agent-01: %+v", a)
		}
		r = ok("agent", "get", "agent-00")
		for _, want := range []string{"Config state:    current", "Served versions:", "web", "2 *"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("agent get agent-00 lacks %q:\n%s", want, r.stdout)
			}
		}
		for state, want := range map[string]string{tc.ConfigStateStale: "agent-01", tc.ConfigStateCurrent: "agent-00",
			tc.ConfigStateFetchedNotRunning: "agent-02", tc.ConfigStateUnmanaged: "agent-03"} {
			var got []tc.Agent
			r := ok("agent", "list", "--config-state", state, "-o", "json")
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].ID != want {
				t.Errorf("agent list --config-state %s: %v, want %s", state, got, want)
			}
		}
		if r := tcctl(t, profile, "", env, "agent", "list", "--config-state", "bogus"); r.code != 2 {
			t.Errorf("a bad state: exit %d", r.code)
		}
		r = ok("config", "get", cfg.ID)
		for _, want := range []string{"Agents per version:", "2 (current)", "1 stale", "1 fetched-not-running", "1 current"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("config get lacks %q:\n%s", want, r.stdout)
			}
		}
		sv := must[tc.ConfigServing](t)(owner.ConfigServing(bg, cfg.ID))
		if len(sv.Versions) != 2 || sv.Versions[0] != (tc.VersionAgents{Version: 2, Agents: 1}) || sv.Versions[1] != (tc.VersionAgents{Version: 1, Agents: 2}) {
			t.Errorf("serving: %+v", sv.Versions)
		}
		// Metrics: agents by derived state.
		if !strings.Contains(scrapeText(t, d, resp.Token), `tc_agents_config_state{state="stale"} 1`) {
			t.Errorf("metrics lack tc_agents_config_state")
		}

		// The rollout verbs.
		r = ok("config", "push", "--name", "web", "-f", writeFile(t, rolloutTOML("three")), "--rollout")
		if !strings.Contains(r.stdout, "staged web version 3: rollout") {
			t.Fatalf("push --rollout: %s", r.stdout)
		}
		if r := tcctl(t, profile, "", env, "config", "push", "--name", "web", "-f", writeFile(t, rolloutTOML("four"))); r.code == 0 || !strings.Contains(r.stderr, "rollout abort") {
			t.Errorf("plain push during a rollout: exit %d %s", r.code, r.stderr)
		}
		r = ok("rollout", "status", "web")
		for _, want := range []string{"version 2 to 3", "running", "STAGE", "1 agent", "100%"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("rollout status lacks %q:\n%s", want, r.stdout)
			}
		}
		ok("rollout", "pause", "web", "--reason", "lunch")
		var ro tc.Rollout
		r = ok("rollout", "status", "web", "-w", "-o", "json") // paused: -w prints once and returns
		if err := json.Unmarshal([]byte(r.stdout), &ro); err != nil || ro.State != tc.RolloutPaused || ro.Reason != "lunch" {
			t.Fatalf("status -w -o json of a paused rollout: %v %s", err, r.stdout)
		}
		ok("rollout", "resume", "web")
		// A second push --rollout queues behind the running rollout.
		r = ok("config", "push", "--name", "web", "-f", writeFile(t, rolloutTOML("five")), "--rollout")
		if !strings.Contains(r.stdout, "staged web version 4: rollout") || !strings.Contains(r.stdout, "queued") {
			t.Fatalf("second push --rollout: %s", r.stdout)
		}
		// -w on a terminal redraws the table in place until the rollout
		// leaves running: a pause from elsewhere ends it.
		done := make(chan string)
		go func() {
			// TCCTL_URL, TCCTL_TOKEN and TCCTL_CONFIG are set by tcctl above.
			ios, _, out, errOut := iostreams.Test()
			ios.SetTerminal(true)
			cli.Run(bg, []string{"rollout", "status", "web", "-w", "--interval", "50ms"}, ios)
			done <- out.String() + errOut.String()
		}()
		time.Sleep(300 * time.Millisecond)
		must[tc.Rollout](t)(owner.RolloutAction(bg, cfg.ID, "pause", "watch test"))
		select {
		case out := <-done:
			if !strings.Contains(out, "\x1b[") || !strings.Contains(out, "paused") {
				t.Errorf("status -w on a terminal did not redraw:\n%q", out)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("status -w did not return after the rollout paused")
		}
		ok("rollout", "abort", "web")
		// The queued rollout starts once the running one is aborted.
		var cur tc.Rollout
		r = ok("rollout", "status", "web", "-o", "json")
		if err := json.Unmarshal([]byte(r.stdout), &cur); err != nil || cur.State != tc.RolloutRunning || cur.To != 4 || cur.From != 2 {
			t.Fatalf("queued rollout after the abort: %v %s", err, r.stdout)
		}
		ok("rollout", "abort", "web")
		var hist []tc.Rollout
		r = ok("rollout", "history", "web", "-o", "json")
		if err := json.Unmarshal([]byte(r.stdout), &hist); err != nil || len(hist) != 2 || hist[0].State != tc.RolloutAborted || hist[1].State != tc.RolloutAborted {
			t.Fatalf("history: %v %s", err, r.stdout)
		}
		if r := tcctl(t, profile, "", env, "rollout", "start", "web"); r.code != 2 || !strings.Contains(r.stderr, "--to") {
			t.Errorf("start without --to: exit %d %s", r.code, r.stderr)
		}
	})
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.toml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func scrapeText(t *testing.T, d *testutil.TCD, token string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", d.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// Stages chosen by explicit agent ids and by a label selector over agents:
// each stage serves the new version to exactly the agents it names (the
// selector's labelled agents, not the others), and the last stage to all.
func TestRolloutExplicitAndSelectorStages(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN, fastRollouts)
		owner := d.Setup(t)
		cfg := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "edge", TOML: rolloutTOML("one")}))
		f := newFleet(t, d, owner, cfg.ID, 8)
		for _, a := range f.ids {
			f.fetch(a)
			f.beat(a, "OK")
		}
		f.flush()
		lbl := must[tc.Label](t)(owner.CreateLabel(bg, tc.LabelRequest{Name: "site=x"}))
		labelled := []string{f.ids[1], f.ids[4], f.ids[6]}
		must[tc.BulkResult](t)(owner.SetAgentLabels(bg, true, labelled, []string{lbl.ID}))
		two := rolloutTOML("two")
		k := 1
		r := must[tc.Rollout](t)(owner.StartRollout(bg, tc.StartRolloutRequest{Config: cfg.ID, TOML: &two, Heartbeats: &k,
			Stages: []tc.RolloutStage{{Agents: []string{f.ids[7]}}, {Selector: "site=x"}, {Percent: 100}}}))
		want := []map[string]bool{
			{f.ids[7]: true},
			{f.ids[7]: true, f.ids[1]: true, f.ids[4]: true, f.ids[6]: true},
		}
		for stage := 0; stage < 3; stage++ {
			r = must[tc.Rollout](t)(owner.GetRollout(bg, r.ID))
			if r.Stage != stage || r.State != tc.RolloutRunning {
				t.Fatalf("want stage %d running, got stage %d %s (%s)", stage, r.Stage, r.State, r.Reason)
			}
			in := stageMembers(r, stage)
			if stage < 2 && !reflect.DeepEqual(in, want[stage]) {
				t.Fatalf("stage %d has %v, want %v", stage, in, want[stage])
			}
			if stage == 2 && len(in) != len(f.ids) {
				t.Fatalf("last stage has %d agents, want %d", len(in), len(f.ids))
			}
			for _, a := range f.ids {
				if body, _ := f.fetch(a); (versionOf(body) == "two") != in[a] {
					t.Errorf("stage %d: %s (in the stage: %v) got %q", stage, a, in[a], versionOf(body))
				}
			}
			f.flush()
			for a := range in {
				f.beat(a, "OK")
			}
			must[struct{}](t)(struct{}{}, d.Rollouts().Evaluate(bg))
		}
		if r = must[tc.Rollout](t)(owner.GetRollout(bg, r.ID)); r.State != tc.RolloutCompleted {
			t.Fatalf("rollout did not complete: %+v", r)
		}
	})
}

// A rollout of a config group is refused, through the API and tcctl,
// with what to do instead: groups have no versions; roll out a member.
func TestRolloutStartOnGroupExplains(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN, fastRollouts)
		resp, err := d.Client(t, "").Setup(bg, tc.SetupRequest{Username: "root", Email: "root@example.com", Password: "rootpass1"})
		if err != nil {
			t.Fatal(err)
		}
		owner := d.Client(t, resp.Token)
		cfg := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "web", TOML: rolloutTOML("one")}))
		g := must[tc.ConfigGroup](t)(owner.CreateGroup(bg, tc.GroupRequest{Name: "frontends", Members: []string{cfg.ID}}))
		_, err = owner.StartRollout(bg, tc.StartRolloutRequest{Config: g.ID, To: 1})
		wantCode(t, err, tc.EInvalid, 400)
		if !strings.Contains(err.Error(), "groups have no versions") {
			t.Errorf("API answer: %v", err)
		}
		env := map[string]string{"TCCTL_URL": d.URL, "TCCTL_TOKEN": resp.Token}
		r := tcctl(t, t.TempDir()+"/p.yaml", "", env, "rollout", "start", "frontends", "--to", "2")
		if r.code == 0 || !strings.Contains(r.stderr, "groups have no versions") || !strings.Contains(r.stderr, "member configs") {
			t.Errorf("tcctl rollout start on a group: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
	})
}

package e2e

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/opentc/tc/internal/config"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// During a rollout, with a per-agent template and a render
// cache too small for the fleet's bodies, each agent's HEAD carries the
// ETag, Last-Modified and Content-Length of its own GET (its version, its
// agent_id) at every state: before, started, paused, resumed, aborted.
func TestHeadDuringRollout(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) { headDuringRollout(t, e, "config", true) })
}

// The same through a config group holding the config and another one,
// with the per-agent template and with one all agents share (then the
// agents of a version share a rendering, and those of the other version
// must never be answered its kept ETag).
func TestGroupHeadDuringRollout(t *testing.T) {
	for _, perAgent := range []bool{true, false} {
		t.Run(fmt.Sprintf("per-agent=%v", perAgent), func(t *testing.T) {
			testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) { headDuringRollout(t, e, "group", perAgent) })
		})
	}
}

func headDuringRollout(t *testing.T, e testutil.Engine, via string, perAgent bool) {
	d := testutil.StartTCD(t, e.DSN, fastRollouts, func(c *config.Config) { c.RenderCacheEntries = 16 })
	owner := d.Setup(t)
	tmpl := func(rel string) string {
		if !perAgent {
			return "# release " + rel + "\n[[inputs.mem]]\n\n[[outputs.discard]]\n"
		}
		return "# release " + rel + "\n[global_tags]\n  id = \"&{agent_id}\"\n\n[[inputs.mem]]\n\n[[outputs.discard]]\n"
	}
	cfg := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "db", TOML: tmpl("one")}))
	f := newFleet(t, d, owner, cfg.ID, 40)
	rolloutVia(t, owner, f, via)
	do := func(method, agent string, h ...string) (*http.Response, string) {
		t.Helper()
		resp, b := rawFetch(t, method, f.url(agent), f.tok, h...)
		return resp, string(b)
	}
	check := func(step string, want func(agent string) string) {
		t.Helper()
		for pass := 0; pass < 2; pass++ {
			gets := map[string]*http.Response{}
			for _, a := range f.ids {
				g, body := do("GET", a)
				if g.StatusCode != 200 || versionOf(body) != want(a) {
					t.Fatalf("%s: GET %s: %d release %q, want %q", step, a, g.StatusCode, versionOf(body), want(a))
				}
				gets[a] = g
			}
			for _, a := range f.ids {
				h, hb := do("HEAD", a)
				g := gets[a]
				for _, k := range []string{"ETag", "Last-Modified", "Content-Length"} {
					if h.StatusCode != 200 || hb != "" || h.Header.Get(k) != g.Header.Get(k) {
						t.Fatalf("%s: HEAD %s: %d %s %q, GET %q", step, a, h.StatusCode, k, h.Header.Get(k), g.Header.Get(k))
					}
				}
				// A conditional GET with its own ETag is answered 304
				// with the same headers; with the ETag of an agent
				// served another version, 200 with its own.
				c, _ := do("GET", a, "If-None-Match", g.Header.Get("ETag"))
				if c.StatusCode != 304 || c.Header.Get("ETag") != g.Header.Get("ETag") || c.Header.Get("Last-Modified") != g.Header.Get("Last-Modified") {
					t.Fatalf("%s: conditional GET %s: %d ETag %q Last-Modified %q, GET %q %q", step, a, c.StatusCode,
						c.Header.Get("ETag"), c.Header.Get("Last-Modified"), g.Header.Get("ETag"), g.Header.Get("Last-Modified"))
				}
				for _, b := range f.ids {
					if want(b) == want(a) {
						continue
					}
					other := gets[b].Header.Get("ETag")
					if other == g.Header.Get("ETag") {
						t.Fatalf("%s: %s (release %s) and %s (release %s) were served the same ETag %s", step, a, want(a), b, want(b), other)
					}
					c, body := do("GET", a, "If-None-Match", other)
					if c.StatusCode != 200 || c.Header.Get("ETag") != g.Header.Get("ETag") || versionOf(body) != want(a) {
						t.Fatalf("%s: GET %s with the ETag of %s: %d ETag %q release %q", step, a, b, c.StatusCode, c.Header.Get("ETag"), versionOf(body))
					}
					break
				}
			}
		}
	}
	check("before", func(string) string { return "one" })
	must[tc.Config](t)(owner.UpdateConfig(bg, cfg.ID, tc.UpdateConfigRequest{TOML: ptr(tmpl("two"))}))
	check("two", func(string) string { return "two" })
	for _, a := range f.ids {
		f.beat(a, "OK")
	}
	f.flush()
	three := tmpl("three")
	r := must[tc.Rollout](t)(owner.StartRollout(bg, tc.StartRolloutRequest{Config: cfg.ID, TOML: &three, Stages: []tc.RolloutStage{{Count: 7}, {Percent: 100}}}))
	members := stageMembers(r, 0)
	if len(members) != 7 {
		t.Fatalf("stage 1 members %v", members)
	}
	inStage := func(a string) string {
		if members[a] {
			return "three"
		}
		return "two"
	}
	check("started", inStage)
	must[tc.Rollout](t)(owner.RolloutAction(bg, r.ID, "pause", "x"))
	check("paused", inStage)
	must[tc.Rollout](t)(owner.RolloutAction(bg, r.ID, "resume", "x"))
	check("resumed", inStage)
	must[tc.Rollout](t)(owner.RolloutAction(bg, r.ID, "abort", ""))
	check("aborted", func(string) string { return "two" })
}

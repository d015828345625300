package e2e

import (
	"net/http"
	"testing"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// A group edited during a rollout of one of its members (members
// reordered, the member removed, added back, the other member deleted):
// at every step each agent's rendering changes exactly when its
// Last-Modified does, the new one is later than the one it had (a
// conditional GET with If-Modified-Since of what it had gets the new
// body, not 304), and HEAD and conditional GET answer the GET's headers.
func TestGroupEditedDuringRollout(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN, fastRollouts)
		owner := d.Setup(t)
		cfg := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "web", TOML: rolloutTOML("one")}))
		other := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "base", TOML: otherTOML}))
		g := must[tc.ConfigGroup](t)(owner.CreateGroup(bg, tc.GroupRequest{Name: "grp", Members: []string{cfg.ID, other.ID}}))
		f := newFleet(t, d, owner, cfg.ID, 3)
		f.path = "/api/config-groups/" + g.ID + "/toml"
		type seen struct{ body, lm, etag string }
		last := map[string]seen{}
		do := func(method, agent string, h ...string) (*http.Response, string) {
			t.Helper()
			resp, b := rawFetch(t, method, f.url(agent), f.tok, h...)
			return resp, string(b)
		}
		// moves: every agent's Last-Modified may move (abort: agents that
		// never left the old version reload once, as documented).
		step := func(name string, moves bool) {
			t.Helper()
			for _, a := range append([]string{""}, f.ids...) {
				prev, had := last[a]
				if had {
					// What a client that had prev asks conditionally.
					resp, body := do("GET", a, "If-Modified-Since", prev.lm)
					if resp.StatusCode == 304 {
						body = prev.body
					}
					if _, full := do("GET", a); body != full {
						t.Errorf("%s: %q with If-Modified-Since %s got %d and keeps an outdated body", name, a, prev.lm, resp.StatusCode)
					}
				}
				resp, body := do("GET", a)
				if resp.StatusCode != 200 {
					t.Fatalf("%s: %q: %d %s", name, a, resp.StatusCode, body)
				}
				s := seen{body, resp.Header.Get("Last-Modified"), resp.Header.Get("ETag")}
				if h, _ := do("HEAD", a); h.Header.Get("Last-Modified") != s.lm || h.Header.Get("ETag") != s.etag {
					t.Errorf("%s: %q HEAD %s %s, GET %s %s", name, a, h.Header.Get("Last-Modified"), h.Header.Get("ETag"), s.lm, s.etag)
				}
				if c, _ := do("GET", a, "If-None-Match", s.etag); c.StatusCode != 304 || c.Header.Get("Last-Modified") != s.lm {
					t.Errorf("%s: %q conditional GET: %d %s (GET %s)", name, a, c.StatusCode, c.Header.Get("Last-Modified"), s.lm)
				}
				if had {
					switch {
					case s.body != prev.body && s.lm == prev.lm:
						t.Errorf("%s: %q rendering changed, Last-Modified stayed %s", name, a, s.lm)
					case s.body == prev.body && s.lm != prev.lm && !moves:
						t.Errorf("%s: %q rendering unchanged, Last-Modified moved %s -> %s", name, a, prev.lm, s.lm)
					case (s.body != prev.body || s.lm != prev.lm) && !later(t, s.lm, prev.lm):
						t.Errorf("%s: %q rendering changed, Last-Modified went from %s to %s, not later", name, a, prev.lm, s.lm)
					}
				}
				last[a] = s
			}
		}
		step("before", false)
		for _, a := range f.ids {
			f.beat(a, "OK")
		}
		f.flush()
		x := f.ids[0]
		must[tc.Rollout](t)(owner.StartRollout(bg, tc.StartRolloutRequest{Config: cfg.ID, TOML: ptr(rolloutTOML("two")),
			Stages: []tc.RolloutStage{{Agents: []string{x}}, {Percent: 100}}}))
		step("started", false)
		must[tc.ConfigGroup](t)(owner.UpdateGroup(bg, g.ID, tc.UpdateGroupRequest{Members: &[]string{other.ID, cfg.ID}}))
		step("reordered", false)
		must[tc.ConfigGroup](t)(owner.UpdateGroup(bg, g.ID, tc.UpdateGroupRequest{Members: &[]string{other.ID}}))
		step("member removed", false)
		must[tc.ConfigGroup](t)(owner.UpdateGroup(bg, g.ID, tc.UpdateGroupRequest{Members: &[]string{other.ID, cfg.ID}}))
		step("member added back", false)
		must[struct{}](t)(struct{}{}, owner.DeleteConfig(bg, other.ID, true))
		step("other member deleted", false)
		must[tc.Rollout](t)(owner.RolloutAction(bg, cfg.ID, "abort", ""))
		step("aborted", true)
	})
}

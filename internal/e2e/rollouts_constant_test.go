package e2e

import (
	"strings"
	"testing"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// A constant the config uses changes during its rollout, right after the
// rollout started (the rollout's Last-Modified is then ahead of the
// clock): every agent's rendering changes, and so must its Last-Modified,
// forward, on the config's URL and on a group holding it.
func TestConstantChangedDuringRollout(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN, fastRollouts)
		owner := d.Setup(t)
		must[tc.Constant](t)(owner.SetConstant(bg, "site", "one"))
		tmpl := func(rel string) string { return "# release " + rel + "\n# site ::{site}\n[[inputs.mem]]\n" }
		cfg := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "web", TOML: tmpl("one")}))
		f := newFleet(t, d, owner, cfg.ID, 2)
		for _, via := range []string{"config", "group"} {
			if via == "group" {
				other := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "base", TOML: otherTOML}))
				g := must[tc.ConfigGroup](t)(owner.CreateGroup(bg, tc.GroupRequest{Name: "grp", Members: []string{cfg.ID, other.ID}}))
				f.path = "/api/config-groups/" + g.ID + "/toml"
			}
			for _, a := range f.ids {
				f.fetch(a)
				f.beat(a, "OK")
			}
			f.flush()
			r := must[tc.Rollout](t)(owner.StartRollout(bg, tc.StartRolloutRequest{Config: cfg.ID, TOML: ptr(tmpl("two")),
				Stages: []tc.RolloutStage{{Agents: []string{f.ids[0]}}, {Percent: 100}}}))
			before := map[string][2]string{}
			for _, a := range f.ids {
				b, lm := f.fetch(a)
				before[a] = [2]string{b, lm}
			}
			value := "two-" + via
			must[tc.Constant](t)(owner.SetConstant(bg, "site", value))
			for _, a := range f.ids {
				b, lm := f.fetch(a)
				if !strings.Contains(b, "# site "+value) {
					t.Fatalf("%s %s: the constant did not change:\n%s", via, a, b)
				}
				if !later(t, lm, before[a][1]) {
					t.Errorf("%s %s: the constant changed, Last-Modified went from %s to %s", via, a, before[a][1], lm)
				}
			}
			must[tc.Rollout](t)(owner.RolloutAction(bg, r.ID, "abort", ""))
		}
	})
}

package e2e

import (
	"strings"
	"testing"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// A config deleted (force) while it is rolled out through a group: the
// group's agents get the group without it, forward; the rollout ends
// (aborted, saying why) instead of staying active for a config that no
// longer exists; and the gates of other rollouts are still evaluated.
func TestRolloutOfDeletedMember(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN, fastRollouts)
		owner := d.Setup(t)
		a := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "a", TOML: rolloutTOML("a1")}))
		base := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "base", TOML: otherTOML}))
		g := must[tc.ConfigGroup](t)(owner.CreateGroup(bg, tc.GroupRequest{Name: "grp", Members: []string{a.ID, base.ID}}))
		b := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "b", TOML: rolloutTOML("b1")}))
		fa := newFleet(t, d, owner, a.ID, 2)
		fa.path = "/api/config-groups/" + g.ID + "/toml"
		fb := newFleet(t, d, owner, b.ID, 1)
		fb.ids = []string{"b-agent"}
		for _, id := range fa.ids {
			fa.fetch(id)
			fa.beat(id, "OK")
		}
		fb.fetch("b-agent")
		fb.beat("b-agent", "OK")
		fa.flush()
		zero := 0
		ra := must[tc.Rollout](t)(owner.StartRollout(bg, tc.StartRolloutRequest{Config: a.ID, TOML: ptr(rolloutTOML("a2")), Heartbeats: &zero,
			Stages: []tc.RolloutStage{{Agents: []string{fa.ids[0]}}, {Percent: 100}}}))
		rb := must[tc.Rollout](t)(owner.StartRollout(bg, tc.StartRolloutRequest{Config: b.ID, TOML: ptr(rolloutTOML("b2")), Heartbeats: &zero,
			Stages: []tc.RolloutStage{{Agents: []string{"b-agent"}}, {Percent: 100}}}))
		_, lm0 := fa.fetch(fa.ids[0])
		must[struct{}](t)(struct{}{}, owner.DeleteConfig(bg, a.ID, true))
		if id := d.Rollouts().Active(a.ID); id != "" {
			t.Errorf("the serving path still holds the deleted config's rollout %s", id)
		}
		body, lm1 := fa.fetch(fa.ids[0])
		if strings.Contains(body, "release a") || !later(t, lm1, lm0) {
			t.Errorf("group after its member's deletion: Last-Modified %s (was %s):\n%s", lm1, lm0, body)
		}
		fb.fetch("b-agent")
		fb.flush()
		for i := 0; i < 3; i++ {
			if err := d.Rollouts().Evaluate(bg); err != nil {
				t.Errorf("evaluate: %v", err)
			}
		}
		if r := must[tc.Rollout](t)(owner.GetRollout(bg, rb.ID)); r.Stage != 1 && r.State != tc.RolloutCompleted {
			t.Errorf("b's rollout did not move past its first stage: stage %d %s (%s)", r.Stage, r.State, r.Reason)
		}
		r, err := owner.GetRollout(bg, ra.ID)
		if err != nil {
			t.Fatalf("the deleted config's rollout: %v", err)
		}
		if r.State != tc.RolloutAborted || !strings.Contains(r.Reason, "deleted") {
			t.Errorf("the deleted config's rollout is %s (%q), want aborted saying why", r.State, r.Reason)
		}
	})
}

package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// Two member configs of one group rolled out at once: an agent on the
// group that joins the stage of the older rollout while it gets the new
// version of the younger one is rendered differently (both new sections)
// under the same Last-Modified (the newest of the two rollouts'), so
// Telegraf never reloads, never fetches it, and the older rollout's gate
// never passes. tcd refuses (or queues) a rollout of a config that shares
// a group with a config being rolled out.
func TestGroupSiblingRolloutsDoNotOverlap(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN, fastRollouts)
		owner := d.Setup(t)
		a := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "a", TOML: rolloutTOML("a1")}))
		b := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "b", TOML: "# b release b1\n[[inputs.cpu]]\n"}))
		g := must[tc.ConfigGroup](t)(owner.CreateGroup(bg, tc.GroupRequest{Name: "both", Members: []string{a.ID, b.ID}}))
		f := newFleet(t, d, owner, a.ID, 2)
		f.path = "/api/config-groups/" + g.ID + "/toml"
		for _, id := range f.ids {
			f.fetch(id)
			f.beat(id, "OK")
		}
		f.flush()
		x, y := f.ids[0], f.ids[1]
		one := 1
		// b first: y in its first stage.
		bTwo := "# b release b2\n[[inputs.cpu]]\n"
		rb := must[tc.Rollout](t)(owner.StartRollout(bg, tc.StartRolloutRequest{Config: b.ID, TOML: &bTwo, Heartbeats: &one,
			Stages: []tc.RolloutStage{{Agents: []string{y}}, {Percent: 100}}}))
		d.Clock.Advance(5 * time.Second)
		aTwo := rolloutTOML("a2")
		req := tc.StartRolloutRequest{Config: a.ID, TOML: &aTwo, Heartbeats: &one, Stages: []tc.RolloutStage{{Agents: []string{x}}, {Percent: 100}}}
		_, err := owner.StartRollout(bg, req)
		if err == nil {
			// What overlapping rollouts do to x: a2 (a's stage), then
			// b2 as well (b's next stage) under the same Last-Modified.
			body, lm1 := f.fetch(x)
			if !strings.Contains(body, "release a2") {
				t.Fatalf("x did not get a2:\n%s", body)
			}
			_, _ = f.fetch(y)
			f.flush()
			f.beat(y, "OK")
			must[struct{}](t)(struct{}{}, d.Rollouts().Evaluate(bg))
			if r := must[tc.Rollout](t)(owner.GetRollout(bg, rb.ID)); r.Stage != 1 {
				t.Fatalf("b did not advance: %+v", r)
			}
			body, lm2 := f.fetch(x)
			if strings.Contains(body, "b2") && lm1 == lm2 {
				t.Fatalf("x's rendering changed (b2 joined) but its Last-Modified stayed %s: Telegraf never reloads", lm1)
			}
			t.Fatalf("a rollout of a config sharing a group with a config being rolled out was accepted")
		}
		wantCode(t, err, tc.EConflict, 409)
		for _, want := range []string{`"both"`, `"b"`, "queue"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("refusal lacks %s: %v", want, err)
			}
		}
		// Queued, it starts when b's rollout ends.
		req.Queue = true
		ra := must[tc.Rollout](t)(owner.StartRollout(bg, req))
		if ra.State != tc.RolloutQueued {
			t.Fatalf("queued rollout of a: %s", ra.State)
		}
		must[struct{}](t)(struct{}{}, d.Rollouts().Evaluate(bg))
		if r := must[tc.Rollout](t)(owner.GetRollout(bg, ra.ID)); r.State != tc.RolloutQueued {
			t.Fatalf("a's rollout started while b's runs: %s", r.State)
		}
		must[tc.Rollout](t)(owner.RolloutAction(bg, rb.ID, "abort", ""))
		if r := must[tc.Rollout](t)(owner.GetRollout(bg, ra.ID)); r.State != tc.RolloutRunning {
			t.Fatalf("a's queued rollout did not start after b's abort: %s (%s)", r.State, r.Reason)
		}
	})
}

// A rollout queued behind a running one stays queued at every gate
// evaluation, and nothing claims it started: no rollout.start audit entry
// and no start transition until it does.
func TestQueuedRolloutEvaluationsClaimNoStart(t *testing.T) {
	d := testutil.StartTCD(t, testutil.SQLiteDSN(t), fastRollouts)
	owner := d.Setup(t)
	cfg := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "q", TOML: rolloutTOML("one")}))
	must[tc.Rollout](t)(owner.StartRollout(bg, tc.StartRolloutRequest{Config: cfg.ID, TOML: ptr(rolloutTOML("two"))}))
	q := must[tc.Rollout](t)(owner.StartRollout(bg, tc.StartRolloutRequest{Config: cfg.ID, TOML: ptr(rolloutTOML("three")), Queue: true}))
	if q.State != tc.RolloutQueued {
		t.Fatalf("second rollout: %s", q.State)
	}
	for i := 0; i < 3; i++ {
		must[struct{}](t)(struct{}{}, d.Rollouts().Evaluate(bg))
	}
	if r := must[tc.Rollout](t)(owner.GetRollout(bg, q.ID)); r.State != tc.RolloutQueued {
		t.Fatalf("queued rollout: %s", r.State)
	}
	audit := must[tc.List[tc.AuditEntry]](t)(owner.ListAudit(bg, client.AuditFilter{Action: "rollout.start"}))
	if audit.Total != 0 {
		t.Errorf("%d rollout.start audit entries for a rollout that is still queued: %+v", audit.Total, audit.Items)
	}
}

// Nor can a group edit bring two configs being rolled out together.
func TestGroupEditRefusesTwoRollouts(t *testing.T) {
	d := testutil.StartTCD(t, testutil.SQLiteDSN(t), fastRollouts)
	owner := d.Setup(t)
	a := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "a", TOML: rolloutTOML("a1")}))
	b := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "b", TOML: "# b1\n[[inputs.cpu]]\n"}))
	g := must[tc.ConfigGroup](t)(owner.CreateGroup(bg, tc.GroupRequest{Name: "ga", Members: []string{a.ID}}))
	must[tc.Rollout](t)(owner.StartRollout(bg, tc.StartRolloutRequest{Config: a.ID, TOML: ptr(rolloutTOML("a2"))}))
	must[tc.Rollout](t)(owner.StartRollout(bg, tc.StartRolloutRequest{Config: b.ID, TOML: ptr("# b2\n[[inputs.cpu]]\n")}))
	_, err := owner.UpdateGroup(bg, g.ID, tc.UpdateGroupRequest{Members: &[]string{a.ID, b.ID}})
	wantCode(t, err, tc.EConflict, 409)
	_, err = owner.CreateGroup(bg, tc.GroupRequest{Name: "both", Members: []string{a.ID, b.ID}})
	wantCode(t, err, tc.EConflict, 409)
	if err != nil && !strings.Contains(err.Error(), "one rollout per group") {
		t.Errorf("refusal does not say why: %v", err)
	}
	// One of them aborted: the group may hold both.
	must[tc.Rollout](t)(owner.RolloutAction(bg, b.ID, "abort", ""))
	must[tc.ConfigGroup](t)(owner.UpdateGroup(bg, g.ID, tc.UpdateGroupRequest{Members: &[]string{a.ID, b.ID}}))
}

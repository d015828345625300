package rollouts_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/opentc/tc/internal/configs"
	"github.com/opentc/tc/internal/rollouts"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// Pruning a config's versions keeps the versions its queued, running or
// paused rollouts move from or to (before, `tcctl config prune` deleted
// them, and the rollout could neither complete nor roll back), says which
// it kept, and deletes them once the rollouts have ended.
func TestPruneKeepsRolloutVersions(t *testing.T) {
	for _, e := range testutil.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			st := migratedStore(t, e.DSN)
			cfg := configs.New(st, configs.Options{})
			svc := rollouts.New(st, cfg, rollouts.Options{})
			c, err := cfg.CreateConfig(ctx, "root", tc.CreateConfigRequest{Name: "web", TOML: "# v1\n[[inputs.mem]]\n"})
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range []string{"v2", "v3", "v4", "v5"} {
				if _, err := cfg.UpdateConfig(ctx, "root", c.ID, tc.UpdateConfigRequest{TOML: ptr("# " + v + "\n[[inputs.mem]]\n")}); err != nil {
					t.Fatal(err)
				}
			}
			// Back to version 2 (from 5), in a stage no agent passes yet.
			ro, err := svc.Start(ctx, "root", tc.StartRolloutRequest{Config: c.ID, To: 2, Stages: []tc.RolloutStage{{Agents: []string{"a1"}}, {Percent: 100}}})
			if err != nil {
				t.Fatal(err)
			}
			res, err := cfg.Prune(ctx, c.ID, 5)
			if err != nil {
				t.Fatal(err)
			}
			if res.Deleted != 3 || !reflect.DeepEqual(res.Kept, []int{2}) {
				t.Fatalf("prune during the rollout: %+v, want 1, 3 and 4 deleted, 2 kept", res)
			}
			if _, err := cfg.Version(ctx, c.ID, 2); err != nil {
				t.Fatalf("the rollout's version went: %v", err)
			}
			if _, err := svc.Pause(ctx, "root", ro.ID, "test"); err != nil {
				t.Fatal(err)
			}
			if res, err := cfg.Prune(ctx, c.ID, 5); err != nil || res.Deleted != 0 || !reflect.DeepEqual(res.Kept, []int{2}) {
				t.Fatalf("prune of a paused rollout's config: %+v %v", res, err)
			}
			if _, err := svc.Abort(ctx, "root", ro.ID, "test"); err != nil {
				t.Fatal(err)
			}
			if res, err := cfg.Prune(ctx, c.ID, 5); err != nil || res.Deleted != 1 || res.Kept != nil {
				t.Fatalf("prune after the abort: %+v %v, want version 2 deleted", res, err)
			}
		})
	}
}

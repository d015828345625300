package rollouts_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opentc/tc/internal/configs"
	"github.com/opentc/tc/internal/rollouts"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// syncBuffer is a log destination the test reads while tcd code writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// One rollout whose evaluation fails holds up no other: in the same round
// the others' gates are evaluated and acted on, queued rollouts freed by
// them start, the failure is logged with its rollout, and Evaluate returns
// it. The failing rollout is the newest, evaluated first: it goes back to
// a version deleted meanwhile behind tcd's back, so completing it cannot
// read the version.
func TestEvaluateOneFailureHoldsUpNoOther(t *testing.T) {
	for _, e := range testutil.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			st := migratedStore(t, e.DSN)
			var (
				mu  sync.Mutex
				now = time.Unix(1_800_000_000, 0)
			)
			clock := func() time.Time {
				mu.Lock()
				defer mu.Unlock()
				return now
			}
			tick := func() {
				mu.Lock()
				now = now.Add(time.Second)
				mu.Unlock()
			}
			var logs syncBuffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			cfg := configs.New(st, configs.Options{Now: clock, Logger: log})
			svc := rollouts.New(st, cfg, rollouts.Options{Now: clock, Logger: log})
			ids := map[string]string{}
			for _, name := range []string{"healthy", "queued", "broken"} {
				c, err := cfg.CreateConfig(ctx, "root", tc.CreateConfigRequest{Name: name, TOML: "# " + name + " one\n[[inputs.mem]]\n"})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := cfg.UpdateConfig(ctx, "root", c.ID, tc.UpdateConfigRequest{TOML: ptr("# " + name + " two\n[[inputs.mem]]\n")}); err != nil {
					t.Fatal(err)
				}
				ids[name] = c.ID
			}
			// queued shares a group with healthy: it waits for healthy's rollout.
			if _, err := cfg.CreateGroup(ctx, tc.GroupRequest{Name: "grp", Members: []string{ids["healthy"], ids["queued"]}}); err != nil {
				t.Fatal(err)
			}
			start := func(name string, queue bool) tc.Rollout {
				t.Helper()
				tick()
				ro, err := svc.Start(ctx, "root", tc.StartRolloutRequest{Config: ids[name], To: 1, Queue: queue, Stages: []tc.RolloutStage{{Percent: 100}}})
				if err != nil {
					t.Fatal(err)
				}
				return ro
			}
			healthy, queued, broken := start("healthy", false), start("queued", true), start("broken", false)
			if healthy.State != tc.RolloutRunning || queued.State != tc.RolloutQueued || broken.State != tc.RolloutRunning {
				t.Fatalf("states before: %s %s %s", healthy.State, queued.State, broken.State)
			}
			// Prune keeps versions of active rollouts (TestPruneKeepsRolloutVersions):
			// the version is lost as to a manual edit or a partial restore.
			if err := st.Gorm(ctx).Exec("DELETE FROM config_versions WHERE config_id = ? AND version = 1", ids["broken"]).Error; err != nil {
				t.Fatal(err)
			}
			tick()

			err := svc.Evaluate(ctx)
			if err == nil || !strings.Contains(err.Error(), broken.ID) {
				t.Errorf("Evaluate: %v, want the failure of rollout %s", err, broken.ID)
			}
			state := func(id string) string {
				t.Helper()
				ro, err := svc.Get(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				return ro.State
			}
			if got := state(healthy.ID); got != tc.RolloutCompleted {
				t.Errorf("the healthy rollout, its gate passed: %s, want completed (held up by the broken one)", got)
			}
			if got := state(queued.ID); got != tc.RolloutRunning {
				t.Errorf("the rollout queued behind the healthy one: %s, want running", got)
			}
			if got := state(broken.ID); got != tc.RolloutRunning {
				t.Errorf("the broken rollout: %s, want still running", got)
			}
			if !strings.Contains(logs.String(), "rollout="+broken.ID) {
				t.Errorf("the failure is not logged with its rollout:\n%s", logs.String())
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

package rollouts_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/opentc/tc/internal/configs"
	"github.com/opentc/tc/internal/rollouts"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// fleetWithRollout builds n agents that report a config, each served its
// new version, and a running rollout whose one stage holds all of them
// (a gate that never passes: every evaluation reads the whole stage).
func fleetWithRollout(tb testing.TB, dsn string, n int) *rollouts.Service {
	ctx := context.Background()
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	if err := st.EnsureDefaultRule(ctx); err != nil {
		tb.Fatal(err)
	}
	cs := configs.New(st, configs.Options{})
	cfg, err := cs.CreateConfig(ctx, "bench", tc.CreateConfigRequest{Name: "bench", TOML: "[[inputs.cpu]]\n"})
	if err != nil {
		tb.Fatal(err)
	}
	if _, _, err := cs.AddVersion(ctx, "bench", cfg.ID, "[[inputs.mem]]\n", ""); err != nil {
		tb.Fatal(err)
	}
	now := time.Now()
	confs := fmt.Sprintf(`[{"url":"http://127.0.0.1:8888/api/configs/%s/toml","configId":%q,"managed":true}]`, cfg.ID, cfg.ID)
	const batch = 2000
	for i := 0; i < n; i += batch {
		var rows []store.HeartbeatRow
		var recs []store.ServedRecord
		for j := i; j < min(i+batch, n); j++ {
			id := fmt.Sprintf("bench-%07d", j)
			rows = append(rows, store.HeartbeatRow{AgentID: id, Hostname: "h", Version: "Telegraf 1.39.3", VersionNumber: "1.39.3",
				Status: tc.StatusOK, AtMs: now.UnixMilli(), Configurations: &confs})
			recs = append(recs, store.ServedRecord{AgentID: id, TargetID: cfg.ID, Kind: "config", Version: 2, ETag: `"x"`,
				LastModified: now.Unix() + 3600, FetchedMs: now.UnixMilli(), PolledMs: now.UnixMilli()})
		}
		if err := st.WriteHeartbeats(ctx, rows); err != nil {
			tb.Fatal(err)
		}
		if err := st.RecordServed(ctx, recs); err != nil {
			tb.Fatal(err)
		}
	}
	svc := rollouts.New(st, cs, rollouts.Options{})
	k := 1000
	r, err := svc.Start(ctx, "bench", tc.StartRolloutRequest{Config: cfg.ID, To: 2, Heartbeats: &k, Timeout: "1h", Stages: []tc.RolloutStage{{Percent: 100}}})
	if err != nil {
		tb.Fatal(err)
	}
	if r.Stages[0].Agents != n || r.Stages[0].Fetched != n {
		tb.Fatalf("stage: %+v", r.Stages[0])
	}
	return svc
}

// BenchmarkGateEvaluation is one evaluation of a running rollout whose
// stage holds 100,000 agents (TC_BENCH_AGENTS to change): members, served
// records and agents' health read and joined. Target: at most 1 s.
func BenchmarkGateEvaluation(b *testing.B) {
	n := 100_000
	if v, _ := strconv.Atoi(os.Getenv("TC_BENCH_AGENTS")); v > 0 {
		n = v
	}
	for _, e := range testutil.Engines(b) {
		svc := fleetWithRollout(b, e.DSN, n) // once: b.Run calls the function again per b.N
		b.Run(e.Name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if err := svc.Evaluate(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestGateEvaluationScale keeps the evaluation linear: a gate over 5,000
// agents (a fraction of the benchmark's fleet) stays well under a second.
func TestGateEvaluationScale(t *testing.T) {
	for _, e := range testutil.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			svc := fleetWithRollout(t, e.DSN, 5000)
			start := time.Now()
			if err := svc.Evaluate(context.Background()); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("a gate over 5,000 agents took %s", d)
			}
		})
	}
}

// BenchmarkStateCounts derives the config state of 100,000 agents (the
// tc_agents_config_state metric and agent list --config-state), with a
// rollout of their config in progress.
func BenchmarkStateCounts(b *testing.B) {
	n := 100_000
	if v, _ := strconv.Atoi(os.Getenv("TC_BENCH_AGENTS")); v > 0 {
		n = v
	}
	for _, e := range testutil.Engines(b) {
		svc := fleetWithRollout(b, e.DSN, n)
		b.Run(e.Name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				c, err := svc.StateCounts(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				if c[tc.ConfigStateCurrent] != n {
					b.Fatalf("counts %v", c)
				}
			}
		})
	}
}

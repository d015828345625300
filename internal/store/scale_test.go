package store_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// TestSchedulerTickAtScale measures the scheduler's transaction over a
// large fleet (docs/performance.md). It runs only when TC_SCALE_AGENTS
// names the fleet size, e.g. TC_SCALE_AGENTS=1000000.
func TestSchedulerTickAtScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("TC_SCALE_AGENTS"))
	if n <= 0 {
		t.Skip("set TC_SCALE_AGENTS to run")
	}
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		ctx := context.Background()
		s := open(t, e.DSN)
		if err := s.EnsureDefaultRule(ctx); err != nil {
			t.Fatal(err)
		}
		now := time.Now().Truncate(time.Minute) // a record's minute starts with its first heartbeat
		t0 := time.Now()
		// Two heartbeats per agent, 24 h apart: two history buckets, the
		// older one about to expire (over the next hour: each agent's
		// buckets start at an offset of its own).
		for round := 0; round < 2; round++ {
			at := now.Add(time.Duration(round-1) * 24 * time.Hour).UnixMilli()
			rows := make([]store.HeartbeatRow, 0, 1000)
			for i := 0; i < n; i++ {
				rows = append(rows, benchRow(i, at, uint64(round+1)))
				if len(rows) == cap(rows) || i == n-1 {
					if err := s.WriteHeartbeats(ctx, rows); err != nil {
						t.Fatal(err)
					}
					rows = rows[:0]
				}
			}
		}
		t.Logf("%s: seeded %d agents (2 heartbeats each) in %s", e.Name, n, time.Since(t0).Round(time.Millisecond))
		tick := func(label string, since, at time.Time) store.TickResult {
			t.Helper()
			start := time.Now()
			res, err := s.SchedulerTick(ctx, since.UnixMilli(), at.UnixMilli(), at.Add(-24*time.Hour).UnixMilli())
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: tick %-40s %8s  %+v", e.Name, label, time.Since(start).Round(time.Millisecond), res)
			return res
		}
		// Reads that derive not_reporting over the whole fleet (the metrics
		// scrape, the status filter, the summary) — measured, logged.
		start := time.Now()
		if _, err := s.AgentStatusCounts(ctx); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: status counts over the fleet %s", e.Name, time.Since(start).Round(time.Millisecond))
		start = time.Now()
		if _, _, err := s.ListAgents(ctx, store.AgentFilter{Status: "not_reporting", Page: tc.Page{Limit: 50}}); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: list ?status=not_reporting %s", e.Name, time.Since(start).Round(time.Millisecond))
		tick("steady (nothing to change)", now.Add(-time.Minute), now)
		// Steady state: every minute the buckets of about 1/60 of the fleet
		// expire. An hour of one-minute ticks prunes every old bucket.
		var pruned int64
		var slowest, total time.Duration
		for k := 1; k <= 60; k++ {
			at := now.Add(time.Duration(k) * time.Minute)
			start := time.Now()
			res, err := s.SchedulerTick(ctx, at.Add(-time.Minute).UnixMilli(), at.UnixMilli(), at.Add(-24*time.Hour).UnixMilli())
			if err != nil {
				t.Fatal(err)
			}
			d := time.Since(start)
			total += d
			slowest = max(slowest, d)
			pruned += res.Pruned
		}
		t.Logf("%s: 60 one-minute ticks pruning history: slowest %s, mean %s, %d records pruned",
			e.Name, slowest.Round(time.Millisecond), (total / 60).Round(time.Millisecond), pruned)
		if pruned != int64(n) {
			t.Fatalf("an hour of ticks pruned %d records of %d expired", pruned, n)
		}
		if res := tick("every agent goes not_reporting", now, now.Add(time.Hour)); res.NotReporting != int64(n) {
			t.Fatalf("not_reporting %d of %d", res.NotReporting, n)
		}
		tick("again (nothing to change)", now.Add(time.Hour), now.Add(time.Hour+time.Minute))
		// The worst case left: an auto-delete threshold that the whole fleet
		// passed at once (measured, not a target of its own).
		def, err := s.DefaultRule(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.UpdateRule(ctx, def.ID, map[string]any{"auto_delete_after": int64(3600)}); err != nil {
			t.Fatal(err)
		}
		if res := tick("every agent auto-deleted", now.Add(25*time.Hour), now.Add(26*time.Hour)); res.Deleted != int64(n) {
			t.Fatalf("deleted %d of %d", res.Deleted, n)
		}
	})
}

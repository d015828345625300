package store_test

import (
	"context"
	"testing"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// TestHeartbeatMergesIntoAgent pins down what each heartbeat changes in its
// agent's row, on the path that creates an agent and on the one that updates
// it (SQLite has a statement for each): fields a heartbeat leaves out keep
// their stored values, the rest are replaced, last_seen never goes back and
// every heartbeat is counted. Also within one batch, where PostgreSQL
// applies an agent's heartbeats in separate rounds.
func TestHeartbeatMergesIntoAgent(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		ctx := context.Background()
		s := open(t, e.DSN)
		if err := s.EnsureDefaultRule(ctx); err != nil {
			t.Fatal(err)
		}
		ptr := func(v int64) *int64 { return &v }
		str := func(v string) *string { return &v }
		full := store.HeartbeatRow{AgentID: "merge-1", Hostname: "h1", IP: "10.0.0.1", Version: "Telegraf 1.39.3",
			VersionNumber: "1.39.3", Status: tc.StatusOK, AtMs: 10_000, HasLast: true, LastSuccessMs: ptr(9_000),
			Configurations: str(`["a"]`), Stats: &tc.Statistics{Errors: 1, Warnings: 2, Metrics: 3},
			Logs: str("log one"), LogsReported: 4}
		// Everything optional left out, an older timestamp (a late retry).
		sparse := store.HeartbeatRow{AgentID: "merge-1", IP: "10.0.0.2", Version: "Telegraf 1.40.0",
			VersionNumber: "1.40.0", Status: tc.StatusWarn, AtMs: 5_000}
		newer := store.HeartbeatRow{AgentID: "merge-1", Hostname: "h2", IP: "10.0.0.3", Version: "Telegraf 1.40.1",
			VersionNumber: "1.40.1", Status: tc.StatusOK, AtMs: 20_000, HasLast: true, LastSuccessMs: ptr(19_000),
			Configurations: str(`["b"]`), Stats: &tc.Statistics{Errors: 5, Warnings: 6, Metrics: 7},
			Logs: str("log two"), LogsReported: 8}

		check := func(step string, want store.Agent) {
			t.Helper()
			got, err := s.AgentByID(ctx, "merge-1")
			if err != nil {
				t.Fatalf("%s: %v", step, err)
			}
			if got.Hostname != want.Hostname || got.IP != want.IP || got.Version != want.Version ||
				got.VersionNumber != want.VersionNumber || got.ReportedStatus != want.ReportedStatus ||
				got.LastSeenMs != want.LastSeenMs || got.CreatedMs != want.CreatedMs ||
				deref(got.LastSuccessMs) != deref(want.LastSuccessMs) || got.Configurations != want.Configurations ||
				got.HasStats != want.HasStats || got.Errors != want.Errors || got.Warnings != want.Warnings ||
				got.Metrics != want.Metrics || got.Heartbeats != want.Heartbeats ||
				derefS(got.Logs) != derefS(want.Logs) || deref(got.LogsMs) != deref(want.LogsMs) ||
				got.LogsReported != want.LogsReported {
				t.Fatalf("%s:\n got  %+v\n want %+v", step, *got, want)
			}
		}
		afterFull := store.Agent{Hostname: "h1", IP: "10.0.0.1", Version: "Telegraf 1.39.3", VersionNumber: "1.39.3",
			ReportedStatus: tc.StatusOK, LastSeenMs: 10_000, CreatedMs: 10_000, LastSuccessMs: ptr(9_000),
			Configurations: `["a"]`, HasStats: true, Errors: 1, Warnings: 2, Metrics: 3, Heartbeats: 1,
			Logs: str("log one"), LogsMs: ptr(10_000), LogsReported: 4}
		afterSparse := afterFull
		afterSparse.IP, afterSparse.Version, afterSparse.VersionNumber = "10.0.0.2", "Telegraf 1.40.0", "1.40.0"
		afterSparse.ReportedStatus, afterSparse.Heartbeats = tc.StatusWarn, 2
		afterNewer := store.Agent{Hostname: "h2", IP: "10.0.0.3", Version: "Telegraf 1.40.1", VersionNumber: "1.40.1",
			ReportedStatus: tc.StatusOK, LastSeenMs: 20_000, CreatedMs: 10_000, LastSuccessMs: ptr(19_000),
			Configurations: `["b"]`, HasStats: true, Errors: 5, Warnings: 6, Metrics: 7, Heartbeats: 3,
			Logs: str("log two"), LogsMs: ptr(20_000), LogsReported: 8}

		// One heartbeat per transaction: create, then update.
		for _, step := range []struct {
			name string
			row  store.HeartbeatRow
			want store.Agent
		}{{"first heartbeat", full, afterFull}, {"sparse heartbeat", sparse, afterSparse}, {"newer heartbeat", newer, afterNewer}} {
			if err := s.WriteHeartbeats(ctx, []store.HeartbeatRow{step.row}); err != nil {
				t.Fatal(err)
			}
			check(step.name, step.want)
		}

		// The same three in one batch for a new agent: the same result.
		if _, err := s.DeleteAgents(ctx, []string{"merge-1"}); err != nil {
			t.Fatal(err)
		}
		if err := s.WriteHeartbeats(ctx, []store.HeartbeatRow{full, sparse, newer}); err != nil {
			t.Fatal(err)
		}
		check("one batch", afterNewer)
	})
}

func deref(p *int64) int64 {
	if p == nil {
		return -1
	}
	return *p
}

func derefS(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// openAt opens a store migrated to version, with the default rule.
func openAt(t *testing.T, dsn string, version int) *store.Store {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.MigrateTo(ctx, version); err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureDefaultRule(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

func historyRow(id string, atMs int64, metrics uint64) store.HeartbeatRow {
	return store.HeartbeatRow{AgentID: id, Status: tc.StatusOK, AtMs: atMs, Stats: &tc.Statistics{Metrics: metrics}}
}

// Over 26 hours of heartbeats every 30 s, an agent keeps one record a
// minute — the sums of that minute's two heartbeats — in hourly buckets;
// ticks prune the buckets that expired whole and count their records; reads
// return exactly the last 24 h, and nothing an agent sent is lost.
func TestHistoryBucketsWritePruneRead(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		ctx := context.Background()
		s := openAt(t, e.DSN, store.LatestSchemaVersion())
		min := time.Minute.Milliseconds()
		t0 := int64(1_763_800_020_000) // 08:27:00 UTC
		var rows []store.HeartbeatRow
		n := 0
		for at := t0; at < t0+26*60*min; at += min / 2 {
			n++
			rows = append(rows, historyRow("a", at, uint64(n)), historyRow("b", at, uint64(n)))
			if len(rows) == 200 {
				if err := s.WriteHeartbeats(ctx, rows); err != nil {
					t.Fatal(err)
				}
				rows = rows[:0]
			}
		}
		if err := s.WriteHeartbeats(ctx, rows); err != nil {
			t.Fatal(err)
		}
		now := t0 + 26*60*min
		count := func(id string) (buckets, records int64) {
			var r struct{ B, R int64 }
			if err := s.Gorm(ctx).Raw(`SELECT COUNT(*) AS b, COALESCE(SUM(records), 0) AS r FROM agent_history WHERE agent_id = ?`, id).Scan(&r).Error; err != nil {
				t.Fatal(err)
			}
			return r.B, r.R
		}
		// The newest minute is still open, in the agents row.
		if b, r := count("a"); r != 26*60-1 || b < 26 || b > 27 {
			t.Fatalf("before pruning: %d buckets, %d records; want 1,559 records (one a minute) in 26-27 buckets", b, r)
		}
		all, err := s.AgentHeartbeats(ctx, "a", 0, now, 0, 5000)
		if err != nil {
			t.Fatal(err)
		}
		var sum, beats uint64
		for _, r := range all {
			sum += r.Metrics
			beats += uint64(r.Heartbeats)
			if r.Heartbeats != 2 || r.End.Sub(r.Start) != time.Minute || r.Start.UnixMilli()%min != 0 {
				t.Fatalf("record %+v: want 2 heartbeats in one whole minute", r)
			}
		}
		if len(all) != 26*60 || sum != uint64(n*(n+1)/2) || beats != uint64(n) {
			t.Fatalf("%d records summing %d metrics of %d heartbeats; sent %d over %d heartbeats", len(all), sum, beats, n*(n+1)/2, n)
		}
		res, err := s.SchedulerTick(ctx, now, now, now-24*60*60*1000)
		if err != nil {
			t.Fatal(err)
		}
		b, r := count("a")
		if b > 26 || r < 24*60-1 || r > 25*60 {
			t.Fatalf("after pruning: %d buckets, %d records", b, r)
		}
		_, rb := count("b")
		if lost := 2*(26*60-1) - r - rb; res.Pruned != lost {
			t.Fatalf("pruned %d records, the table lost %d", res.Pruned, lost)
		}
		got, err := s.AgentHeartbeats(ctx, "a", 0, now, now-24*60*60*1000, 5000)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 24*60 || got[0].Start.UnixMilli() < now-24*60*min || got[len(got)-1].Metrics != uint64(2*n-1) { // the open minute: n-1 and n
			t.Fatalf("read %d records, first %v, last %+v", len(got), got[0].Start, got[len(got)-1])
		}
		// Silent for two days: every bucket is pruned, and the read shows
		// only the newest record, the open one.
		later := now + 48*60*min
		if _, err := s.SchedulerTick(ctx, later, later, later-24*60*60*1000); err != nil {
			t.Fatal(err)
		}
		if b, _ := count("a"); b != 0 {
			t.Fatalf("%d buckets left of a silent agent", b)
		}
		got, err = s.AgentHeartbeats(ctx, "a", 0, later, later-24*60*60*1000, 0)
		if err != nil || len(got) != 1 || got[0].Metrics != uint64(2*n-1) {
			t.Fatalf("silent agent's history: %+v %v", got, err)
		}
		// Deleting the agent deletes its history.
		if _, err := s.DeleteAgents(ctx, []string{"b"}); err != nil {
			t.Fatal(err)
		}
		if b, _ := count("b"); b != 0 {
			t.Fatalf("%d buckets of a deleted agent", b)
		}
	})
}

// Migration 8 moves agent_heartbeats' records into buckets.
func TestMigrationMovesHistoryIntoBuckets(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		ctx := context.Background()
		s := openAt(t, e.DSN, 7)
		t0 := int64(1_763_800_000_000) // 08:26:40 UTC
		for _, stmt := range []string{
			`INSERT INTO agents (id, status, reported_status, last_seen_ms, created_ms, reporting_rule_id)
				SELECT 'old', 'ok', 'ok', 0, 0, id FROM reporting_rules WHERE is_default`,
			fmt.Sprintf(`INSERT INTO agent_heartbeats (agent_id, at_ms, errors, warnings, metrics) VALUES
				('old', %d, 0, 1, 10), ('old', %d, 2, 0, 11), ('old', %d, 0, 0, 12)`, t0, t0+60_000, t0+3_600_000),
		} {
			if err := s.Gorm(ctx).Exec(stmt).Error; err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := s.AgentHeartbeats(ctx, "old", 0, t0+10*3_600_000, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		rec := func(at int64, st tc.Statistics) tc.HeartbeatRecord {
			t := time.UnixMilli(at).UTC()
			return tc.HeartbeatRecord{Time: t, Start: t, End: t, Heartbeats: 1, Statistics: st}
		}
		want := fmt.Sprint([]tc.HeartbeatRecord{
			rec(t0, tc.Statistics{Warnings: 1, Metrics: 10}),
			rec(t0+60_000, tc.Statistics{Errors: 2, Metrics: 11}),
			rec(t0+3_600_000, tc.Statistics{Metrics: 12}),
		})
		if fmt.Sprint(got) != want {
			t.Fatalf("migrated history %v, want %v", got, want)
		}
		var buckets int64
		s.Gorm(ctx).Raw(`SELECT COUNT(*) FROM agent_history`).Scan(&buckets)
		if buckets != 2 {
			t.Fatalf("%d buckets, want 2 (two clock hours)", buckets)
		}
	})
}

// Migration 15 brings values earlier versions stored out of bounds back
// within them (finding 1 of issue 17: a last success in the year 10000
// made every read of the agent fail), and an agent's history from before
// it stays readable next to the new per-minute records.
func TestMigration15BoundsAndHistory(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		ctx := context.Background()
		s := openAt(t, e.DSN, 8)
		t0 := int64(1_763_800_020_000) // a whole minute
		for _, stmt := range []string{
			`INSERT INTO agents (id, status, reported_status, last_seen_ms, created_ms, last_success_ms, reporting_rule_id, has_stats, errors, warnings, metrics, logs, logs_ms, logs_reported)
				SELECT 'far', 'ok', 'ok', 0, 0, 253402300800000, id, TRUE, -1, 9007199254740992, 5, '', 0, 3 FROM reporting_rules WHERE is_default`,
			fmt.Sprintf(`INSERT INTO agent_history (agent_id, bucket_ms, last_ms, records, samples) VALUES ('far', %d, %d, 1, '0,1,2,3;')`, t0, t0),
		} {
			if err := s.Gorm(ctx).Exec(stmt).Error; err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		a, err := s.AgentByID(ctx, "far")
		if err != nil {
			t.Fatal(err)
		}
		api := a.API()
		if api.LastSuccessAt != nil || api.Statistics.Errors != tc.MaxCounter || api.Statistics.Warnings != tc.MaxCounter || a.Logs != nil || a.LogsReported != 0 {
			t.Fatalf("after migration: %+v %+v", api, a)
		}
		if _, err := json.Marshal(api); err != nil {
			t.Fatalf("the agent cannot be encoded: %v", err)
		}
		// New heartbeats: minute records beside the old single-heartbeat one.
		var rows []store.HeartbeatRow
		for i := int64(0); i < 4; i++ {
			rows = append(rows, store.HeartbeatRow{AgentID: "far", Status: tc.StatusOK, AtMs: t0 + 60_000 + i*20_000, Stats: &tc.Statistics{Errors: 1, Metrics: 10}})
		}
		if err := s.WriteHeartbeats(ctx, rows); err != nil {
			t.Fatal(err)
		}
		got, err := s.AgentHeartbeats(ctx, "far", 0, t0+10*60_000, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || got[0].Heartbeats != 1 || got[0].Errors != 1 || got[0].Metrics != 3 ||
			got[1].Heartbeats != 3 || got[1].Errors != 3 || got[1].Metrics != 30 || got[2].Heartbeats != 1 {
			t.Fatalf("history %+v", got)
		}
	})
}

package rollouts_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/opentc/tc/internal/configs"
	"github.com/opentc/tc/internal/rollouts"
	"github.com/opentc/tc/internal/testutil"
)

// The recorder coalesces per agent and target, writes nothing until a
// flush, and does not write again what only moved a time by less than its
// granularity; a new Last-Modified (a reload) is always written.
func TestRecorderCoalescesAndSkips(t *testing.T) {
	for _, e := range testutil.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			st := migratedStore(t, e.DSN)
			clock := testutil.NewClock()
			rec := rollouts.NewRecorder(st, slog.Default(), clock.Now, time.Hour, 0)
			r := &configs.Rendered{Kind: "config", TargetID: "cfg", Version: 3, ETag: `"e"`, LastModified: time.Unix(1000, 0)}
			for i := 0; i < 100; i++ {
				rec.Served("a1", r, i%2 == 0)
				rec.Served("a2", r, false)
			}
			if rows, _ := st.ServedOf(ctx, nil); len(rows) != 0 {
				t.Fatalf("written before a flush: %d", len(rows))
			}
			if err := rec.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			rows, _ := st.ServedOf(ctx, nil)
			if len(rows) != 2 || rows[0].AgentID != "a1" || rows[0].FetchedMs == 0 || rows[1].FetchedMs != 0 || rows[1].PolledMs == 0 {
				t.Fatalf("rows: %+v", rows)
			}
			if w, _, _ := rec.Stats(); w != 2 {
				t.Fatalf("written %d, want 2", w)
			}
			clock.Advance(time.Second)
			rec.Served("a1", r, true)
			if err := rec.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			if rec.Skipped() != 1 {
				t.Errorf("a fetch 1 s later was written again (skipped %d)", rec.Skipped())
			}
			clock.Advance(time.Second)
			r2 := *r
			r2.LastModified = time.Unix(2000, 0)
			rec.Served("a1", &r2, true)
			if err := rec.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			rows, _ = st.ServedOf(ctx, []string{"a1"})
			if len(rows) != 1 || rows[0].LastModified != 2000 || rows[0].FirstMs != clock.Now().UnixMilli() {
				t.Errorf("a reload was not recorded: %+v", rows)
			}
		})
	}
}

// A write that fails leaves its records queued, as they are by then: the
// next flush writes them, with what the agent was answered last.
func TestRecorderRetriesFailedWrites(t *testing.T) {
	for _, e := range testutil.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			st := migratedStore(t, e.DSN)
			clock := testutil.NewClock()
			rec := rollouts.NewRecorder(st, slog.Default(), clock.Now, time.Hour, 0)
			r := &configs.Rendered{Kind: "config", TargetID: "cfg", Version: 3, ETag: `"e3"`, LastModified: time.Unix(1000, 0)}
			rec.Served("a1", r, true)
			rec.Served("a2", r, false)
			failed, cancel := context.WithCancel(ctx)
			cancel()
			if err := rec.Flush(failed); err == nil {
				t.Fatal("a flush with a cancelled context succeeded")
			}
			// Meanwhile a1 is answered version 4.
			r4 := &configs.Rendered{Kind: "config", TargetID: "cfg", Version: 4, ETag: `"e4"`, LastModified: time.Unix(2000, 0)}
			clock.Advance(time.Second)
			rec.Served("a1", r4, true)
			if err := rec.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			rows, err := st.ServedOf(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 2 || rows[0].AgentID != "a1" || rows[0].Version != 4 || rows[0].ETag != `"e4"` || rows[0].FetchedMs != clock.Now().UnixMilli() ||
				rows[1].AgentID != "a2" || rows[1].Version != 3 || rows[1].FetchedMs != 0 {
				t.Fatalf("rows after the retry: %+v", rows)
			}
			if w, d, _ := rec.Stats(); w != 2 || d != 0 {
				t.Fatalf("written %d dropped %d, want 2 and 0", w, d)
			}
		})
	}
}

// A steady fleet's polls queue nothing and allocate nothing: after the
// first write, polls within the granularity only move times in memory,
// and one that moves a time by the granularity is written again.
func TestRecorderSteadyPollsCostNoWrites(t *testing.T) {
	ctx := context.Background()
	e := testutil.Engines(t)[0]
	st := migratedStore(t, e.DSN)
	clock := testutil.NewClock()
	rec := rollouts.NewRecorder(st, slog.Default(), clock.Now, time.Hour, 0)
	rec.Granularity = 30 * time.Second
	r := &configs.Rendered{Kind: "config", TargetID: "cfg", Version: 1, ETag: `"e1"`, LastModified: time.Unix(1000, 0)}
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = fmt.Sprintf("agent-%04d", i)
		rec.Served(ids[i], r, true)
	}
	if err := rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Advance(10 * time.Second)
	i := 0
	if a := testing.AllocsPerRun(5000, func() { rec.Served(ids[i%len(ids)], r, false); i++ }); a != 0 {
		t.Errorf("a steady poll allocates %.1f times", a)
	}
	if err := rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if w, _, _ := rec.Stats(); w != 1000 {
		t.Errorf("steady polls were written: %d records in all, want 1000", w)
	}
	clock.Advance(21 * time.Second)
	rec.Served(ids[7], r, false)
	if err := rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	rows, _ := st.ServedOf(ctx, []string{ids[7]})
	if w, _, _ := rec.Stats(); w != 1001 || len(rows) != 1 || rows[0].PolledMs != clock.Now().UnixMilli() {
		t.Errorf("a poll 31 s after the write was not written again (written %d): %+v", w, rows)
	}
}

// A HEAD answered with another version's headers (a rollout's stage) is a
// poll of what the agent fetched: it writes no row for the version it was
// only offered, and moves the fetched row's poll time; the fetch that
// follows records the new version.
func TestRecorderPollOfOfferedVersion(t *testing.T) {
	ctx := context.Background()
	e := testutil.Engines(t)[0]
	st := migratedStore(t, e.DSN)
	clock := testutil.NewClock()
	rec := rollouts.NewRecorder(st, slog.Default(), clock.Now, time.Hour, 0)
	rec.Granularity = 30 * time.Second
	v1 := &configs.Rendered{Kind: "config", TargetID: "cfg", Version: 1, ETag: `"e1"`, LastModified: time.Unix(1000, 0)}
	v2 := &configs.Rendered{Kind: "config", TargetID: "cfg", Version: 2, ETag: `"e2"`, LastModified: time.Unix(2000, 0)}
	rec.Served("a1", v1, true)
	if err := rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		clock.Advance(time.Second)
		rec.Served("a1", v2, false)
	}
	if err := rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if w, _, _ := rec.Stats(); w != 1 {
		t.Fatalf("polls answered with version 2 were written: %d records, want 1", w)
	}
	clock.Advance(25 * time.Second)
	rec.Served("a1", v2, false)
	if err := rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	rows, _ := st.ServedOf(ctx, nil)
	if len(rows) != 1 || rows[0].Version != 1 || rows[0].PolledMs != clock.Now().UnixMilli() {
		t.Fatalf("after 35 s of polls: %+v, want only version 1's row with the last poll", rows)
	}
	clock.Advance(time.Second)
	rec.Served("a1", v2, true)
	if err := rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	rows, _ = st.ServedOf(ctx, nil)
	if len(rows) != 2 || rows[1].Version != 2 || rows[1].FetchedMs != clock.Now().UnixMilli() {
		t.Fatalf("the fetch of version 2 was not recorded: %+v", rows)
	}
}

package rollouts_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/opentc/tc/internal/configs"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
)

// The recorder coalesces per agent and target, writes nothing until a
// flush, and does not write again what only moved a time by less than its
// granularity; a new Last-Modified (a reload) is always written.
func TestRecorderCoalescesAndSkips(t *testing.T) {
	for _, e := range testutil.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			st, clock, rec := recorderOn(t, e.DSN)
			r := &configs.Rendered{Kind: "config", TargetID: "cfg", Version: 3, ETag: `"e"`, LastModified: time.Unix(1000, 0)}
			for i := 0; i < 100; i++ {
				rec.Served("a1", r, i%2 == 0)
				rec.Served("a2", r, false)
			}
			if rows, _ := st.ServedOf(ctx, nil); len(rows) != 0 {
				t.Fatalf("written before a flush: %d", len(rows))
			}
			mustFlush(t, rec)
			rows, _ := st.ServedOf(ctx, nil)
			if len(rows) != 2 || rows[0].AgentID != "a1" || rows[0].FetchedMs == 0 || rows[1].FetchedMs != 0 || rows[1].PolledMs == 0 {
				t.Fatalf("rows: %+v", rows)
			}
			if w, _, _ := rec.Stats(); w != 2 {
				t.Fatalf("written %d, want 2", w)
			}
			clock.Advance(time.Second)
			rec.Served("a1", r, true)
			mustFlush(t, rec)
			if rec.Skipped() != 1 {
				t.Errorf("a fetch 1 s later was written again (skipped %d)", rec.Skipped())
			}
			clock.Advance(time.Second)
			r2 := *r
			r2.LastModified = time.Unix(2000, 0)
			rec.Served("a1", &r2, true)
			mustFlush(t, rec)
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
			st, clock, rec := recorderOn(t, e.DSN)
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
			mustFlush(t, rec)
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
	st, clock, rec := recorderOn(t, e.DSN)
	rec.Granularity = 30 * time.Second
	r := &configs.Rendered{Kind: "config", TargetID: "cfg", Version: 1, ETag: `"e1"`, LastModified: time.Unix(1000, 0)}
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = fmt.Sprintf("agent-%04d", i)
		rec.Served(ids[i], r, true)
	}
	mustFlush(t, rec)
	clock.Advance(10 * time.Second)
	i := 0
	if a := testing.AllocsPerRun(5000, func() { rec.Served(ids[i%len(ids)], r, false); i++ }); a != 0 {
		t.Errorf("a steady poll allocates %.1f times", a)
	}
	mustFlush(t, rec)
	if w, _, _ := rec.Stats(); w != 1000 {
		t.Errorf("steady polls were written: %d records in all, want 1000", w)
	}
	clock.Advance(21 * time.Second)
	rec.Served(ids[7], r, false)
	mustFlush(t, rec)
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
	st, clock, rec := recorderOn(t, e.DSN)
	rec.Granularity = 30 * time.Second
	v1 := &configs.Rendered{Kind: "config", TargetID: "cfg", Version: 1, ETag: `"e1"`, LastModified: time.Unix(1000, 0)}
	v2 := &configs.Rendered{Kind: "config", TargetID: "cfg", Version: 2, ETag: `"e2"`, LastModified: time.Unix(2000, 0)}
	rec.Served("a1", v1, true)
	mustFlush(t, rec)
	for i := 0; i < 10; i++ {
		clock.Advance(time.Second)
		rec.Served("a1", v2, false)
	}
	mustFlush(t, rec)
	if w, _, _ := rec.Stats(); w != 1 {
		t.Fatalf("polls answered with version 2 were written: %d records, want 1", w)
	}
	clock.Advance(25 * time.Second)
	rec.Served("a1", v2, false)
	mustFlush(t, rec)
	rows, _ := st.ServedOf(ctx, nil)
	if len(rows) != 1 || rows[0].Version != 1 || rows[0].PolledMs != clock.Now().UnixMilli() {
		t.Fatalf("after 35 s of polls: %+v, want only version 1's row with the last poll", rows)
	}
	clock.Advance(time.Second)
	rec.Served("a1", v2, true)
	mustFlush(t, rec)
	rows, _ = st.ServedOf(ctx, nil)
	if len(rows) != 2 || rows[1].Version != 2 || rows[1].FetchedMs != clock.Now().UnixMilli() {
		t.Fatalf("the fetch of version 2 was not recorded: %+v", rows)
	}
}

// An agent that fetches the same config version directly and through
// config groups holding it (two here) is answered another ETag each way.
// Alternating requests are steady polls all the same: after the first
// writes they write nothing and allocate nothing, and a time that moves by
// the granularity is written again to the one row of that version.
func TestRecorderDirectAndGroupFetchesCostNoWrites(t *testing.T) {
	ctx := context.Background()
	e := testutil.Engines(t)[0]
	st, clock, rec := recorderOn(t, e.DSN)
	rec.Granularity = 30 * time.Second
	direct := &configs.Rendered{Kind: "config", TargetID: "cfg", Version: 1, ETag: `"c1"`, LastModified: time.Unix(1000, 0)}
	g1 := &configs.Rendered{Kind: "group", TargetID: "grp", ETag: `"g1"`, LastModified: time.Unix(1500, 0),
		Members: []configs.MemberVersion{{ID: "cfg", Version: 1, LastModified: 1000}, {ID: "base", Version: 4, LastModified: 1200}}}
	g2 := &configs.Rendered{Kind: "group", TargetID: "grp2", ETag: `"h1"`, LastModified: time.Unix(1600, 0),
		Members: []configs.MemberVersion{{ID: "cfg", Version: 1, LastModified: 1000}}}
	ways := []*configs.Rendered{direct, g1, g2}
	// The first round writes each way once: cfg (directly and through
	// each group: six records in all), grp, base and grp2.
	for _, r := range ways {
		rec.Served("a1", r, true)
	}
	mustFlush(t, rec)
	first, _, _ := rec.Stats()
	if first < 4 || first > 6 {
		t.Fatalf("first round wrote %d records, want at most 6, one per way", first)
	}
	// 600 requests over 18 s, GETs and HEADs, flushed every 3 requests
	// (as the flush interval would): nothing more is written.
	for i := 0; i < 600; i++ {
		clock.Advance(30 * time.Millisecond)
		rec.Served("a1", ways[i%3], i%5 != 0)
		if i%3 == 2 {
			mustFlush(t, rec)
		}
	}
	if w, _, _ := rec.Stats(); w != first {
		t.Fatalf("alternating direct and group fetches of the same version wrote %d records after the first %d", w-first, first)
	}
	i := 0
	if a := testing.AllocsPerRun(3000, func() { rec.Served("a1", ways[i%3], true); i++ }); a != 0 {
		t.Errorf("an alternating fetch allocates %.1f times", a)
	}
	mustFlush(t, rec)
	if w, _, _ := rec.Stats(); w != first {
		t.Fatalf("alternating fetches wrote %d records", w-first)
	}
	rows, err := st.ServedOf(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"base": 4, "cfg": 1, "grp": 0, "grp2": 0}
	if len(rows) != len(want) {
		t.Fatalf("rows: %+v", rows)
	}
	for _, r := range rows {
		if v, ok := want[r.TargetID]; !ok || r.Version != v || r.FetchedMs == 0 {
			t.Errorf("row %+v", r)
		}
		if r.TargetID == "cfg" && r.ETag != `"c1"` && r.ETag != `"g1"` && r.ETag != `"h1"` {
			t.Errorf("cfg row with an ETag it was never answered: %+v", r)
		}
	}
	// 31 s after the writes, each way is written again, once.
	clock.Advance(31*time.Second - 18*time.Second)
	for _, r := range ways {
		rec.Served("a1", r, true)
	}
	mustFlush(t, rec)
	if w, _, _ := rec.Stats(); w != 2*first {
		t.Errorf("31 s later: %d records written again, want %d", w-first, first)
	}
	rows, _ = st.ServedOf(ctx, nil)
	for _, r := range rows {
		if r.FetchedMs != clock.Now().UnixMilli() {
			t.Errorf("31 s later, the last fetch was not written: %+v", r)
		}
	}
	// A new version of cfg reaches the agent both ways: one row of
	// version 2, and steady again.
	d2, m1, m2 := *direct, *g1, *g2
	d2.Version, d2.ETag, d2.LastModified = 2, `"c2"`, time.Unix(3000, 0)
	m1.ETag, m1.LastModified = `"g2"`, time.Unix(3000, 0)
	m1.Members = []configs.MemberVersion{{ID: "cfg", Version: 2, LastModified: 3000}, {ID: "base", Version: 4, LastModified: 1200}}
	m2.ETag, m2.LastModified = `"h2"`, time.Unix(3000, 0)
	m2.Members = []configs.MemberVersion{{ID: "cfg", Version: 2, LastModified: 3000}}
	ways = []*configs.Rendered{&d2, &m1, &m2}
	clock.Advance(time.Second)
	for _, r := range ways {
		rec.Served("a1", r, true)
	}
	mustFlush(t, rec)
	second, _, _ := rec.Stats()
	for i := 0; i < 300; i++ {
		clock.Advance(30 * time.Millisecond)
		rec.Served("a1", ways[i%3], i%4 != 0)
		if i%3 == 2 {
			mustFlush(t, rec)
		}
	}
	if w, _, _ := rec.Stats(); w != second {
		t.Errorf("alternating fetches of version 2 wrote %d records", w-second)
	}
	rows, _ = st.ServedOf(ctx, []string{"a1"})
	var v2 *store.ServedRow
	for i := range rows {
		if rows[i].TargetID == "cfg" && rows[i].Version == 2 {
			v2 = &rows[i]
		}
	}
	if len(rows) != 5 || v2 == nil || v2.LastModified != 3000 || v2.FirstMs != clock.Now().UnixMilli()-9000 {
		t.Errorf("after version 2: %+v", rows)
	}
}

// An agent that fetches a config directly and through a group holding it
// within one flush interval has a record of the same row per way: the
// flush writes one row (PostgreSQL refuses to update a row twice in one
// statement), with the newest times and the ETag of the latest fetch.
func TestRecorderWritesBothWaysInOneFlush(t *testing.T) {
	for _, e := range testutil.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			st, clock, rec := recorderOn(t, e.DSN)
			direct := &configs.Rendered{Kind: "config", TargetID: "cfg", Version: 1, ETag: `"c1"`, LastModified: time.Unix(1000, 0)}
			grp := &configs.Rendered{Kind: "group", TargetID: "grp", ETag: `"g1"`, LastModified: time.Unix(1500, 0),
				Members: []configs.MemberVersion{{ID: "cfg", Version: 1, LastModified: 1000}}}
			grp2 := *grp
			grp2.TargetID, grp2.ETag = "grp2", `"h1"`
			start := clock.Now().UnixMilli()
			rec.Served("a1", direct, true)
			clock.Advance(time.Second)
			rec.Served("a1", grp, true)
			clock.Advance(time.Second)
			rec.Served("a1", &grp2, false) // a HEAD: a poll
			mustFlush(t, rec)
			rows, err := st.ServedOf(ctx, []string{"a1"})
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 3 || rows[0].TargetID != "cfg" || rows[0].Version != 1 || rows[0].ETag != `"g1"` || rows[0].LastModified != 1000 ||
				rows[0].FetchedMs != start+1000 || rows[0].PolledMs != start+2000 {
				t.Fatalf("rows: %+v", rows)
			}
			first := rows[0].FirstMs
			// And again the other way round, a minute later.
			clock.Advance(time.Minute)
			rec.Served("a1", grp, true)
			clock.Advance(time.Second)
			rec.Served("a1", direct, true)
			mustFlush(t, rec)
			rows, _ = st.ServedOf(ctx, []string{"a1"})
			if len(rows) != 3 || rows[0].ETag != `"c1"` || rows[0].FetchedMs != clock.Now().UnixMilli() || rows[0].FirstMs != first {
				t.Fatalf("rows: %+v", rows)
			}
		})
	}
}

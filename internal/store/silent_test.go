package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// A tick asked for the silent fleet counts the agents that turned
// not_reporting exactly as a tick that is not, and returns them by bucket
// and label mask: buckets against the spec's minimum durations (the zero
// duration the count needs is not one of them), masks for the agents whose
// bucket grew, or all with AllMasks.
func TestSchedulerTickSilent(t *testing.T) {
	ctx := context.Background()
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		s := openAt(t, e.DSN, store.LatestSchemaVersion())
		for _, l := range []string{"site=a", "site=b"} {
			if err := s.InsertLabel(ctx, &store.LabelRow{ID: l, Name: l}); err != nil {
				t.Fatal(err)
			}
		}
		const base = int64(1_800_000_000_000)
		// Agent i last reported i minutes before base; the default rule
		// says not_reporting after 180 s.
		var rows []store.HeartbeatRow
		for i := 0; i < 20; i++ {
			rows = append(rows, store.HeartbeatRow{AgentID: fmt.Sprintf("a%02d", i), Status: tc.StatusOK, AtMs: base - int64(i)*60_000})
		}
		if err := s.WriteHeartbeats(ctx, rows); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AssignAgentLabels(ctx, []string{"a05", "a06", "a07", "a08", "a09"}, []string{"site=a"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AssignAgentLabels(ctx, []string{"a09", "a10"}, []string{"site=b"}); err != nil {
			t.Fatal(err)
		}
		since, now := base, base+240_000
		plain, err := s.SchedulerTick(ctx, since, now, 0)
		if err != nil {
			t.Fatal(err)
		}
		spec := &store.SilentSpec{ForS: []int64{120, 600}, Labels: []string{"site=a", "site=b"}}
		res, err := s.SchedulerTickSilent(ctx, since, now, 0, spec)
		if err != nil {
			t.Fatal(err)
		}
		// Silent past the threshold plus F at T: 60 i > (base-T)/1000 +
		// 180 + F. Turned not_reporting (F = 0): i > 3 at since, all now.
		if plain.NotReporting != 4 || res.NotReporting != plain.NotReporting {
			t.Fatalf("turned not_reporting: %d without the spec, %d with it; want 4", plain.NotReporting, res.NotReporting)
		}
		// Past 120 s more: i >= 6 at since, i >= 2 now; past 600 s more:
		// i >= 14 at since, i >= 10 now.
		want := map[[3]int64]int64{
			{1, 0, 0}:  3, // a02..a04
			{1, 0, 1}:  1, // a05: site=a
			{1, 1, -1}: 4, // a06..a09, known
			{2, 1, 0}:  3, // a11..a13
			{2, 1, 2}:  1, // a10: site=b
			{2, 2, -1}: 6, // a14..a19, known
		}
		got := map[[3]int64]int64{}
		for _, r := range res.Silent {
			got[[3]int64{r.BNow, r.BPrev, r.Mask}] += r.N
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("rows %v, want %v", got, want)
		}
		spec.AllMasks = true
		res, err = s.SchedulerTickSilent(ctx, since, now, 0, spec)
		if err != nil {
			t.Fatal(err)
		}
		masked := int64(0)
		for _, r := range res.Silent {
			if r.Mask < 0 {
				t.Fatalf("AllMasks: row %+v without a mask", r)
			}
			masked += r.N
		}
		if masked != 18 { // i >= 2
			t.Fatalf("AllMasks: %d agents, want 18", masked)
		}

		// Masks come from agents.label_set (migration 46), kept by
		// triggers; while a label ID holds a comma they come from
		// agent_labels. Both agree through assignments, removals, a
		// deleted label's cascade and deleted agents.
		masks := func(what string) string {
			t.Helper()
			res, err := s.SchedulerTickSilent(ctx, since, now, 0, spec)
			if err != nil {
				t.Fatal(err)
			}
			got := map[[3]int64]int64{}
			for _, r := range res.Silent {
				got[[3]int64{r.BNow, r.BPrev, r.Mask}] += r.N
			}
			return fmt.Sprint(got)
		}
		both := func(what string) {
			t.Helper()
			bySet := masks(what)
			if err := s.InsertLabel(ctx, &store.LabelRow{ID: "x,y", Name: "x,y"}); err != nil {
				t.Fatal(err)
			}
			byJoin := masks(what)
			if err := s.DeleteLabel(ctx, "x,y"); err != nil {
				t.Fatal(err)
			}
			if bySet != byJoin {
				t.Fatalf("%s: masks from label_set %s, from agent_labels %s", what, bySet, byJoin)
			}
		}
		both("assigned")
		if want := fmt.Sprint(map[[3]int64]int64{{1, 0, 0}: 3, {1, 0, 1}: 1, {1, 1, 1}: 3, {1, 1, 3}: 1,
			{2, 1, 0}: 3, {2, 1, 2}: 1, {2, 2, 0}: 6}); masks("assigned") != want {
			t.Fatalf("masks %s, want %s", masks("assigned"), want)
		}
		if err := s.InsertLabel(ctx, &store.LabelRow{ID: "site=c", Name: "site=c"}); err != nil {
			t.Fatal(err)
		}
		spec.Labels = []string{"site=a", "site=b", "site=c"}
		for _, step := range []func() error{
			func() error {
				_, err := s.AssignAgentLabels(ctx, []string{"a02", "a09", "a15", "a19"}, []string{"site=c", "site=a"})
				return err
			},
			func() error {
				_, err := s.RemoveAgentLabels(ctx, []string{"a09", "a05"}, []string{"site=a"})
				return err
			},
			func() error { return s.DeleteLabel(ctx, "site=b") },
			func() error { return s.Gorm(ctx).Exec("DELETE FROM agents WHERE id IN ('a15', 'a16')").Error },
			func() error {
				_, err := s.AssignAgentLabels(ctx, []string{"a05", "a09"}, []string{"site=a"})
				return err
			},
		} {
			if err := step(); err != nil {
				t.Fatal(err)
			}
			both("changed")
		}
		var sets []string
		if err := s.Gorm(ctx).Raw("SELECT label_set FROM agents WHERE id IN ('a02', 'a09', 'a10') ORDER BY id").Scan(&sets).Error; err != nil {
			t.Fatal(err)
		}
		if len(sets) != 3 || len(sets[0]) != len(",site=a,site=c,") || len(sets[1]) != len(",site=a,site=c,") || sets[2] != "" {
			t.Fatalf("label sets %q", sets)
		}
	})
}

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
	})
}

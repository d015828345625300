package rollouts_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/opentc/tc/internal/configs"
	"github.com/opentc/tc/internal/rollouts"
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
			st, err := store.Open(ctx, e.DSN, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if _, err := st.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
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

package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// The label_set trigger locks agents rows; heartbeat batches
// lock them in agent ID order. A bulk label assignment racing heartbeat
// batches must not deadlock (PostgreSQL aborts one of them: a lost
// heartbeat batch or a failed API call).
func TestLabelSetNoDeadlockWithHeartbeats(t *testing.T) {
	ctx := context.Background()
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		if e.Name == "sqlite" {
			t.Skip("SQLite has a single writer")
		}
		s := openAt(t, e.DSN, store.LatestSchemaVersion())
		if err := s.InsertLabel(ctx, &store.LabelRow{ID: "l1", Name: "l1"}); err != nil {
			t.Fatal(err)
		}
		const n, chunk = 4000, 500
		var ids []string
		var rows []store.HeartbeatRow
		for i := 0; i < n; i++ {
			ids = append(ids, fmt.Sprintf("a%05d", i))
			rows = append(rows, store.HeartbeatRow{AgentID: ids[i], Status: tc.StatusOK, AtMs: 1_800_000_000_000})
		}
		// Rows laid out on disk out of ID order: highest chunks first.
		for c := n - chunk; c >= 0; c -= chunk {
			if err := s.WriteHeartbeats(ctx, rows[c:c+chunk]); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 0; i < 15; i++ {
				if _, err := s.AssignAgentLabels(ctx, ids, []string{"l1"}); err != nil {
					errs <- fmt.Errorf("assign: %w", err)
				}
				if _, err := s.RemoveAgentLabels(ctx, ids, []string{"l1"}); err != nil {
					errs <- fmt.Errorf("remove: %w", err)
				}
			}
		}()
		go func() {
			defer wg.Done()
			for i := 0; i < 30; i++ {
				for j := range rows {
					rows[j].AtMs++
				}
				if err := s.WriteHeartbeats(ctx, rows); err != nil {
					errs <- fmt.Errorf("heartbeats: %w", err)
				}
			}
		}()
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

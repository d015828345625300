package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// Red-team rt3: two transactions that change the same agent's labels at the
// same time must both end up in agents.label_set. On PostgreSQL the
// statement trigger recomputes label_set from agent_labels under the
// second statement's snapshot, taken before the first transaction
// committed: the first label is lost from label_set while its link stays.
func TestLabelSetConcurrentAssigns(t *testing.T) {
	ctx := context.Background()
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		s := openAt(t, e.DSN, store.LatestSchemaVersion())
		for _, l := range []string{"l1", "l2"} {
			if err := s.InsertLabel(ctx, &store.LabelRow{ID: l, Name: l}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.WriteHeartbeats(ctx, []store.HeartbeatRow{{AgentID: "a1", Status: tc.StatusOK, AtMs: 1_800_000_000_000}}); err != nil {
			t.Fatal(err)
		}
		// The first assignment, held open.
		tx := s.Gorm(ctx).Begin()
		if err := tx.Exec("INSERT INTO agent_labels (agent_id, label_id) VALUES ('a1', 'l1')").Error; err != nil {
			tx.Rollback()
			if e.Name == "sqlite" {
				t.Skip("SQLite has a single writer")
			}
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := s.AssignAgentLabels(ctx, []string{"a1"}, []string{"l2"})
			done <- err
		}()
		time.Sleep(500 * time.Millisecond)
		if err := tx.Commit().Error; err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		var set string
		if err := s.Gorm(ctx).Raw("SELECT label_set FROM agents WHERE id = 'a1'").Scan(&set).Error; err != nil {
			t.Fatal(err)
		}
		var links int64
		s.Gorm(ctx).Raw("SELECT COUNT(*) FROM agent_labels WHERE agent_id = 'a1'").Scan(&links)
		if links != 2 || (set != ",l1,l2," && set != ",l2,l1,") {
			t.Fatalf("links %d, label_set %q; want 2 links and both in label_set", links, set)
		}
	})
}

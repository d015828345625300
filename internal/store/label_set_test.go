package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// Two transactions that change the same agent's labels at the
// same time must both end up in agents.label_set: on PostgreSQL the
// trigger locks the agents' rows before it reads agent_labels, so the
// second sees the first's link (without that lock it recomputed label_set
// under a snapshot taken before the first committed and lost its label).
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

// Deleting a label removes its links: it counts as a fleet change, so the
// notification rules' carried-over aggregates are not reused.
func TestDeleteLabelCountsAsFleetChange(t *testing.T) {
	ctx := context.Background()
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		s := openAt(t, e.DSN, store.LatestSchemaVersion())
		if err := s.InsertLabel(ctx, &store.LabelRow{ID: "l1", Name: "l1"}); err != nil {
			t.Fatal(err)
		}
		version := func() (v int64) {
			if err := s.Gorm(ctx).Raw("SELECT version FROM fleet_changes WHERE id = 1").Scan(&v).Error; err != nil {
				t.Fatal(err)
			}
			return v
		}
		before := version()
		if err := s.DeleteLabel(ctx, "l1"); err != nil {
			t.Fatal(err)
		}
		if after := version(); after <= before {
			t.Fatalf("fleet_changes %d after deleting a label, %d before", after, before)
		}
		if err := s.DeleteLabel(ctx, "l1"); !tc.IsCode(err, tc.ENotFound) {
			t.Fatalf("deleting it again: %v", err)
		}
	})
}

package store_test

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// checkLabelSets fails unless every agent's label_set holds exactly its links.
func checkLabelSets(t *testing.T, s *store.Store, step string) {
	t.Helper()
	ctx := context.Background()
	var agents []struct{ ID, LabelSet string }
	if err := s.Gorm(ctx).Raw("SELECT id, label_set FROM agents").Scan(&agents).Error; err != nil {
		t.Fatal(err)
	}
	for _, a := range agents {
		var links []string
		s.Gorm(ctx).Raw("SELECT label_id FROM agent_labels WHERE agent_id = ?", a.ID).Scan(&links)
		sort.Strings(links)
		var got []string
		if a.LabelSet != "" {
			if !strings.HasPrefix(a.LabelSet, ",") || !strings.HasSuffix(a.LabelSet, ",") {
				t.Fatalf("%s: agent %s label_set %q not delimited", step, a.ID, a.LabelSet)
			}
			got = strings.Split(strings.Trim(a.LabelSet, ","), ",")
		}
		sort.Strings(got)
		if strings.Join(got, "|") != strings.Join(links, "|") {
			t.Fatalf("%s: agent %s label_set %q, links %v", step, a.ID, a.LabelSet, links)
		}
	}
}

// Every store path that changes agent_labels keeps label_set.
func TestLabelSetPaths(t *testing.T) {
	ctx := context.Background()
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		s := openAt(t, e.DSN, 45)
		for _, l := range []string{"x", "xx", "y"} {
			if err := s.InsertLabel(ctx, &store.LabelRow{ID: l, Name: l}); err != nil {
				t.Fatal(err)
			}
		}
		var rows []store.HeartbeatRow
		for _, a := range []string{"a1", "a2", "a3", "a4"} {
			rows = append(rows, store.HeartbeatRow{AgentID: a, Status: tc.StatusOK, AtMs: 1_800_000_000_000})
		}
		if err := s.WriteHeartbeats(ctx, rows); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AssignAgentLabels(ctx, []string{"a1", "a2"}, []string{"x", "xx"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AssignAgentLabels(ctx, []string{"a3"}, []string{"y"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.MigrateTo(ctx, store.LatestSchemaVersion()); err != nil {
			t.Fatal(err)
		}
		checkLabelSets(t, s, "fill")
		if _, err := s.AssignAgentLabels(ctx, []string{"a1", "a2", "a3", "a4"}, []string{"x", "y", "x"}); err != nil {
			t.Fatal(err)
		}
		checkLabelSets(t, s, "duplicate assign")
		if err := s.WriteHeartbeats(ctx, rows); err != nil {
			t.Fatal(err)
		}
		checkLabelSets(t, s, "heartbeat")
		if _, err := s.RemoveAgentLabels(ctx, []string{"a1", "a4"}, []string{"x"}); err != nil {
			t.Fatal(err)
		}
		checkLabelSets(t, s, "remove")
		if err := s.DeleteLabel(ctx, "y"); err != nil {
			t.Fatal(err)
		}
		checkLabelSets(t, s, "label delete")
		if _, err := s.DeleteAgents(ctx, []string{"a2"}); err != nil {
			t.Fatal(err)
		}
		checkLabelSets(t, s, "agent delete")
		if err := s.WriteHeartbeats(ctx, rows[1:2]); err != nil {
			t.Fatal(err)
		}
		checkLabelSets(t, s, "agent back")
		// "x" must not match inside ",xx,".
		res, _, err := s.SilentFleet(ctx, &store.SilentSpec{ForS: []int64{0}, Labels: []string{"x", "xx"}, AllMasks: true}, 0, 1_900_000_000_000)
		if err != nil {
			t.Fatal(err)
		}
		masks := map[int64]int64{}
		for _, r := range res {
			masks[r.Mask] += r.N
		}
		// a1: xx; a2: none (back); a3: x; a4: none.
		if masks[2] != 1 || masks[1] != 1 || masks[0] != 2 || masks[3] != 0 {
			t.Fatalf("masks %v", masks)
		}
	})
}

package cluster_test

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/opentc/tc/internal/cluster"
	"github.com/opentc/tc/internal/testutil"
)

// Two deployments in different schemas of one database each elect their own
// leader; two nodes of one deployment (same schema) elect one between them.
func TestLeaderScopedToSchema(t *testing.T) {
	dsnA, ok := testutil.PostgresDSN(t)
	if !ok {
		return
	}
	dsnB, _ := testutil.PostgresDSN(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	start := func(dsn string) *cluster.Elector {
		e := cluster.NewElector(dsn, log, 100*time.Millisecond)
		e.Start(nil)
		t.Cleanup(e.Close)
		return e
	}
	a1 := start(dsnA)
	b1 := start(dsnB)
	if !a1.IsLeader() || !b1.IsLeader() {
		t.Fatalf("each schema should have its own leader: a=%v b=%v", a1.IsLeader(), b1.IsLeader())
	}
	a2 := start(dsnA)
	time.Sleep(300 * time.Millisecond)
	if a2.IsLeader() {
		t.Fatal("a second node of the same schema became leader while the first holds the lock")
	}
	a1.Close()
	deadline := time.Now().Add(5 * time.Second)
	for !a2.IsLeader() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !a2.IsLeader() {
		t.Fatal("the standby did not take over after the leader closed")
	}
}

package agents_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/opentc/tc/internal/agents"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

func sqliteWriter(t *testing.T) (*store.Store, *agents.Writer) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "tcd.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.EnsureDefaultRule(ctx); err != nil {
		t.Fatal(err)
	}
	w := agents.NewWriter(st, slog.New(slog.NewTextHandler(io.Discard, nil)), 100)
	t.Cleanup(func() { w.Close() })
	return st, w
}

func row(id string, metrics uint64) store.HeartbeatRow {
	return store.HeartbeatRow{AgentID: id, Status: tc.StatusOK, AtMs: time.Now().UnixMilli(), Stats: &tc.Statistics{Metrics: metrics}}
}

// Submit returns (and the listener answers 2xx) only once the heartbeat's
// transaction is on disk, though the writer commits it, and goes on with
// the next batch, before that.
func TestWriterAcknowledgesOnlyDurableHeartbeats(t *testing.T) {
	hold := make(chan struct{})
	defer store.SetWALSyncForTesting(func(*os.File) error { <-hold; return nil })()
	st, w := sqliteWriter(t)
	ctx := context.Background()
	got := make(chan error, 2)
	go func() { got <- w.Submit(ctx, row("a-1", 1)) }()
	go func() { got <- w.Submit(ctx, row("a-2", 1)) }()
	deadline := time.Now().Add(5 * time.Second)
	for w.Stats().Heartbeats == 0 {
		if a, err := st.AgentByID(ctx, "a-2"); err == nil && a != nil {
			if b, err := st.AgentByID(ctx, "a-1"); err == nil && b != nil {
				break // both committed
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the writer did not commit while a flush was held back")
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case err := <-got:
		t.Fatalf("Submit returned (%v) before the flush", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(hold)
	for i := 0; i < 2; i++ {
		if err := <-got; err != nil {
			t.Fatal(err)
		}
	}
	if s := w.Stats(); s.Heartbeats != 2 || s.Failed != 0 {
		t.Fatalf("stats %+v", s)
	}
}

// A heartbeat whose flush failed is refused with 503 (the agent sends it
// again), and so is every later one.
func TestWriterRefusesWhenTheFlushFails(t *testing.T) {
	defer store.SetWALSyncForTesting(func(*os.File) error { return syscall.EIO })()
	_, w := sqliteWriter(t)
	for _, id := range []string{"a-1", "a-2"} {
		err := w.Submit(context.Background(), row(id, 1))
		var e *tc.Error
		if !errors.As(err, &e) || e.Code != tc.EUnavailable || e.RetryAfter == 0 {
			t.Fatalf("%s: %v, want unavailable with Retry-After", id, err)
		}
	}
	if s := w.Stats(); s.Failed != 2 || s.Heartbeats != 0 {
		t.Fatalf("stats %+v", s)
	}
}

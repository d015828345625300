package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opentc/tc/internal/store"
)

func openSQLiteFile(t *testing.T) (*store.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tcd.db")
	s := open(t, path)
	if err := s.EnsureDefaultRule(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, path
}

// A committed batch is visible at once but durable only after a flush of
// the WAL file that began after its COMMIT: the heartbeat writer's
// connection commits without syncing, and nothing may acknowledge the batch
// before the flush.
func TestHeartbeatDurableOnlyAfterWALFlush(t *testing.T) {
	var (
		mu      sync.Mutex
		flushed []string
	)
	hold := make(chan struct{})
	defer store.SetWALSyncForTesting(func(f *os.File) error {
		<-hold
		mu.Lock()
		flushed = append(flushed, f.Name())
		mu.Unlock()
		return nil
	})()
	s, path := openSQLiteFile(t)
	ctx := context.Background()
	now := time.Now().UnixMilli()
	durable, err := s.CommitHeartbeats(ctx, []store.HeartbeatRow{benchRow(1, now, 7)})
	if err != nil {
		t.Fatal(err)
	}
	if durable == nil {
		t.Fatal("a SQLite file database in WAL mode returned no durability wait")
	}
	if a, err := s.AgentByID(ctx, "bench-0000001"); err != nil || a.Metrics != 7 {
		t.Fatalf("committed heartbeat not visible: %+v %v", a, err)
	}
	// More batches commit while the first flush is held back.
	durable2, err := s.CommitHeartbeats(ctx, []store.HeartbeatRow{benchRow(2, now, 1)})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 2)
	go func() { got <- durable() }()
	go func() { got <- durable2() }()
	select {
	case err := <-got:
		t.Fatalf("durable returned (%v) before the WAL was flushed", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(hold)
	for i := 0; i < 2; i++ {
		select {
		case err := <-got:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("durable did not return after the flush")
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(flushed) == 0 || flushed[0] != path+"-wal" {
		t.Fatalf("flushed %v, want the WAL file %s", flushed, path+"-wal")
	}
}

// A flush that fails may have lost pages of the WAL: the batches waiting
// for it fail, and so does every later heartbeat write and the readiness
// ping, until the process restarts.
func TestHeartbeatWALFlushFailureIsFinal(t *testing.T) {
	defer store.SetWALSyncForTesting(func(*os.File) error { return syscall.EIO })()
	s, _ := openSQLiteFile(t)
	ctx := context.Background()
	now := time.Now().UnixMilli()
	err := s.WriteHeartbeats(ctx, []store.HeartbeatRow{benchRow(1, now, 1)})
	if !errors.Is(err, syscall.EIO) || !strings.Contains(err.Error(), "until tcd restarts") {
		t.Fatalf("write with a failing flush: %v", err)
	}
	if _, err := s.CommitHeartbeats(ctx, []store.HeartbeatRow{benchRow(2, now, 1)}); !errors.Is(err, syscall.EIO) {
		t.Fatalf("write after a failed flush: %v", err)
	}
	if a, err := s.AgentByID(ctx, "bench-0000002"); err == nil {
		t.Fatalf("a write after the failed flush was committed: %+v", a)
	}
	if err := s.Ping(ctx); !errors.Is(err, syscall.EIO) {
		t.Fatalf("ping after a failed flush: %v", err)
	}
}

// An in-memory database has no WAL file: every commit is as durable as it
// gets when it returns.
func TestHeartbeatInMemoryHasNoFlush(t *testing.T) {
	defer store.SetWALSyncForTesting(func(*os.File) error { t.Error("flushed an in-memory database"); return nil })()
	s := open(t, ":memory:")
	ctx := context.Background()
	if err := s.EnsureDefaultRule(ctx); err != nil {
		t.Fatal(err)
	}
	durable, err := s.CommitHeartbeats(ctx, []store.HeartbeatRow{benchRow(1, time.Now().UnixMilli(), 1)})
	if err != nil || durable != nil {
		t.Fatalf("durable %v err %v", durable != nil, err)
	}
}

package rollouts_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/opentc/tc/internal/rollouts"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
)

// migratedStore opens the database at dsn with every migration applied,
// closed when the test ends.
func migratedStore(t testing.TB, dsn string) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

// recorderOn returns a migrated store at dsn, a test clock, and a
// recorder writing to that store on that clock that flushes only when the
// test says so (its interval an hour, no bound on pending records).
func recorderOn(t testing.TB, dsn string) (*store.Store, *testutil.Clock, *rollouts.Recorder) {
	t.Helper()
	st := migratedStore(t, dsn)
	clock := testutil.NewClock()
	return st, clock, rollouts.NewRecorder(st, slog.Default(), clock.Now, time.Hour, 0)
}

// mustFlush writes what rec holds, failing the test on an error.
func mustFlush(t testing.TB, rec *rollouts.Recorder) {
	t.Helper()
	if err := rec.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

package rollouts_test

import (
	"context"
	"testing"

	"github.com/opentc/tc/internal/store"
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

package e2e

import (
	"testing"
	"time"

	"github.com/opentc/tc/internal/testutil"
)

// A tcd stopped right after it became ready stops: its listeners may not be
// served yet when Close shuts the servers down (it used to hang there, the
// server then accepting forever). Many quick start/stop cycles, because the
// window is short.
func TestCloseRightAfterStart(t *testing.T) {
	dsn := testutil.SQLiteDSN(t)
	for i := 0; i < 60; i++ {
		d := testutil.StartTCD(t, dsn)
		closed := make(chan error, 1)
		go func() { closed <- d.Close() }()
		select {
		case err := <-closed:
			if err != nil {
				t.Fatalf("cycle %d: close: %v", i, err)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("cycle %d: tcd did not stop within 20 s of Close right after start", i)
		}
	}
}

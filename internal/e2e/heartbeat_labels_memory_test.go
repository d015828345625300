package e2e

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/opentc/tc/internal/testutil"
)

// Attack (an agent token, or nothing where the heartbeat group is open):
// tcd names unknown heartbeat fields in tcd_heartbeat_unknown_fields_total
// and remembers the first 100 names for good. Each name was a piece of a
// string holding the whole body, so each kept its body (up to 1 MiB)
// alive: 100 heartbeats with a field name of their own pinned about
// 100 MiB for the life of the process. The names are copied now.
func TestUnknownFieldNamesPinNoBodies(t *testing.T) {
	d := testutil.StartTCDWith(t, withOpen(testutil.DefaultConfig(testutil.SQLiteDSN(t)), "heartbeat"), testutil.NewClock())
	heap := func() uint64 {
		var ms runtime.MemStats
		for i := 0; i < 3; i++ { // sync.Pools empty after two cycles
			runtime.GC()
		}
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	pad := strings.Repeat("x", 900<<10)
	const n = 40
	before := heap()
	for i := 0; i < n; i++ {
		body := fmt.Sprintf(`{"id":"pin","version":"Telegraf 1.39.3","schema":1,"hostname":%q,"field%03d":1}`, pad, i)
		if s, _ := postHeartbeat(t, d, "", body); s != 200 {
			t.Fatalf("heartbeat %d: %d", i, s)
		}
	}
	after := heap()
	grown := int64(after) - int64(before)
	t.Logf("heap %d → %d bytes after %d heartbeats of 900 KiB with a field name of their own", before, after, n)
	if grown > 8<<20 {
		t.Fatalf("the heap grew by %d bytes and stays so: the unknown field names keep their bodies (%d × 900 KiB)", grown, n)
	}
}

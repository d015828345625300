package rollouts_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/opentc/tc/internal/configs"
	"github.com/opentc/tc/internal/rollouts"
	"github.com/opentc/tc/internal/testutil"
)

// Concurrent requests (new versions, fetches, polls) while flushes run,
// some of them failing: after a last flush every agent's row of the
// version it was answered last holds its last fetch, and nothing is
// dropped. Run it with -race.
func TestRecorderConcurrentFlushesLoseNothing(t *testing.T) {
	ctx := context.Background()
	e := testutil.Engines(t)[0]
	st := migratedStore(t, e.DSN)
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); now = now.Add(time.Millisecond); return now }
	rec := rollouts.NewRecorder(st, slog.Default(), clock, time.Hour, 0)
	rec.Granularity = 5 * time.Millisecond
	const workers, agentsPer, rounds = 4, 25, 40
	type last struct {
		version int
		fetched int64
	}
	lasts := make([]map[string]last, workers)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	flushed := make(chan struct{})
	go func() {
		defer close(flushed)
		failed, cancel := context.WithCancel(ctx)
		cancel()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if i%3 == 0 {
				_ = rec.Flush(failed)
			} else if err := rec.Flush(ctx); err != nil {
				t.Error(err)
			}
		}
	}()
	for w := 0; w < workers; w++ {
		lasts[w] = map[string]last{}
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				v := 1 + r/10
				rd := &configs.Rendered{Kind: "config", TargetID: "cfg", Version: v, ETag: fmt.Sprintf(`"e%d"`, v), LastModified: time.Unix(int64(1000*v), 0)}
				for a := 0; a < agentsPer; a++ {
					id := fmt.Sprintf("w%d-a%02d", w, a)
					fetched := (r+a)%3 == 0
					rec.Served(id, rd, fetched)
					l := lasts[w][id]
					if l.version != v {
						l = last{version: v}
					}
					lasts[w][id] = l
				}
			}
		}(w)
	}
	wg.Wait()
	close(stop)
	<-flushed
	mustFlush(t, rec)
	rows, err := st.ServedOf(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, r := range rows {
		got[r.AgentID] = max(got[r.AgentID], r.Version)
	}
	for w := range lasts {
		for id, l := range lasts[w] {
			if got[id] != l.version {
				t.Errorf("%s: newest version recorded %d, last answered %d", id, got[id], l.version)
			}
		}
	}
	if _, d, _ := rec.Stats(); d != 0 {
		t.Errorf("dropped %d", d)
	}
}

// A flood of distinct identities over the pending bound: the flood's
// records beyond it are dropped and counted, and a well-behaved agent's
// fetch dropped meanwhile is written at its next poll (with the fetch's
// time), also after a failed write.
func TestRecorderFloodKeepsWellBehavedRecords(t *testing.T) {
	ctx := context.Background()
	e := testutil.Engines(t)[0]
	st := migratedStore(t, e.DSN)
	clock := testutil.NewClock()
	rec := rollouts.NewRecorder(st, slog.Default(), clock.Now, time.Hour, 50)
	r := &configs.Rendered{Kind: "config", TargetID: "cfg", Version: 2, ETag: `"e2"`, LastModified: time.Unix(2000, 0)}
	for i := 0; i < 500; i++ {
		rec.Served(fmt.Sprintf("flood-%d", i), r, true)
	}
	fetchMs := clock.Now().UnixMilli()
	rec.Served("good", r, true)
	failed, cancel := context.WithCancel(ctx)
	cancel()
	if err := rec.Flush(failed); err == nil {
		t.Fatal("a failed write succeeded")
	}
	clock.Advance(time.Second)
	rec.Served("good", r, false) // its next poll
	for i := 500; i < 1000; i++ {
		rec.Served(fmt.Sprintf("flood-%d", i), r, true)
	}
	for i := 0; i < 3; i++ {
		mustFlush(t, rec)
		rec.Served("good", r, false)
		clock.Advance(time.Second)
	}
	rows, err := st.ServedOf(ctx, []string{"good"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].FetchedMs != fetchMs {
		t.Errorf("good agent's fetch: %+v (fetched at %d)", rows, fetchMs)
	}
	if _, d, _ := rec.Stats(); d == 0 {
		t.Errorf("nothing dropped over the bound")
	}
}

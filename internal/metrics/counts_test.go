package metrics

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Concurrent scrapes wait for the one count in progress and share it.
func TestCountCacheConcurrentScrapesShareOneCount(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1e9, 0)}
	var calls atomic.Int32
	release := make(chan struct{})
	c := &countCache{now: clk.now, count: func(ctx context.Context) (map[string]int, error) {
		calls.Add(1)
		<-release
		return map[string]int{"ok": 3}, nil
	}}
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if n, err := c.get(); err != nil || n["ok"] != 3 {
				t.Errorf("get: %v %v", n, err)
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d counts for 50 concurrent scrapes, want 1", n)
	}
}

// A count is reused for a second, or ten times as long as it took (at
// most a minute); a failure for a second.
func TestCountCacheReuse(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1e9, 0)}
	var (
		calls int
		took  time.Duration
		fail  bool
	)
	c := &countCache{now: clk.now, count: func(ctx context.Context) (map[string]int, error) {
		calls++
		clk.advance(took)
		if fail {
			return nil, errors.New("database down")
		}
		return map[string]int{"ok": calls}, nil
	}}
	step := func(advance time.Duration, wantCalls int) {
		t.Helper()
		clk.advance(advance)
		_, _ = c.get()
		if calls != wantCalls {
			t.Fatalf("after %v: %d counts, want %d", advance, calls, wantCalls)
		}
	}
	step(0, 1)
	step(999*time.Millisecond, 1)
	step(time.Millisecond, 2)
	took = 2 * time.Second // reused for 20 s
	step(time.Second, 3)
	step(19*time.Second, 3)
	took = 0
	step(time.Second, 4)
	took = 10 * time.Second // 100 s, capped at a minute
	step(time.Second, 5)
	step(59*time.Second, 5)
	fail = true
	step(time.Second, 6)
	if _, err := c.get(); err == nil || calls != 6 {
		t.Fatalf("a failure is shared: %v, %d counts", err, calls)
	}
	fail = false
	step(time.Second, 7)
}

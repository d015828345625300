package store

import (
	"testing"
	"time"
)

func TestHistoryCache(t *testing.T) {
	c := newHistoryCache()
	a, b := c.key("agent-a"), c.key("agent-b")
	const t0 = int64(1_700_000_000_000)
	if c.recent(a, t0) {
		t.Fatal("an empty cache knows a record")
	}
	c.recorded([]uint64{a}, []int64{t0})
	res := HistoryResolution.Milliseconds()
	for _, tc := range []struct {
		key  uint64
		at   int64
		want bool
	}{
		{a, t0, true},
		{a, t0 + res - 1, true},
		{a, t0 + res, false}, // a new record is due
		{a, t0 - 1, false},   // older than the record: the table decides
		{b, t0 + 1, false},   // another agent
	} {
		if got := c.recent(tc.key, tc.at); got != tc.want {
			t.Errorf("recent(%d, t0%+d) = %v, want %v", tc.key, tc.at-t0, got, tc.want)
		}
	}
	c.recorded([]uint64{a}, []int64{t0 - time.Second.Milliseconds()}) // never moves back
	if !c.recent(a, t0+res-1) {
		t.Fatal("an older record replaced a newer one")
	}
	c.forget([]string{"agent-a"})
	if c.recent(a, t0) {
		t.Fatal("a forgotten agent is still known")
	}
}

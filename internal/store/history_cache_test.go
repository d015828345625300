package store

import (
	"testing"
)

func TestHistoryCache(t *testing.T) {
	c := newHistoryCache()
	a, b := c.key("agent-a"), c.key("agent-b")
	res := HistoryResolution.Milliseconds()
	const slot = int64(1_700_000_040_000) // a whole minute
	if c.open(a, slot) {
		t.Fatal("an empty cache knows a record")
	}
	c.recorded([]uint64{a}, []int64{slot})
	for _, tc := range []struct {
		key  uint64
		slot int64
		want bool
	}{
		{a, slot, true},
		{a, slot + res, false}, // the next minute: the record is to be closed
		{a, slot - res, false}, // an earlier minute: the agents row decides
		{b, slot, false},       // another agent
	} {
		if got := c.open(tc.key, tc.slot); got != tc.want {
			t.Errorf("open(%d, slot%+d) = %v, want %v", tc.key, tc.slot-slot, got, tc.want)
		}
	}
	c.recorded([]uint64{a}, []int64{slot - res}) // never moves back
	if !c.open(a, slot) {
		t.Fatal("an older minute replaced a newer one")
	}
	c.forget([]string{"agent-a"})
	if c.open(a, slot) {
		t.Fatal("a forgotten agent is still known")
	}
}

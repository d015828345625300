package store

import (
	"strings"
	"testing"
)

func TestPendingFillsGaps(t *testing.T) {
	ms := []migration{{version: 1}, {version: 2}, {version: 32}, {version: 35}}
	got, err := pending(ms, []int{1, 2, 35}, 35)
	if err != nil || len(got) != 1 || got[0].version != 32 {
		t.Fatalf("a version below an applied one must still run: %v %v", got, err)
	}
	got, err = pending(ms, []int{1}, 2)
	if err != nil || len(got) != 1 || got[0].version != 2 {
		t.Fatalf("target version: %v %v", got, err)
	}
	if _, err := pending(ms, []int{1, 36}, 35); err == nil || !strings.Contains(err.Error(), "upgrade tcd") {
		t.Fatalf("unknown applied version: %v", err)
	}
}

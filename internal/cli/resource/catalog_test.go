package resource

import (
	"testing"
	"time"
)

func TestAgo(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		d    time.Duration
		want string
	}{{5 * time.Second, "5s ago"}, {2*time.Minute + 5*time.Second, "2m ago"}, {3 * time.Hour, "3h ago"}, {72 * time.Hour, "3d ago"}, {-time.Second, "just now"}} {
		if got := Ago(now.Add(-c.d), now); got != c.want {
			t.Errorf("%s: %q want %q", c.d, got, c.want)
		}
	}
	if Ago(time.Time{}, now) != "never" {
		t.Error("zero time")
	}
}

package notify

import (
	"strings"
	"testing"
	"time"
)

func TestParseSelector(t *testing.T) {
	labels := []string{"site=a", "env=prod", "canary"}
	for _, c := range []struct {
		sel   string
		match bool
	}{
		{"", true},
		{"site=a", true},
		{"site==a", true},
		{"site = a , env=prod", true},
		{"site=b", false},
		{"site!=b", true},
		{"site!=a", false},
		{"site in (a, b)", true},
		{"site notin (a,b)", false},
		{"site notin (c)", true},
		{"canary", true},
		{"!canary", false},
		{"!region", true},
		{"region", false},
		{"env=prod,!canary", false},
		{"nosuch!=x", true},
	} {
		sel, err := ParseSelector(c.sel)
		if err != nil {
			t.Fatalf("%q: %v", c.sel, err)
		}
		if got := sel.Matches(labels); got != c.match {
			t.Errorf("%q matches %v: %v, want %v", c.sel, labels, got, c.match)
		}
	}
	for _, bad := range []string{"site=", "=a", "site in (a", "site in ()", "site within (a)", "a,,b", "!site=a", "si te=a", strings.Repeat("x", 1001)} {
		if _, err := ParseSelector(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestResolveSelector(t *testing.T) {
	labels := map[string]string{"1": "site=a", "2": "site=b", "3": "canary"}
	sel, _ := ParseSelector("site in (a,b),!canary")
	m, ok := sel.resolve(labels)
	if !ok || len(m) != 2 || !m[0].positive || len(m[0].ids) != 2 || m[1].positive || m[1].ids[0] != "3" {
		t.Fatalf("%+v %v", m, ok)
	}
	sel, _ = ParseSelector("site=z")
	if _, ok := sel.resolve(labels); ok {
		t.Fatal("a selector no label satisfies must match nothing")
	}
	if g := groupLabels("site", labels); len(g) != 2 || g["1"] != "a" || g["2"] != "b" {
		t.Fatalf("group labels %v", g)
	}
}

func TestBackoff(t *testing.T) {
	for attempt, want := range map[int]time.Duration{1: 10 * time.Second, 2: 20 * time.Second, 3: 40 * time.Second, 8: 10 * time.Minute, 30: 10 * time.Minute} {
		for i := 0; i < 50; i++ {
			d := Backoff(attempt, 10*time.Second, 10*time.Minute)
			if d < want/2 || d > want {
				t.Fatalf("attempt %d: %s outside [%s, %s]", attempt, d, want/2, want)
			}
		}
	}
}

// The signature over a fixed input, computed independently with
// `printf '%s' '1700000000.{"a":1}' | openssl dgst -sha256 -hmac k`.
func TestSign(t *testing.T) {
	if got := Sign("k", 1700000000, []byte(`{"a":1}`)); got != "sha256="+signFixture {
		t.Fatalf("%s", got)
	}
}

const signFixture = "1b6ad1bc9bf48c52ce01939866d5877c6cc4e87ddad27e16673cb8c4964394a3"

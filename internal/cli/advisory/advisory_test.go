package advisory

import (
	"testing"

	"github.com/opentc/tc/pkg/tc"
)

func TestDescribeRanges(t *testing.T) {
	ev := func(kind, v string) tc.RangeEvent {
		switch kind {
		case "i":
			return tc.RangeEvent{Introduced: v}
		case "f":
			return tc.RangeEvent{Fixed: v}
		case "l":
			return tc.RangeEvent{LastAffected: v}
		}
		return tc.RangeEvent{Limit: v}
	}
	for _, c := range []struct {
		p    tc.AffectedPackage
		want string
	}{
		{tc.AffectedPackage{Ranges: []tc.AffectedRange{{Type: "SEMVER", Events: []tc.RangeEvent{ev("i", "1.36.0"), ev("f", "1.38.0")}}}}, ">= 1.36.0, < 1.38.0"},
		{tc.AffectedPackage{Ranges: []tc.AffectedRange{{Type: "ECOSYSTEM", Events: []tc.RangeEvent{ev("i", "0"), ev("l", "1.35.2")}}}}, "<= 1.35.2"},
		{tc.AffectedPackage{Ranges: []tc.AffectedRange{{Type: "SEMVER", Events: []tc.RangeEvent{ev("i", "0")}}}}, "all versions"},
		{tc.AffectedPackage{Ranges: []tc.AffectedRange{{Type: "SEMVER", Events: []tc.RangeEvent{ev("i", "1.20.0"), ev("f", "1.20.4"), ev("i", "1.21.0")}}}}, ">= 1.20.0, < 1.20.4; >= 1.21.0"},
		{tc.AffectedPackage{Ranges: []tc.AffectedRange{{Type: "SEMVER", Events: []tc.RangeEvent{ev("i", "0"), ev("x", "1.30.0")}}}, Versions: []string{"1.2.3"}}, "< 1.30.0 (limit); versions 1.2.3"},
		{tc.AffectedPackage{Ranges: []tc.AffectedRange{{Type: "GIT", Events: []tc.RangeEvent{ev("i", "0")}}}}, "commits (GIT range)"},
	} {
		if got := describeRanges(c.p); got != c.want {
			t.Errorf("%+v: %q, want %q", c.p, got, c.want)
		}
	}
	if got := clean("a\x1b[31mb\nc", false); got != "a\uFFFD[31mb\uFFFDc" {
		t.Errorf("clean: %q", got)
	}
}

package cmdutil

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// durationPart is one number-and-unit of a duration such as 1d12h.
var durationPart = regexp.MustCompile(`^(\d+)(ms|w|d|h|m|s)`)

var durationUnits = map[string]time.Duration{
	"ms": time.Millisecond, "s": time.Second, "m": time.Minute, "h": time.Hour,
	"d": 24 * time.Hour, "w": 7 * 24 * time.Hour,
}

// ParseDuration reads the durations every tcctl flag takes: whole numbers
// with a unit, w (weeks), d (days), h, m, s or ms, one or several in a row
// (30d, 12h, 1d12h, 90s). Go's fractional forms (1.5h) are accepted too.
func ParseDuration(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	if d, err := time.ParseDuration(in); err == nil {
		return d, nil
	}
	rest := in
	var total time.Duration
	for rest != "" {
		m := durationPart.FindStringSubmatch(rest)
		if m == nil {
			return 0, fmt.Errorf("%q is not a duration such as 90s, 15m, 12h, 30d, 2w or 1d12h", s)
		}
		n, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil || n > int64(1<<62)/int64(durationUnits[m[2]]) {
			return 0, fmt.Errorf("%q is too long a duration", s)
		}
		total += time.Duration(n) * durationUnits[m[2]]
		rest = rest[len(m[0]):]
	}
	if in == "" {
		return 0, fmt.Errorf("empty duration: give one such as 15m or 30d")
	}
	return total, nil
}

// FormatDuration shows a duration the way tcctl's flags take it: the
// largest units first, zero parts left out (30d, 1d12h, 15m, 90s → 1m30s).
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	var b strings.Builder
	for _, u := range []struct {
		name string
		size time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}} {
		if n := d / u.size; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.name)
			d -= n * u.size
		}
	}
	if d > 0 {
		fmt.Fprintf(&b, "%dms", d/time.Millisecond)
	}
	return sign + b.String()
}

// DurationValue is a pflag.Value for duration flags: it takes days and
// weeks (see ParseDuration) and shows its default with FormatDuration.
type DurationValue struct{ D *time.Duration }

// NewDuration returns a DurationValue bound to p, set to def.
func NewDuration(p *time.Duration, def time.Duration) *DurationValue {
	*p = def
	return &DurationValue{D: p}
}

func (v *DurationValue) String() string {
	if v.D == nil || *v.D == 0 {
		return ""
	}
	return FormatDuration(*v.D)
}

// Set implements pflag.Value.
func (v *DurationValue) Set(s string) error {
	d, err := ParseDuration(s)
	if err != nil {
		return err
	}
	if d < 0 {
		return fmt.Errorf("must not be negative")
	}
	*v.D = d
	return nil
}

// Type implements pflag.Value.
func (v *DurationValue) Type() string { return "duration" }

// Thousands formats n with comma thousands separators (3029 → 3,029).
func Thousands(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + Thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

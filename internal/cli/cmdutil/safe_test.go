package cmdutil

import (
	"testing"
	"time"

	"github.com/opentc/tc/internal/cli/iostreams"
)

func TestSafe(t *testing.T) {
	for in, want := range map[string]string{
		"plain name":           "plain name",
		"é 日本":                 "é 日本",
		"evil\x1b]0;pwned\x07": `evil\x1b]0;pwned\x07`,
		"\x1b[2J":              `\x1b[2J`,
		"a\tb\nc\rd\x7f":       `a\tb\nc\rd\x7f`,
		"csi\u009b1A":          `csi\u009b1A`,
		"rtl\u202egnp.exe":     `rtl\u202egnp.exe`,
		"bad\xffbyte":          `bad\xffbyte`,
	} {
		if got := Safe(in); got != want {
			t.Errorf("Safe(%q) = %q, want %q", in, got, want)
		}
	}
	if got := SafeText("[agent]\n\tx = 1\x1b[31m\n"); got != "[agent]\n\tx = 1\\x1b[31m\n" {
		t.Errorf("SafeText = %q", got)
	}
}

func TestDurations(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"90s": 90 * time.Second, "15m": 15 * time.Minute, "30d": 30 * 24 * time.Hour, "2w": 14 * 24 * time.Hour,
		"1d12h": 36 * time.Hour, "1h30m": 90 * time.Minute, "0": 0, "1.5h": 90 * time.Minute,
	} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "7", "d", "1x", "1d-2h", "99999999999999999999w"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) accepted", bad)
		}
	}
	for d, want := range map[time.Duration]string{
		30 * 24 * time.Hour: "30d", 180 * time.Second: "3m", 90 * time.Second: "1m30s", 36 * time.Hour: "1d12h", 0: "0s",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
	if Thousands(3029) != "3,029" || Thousands(100) != "100" || Thousands(1234567) != "1,234,567" {
		t.Error("Thousands")
	}
}

// Columns line up on what the terminal shows: colour codes and wide
// characters do not shift them; stored control characters are escaped.
func TestTableWidths(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	ios.SetTerminal(true)
	ios.Getenv = func(k string) string { return map[string]string{"TERM": "xterm"}[k] }
	tb := NewTable(ios, "NAME", "STATUS", "NOTE")
	tb.Style(1, func(s string) string {
		if s == "ok" {
			return "\x1b[32m"
		}
		return ""
	})
	tb.Row("日本", "ok", "x")
	tb.Row("web-01", "not_reporting", "")
	tb.Row("evil\x1b[2J", "ok", "y")
	if err := tb.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "NAME         STATUS         NOTE\n" +
		"日本         \x1b[32mok\x1b[0m             x\n" +
		"web-01       not_reporting  -\n" +
		"evil\\x1b[2J  \x1b[32mok\x1b[0m             y\n"
	if out.String() != want {
		t.Errorf("table:\n%q\nwant\n%q", out.String(), want)
	}
	ios.Getenv = func(k string) string { return map[string]string{"TERM": "xterm", "NO_COLOR": "1"}[k] }
	if ios.ColorEnabled() {
		t.Error("colour with NO_COLOR set")
	}
	ios.Getenv = func(k string) string { return map[string]string{"TERM": "dumb"}[k] }
	if ios.ColorEnabled() {
		t.Error("colour with TERM=dumb")
	}
}

package advisories

import "testing"

// Releases and pre-releases are themselves; development builds count as
// their base release; no version, no match.
func TestAgentVersion(t *testing.T) {
	for _, c := range []struct {
		reported, want string // want "" = no version
	}{
		{"Telegraf 1.39.3 (git: HEAD@eb37a442)", "1.39.3"},
		{"Telegraf 1.37.2", "1.37.2"},
		{"1.36.1", "1.36.1"},
		{"v1.36.1", "1.36.1"},
		{"1.40.0-b272631466", "1.40.0"},
		{"Telegraf 1.40.0-b272631466 (git: master@1234abcd)", "1.40.0"},
		{"Telegraf 1.39.0-5a5b5a5c", "1.39.0"},
		{"1.40.0-dev", "1.40.0"},
		{"1.40.0-rc1", "1.40.0-rc1"},
		{"Telegraf 1.40.0-rc.2", "1.40.0-rc.2"},
		{"1.40.0-beta1", "1.40.0-beta1"},
		{"1.40.0-RC1", "1.40.0-RC1"},
		{"1.40.0-rc.01", "1.40.0"}, // not a valid pre-release: the base release
		{"Telegraf unknown", ""},
		{"", ""},
		{"Telegraf 1.39", ""},
		{"Telegraf 01.39.3", ""},
		{"build 2.1.1.5", ""},
		{"Telegraf 1.39.3.", "1.39.3"},
	} {
		v, ok := AgentVersion(c.reported)
		got := ""
		if ok {
			got = v.String()
		}
		if got != c.want {
			t.Errorf("%q: %q, want %q", c.reported, got, c.want)
		}
	}
}
